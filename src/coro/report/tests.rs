use std::time::Duration;

use tokio::time::Instant;

use super::order::DUE_NOTE;
use super::*;
use crate::coro::Flavor;
use crate::coro::journal::Step;

/// A journal written by hand: `(task, step, milliseconds after the base instant)`.
fn journal(steps: &[(usize, Step, u64)]) -> Vec<Entry> {
    let base = Instant::now();
    steps
        .iter()
        .map(|&(task, step, ms)| Entry {
            task,
            step,
            at: base + Duration::from_millis(ms),
            thread: std::thread::current().id(),
        })
        .collect()
}

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|&v| Duration::from_millis(v)).collect()
}

use Step::{Finished, Started};

#[test]
fn tick_text_matches_the_tick() {
    assert_eq!(TICK_TEXT, format!("{} ms", TIMER_TICK.as_millis()));
}

#[test]
fn a_clean_concurrent_run_passes_every_check() {
    let delays = ms(&[30, 10, 20]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (1, Finished, 10),
        (2, Finished, 20),
        (0, Finished, 30),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(30),
        Flavor::CurrentThread,
    );
    assert!(report.passed(), "{report}");
    assert!(
        CheckKind::ALL
            .iter()
            .all(|&k| report.check(k).verdict == Verdict::Pass)
    );
    assert_eq!(report.peak_in_flight(), 3);
    assert_eq!(report.start_spread(), Some(Duration::ZERO));
    assert_eq!(report.threads(), 1);
    assert_eq!(report.sum_of_delays(), Duration::from_millis(60));
    assert_eq!(report.longest_delay(), Duration::from_millis(30));
    let order = &report.check(CheckKind::CompletionOrder).evidence;
    assert!(
        order.contains("so this is the order of their delays"),
        "{order}"
    );
    let text = report.to_string();
    assert_eq!(text.matches("  PASS  ").count(), 5, "{text}");
    assert!(
        text.contains("longest delay   30.000 ms (task 0)"),
        "{text}"
    );
    assert!(
        text.contains("result: PASS — every task ran once"),
        "{text}"
    );
    assert_eq!(report.tasks(), 3);
}

#[test]
fn missing_repeated_and_stray_tasks_fail_the_counting_checks() {
    let delays = ms(&[10, 10, 10]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (1, Started, 1),
        (9, Started, 1),
        (0, Finished, 10),
        (1, Finished, 11),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(11),
        Flavor::CurrentThread,
    );
    let started = report.check(CheckKind::StartedOnce);
    assert_eq!(started.verdict, Verdict::Fail);
    assert_eq!(
        started.evidence,
        "1 of 3 started once; 1 never (task 2); 1 more than once (task 1); \
         1 started that are not part of the run"
    );
    let finished = report.check(CheckKind::FinishedOnce);
    assert_eq!(finished.verdict, Verdict::Fail);
    assert!(
        finished.evidence.contains("1 never (task 2)"),
        "{}",
        finished.evidence
    );
    // Task 1 has two starts, so only task 0 is timed; the other checks judge what is left.
    assert_eq!(report.check(CheckKind::FullDelay).verdict, Verdict::Pass);
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::NotApplicable
    );
    assert!(
        report
            .to_string()
            .contains("result: FAIL — 2 of 5 checks failed")
    );
}

#[test]
fn a_task_that_woke_early_fails_the_full_delay_check() {
    let delays = ms(&[10, 40]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 10),
        (1, Finished, 25),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(25),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::FullDelay);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "1 finished early (task 1); worst: task 1, 15.000 ms too soon"
    );
}

#[test]
fn due_times_closer_than_a_tick_are_ties() {
    let delays = [Duration::from_millis(12), Duration::from_micros(11_500)];
    let tie = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 12),
        (1, Finished, 12),
    ]);
    let report = RunReport::new(
        &delays,
        &tie,
        Duration::from_millis(12),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Pass);
    assert_eq!(
        check.evidence,
        "none of 2 finished after a task due 1 ms or more later (due: between start + delay and the next journal entry + delay); all \
         started within 0.000 ms, so this is the order of their delays"
    );
}

