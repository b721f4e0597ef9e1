//! Chapter 5's benchmark: how far past its longest delay a gather of 100 tasks ends, and what
//! 100,000 and 1,000,000 waiting tasks cost in time and peak memory — both ways of gathering,
//! each next to a raw tokio gather of the same sleeps measured in the same run (the peer), and
//! next to the Python asyncio figures measured on the same machine (docs/PERFORMANCE.md).
//!
//! ```sh
//! cargo bench --bench coro
//! BENCH_QUICK=1 cargo bench --bench coro    # a smoke run: one run per case, smaller cases
//! cargo bench --bench coro -- --campaign 20 # the order check's campaign (see `campaign`)
//! ```
//!
//! The peer, `raw join-set` / `raw join-all`, gathers the same delays the same way with nothing
//! but `tokio::time::sleep`: no log line, no journal, no report. The ratio ours/raw is the
//! price of the exercise's log and of its proof; the goal is ≤ 1.2× at 1,000,000 tasks, and
//! the bench ends with one line saying whether this run met it. Runs of ours and of the peer
//! alternate, so a burst of load elsewhere on the machine hits both.
//!
//! Every run is the exercise's own path — [`lab::async_gather::gather`] on a current-thread
//! runtime, each task a journaled `delay_message`, the run report computed at the end — with
//! the log lines formatted in full and written to `io::sink()` (what a terminal costs is the
//! terminal's business). Each run is a fresh child process (this binary again, with `--child`),
//! so that its peak resident memory (`VmHWM` in `/proc/self/status`) is its own. The statistics
//! over the runs come from the crate's `bench::Stats`.
//!
//! [`lab::async_gather::gather`]: concurrency_lab::lab::async_gather::gather

use std::error::Error;
use std::io::{self, Write};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use concurrency_lab::bench::{Stats, format_ns};
use concurrency_lab::coro::{self, Flavor, Journal, Log, RunReport, Step, Verdict, delay_message};
use concurrency_lab::lab::async_gather::{Gather, gather_journaled, random_delays, task_message};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::task::{JoinSet, unconstrained};

type Outcome<T> = Result<T, Box<dyn Error>>;

/// One benchmark case: a number of tasks with delays drawn from `0..=max_delay`.
struct Case {
    tasks: usize,
    max_delay: Duration,
    runs: usize,
    /// What `python3 benches/coro_asyncio.py` measured for this case on the course machine
    /// (docs/PERFORMANCE.md), and the requirement, for the reader.
    python: &'static str,
}

/// What one child run reports back.
struct Run {
    total: Duration,
    longest: Duration,
    /// Peak resident memory of the child, and before it drew the delays, in KiB.
    peak_kib: u64,
    baseline_kib: u64,
    /// The report's failed checks, by name; empty when it passed (or, for the peer, when
    /// there was no report).
    failed: String,
}

/// How a child gathers its tasks: the exercise's way (journaled, logged, reported), a raw
/// tokio gather of the same sleeps, or one of the wrong gatherers the report must catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// `lab::async_gather::gather_journaled`, as the exercise runs it.
    Ours(Gather),
    /// The peer: the same sleeps, gathered the same way, with nothing else.
    Raw(Gather),
    /// The exercise's tasks (`delay_message`, logging to the same sink), gathered the same
    /// way, without the journal and the report: what the proof alone costs, beside ours.
    Logged(Gather),
    /// Wrong: every task sleeps, but the gatherer awaits them in list order and journals each
    /// finish itself, so short tasks are journaled after long ones that finished on time.
    InTurn,
    /// Wrong: task `i` sleeps the delay of task `n-1-i`, so the finishes come in reverse.
    Swapped,
}

impl Way {
    fn name(self) -> String {
        match self {
            Way::Ours(how) => how.to_string(),
            Way::Raw(how) => format!("raw-{how}"),
            Way::Logged(how) => format!("logged-{how}"),
            Way::InTurn => "in-turn".to_owned(),
            Way::Swapped => "swapped".to_owned(),
        }
    }

