//! Integration tests of chapter 5: gathered runs checked by their reports, broken runs caught
//! by the right check, the log's format and order, failures and cancellation.
//!
//! Runs that sleep for seconds use tokio's paused clock (`start_paused`): the runtime jumps to
//! the next timer whenever every task is waiting, so a 4-second run takes milliseconds and its
//! instants are exact. Real-clock tests assert only what the runtime guarantees on any machine.

use std::io::{self, Write};
use std::time::Duration;

use concurrency_lab::Error;
use concurrency_lab::coro::{
    CheckKind, Event, Flavor, Journal, Log, RunReport, Step, TIMER_TICK, Verdict, delay_message,
};
use concurrency_lab::lab::async_gather::{Gather, Settings, gather, random_delays, task_message};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

const LAB_MAX_DELAY: Duration = Duration::from_secs(4);

fn verdicts(report: &RunReport) -> Vec<(CheckKind, Verdict)> {
    report
        .checks()
        .iter()
        .map(|c| (c.kind, c.verdict))
        .collect()
}

fn all_pass() -> Vec<(CheckKind, Verdict)> {
    CheckKind::ALL.iter().map(|&k| (k, Verdict::Pass)).collect()
}

/// The fields of a log line: time, thread, message.
fn fields(line: &str) -> (&str, &str, &str) {
    let mut parts = line.splitn(5, ':');
    let (h, m, s) = (parts.next(), parts.next(), parts.next());
    let (thread, message) = (parts.next(), parts.next());
    let time = &line[..8];
    assert!(
        [h, m, s].iter().all(|f| f.is_some_and(|f| f.len() == 2)),
        "not HH:MM:SS: {line}"
    );
    (time, thread.expect(line), message.expect(line))
}

async fn check_a_gathered_run(tasks: usize, how: Gather, seed: u64) {
    let delays = random_delays(tasks, LAB_MAX_DELAY, seed).expect("valid settings");
    let report = gather(&delays, how, &Log::new(io::sink()))
        .await
        .expect("io::sink accepts everything");
    assert_eq!(verdicts(&report), all_pass(), "{report}");
    assert_eq!(report.tasks(), tasks);
    assert_eq!(report.peak_in_flight(), tasks, "all waited together");
    assert_eq!(
        report.start_spread(),
        Some(Duration::ZERO),
        "paused: no time passes"
    );
    // On the paused clock the run ends on the tick of the longest delay, exactly.
    assert!(report.overshoot() < TIMER_TICK, "{report}");
}

#[tokio::test(start_paused = true)]
async fn the_report_proves_a_run_of_100_tasks_gathered_either_way() {
    check_a_gathered_run(100, Gather::JoinSet, 1).await;
    check_a_gathered_run(100, Gather::JoinAll, 2).await;
}

#[tokio::test(start_paused = true)]
async fn the_report_proves_a_run_of_10_000_tasks_gathered_either_way() {
    check_a_gathered_run(10_000, Gather::JoinSet, 3).await;
    check_a_gathered_run(10_000, Gather::JoinAll, 4).await;
}

#[tokio::test(start_paused = true)]
async fn tasks_run_one_after_another_fail_the_concurrency_check() {
    let delays = random_delays(20, LAB_MAX_DELAY, 5).expect("valid settings");
    let report = gather(&delays, Gather::Sequential, &Log::new(io::sink()))
        .await
        .expect("io::sink accepts everything");
    let concurrent = report.check(CheckKind::Concurrent);
    assert_eq!(concurrent.verdict, Verdict::Fail, "{report}");
    assert!(
        concurrent.evidence.contains("one after another"),
        "{report}"
    );
    // Everything else about the run was right: it was complete, just not concurrent.
    let others: Vec<_> = verdicts(&report)
        .into_iter()
        .filter(|(k, _)| *k != CheckKind::Concurrent)
        .collect();
    assert!(others.iter().all(|(_, v)| *v == Verdict::Pass), "{report}");
    assert!(report.total() >= report.sum_of_delays());
    assert_eq!(report.peak_in_flight(), 1);
}