#[test]
fn two_tasks_alone_cannot_show_disorder_a_stalled_loop_explains_them() {
    // Task 1 fell due 2 ms before task 0 and finished after it. A loop busy until 12 ms
    // would fire both at once and may run them either way: a backlog, not a fault.
    let delays = ms(&[12, 10]);
    // Task 0 starts last: the next entry, its own finish, bounds only its timer, and the
    // first task to finish cannot finish after anything.
    let swapped = journal(&[
        (1, Started, 0),
        (0, Started, 0),
        (0, Finished, 12),
        (1, Finished, 13),
    ]);
    let report = RunReport::new(
        &delays,
        &swapped,
        Duration::from_millis(13),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Pass, "{report}");
    assert_eq!(
        check.evidence,
        "1 finished after a task due 1 ms or more later (task 1), each in a backlog the \
         runtime fired late, after all of it fell due (1 backlog; the largest: 2 tasks due \
         over 2.000 ms, finishing from 2.000 ms after the earliest of them fell due) \
         (due: between start + delay and the next journal entry + delay)"
    );
}

/// Tasks 0, 1, 2 due at 10, 20, 30 ms; task 1 finished on time at 20 ms, so the loop read its
/// timer by then and task 0, due at 10 ms, should have fired no later.
fn passed_by_a_task_on_time() -> Vec<Entry> {
    journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (1, Finished, 20),
        (2, Finished, 30),
        (0, Finished, 31),
    ])
}

#[test]
fn a_task_passed_by_one_that_finished_on_time_is_out_of_order() {
    let delays = ms(&[10, 20, 30]);
    let report = RunReport::new(
        &delays,
        &passed_by_a_task_on_time(),
        Duration::from_millis(31),
        Flavor::CurrentThread,
    );
    assert!(!report.passed(), "{report}");
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "1 finished after a task due 1 ms or more later (task 0) while the runtime kept time: \
         task 1 finished 10.000 ms before task 2 fell due, in one stretch of finishes with \
         them, and a runtime that falls behind fires such a stretch together, after its last \
         due time; worst: task 0 finished after task 2, which fell due at least 20.000 ms after it \
         (due: between start + delay and the next journal entry + delay)"
    );
    let failed: Vec<CheckKind> = report
        .checks()
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.kind)
        .collect();
    assert_eq!(failed, [CheckKind::CompletionOrder], "{report}");
    assert!(
        report.to_string().contains(
            "result: FAIL — 1 of 5 checks failed: tasks finished in the order they fell due"
        ),
        "{report}"
    );
}

#[test]
fn the_worst_of_several_faults_is_named() {
    // Two stretches the runtime could not have fired late, and in the second two late tasks
    // with different gaps: the evidence names the larger shortfall and the larger gap.
    let delays = ms(&[10, 20, 30, 100, 104, 150, 170, 130]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (3, Started, 0),
        (4, Started, 0),
        (5, Started, 0),
        (6, Started, 0),
        (7, Started, 0),
        // Stretch 1, tasks 1 2 0: shortfall 10 ms (task 1 at 20, task 2 due 30).
        (1, Finished, 20),
        (2, Finished, 30),
        (0, Finished, 31),
        // Task 3 on its own, in order; then stretch 2, tasks 5 6 4 7: shortfall 20 ms (task 5
        // at 150, task 6 due 170); task 4 is 66 ms late, task 7 40 ms.
        (3, Finished, 100),
        (5, Finished, 150),
        (6, Finished, 170),
        (4, Finished, 171),
        (7, Finished, 172),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(172),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "3 finished after a task due 1 ms or more later (tasks 0, 4, 7) while the runtime kept \
         time: task 5 finished 20.000 ms before task 6 fell due, in one stretch of finishes \
         with them, and a runtime that falls behind fires such a stretch together, after its \
         last due time; worst: task 4 finished after task 6, which fell due at least 66.000 ms after \
         it (due: between start + delay and the next journal entry + delay)"
    );
}

#[test]
fn backlogs_are_counted_and_the_largest_is_described() {
    // Two backlogs: tasks 1 0 (fired at 25 ms) and tasks 4 2 3 (fired at 80 ms); between
    // them task 5 in order.
    let delays = ms(&[10, 20, 50, 60, 70, 40]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (3, Started, 0),
        (4, Started, 0),
        (5, Started, 1),
        (1, Finished, 25),
        (0, Finished, 25),
        (5, Finished, 41),
        (4, Finished, 80),
        (2, Finished, 80),
        (3, Finished, 81),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(81),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Pass, "{report}");
    assert_eq!(
        check.evidence,
        "3 finished after a task due 1 ms or more later (tasks 0, 2, 3), each in a backlog the \
         runtime fired late, after all of it fell due (2 backlogs; the largest: 3 tasks due \
         over 20.000 ms, finishing from 30.000 ms after the earliest of them fell due) \
         (due: between start + delay and the next journal entry + delay)"
    );
}

