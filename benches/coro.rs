//! Chapter 5's benchmark: how far past its longest delay a gather of 100 tasks ends, and what
//! 100,000 and 1,000,000 waiting tasks cost in time and peak memory — both ways of gathering,
//! next to the Python asyncio figures measured on the same machine (docs/PERFORMANCE.md).
//!
//! ```sh
//! cargo bench --bench coro
//! BENCH_QUICK=1 cargo bench --bench coro    # a smoke run: one run per case, smaller cases
//! ```
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
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use concurrency_lab::bench::{Stats, format_ns};
use concurrency_lab::coro::{self, Flavor, Log, Verdict};
use concurrency_lab::lab::async_gather::{Gather, gather, random_delays};

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
    /// The report's failed checks, by name; empty when it passed.
    failed: String,
}

/// A child that has not finished in this long is killed and the bench fails.
const CHILD_TIME_LIMIT: Duration = Duration::from_secs(300);

fn main() -> Outcome<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
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
        "{:<10}  {:>9}  {:>9}  {:>9}  {:>9}  report",
        "gather", "median", "min", "max", "± MAD"
    )?;
    for how in [Gather::JoinSet, Gather::JoinAll] {
        let runs = measure(&overshoot, how)?;
        let past: Vec<f64> = runs
            .iter()
            .map(|r| ns(r.total.saturating_sub(r.longest)))
            .collect();
        let s = Stats::from_samples(&past)?;
        writeln!(
            out,
            "{how:<10}  {:>9}  {:>9}  {:>9}  {:>9}  {}",
            format_ns(s.median),
            format_ns(s.min),
            format_ns(s.max),
            format_ns(s.mad),
            verdicts(&runs)
        )?;
    }

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
            "{:<10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  report",
            "gather", "total", "min", "max", "overshoot", "peak mem", "per task"
        )?;
        for how in [Gather::JoinSet, Gather::JoinAll] {
            let runs = measure(case, how)?;
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
            writeln!(
                out,
                "{how:<10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  {}",
                format_ns(t.median),
                format_ns(t.min),
                format_ns(t.max),
                format_ns(p.median),
                format!("{:.0} MB", m.median / 1e6),
                format!("{:.0} B", a.median),
                verdicts(&runs)
            )?;
        }
    }
    writeln!(
        out,
        "\ntotal: the gather, from before the first task starts to after the last one ends \
         (tokio::time::Instant); overshoot: total − longest delay; peak mem: the child's VmHWM \
         (medians); per task: (VmHWM − VmHWM before drawing the delays) / tasks"
    )?;
    Ok(())
}

/// Runs `case` `case.runs` times, each in a fresh child process, with seeds 1, 2, …
fn measure(case: &Case, how: Gather) -> Outcome<Vec<Run>> {
    (1..=case.runs as u64)
        .map(|seed| {
            let max_delay_ns = case.max_delay.as_nanos().to_string();
            let args = [
                "--child".to_owned(),
                case.tasks.to_string(),
                max_delay_ns,
                how.to_string(),
                seed.to_string(),
            ];
            parse_run(&run_child(&args)?)
        })
        .collect()
}

/// Runs this binary with `args`, within [`CHILD_TIME_LIMIT`], and returns what it printed.
fn run_child(args: &[String]) -> Outcome<String> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()?;
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

/// The child: one gather of `tasks max_delay_ns gather seed`, one line of figures on stdout.
fn child(args: &[String]) -> Outcome<()> {
    let [tasks, max_delay_ns, how, seed] = args else {
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
    let how: Gather = how.parse()?;
    let report = coro::run(
        Flavor::CurrentThread,
        gather(&delays, how, &Log::new(io::sink())),
    )??;
    let failed: Vec<String> = report
        .checks()
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| format!("{:?}", c.kind))
        .collect();
    println!(
        "{} {} {} {baseline_kib} {}",
        report.total().as_nanos(),
        report.longest_delay().as_nanos(),
        vm_hwm_kib()?,
        failed.join(",")
    );
    Ok(())
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
fn verdicts(runs: &[Run]) -> String {
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