    fn parse(text: &str) -> Outcome<Way> {
        Ok(match text {
            "in-turn" => Way::InTurn,
            "swapped" => Way::Swapped,
            _ => match (text.strip_prefix("raw-"), text.strip_prefix("logged-")) {
                (Some(how), _) => Way::Raw(how.parse()?),
                (_, Some(how)) => Way::Logged(how.parse()?),
                _ => Way::Ours(text.parse()?),
            },
        })
    }
}

/// A child that has not finished in this long is killed and the bench fails.
const CHILD_TIME_LIMIT: Duration = Duration::from_secs(300);

/// The goal: ours at most this many times the raw gather's total, at 1,000,000 tasks.
const GOAL_RATIO: f64 = 1.2;

fn main() -> Outcome<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => return child(&args[1..]),
        Some("--campaign") => return campaign(&args[1..]),
        _ => {}
    }
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (runs, scale) = if quick { (1, 10) } else { (5, 1) };
    let secs = Duration::from_secs;
    let overshoot = Case {
        tasks: 100,
        max_delay: secs(4) / scale as u32,
        runs,
        python: "Python asyncio, `python3 benches/coro_asyncio.py 100 4 SEED`: 1.71–2.20 ms; \
                 requirement ≤ 3 ms",
    };
    let big = [
        Case {
            tasks: 100_000 / scale,
            max_delay: secs(1),
            runs: runs.min(3),
            python: "Python asyncio, `python3 benches/coro_asyncio.py 100000 1 SEED`: 4.00 s, 221 MB",
        },
        Case {
            tasks: 1_000_000 / scale,
            max_delay: secs(1),
            runs: runs.min(3),
            python: "Python asyncio, `python3 benches/coro_asyncio.py 1000000 1 SEED`: 43.9–45.2 s, \
                 2,038 MB; requirement ≤ 2.5 s, ≤ 600 MB",
        },
    ];

    let mut out = io::stdout().lock();
    if quick {
        writeln!(
            out,
            "quick mode (BENCH_QUICK): one run per case, cases scaled down ×{scale}"
        )?;
    }
    writeln!(
        out,
        "== {} tasks, delays 0–{} s: time past the longest delay ({}{})",
        overshoot.tasks,
        overshoot.max_delay.as_secs_f64(),
        runs_each(overshoot.runs),
        python_note(&overshoot, quick)
    )?;
    writeln!(
        out,
        "{:<15}  {:>9}  {:>9}  {:>9}  {:>9}  report",
        "gather", "median", "min", "max", "± MAD"
    )?;
    let ways = [
        Way::Ours(Gather::JoinSet),
        Way::Logged(Gather::JoinSet),
        Way::Raw(Gather::JoinSet),
        Way::Ours(Gather::JoinAll),
        Way::Logged(Gather::JoinAll),
        Way::Raw(Gather::JoinAll),
    ];
    for (way, runs) in measure(&overshoot, &ways)? {
        let past: Vec<f64> = runs
            .iter()
            .map(|r| ns(r.total.saturating_sub(r.longest)))
            .collect();
        let s = Stats::from_samples(&past)?;
        writeln!(
            out,
            "{:<15}  {:>9}  {:>9}  {:>9}  {:>9}  {}",
            way.name(),
            format_ns(s.median),
            format_ns(s.min),
            format_ns(s.max),
            format_ns(s.mad),
            verdicts(way, &runs)
        )?;
    }

    let mut goal = Vec::new();
    for case in &big {
        writeln!(
            out,
            "\n== {} tasks, delays 0–{} s: total time and peak memory ({}{})",
            group(case.tasks),
            case.max_delay.as_secs_f64(),
            runs_each(case.runs),
            python_note(case, quick)
        )?;
        writeln!(
            out,
            "{:<15}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  {:>6}  {:>8}  report",
            "gather",
            "total",
            "min",
            "max",
            "overshoot",
            "peak mem",
            "per task",
            "÷ raw",
            "÷ logged"
        )?;
        let measured = measure(case, &ways)?;
        let median_total = |way: Way| -> Outcome<f64> {
            let (_, runs) = measured
                .iter()
                .find(|(w, _)| *w == way)
                .ok_or("every way was measured")?;
            let totals: Vec<f64> = runs.iter().map(|r| ns(r.total)).collect();
            Ok(Stats::from_samples(&totals)?.median)
        };
        for (way, runs) in &measured {
            let totals: Vec<f64> = runs.iter().map(|r| ns(r.total)).collect();
            let past: Vec<f64> = runs
                .iter()
                .map(|r| ns(r.total.saturating_sub(r.longest)))
                .collect();
            let peaks: Vec<f64> = runs.iter().map(|r| r.peak_kib as f64 * 1024.0).collect();
            let added: Vec<f64> = runs
                .iter()
                .map(|r| {
                    (r.peak_kib.saturating_sub(r.baseline_kib)) as f64 * 1024.0 / case.tasks as f64
                })
                .collect();
            let (t, p, m, a) = (
                Stats::from_samples(&totals)?,
                Stats::from_samples(&past)?,
                Stats::from_samples(&peaks)?,
                Stats::from_samples(&added)?,
            );
            let (to_raw, to_logged) = match way {
                Way::Ours(how) => {
                    let to_raw = t.median / median_total(Way::Raw(*how))?;
                    let to_logged = t.median / median_total(Way::Logged(*how))?;
                    goal.push((case.tasks, *how, to_raw, to_logged));
                    (format!("{to_raw:.2}×"), format!("{to_logged:.2}×"))
                }
                Way::Logged(how) => {
                    let to_raw = t.median / median_total(Way::Raw(*how))?;
                    (format!("{to_raw:.2}×"), String::new())
                }
                _ => (String::new(), String::new()),
            };
            writeln!(
                out,
                "{:<15}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  {:>6}  {:>8}  {}",
                way.name(),
                format_ns(t.median),
                format_ns(t.min),
                format_ns(t.max),
                format_ns(p.median),
                format!("{:.0} MB", m.median / 1e6),
                format!("{:.0} B", a.median),
                to_raw,
                to_logged,
                verdicts(*way, runs)
            )?;
        }
    }
    writeln!(
        out,
        "\ntotal: the gather, from before the first task starts to after the last one ends, and \
         for ours on to the end of its run report; overshoot: total − longest delay; peak mem: the child's VmHWM \
         (medians); per task: (VmHWM − VmHWM before drawing the delays) / tasks; ÷ raw: the \
         median total ÷ that of the raw tokio gather of the same sleeps (no log, no journal, no \
         report); ÷ logged: ours ÷ the same tasks, logging, without journal and report (the \
         proof's own price); runs alternate between the ways"
    )?;
    writeln!(out, "{}", goal_line(&goal, big[1].tasks))?;
    Ok(())
}