/// A current-thread loop, simulated: it starts `delays.len()` tasks one after another, reads
/// its timer every `READS_EVERY` polls (and whenever it has nothing to run), fires every timer
/// that fell due in a shuffled order, and runs the woken tasks first in, first out. Starting a
/// task costs 20 µs, finishing one 2 µs; every `stall_every`-th task (if any) is held up
/// `STALL` between journaling its start and setting its timer, as a preempted process is.
/// Returns the journal, `(task, step, µs)`.
fn simulated_loop(
    delays: &[Duration],
    seed: u64,
    stall_every: Option<usize>,
) -> Vec<(usize, Step, u64)> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    use std::collections::VecDeque;
    const READS_EVERY: usize = 61;
    let tick = TIMER_TICK.as_micros() as u64;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut queue: VecDeque<(usize, Step)> = (0..delays.len()).map(|t| (t, Started)).collect();
    let mut timers: Vec<(u64, usize)> = Vec::new();
    let mut journal = Vec::new();
    let (mut now, mut polls) = (0u64, 0usize);
    while journal.len() < 2 * delays.len() {
        if queue.is_empty() || polls.is_multiple_of(READS_EVERY) {
            if queue.is_empty() {
                // Idle: sleep until the next deadline's tick.
                let next = timers.iter().map(|&(d, _)| d).min().expect("a task waits");
                now = now.max(next.div_ceil(tick) * tick);
            }
            // A timer fires once the clock's whole ticks reach its deadline's rounded-up tick.
            let (mut due, waiting): (Vec<_>, Vec<_>) = timers
                .into_iter()
                .partition(|&(deadline, _)| deadline.div_ceil(tick) <= now / tick);
            timers = waiting;
            due.shuffle(&mut rng);
            queue.extend(due.into_iter().map(|(_, task)| (task, Finished)));
        }
        polls += 1;
        let Some((task, step)) = queue.pop_front() else {
            continue;
        };
        match step {
            Started => {
                journal.push((task, Started, now));
                if stall_every.is_some_and(|every| task % every == every - 1) {
                    now += STALL.as_micros() as u64;
                }
                now += 20;
                timers.push((now + delays[task].as_micros() as u64, task));
            }
            Finished => {
                now += 2;
                journal.push((task, Finished, now));
            }
        }
    }
    journal
}

/// How long [`simulated_loop`] holds up a stalled task before it sets its timer.
const STALL: Duration = Duration::from_millis(3);

#[test]
fn a_loop_keeping_time_with_tasks_stalled_before_their_timers_passes() {
    // 2,000 tasks start in 40 ms with delays up to 0.5 s: the loop keeps time for most of the
    // run. Every 50th task is held up 3 ms between its start and its timer, so by start +
    // delay it looks late beside tasks that fell due up to 3 ms after it; the journal's next
    // entry, after the stall, shows that its timer was set later.
    let delays: Vec<Duration> =
        crate::lab::async_gather::random_delays(2_000, Duration::from_millis(500), 21)
            .expect("valid settings");
    let steps = simulated_loop(&delays, 22, Some(50));
    let report = RunReport::new(
        &delays,
        &journal_us(&steps),
        Duration::from_micros(steps.last().expect("a journal").2),
        Flavor::CurrentThread,
    );
    assert!(report.passed(), "{report}");
    // The provocation is real: read with each timer set at its journaled start, the run fails.
    let finishes = super::reading::Reading::new(delays.len(), &journal_us(&steps))
        .timed_finishes(&delays)
        .expect("tasks started");
    let provoked = !super::order::passes_taking_starts_as_timers(&finishes);
    assert!(provoked, "no task overtaken on time: the stalls missed");
}

/// Task 0 journals its start at 0 ms and sets its 30 ms timer by the next entry, task 3's
/// start at `next_entry` ms; tasks 1 and 2, due at 32 and 35 ms, finish on time before it.
fn set_its_timer_by(next_entry: u64) -> Vec<Entry> {
    journal(&[
        (1, Started, 0),
        (2, Started, 0),
        (0, Started, 0),
        (3, Started, next_entry),
        (1, Finished, 32),
        (2, Finished, 35),
        (0, Finished, 40),
        (3, Finished, 110),
    ])
}