#[tokio::test]
async fn a_loop_blocked_by_thread_sleep_fails_the_concurrency_check() {
    // The same five tasks, but each blocks its thread with `std::thread::sleep`: on the
    // current-thread runtime nothing else can run meanwhile, so the run takes at least the
    // sum of the delays. That follows from `thread::sleep`'s guarantee, not from timing luck.
    let delays: Vec<Duration> = [50, 10, 40, 20, 30].map(Duration::from_millis).to_vec();
    let journal = Journal::new();
    let start = Instant::now();
    let mut set = JoinSet::new();
    for (task, &delay) in delays.iter().enumerate() {
        let journal = journal.clone();
        set.spawn(async move {
            journal.record(task, Step::Started);
            std::thread::sleep(delay); // the mistake
            journal.record(task, Step::Finished);
        });
    }
    while let Some(joined) = set.join_next().await {
        joined.expect("the task does not panic");
    }
    let report = RunReport::new(
        &delays,
        &journal.take(),
        start.elapsed(),
        Flavor::CurrentThread,
    );
    assert_eq!(
        report.check(CheckKind::Concurrent).verdict,
        Verdict::Fail,
        "{report}"
    );
    assert_eq!(
        report.check(CheckKind::FinishedOnce).verdict,
        Verdict::Pass,
        "{report}"
    );
    assert_eq!(
        report.peak_in_flight(),
        1,
        "each task blocked the others out"
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_cancelled_by_a_timeout_are_reported_as_never_finished() {
    let delays: Vec<Duration> = [500, 1000, 1500, 2500, 3000, 3500]
        .map(Duration::from_millis)
        .to_vec();
    let (log, journal) = (Log::new(io::sink()), Journal::new());
    let start = Instant::now();
    let mut set = JoinSet::new();
    for (task, &delay) in delays.iter().enumerate() {
        let (log, journal) = (log.clone(), journal.clone());
        set.spawn(async move {
            journal.record(task, Step::Started);
            let waited = timeout(Duration::from_secs(2), delay_message(delay, "m", &log)).await;
            // A timed-out task stops here: its future was dropped at the deadline.
            if waited.is_ok() {
                journal.record(task, Step::Finished);
            }
        });
    }
    while let Some(joined) = set.join_next().await {
        joined.expect("the task does not panic");
    }
    let report = RunReport::new(
        &delays,
        &journal.take(),
        start.elapsed(),
        Flavor::CurrentThread,
    );
    assert_eq!(report.check(CheckKind::StartedOnce).verdict, Verdict::Pass);
    let finished = report.check(CheckKind::FinishedOnce);
    assert_eq!(finished.verdict, Verdict::Fail);
    assert!(
        finished.evidence.contains("3 never (tasks 3, 4, 5)"),
        "{report}"
    );
    assert_eq!(report.total(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn aborted_tasks_are_reported_as_never_finished() {
    let delays = vec![Duration::from_secs(1); 4];
    let (log, journal) = (Log::new(io::sink()), Journal::new());
    let start = Instant::now();
    let mut set = JoinSet::new();
    let handles: Vec<_> = delays
        .iter()
        .enumerate()
        .map(|(task, &delay)| {
            let (log, journal) = (log.clone(), journal.clone());
            set.spawn(async move {
                journal.record(task, Step::Started);
                delay_message(delay, "m", &log).await.expect("io::sink");
                journal.record(task, Step::Finished);
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await; // all four are waiting now
    handles[1].abort();
    handles[2].abort();
    let mut cancelled = 0;
    while let Some(joined) = set.join_next().await {
        if joined.is_err_and(|err| err.is_cancelled()) {
            cancelled += 1;
        }
    }
    assert_eq!(cancelled, 2);
    let report = RunReport::new(
        &delays,
        &journal.take(),
        start.elapsed(),
        Flavor::CurrentThread,
    );
    let finished = report.check(CheckKind::FinishedOnce);
    assert_eq!(finished.verdict, Verdict::Fail);
    assert!(
        finished.evidence.contains("2 never (tasks 1, 2)"),
        "{report}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_log_has_each_line_once_in_the_lab_format_and_printing_follows_the_delays() {
    let delays = random_delays(200, LAB_MAX_DELAY, 6).expect("valid settings");
    let log = Log::new(Vec::new());
    gather(&delays, Gather::JoinSet, &log)
        .await
        .expect("a Vec accepts writes");
    let text = String::from_utf8(log.into_inner().expect("the run is over")).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 400);

    let this_thread = std::thread::current()
        .name()
        .map(String::from)
        .expect("named");
    let mut printing_order = Vec::new();
    for line in &lines {
        let (_, thread, message) = fields(line);
        assert_eq!(
            thread, this_thread,
            "the current-thread runtime runs on the test thread"
        );
        if let Some(task) = message.strip_prefix("printing task ") {
            let task: usize = task
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .expect(line);
            printing_order.push(task);
        }
    }
    // Each task logged "received" first, and every "received" precedes every "printing".
    for (task, &delay) in delays.iter().enumerate() {
        let message = task_message(task, delay);
        let received = lines
            .iter()
            .position(|l| l.ends_with(&format!(":{message} received")));
        let printing = lines
            .iter()
            .position(|l| l.ends_with(&format!(":printing {message}")));
        assert!(received.expect("logged") < 200 && printing.expect("logged") >= 200);
    }
    // "printing" lines come in the order of the delays, up to ties within one timer tick.
    for pair in printing_order.windows(2) {
        let (before, after) = (delays[pair[0]], delays[pair[1]]);
        assert!(
            before < after + TIMER_TICK,
            "task {} before task {}",
            pair[0],
            pair[1]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_threaded_run_is_complete_and_no_task_wakes_early() {
    // Real clock, short delays: only what the runtime guarantees anywhere is asserted (no task
    // lost or doubled, no timer early), not timing. The watchdog bounds the wait.
    let delays = random_delays(300, Duration::from_millis(50), 7).expect("valid settings");
    let log = Log::new(io::sink());
    let report = timeout(
        Duration::from_secs(60),
        gather(&delays, Gather::JoinSet, &log),
    )
    .await
    .expect("the run ends well within a minute")
    .expect("io::sink accepts everything");
    for kind in [
        CheckKind::StartedOnce,
        CheckKind::FinishedOnce,
        CheckKind::FullDelay,
    ] {
        assert_eq!(report.check(kind).verdict, Verdict::Pass, "{report}");
    }
}

#[test]
fn join_set_tasks_run_on_workers_but_join_all_stays_on_the_calling_thread() {
    let settings = Settings {
        tasks: 20,
        max_delay: Duration::from_millis(20),
        flavor: Flavor::MultiThread,
        gather: Gather::JoinSet,
        ..Settings::new(8)
    };
    let caller = std::thread::current()
        .name()
        .map(String::from)
        .expect("named");

    let log = Log::new(Vec::new());
    settings.run(&log).expect("a Vec accepts writes");
    let text = String::from_utf8(log.into_inner().expect("done")).expect("utf-8");
    assert!(
        text.lines().all(|l| fields(l).1.starts_with("worker-")),
        "{text}"
    );

    let log = Log::new(Vec::new());
    let report = Settings {
        gather: Gather::JoinAll,
        ..settings
    }
    .run(&log)
    .expect("a Vec accepts writes");
    assert_eq!(report.threads(), 1);
    let text = String::from_utf8(log.into_inner().expect("done")).expect("utf-8");
    assert!(text.lines().all(|l| fields(l).1 == caller), "{text}");
}

/// A sink that takes `lines` lines, then fails like a closed pipe.
struct ClosesAfter {
    lines: usize,
}

impl Write for ClosesAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.lines == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.lines -= 1;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_sink_that_fails_ends_the_gather_with_an_error_naming_the_line() {
    let delays = random_delays(50, LAB_MAX_DELAY, 9).expect("valid settings");
    for how in Gather::ALL {
        let log = Log::new(ClosesAfter { lines: 30 });
        let err = gather(&delays, how, &log)
            .await
            .expect_err("the pipe closed");
        let Error::SinkWrite { what, source, .. } = &err else {
            panic!("expected SinkWrite, got {err:?}");
        };
        assert!(what.starts_with("log line"), "{what}");
        assert_eq!(source.kind(), io::ErrorKind::BrokenPipe);
    }
}

#[tokio::test(start_paused = true)]
async fn an_event_wakes_every_waiter_stays_set_and_can_be_cleared() {
    let event = Event::new();
    let mut waiters = JoinSet::new();
    for _ in 0..3 {
        let event = event.clone();
        waiters.spawn(async move { event.wait().await });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(waiters.len(), 3);
    assert!(waiters.try_join_next().is_none(), "nobody set it yet");

    event.set();
    let all = timeout(Duration::from_secs(1), waiters.join_all()).await;
    assert_eq!(all.expect("set wakes every waiter").len(), 3);
    assert!(
        timeout(Duration::ZERO, event.wait()).await.is_ok(),
        "stays set"
    );

    event.clear();
    assert!(
        timeout(Duration::from_secs(1), event.wait()).await.is_err(),
        "waits again"
    );
}