/// The one-line summary: the goal, the ratios measured at `tasks` tasks, met or not.
fn goal_line(ratios: &[(usize, Gather, f64, f64)], tasks: usize) -> String {
    let at: Vec<&(usize, Gather, f64, f64)> = ratios.iter().filter(|r| r.0 == tasks).collect();
    let measured = |pick: fn(&(usize, Gather, f64, f64)) -> f64| -> String {
        at.iter()
            .map(|r| format!("{} {:.2}×", r.1, pick(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let met = at.iter().all(|r| r.2 <= GOAL_RATIO);
    format!(
        "goal: ours ≤ {GOAL_RATIO}× raw tokio at {} tasks; measured {}: {} (the proof alone, \
         ours ÷ logged: {})",
        group(tasks),
        measured(|r| r.2),
        if met { "met" } else { "NOT met" },
        measured(|r| r.3),
    )
}

/// Runs `case` `case.runs` times for each way, each run a fresh child process, with seeds
/// 1, 2, …; the ways take turns, seed by seed.
fn measure(case: &Case, ways: &[Way]) -> Outcome<Vec<(Way, Vec<Run>)>> {
    let mut measured: Vec<(Way, Vec<Run>)> = ways.iter().map(|&w| (w, Vec::new())).collect();
    for seed in 1..=case.runs as u64 {
        for (way, runs) in &mut measured {
            runs.push(run_case(case.tasks, case.max_delay, *way, seed)?);
        }
    }
    Ok(measured)
}

/// One child run of `tasks` tasks gathered `way`.
fn run_case(tasks: usize, max_delay: Duration, way: Way, seed: u64) -> Outcome<Run> {
    run_case_keeping(tasks, max_delay, way, seed, None)
}

/// Waits for a child run of this binary (started with `args`) within [`CHILD_TIME_LIMIT`],
/// and returns what it printed.
fn wait_for(mut child: Child, args: &[String]) -> Outcome<String> {
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > CHILD_TIME_LIMIT {
            child.kill()?;
            child.wait()?;
            return Err(format!("child {args:?} ran over {CHILD_TIME_LIMIT:?}: killed").into());
        }
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(format!("child {args:?} failed: {}", output.status).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Reads the child's one line: `total_ns longest_ns peak_kib baseline_kib failed-checks`.
fn parse_run(line: &str) -> Outcome<Run> {
    let mut fields = line.trim().splitn(5, ' ');
    let mut number = || -> Outcome<u64> { Ok(fields.next().ok_or("a field is missing")?.parse()?) };
    let (total, longest) = (number()?, number()?);
    let (peak_kib, baseline_kib) = (number()?, number()?);
    Ok(Run {
        total: Duration::from_nanos(total),
        longest: Duration::from_nanos(longest),
        peak_kib,
        baseline_kib,
        failed: fields.next().unwrap_or_default().to_owned(),
    })
}

/// The child: one gather of `tasks max_delay_ns way seed`, one line of figures on stdout.
/// With `CORO_JOURNAL=PATH` in the environment, a journaled run that failed a check also
/// writes its journal there (`S task start_ns delay_ns` / `F task finish_ns` lines, times
/// from the first entry), for a reader to see why; with `CORO_JOURNAL_ALL=1` too, any run does.
fn child(args: &[String]) -> Outcome<()> {
    let [tasks, max_delay_ns, way, seed] = args else {
        return Err(
            format!("expected: --child TASKS MAX_DELAY_NS GATHER SEED, got {args:?}").into(),
        );
    };
    let baseline_kib = vm_hwm_kib()?;
    let delays = random_delays(
        tasks.parse()?,
        Duration::from_nanos(max_delay_ns.parse()?),
        seed.parse()?,
    )?;
    let way = Way::parse(way)?;
    let runtime = Flavor::CurrentThread.runtime()?;
    let (total, failed) = match way {
        Way::Raw(how) => (runtime.block_on(raw_gather(&delays, how)), String::new()),
        Way::Logged(how) => (
            runtime.block_on(logged_gather(&delays, how))?,
            String::new(),
        ),
        _ => {
            // Timed to the end of the report: the proof is part of what ours costs.
            let start = Instant::now();
            let (report, entries) = runtime.block_on(journaled_gather(&delays, way))?;
            let total = start.elapsed();
            let failed: Vec<String> = report
                .checks()
                .iter()
                .filter(|c| c.verdict == Verdict::Fail)
                .map(|c| format!("{:?}", c.kind))
                .collect();
            let keep_all = std::env::var_os("CORO_JOURNAL_ALL").is_some();
            if (keep_all || !failed.is_empty())
                && let Some(path) = std::env::var_os("CORO_JOURNAL")
            {
                write_journal(&path, &delays, &entries)?;
            }
            (total, failed.join(","))
        }
    };
    drop(runtime);
    let longest = delays.iter().max().copied().unwrap_or_default();
    println!(
        "{} {} {} {baseline_kib} {failed}",
        total.as_nanos(),
        longest.as_nanos(),
        vm_hwm_kib()?,
    );
    Ok(())
}

/// The peer: the same sleeps gathered the same way, with no log, journal or report; returns
/// the total time.
async fn raw_gather(delays: &[Duration], how: Gather) -> Duration {
    let start = tokio::time::Instant::now();
    match how {
        Gather::JoinSet => {
            let mut set = JoinSet::new();
            for &delay in delays {
                set.spawn(tokio::time::sleep(delay));
            }
            while set.join_next().await.is_some() {}
        }
        _ => {
            let mut waiting: FuturesUnordered<_> =
                delays.iter().map(|&d| tokio::time::sleep(d)).collect();
            // As the exercise's join-all: without tokio's budget (see its comment there).
            unconstrained(async { while waiting.next().await.is_some() {} }).await;
        }
    }
    start.elapsed()
}

/// The exercise's tasks gathered the same way as ours, with no journal and no report; returns
/// the total time.
async fn logged_gather(delays: &[Duration], how: Gather) -> Outcome<Duration> {
    let log = Log::new(io::sink());
    let start = tokio::time::Instant::now();
    match how {
        Gather::JoinSet => {
            let mut set = JoinSet::new();
            for (task, &delay) in delays.iter().enumerate() {
                let log = log.clone();
                set.spawn(
                    async move { delay_message(delay, task_message(task, delay), &log).await },
                );
            }
            while let Some(joined) = set.join_next().await {
                joined??;
            }
        }
        _ => {
            let mut waiting: FuturesUnordered<_> = delays
                .iter()
                .enumerate()
                .map(|(task, &delay)| delay_message(delay, task_message(task, delay), &log))
                .collect();
            unconstrained(async {
                while let Some(done) = waiting.next().await {
                    done?;
                }
                Ok::<(), concurrency_lab::Error>(())
            })
            .await?;
        }
    }
    Ok(start.elapsed())
}

/// The exercise's gather, or a wrong one, journaled and reported.
async fn journaled_gather(delays: &[Duration], way: Way) -> Outcome<(RunReport, Vec<coro::Entry>)> {
    let log = Log::new(io::sink());
    let journal = Journal::with_capacity(2 * delays.len());
    let start = tokio::time::Instant::now();
    match way {
        Way::Ours(how) => return Ok(gather_journaled(delays, how, &log).await?),
        Way::Raw(_) | Way::Logged(_) => return Err("the peers keep no journal".into()),
        Way::InTurn => {
            let handles: Vec<_> = delays
                .iter()
                .enumerate()
                .map(|(task, &delay)| {
                    let journal = journal.clone();
                    tokio::spawn(async move {
                        journal.record(task, Step::Started);
                        tokio::time::sleep(delay).await;
                    })
                })
                .collect();
            for (task, handle) in handles.into_iter().enumerate() {
                handle.await?;
                journal.record(task, Step::Finished); // the mistake
            }
        }
        Way::Swapped => {
            let mut set = JoinSet::new();
            for task in 0..delays.len() {
                let (journal, slept) = (journal.clone(), delays[delays.len() - 1 - task]);
                set.spawn(async move {
                    journal.record(task, Step::Started);
                    tokio::time::sleep(slept).await; // the mistake
                    journal.record(task, Step::Finished);
                });
            }
            while let Some(joined) = set.join_next().await {
                joined?;
            }
        }
    }
    let total = start.elapsed();
    let entries = journal.take();
    let report = RunReport::new(delays, &entries, total, Flavor::CurrentThread);
    Ok((report, entries))
}

/// Writes a journal as text: `S task start_ns delay_ns` and `F task finish_ns`, in order.
fn write_journal(
    path: &std::ffi::OsStr,
    delays: &[Duration],
    entries: &[coro::Entry],
) -> Outcome<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let Some(base) = entries.iter().map(|e| e.at).min() else {
        return Ok(());
    };
    for entry in entries {
        let at = (entry.at - base).as_nanos();
        match entry.step {
            Step::Started => {
                let delay = delays.get(entry.task).map_or(0, Duration::as_nanos);
                writeln!(out, "S {} {at} {delay}", entry.task)?;
            }
            Step::Finished => writeln!(out, "F {} {at}", entry.task)?,
        }
    }
    out.flush()?;
    Ok(())
}
/// The order check's campaign, `--campaign [RUNS [WRONG_RUNS]]` (20 and 5 by default):
///
/// - each correct gather (join-set, join-all) at 100,000 and 1,000,000 tasks, delays 0–1 s,
///   `RUNS` runs (seeds 1, 2, …), first with nothing of ours beside it ("quiet"), then beside
///   two busy loops (`sh -c 'while :; do :; done'`, each bounded by `timeout`): every run must
///   pass; a failing run's journal is kept under `target/coro-campaign/`;
/// - the wrong gatherers, `WRONG_RUNS` runs each, under the same loads: `in-turn` and
///   `swapped` at both scales and at the lab's (100 tasks, delays 0–4 s) should fail
///   `CompletionOrder`, `sequential` (100 tasks, delays 0–20 ms, since a sequential gather of
///   100,000 takes a day) must fail `Concurrent`. A wrong gatherer's journal can fail the
///   order check only where it shows the loop keeping time: a run whose loop was behind from
///   its first finish to its last (100,000 tasks starting for longer than their longest
///   delay, on a loaded machine) looks like one long backlog, which a correct run may be.
///
/// `RUNS` or `WRONG_RUNS` of 0 leaves those cells out.
///
/// It prints one line per cell (passes, fails, which checks failed, the median total) and the
/// load average before and after each block, since the machine is shared.
fn campaign(args: &[String]) -> Outcome<()> {
    let runs: u64 = args.first().map_or(Ok(20), |a| a.parse())?;
    let wrong_runs: u64 = args.get(1).map_or(Ok(5), |a| a.parse())?;
    let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/coro-campaign");
    std::fs::create_dir_all(&kept)?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "campaign: {runs} runs of each correct gather, {wrong_runs} of each wrong one; \
         failing journals kept in {}",
        kept.display()
    )?;
    writeln!(
        out,
        "{:<6}  {:>9}  {:<10}  {:>4}  {:>4}  {:>4}  {:>9}  failed checks",
        "load", "tasks", "gather", "runs", "pass", "fail", "total"
    )?;
    let second = Duration::from_secs(1);
    let mut cells: Vec<(usize, Duration, Way, u64)> = Vec::new();
    for tasks in [100_000, 1_000_000] {
        for how in [Gather::JoinSet, Gather::JoinAll] {
            cells.push((tasks, second, Way::Ours(how), runs));
        }
        for way in [Way::InTurn, Way::Swapped] {
            cells.push((tasks, second, way, wrong_runs));
        }
    }
    // The wrong gatherers at the lab's own scale too: 100 tasks, delays 0–4 s, which start in
    // well under a millisecond, so the loop keeps time and their mistakes show.
    for way in [Way::InTurn, Way::Swapped] {
        cells.push((100, 4 * second, way, wrong_runs));
    }
    let sequential = Way::Ours(Gather::Sequential);
    cells.push((100, Duration::from_millis(20), sequential, wrong_runs));
    cells.retain(|cell| cell.3 > 0);
    for busy in [false, true] {
        let load = if busy { "busy" } else { "quiet" };
        let loops = if busy { busy_loops(2)? } else { Vec::new() };
        writeln!(out, "-- {load}: load average before: {}", load_average()?)?;
        for &(tasks, max_delay, way, runs) in &cells {
            let mut totals = Vec::new();
            let mut failures: Vec<String> = Vec::new();
            for seed in 1..=runs {
                let journal = kept.join(format!("{load}-{tasks}-{}-{seed}.txt", way.name()));
                let correct = matches!(way, Way::Ours(Gather::JoinSet | Gather::JoinAll));
                let run =
                    run_case_keeping(tasks, max_delay, way, seed, correct.then_some(&journal))?;
                totals.push(ns(run.total));
                if !run.failed.is_empty() {
                    failures.push(run.failed);
                }
            }
            failures.sort();
            let mut counted: Vec<String> = Vec::new();
            for kind in failures.iter() {
                if !counted.iter().any(|c| c.ends_with(&format!(" {kind}"))) {
                    let n = failures.iter().filter(|f| *f == kind).count();
                    counted.push(format!("{n}× {kind}"));
                }
            }
            writeln!(
                out,
                "{load:<6}  {:>9}  {:<10}  {runs:>4}  {:>4}  {:>4}  {:>9}  {}",
                group(tasks),
                way.name(),
                runs as usize - failures.len(),
                failures.len(),
                format_ns(Stats::from_samples(&totals)?.median),
                if counted.is_empty() {
                    "-".to_owned()
                } else {
                    counted.join(", ")
                }
            )?;
        }
        writeln!(out, "-- {load}: load average after: {}", load_average()?)?;
        for mut child in loops {
            stop(&mut child)?;
        }
    }
    Ok(())
}

/// [`run_case`], with the journal of a failing run written to `journal` if given.
fn run_case_keeping(
    tasks: usize,
    max_delay: Duration,
    way: Way,
    seed: u64,
    journal: Option<&std::path::PathBuf>,
) -> Outcome<Run> {
    let args = [
        "--child".to_owned(),
        tasks.to_string(),
        max_delay.as_nanos().to_string(),
        way.name(),
        seed.to_string(),
    ];
    let mut command = Command::new(std::env::current_exe()?);
    command.args(&args).stdout(Stdio::piped());
    if let Some(path) = journal {
        command.env("CORO_JOURNAL", path);
    }
    parse_run(&wait_for(command.spawn()?, &args)?)
}

/// `n` busy loops, each `timeout 3600 sh -c 'while :; do :; done'`: bounded even if this
/// process dies before it stops them.
fn busy_loops(n: usize) -> Outcome<Vec<Child>> {
    (0..n)
        .map(|_| {
            Ok(Command::new("timeout")
                .args(["3600", "sh", "-c", "while :; do :; done"])
                .spawn()?)
        })
        .collect()
}

/// Stops a busy loop: SIGTERM to its `timeout`, which passes it on to the loop.
fn stop(child: &mut Child) -> Outcome<()> {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id())?);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
    child.wait()?;
    Ok(())
}

/// The first three fields of `/proc/loadavg`: runnable processes over 1, 5 and 15 minutes.
fn load_average() -> Outcome<String> {
    let text = std::fs::read_to_string("/proc/loadavg")?;
    Ok(text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" "))
}

/// The process's peak resident memory so far, in KiB (`VmHWM:  123456 kB`).
fn vm_hwm_kib() -> Outcome<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM line in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("VmHWM has no value")?
        .parse()?)
}

/// "PASS" when every run's report passed, else which checks failed in how many runs.
fn verdicts(way: Way, runs: &[Run]) -> String {
    if matches!(way, Way::Raw(_) | Way::Logged(_)) {
        return "(no report)".to_owned();
    }
    let failed: Vec<&str> = runs
        .iter()
        .map(|r| r.failed.as_str())
        .filter(|f| !f.is_empty())
        .collect();
    match failed.first() {
        None => "PASS".to_owned(),
        Some(first) => format!("FAIL in {} of {}: {first}", failed.len(), runs.len()),
    }
}

/// "1 run each" / "5 runs each", one child process per run.
fn runs_each(runs: usize) -> String {
    let plural = if runs == 1 { "" } else { "s" };
    format!("{runs} run{plural} each, a fresh process per run")
}

/// The Python figures for the case, which are for the full-size cases only.
fn python_note(case: &Case, quick: bool) -> String {
    if quick {
        String::new()
    } else {
        format!("; {}", case.python)
    }
}

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// `1000000` as `1,000,000`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