#[test]
fn a_task_held_up_before_it_set_its_timer_is_not_out_of_order() {
    // The loop stalled 10 ms after task 0's start (task 3 started only then): its timer may
    // have been set as late as 10 ms, due at 40 ms, after tasks 1 and 2.
    let delays = ms(&[30, 32, 35, 100]);
    let report = RunReport::new(
        &delays,
        &set_its_timer_by(10),
        Duration::from_millis(110),
        Flavor::CurrentThread,
    );
    assert!(report.passed(), "{report}");
    assert_eq!(
        report.check(CheckKind::CompletionOrder).evidence,
        format!("none of 4 finished after a task due 1 ms or more later {DUE_NOTE}")
    );
}

#[test]
fn a_task_that_set_its_timer_at_once_and_fired_after_later_ones_is_out_of_order() {
    // The same finishes, with no stall: task 0 had set its timer by 0 ms, due at 30 ms.
    let delays = ms(&[30, 32, 35, 100]);
    let report = RunReport::new(
        &delays,
        &set_its_timer_by(0),
        Duration::from_millis(110),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail, "{report}");
    assert_eq!(
        check.evidence,
        format!(
            "1 finished after a task due 1 ms or more later (task 0) while the runtime kept \
             time: task 1 finished 3.000 ms before task 2 fell due, in one stretch of finishes \
             with them, and a runtime that falls behind fires such a stretch together, after \
             its last due time; worst: task 0 finished after task 2, which fell due at least \
             5.000 ms after it {DUE_NOTE}"
        )
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_real_loop_stalled_between_a_start_and_its_timer_passes_the_order_check() {
    // Real clock, one thread. Task 0 journals its start, then blocks the loop for 10 ms (as a
    // preemption of the process would) before it sets its 30 ms timer; tasks 1 and 2 (32 and
    // 35 ms) set theirs before the stall. By start + delay task 0 falls due first, yet its
    // timer fires after theirs. Whatever the machine's load, the report must pass.
    let delays = ms(&[30, 32, 35, 100]);
    let journal = crate::coro::Journal::new();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for task in [1, 2, 0, 3] {
        let (journal, delay) = (journal.clone(), delays[task]);
        set.spawn(async move {
            journal.record(task, Started);
            if task == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
            tokio::time::sleep(delay).await;
            journal.record(task, Finished);
        });
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(joined) = set.join_next().await {
            joined.expect("no task panics");
        }
    })
    .await
    .expect("four timers under 0.1 s end well within a minute");
    let report = RunReport::new(
        &delays,
        &journal.take(),
        start.elapsed(),
        Flavor::CurrentThread,
    );
    // Only the order check: whether the run also looks concurrent depends on the load.
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::Pass,
        "{report}"
    );
    assert_eq!(
        report.check(CheckKind::FinishedOnce).verdict,
        Verdict::Pass,
        "{report}"
    );
}

fn journal_us(steps: &[(usize, Step, u64)]) -> Vec<Entry> {
    let base = Instant::now();
    steps
        .iter()
        .map(|&(task, step, us)| Entry {
            task,
            step,
            at: base + Duration::from_micros(us),
            thread: std::thread::current().id(),
        })
        .collect()
}

#[test]
fn a_loop_that_falls_behind_while_starting_tasks_passes_and_a_task_held_back_fails() {
    // 20,000 tasks take 0.4 s to start, with delays up to 0.2 s: timers fall due all along
    // the start, and the loop fires them in shuffled batches, as tokio may.
    let delays: Vec<Duration> =
        crate::lab::async_gather::random_delays(20_000, Duration::from_millis(200), 11)
            .expect("valid settings");
    let steps = simulated_loop(&delays, 12, None);
    let total = Duration::from_micros(steps.last().expect("a journal").2);
    let report = RunReport::new(&delays, &journal_us(&steps), total, Flavor::CurrentThread);
    assert!(report.passed(), "{report}");
    let order = &report.check(CheckKind::CompletionOrder).evidence;
    // The order is not the order of the due times: only the backlogs explain it.
    assert!(
        order.contains("each in a backlog the runtime fired late"),
        "{order}"
    );

    // The same run, but one task that finished on time near the end, 5 ms before the last
    // one fell due, finishes last instead: the tasks between finished on time, so the loop was
    // reading its timer, and this task was not fired with them.
    let due = |task: usize| {
        let start = steps.iter().find(|s| s.0 == task && s.1 == Started);
        Duration::from_micros(start.expect("started").2) + delays[task]
    };
    let last_due = due(steps[steps.len() - 1].0);
    let moved = steps
        .iter()
        .rposition(|s| s.1 == Finished && due(s.0) + Duration::from_millis(5) <= last_due)
        .expect("a task due 5 ms before the last");
    let mut swapped = steps.clone();
    let mut entry = swapped.remove(moved);
    entry.2 = steps[steps.len() - 1].2 + 2;
    swapped.push(entry);
    let report = RunReport::new(&delays, &journal_us(&swapped), total, Flavor::CurrentThread);
    let failed: Vec<CheckKind> = report
        .checks()
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.kind)
        .collect();
    assert_eq!(failed, [CheckKind::CompletionOrder], "{report}");
}

#[test]
fn one_after_another_is_nearer_the_sum_and_fails_only_the_concurrency_check() {
    let delays = ms(&[30, 10, 20]);
    let entries = journal(&[
        (0, Started, 0),
        (0, Finished, 30),
        (1, Started, 30),
        (1, Finished, 40),
        (2, Started, 40),
        (2, Finished, 60),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(60),
        Flavor::CurrentThread,
    );
    let failed: Vec<CheckKind> = report
        .checks()
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.kind)
        .collect();
    assert_eq!(failed, [CheckKind::Concurrent]);
    assert_eq!(report.peak_in_flight(), 1);
    assert_eq!(report.start_spread(), Some(Duration::from_millis(40)));
}

#[test]
fn concurrency_cannot_be_shown_when_only_one_delay_counts() {
    for delays in [
        ms(&[50]),
        vec![Duration::from_millis(50), Duration::from_micros(900)],
    ] {
        let report = RunReport::new(
            &delays,
            &[],
            Duration::from_millis(50),
            Flavor::CurrentThread,
        );
        assert_eq!(
            report.check(CheckKind::Concurrent).verdict,
            Verdict::NotApplicable
        );
    }
}

#[test]
fn huge_delays_do_not_overflow() {
    let delays = [Duration::MAX, Duration::MAX];
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 1),
        (1, Finished, 2),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(2),
        Flavor::CurrentThread,
    );
    assert_eq!(report.sum_of_delays(), Duration::MAX);
    assert_eq!(report.check(CheckKind::FullDelay).verdict, Verdict::Fail);
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::Pass
    );
}

#[test]
fn a_multi_thread_runtime_promises_no_order_but_the_evidence_shows_what_was_seen() {
    let delays = ms(&[12, 10]);
    // Task 0 starts last: the next entry, its own finish, bounds only its timer, and the
    // first task to finish cannot finish after anything.
    let swapped = journal(&[
        (1, Started, 0),
        (0, Started, 0),
        (0, Finished, 12),
        (1, Finished, 13),
    ]);
    let report = RunReport::new(
        &delays,
        &swapped,
        Duration::from_millis(13),
        Flavor::MultiThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::NotApplicable);
    assert!(
        check.evidence.contains("seen: 1 finished after"),
        "{}",
        check.evidence
    );
    assert!(report.passed());
    let text = report.to_string();
    assert!(
        text.starts_with("run report: 2 tasks on 1 thread of a multi-thread runtime"),
        "{text}"
    );
    assert!(
        text.contains("result: PASS (1 check did not apply)"),
        "{text}"
    );
}

#[test]
fn exactly_halfway_between_the_longest_delay_and_the_sum_is_not_nearer_the_longest() {
    let delays = ms(&[30, 10]);
    let at = |total: Duration| {
        RunReport::new(&delays, &[], total, Flavor::CurrentThread)
            .check(CheckKind::Concurrent)
            .clone()
    };
    let halfway = at(Duration::from_millis(35));
    assert_eq!(halfway.verdict, Verdict::Fail);
    assert_eq!(
        halfway.evidence,
        "total 35.000 ms is nearer the sum of the delays (40.000 ms) than the longest \
         (30.000 ms): the tasks waited one after another"
    );
    let nearer = at(Duration::from_micros(34_999));
    assert_eq!(nearer.verdict, Verdict::Pass);
    assert_eq!(
        nearer.evidence,
        "total 34.999 ms is nearer the longest delay (30.000 ms) than the sum (40.000 ms): \
         87.5 % of the sum"
    );
}

#[test]
fn other_delays_of_exactly_one_tick_can_show_concurrency() {
    let delays = [Duration::from_millis(50), TIMER_TICK];
    let report = RunReport::new(
        &delays,
        &[],
        Duration::from_millis(50),
        Flavor::CurrentThread,
    );
    assert_eq!(report.check(CheckKind::Concurrent).verdict, Verdict::Pass);

    let below = [
        Duration::from_millis(50),
        TIMER_TICK - Duration::from_nanos(1),
    ];
    let report = RunReport::new(
        &below,
        &[],
        Duration::from_millis(50),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::Concurrent);
    assert_eq!(check.verdict, Verdict::NotApplicable);
    assert_eq!(
        check.evidence,
        "the delays other than the longest add up to less than one timer tick, so waiting \
         together or in turn would take the same time"
    );
}

#[test]
fn the_full_delay_check_names_the_closest_margin_and_the_worst_shortfall() {
    let delays = ms(&[10, 20, 30]);
    let on_time = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (0, Finished, 13),
        (1, Finished, 22),
        (2, Finished, 34),
    ]);
    let report = RunReport::new(
        &delays,
        &on_time,
        Duration::from_millis(34),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::FullDelay);
    assert_eq!(check.verdict, Verdict::Pass);
    assert_eq!(
        check.evidence,
        "each waited at least its delay; the closest, task 1, by 2.000 ms"
    );

    let early = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (0, Finished, 8),
        (1, Finished, 15),
        (2, Finished, 29),
    ]);
    let report = RunReport::new(
        &delays,
        &early,
        Duration::from_millis(29),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::FullDelay);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "3 finished early (tasks 0, 1, 2); worst: task 1, 5.000 ms too soon"
    );

    let never = RunReport::new(&delays, &[], Duration::ZERO, Flavor::CurrentThread);
    let check = never.check(CheckKind::FullDelay);
    assert_eq!(check.verdict, Verdict::NotApplicable);
    assert_eq!(
        check.evidence,
        "no task both started and finished exactly once"
    );
}

/// Every task started at 0 ms; `finishes` are `(task, ms)` in finishing order. The first to
/// finish starts last: the next entry, its own finish, then bounds only its timer, which
/// cannot matter (the first task to finish cannot finish after anything).
fn run_of(delays: &[u64], finishes: &[(usize, u64)]) -> RunReport {
    let first = finishes.first().map(|&(task, _)| task);
    let mut steps: Vec<(usize, Step, u64)> = (0..delays.len())
        .filter(|&t| Some(t) != first)
        .chain(first)
        .map(|t| (t, Started, 0))
        .collect();
    steps.extend(finishes.iter().map(|&(task, at)| (task, Finished, at)));
    let total = Duration::from_millis(finishes.last().map_or(0, |&(_, at)| at));
    RunReport::new(&ms(delays), &journal(&steps), total, Flavor::CurrentThread)
}

#[test]
fn of_equal_due_times_the_first_to_finish_is_named() {
    // Tasks 1 and 2 are both due at 30 ms: the evidence names task 1, the first to finish.
    let report = run_of(&[20, 30, 30, 10], &[(0, 20), (1, 30), (2, 30), (3, 31)]);
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "1 finished after a task due 1 ms or more later (task 3) while the runtime kept time: \
         task 0 finished 10.000 ms before task 1 fell due, in one stretch of finishes with \
         them, and a runtime that falls behind fires such a stretch together, after its last \
         due time; worst: task 3 finished after task 1, which fell due at least 20.000 ms after it \
         (due: between start + delay and the next journal entry + delay)"
    );
}

#[test]
fn of_equally_large_backlogs_the_first_is_described() {
    let report = run_of(&[10, 20, 40, 60], &[(1, 25), (0, 25), (3, 70), (2, 70)]);
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Pass);
    assert_eq!(
        check.evidence,
        "2 finished after a task due 1 ms or more later (tasks 0, 2), each in a backlog the \
         runtime fired late, after all of it fell due (2 backlogs; the largest: 2 tasks due \
         over 10.000 ms, finishing from 15.000 ms after the earliest of them fell due) \
         (due: between start + delay and the next journal entry + delay)"
    );
}

#[test]
fn of_equally_bad_faults_the_first_is_named() {
    // Two stretches, each with a 10 ms shortfall and a 20 ms gap.
    let report = run_of(
        &[20, 30, 10, 120, 130, 110],
        &[(0, 20), (1, 30), (2, 31), (3, 120), (4, 130), (5, 131)],
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "2 finished after a task due 1 ms or more later (tasks 2, 5) while the runtime kept \
         time: task 0 finished 10.000 ms before task 1 fell due, in one stretch of finishes \
         with them, and a runtime that falls behind fires such a stretch together, after its \
         last due time; worst: task 2 finished after task 1, which fell due at least 20.000 ms after \
         it (due: between start + delay and the next journal entry + delay)"
    );
}

#[test]
fn due_times_exactly_one_tick_apart_are_not_a_tie() {
    // Task 2, due at 19 ms, finished after task 0, due at 20 ms: one tick apart is no tie,
    // so task 0's finish on time belongs to the stretch and shows the loop keeping time.
    let report = run_of(&[20, 30, 19], &[(0, 20), (1, 30), (2, 31)]);
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail, "{report}");
    assert!(
        check
            .evidence
            .contains("task 0 finished 10.000 ms before task 1 fell due"),
        "{}",
        check.evidence
    );
}

#[test]
fn the_worst_late_task_of_a_stretch_is_the_one_with_the_largest_gap_or_the_first() {
    let fault = |late_due: u64| {
        run_of(
            &[70, 100, 60, late_due],
            &[(0, 70), (1, 100), (2, 101), (3, 102)],
        )
        .check(CheckKind::CompletionOrder)
        .evidence
        .clone()
    };
    let head = "2 finished after a task due 1 ms or more later (tasks 2, 3) while the runtime \
                kept time: task 0 finished 30.000 ms before task 1 fell due, in one stretch of \
                finishes with them, and a runtime that falls behind fires such a stretch \
                together, after its last due time; worst: ";
    assert_eq!(
        fault(34),
        format!(
            "{head}task 3 finished after task 1, which fell due at least 66.000 ms after it \
             (due: between start + delay and the next journal entry + delay)"
        )
    );
    assert_eq!(
        fault(60),
        format!(
            "{head}task 2 finished after task 1, which fell due at least 40.000 ms after it \
             (due: between start + delay and the next journal entry + delay)"
        )
    );
}

#[test]
fn the_accessors_and_the_printed_text_agree_with_the_run() {
    let other_thread = std::thread::spawn(|| std::thread::current().id())
        .join()
        .expect("the thread returns its id");
    let mut entries = journal(&[(0, Started, 0), (0, Finished, 10)]);
    entries[1].thread = other_thread;
    let report = RunReport::new(
        &ms(&[10]),
        &entries,
        Duration::from_millis(12),
        Flavor::CurrentThread,
    );
    assert_eq!(report.tasks(), 1);
    assert_eq!(report.total(), Duration::from_millis(12));
    assert_eq!(report.overshoot(), Duration::from_millis(2));
    assert_eq!(report.threads(), 2);
    let text = report.to_string();
    assert!(
        text.starts_with("run report: 1 task on 2 threads of a current-thread runtime\n"),
        "{text}"
    );
    assert!(text.contains("  peak in flight  1 task waiting"), "{text}");
    let mut written = Vec::new();
    report.write_to(&mut written).expect("a Vec accepts writes");
    assert_eq!(String::from_utf8(written).expect("utf-8"), text);
}

#[test]
fn a_clean_run_s_evidence_says_nothing_of_strays_or_of_starting_together_when_it_did_not() {
    // Started 1 ms apart: exactly one tick is not "together".
    let report = run_of(&[10, 20], &[(0, 10), (1, 20)]);
    assert_eq!(
        report.check(CheckKind::StartedOnce).evidence,
        "2 of 2 started once; 0 never; 0 more than once"
    );
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 1),
        (0, Finished, 10),
        (1, Finished, 21),
    ]);
    let report = RunReport::new(
        &ms(&[10, 20]),
        &entries,
        Duration::from_millis(21),
        Flavor::CurrentThread,
    );
    assert_eq!(
        report.check(CheckKind::CompletionOrder).evidence,
        "none of 2 finished after a task due 1 ms or more later (due: between start + delay and the next journal entry + delay)"
    );
}
