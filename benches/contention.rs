//! Round trips on a busy CPU: `apply_async(plus_one, (n,)).get()` on a pool of 2, first on a
//! quiet machine, then with twice as many busy-loop threads as cores, in the same run; the
//! ratio of their total times, loaded / quiet, is the figure (goal: at most 5× for both
//! backends). Medians would hide the point: a busy CPU stalls some samples, not all.
//!
//! Beside the same busy loops it also measures the peers of issue 19's goals: rayon's
//! `spawn` + channel round trip and Python's `Pool` (`python3 benches/pool_python.py
//! round-trip`, skipped without `python3`), and writes the goal rows (`common/goals.rs`).
//!
//! ```sh
//! cargo bench --bench contention
//! BENCH_QUICK=1 cargo bench --bench contention    # a smoke run, in seconds
//! ```
//!
//! The benchmark binary is also the workers' program, so `main` calls `pool::init()` first.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};

use concurrency_lab::bench::{Bench, Group, Report, compare, format_ns};
use concurrency_lab::pool::{self, ProcessPool, ThreadPool};
use crossbeam::channel;

#[path = "common/goals.rs"]
mod goals;
use goals::Row;

const WORKERS: usize = 2;
/// Round trips per sample; 10 samples make 20,000 round trips.
const ROUND_TRIPS: u64 = 2_000;

fn plus_one(n: u64) -> u64 {
    n + 1
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    pool::init();
    let mut out = io::stdout().lock();
    let processes = ProcessPool::new(WORKERS)?;
    let threads = ThreadPool::new(WORKERS)?;
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()?;
    let cores = thread::available_parallelism()?.get();
    let hog_count = 2 * cores;
    writeln!(
        out,
        "{WORKERS} workers each; {ROUND_TRIPS} round trips a sample; medians per round trip\n"
    )?;
    writeln!(
        out,
        "== apply_async(plus_one, (n,)).get(): quiet, then beside {hog_count} busy-loop \
         threads on {cores} cores"
    )?;

    let round_trips = |load: &str| {
        Group::new()
            .bench(bench(format!("ProcessPool, {load}")), || {
                processes
                    .apply_async(plus_one, (7,))
                    .expect("submit")
                    .get()
                    .expect("get")
            })
            .bench(bench(format!("ThreadPool, {load}")), || {
                threads
                    .apply_async(plus_one, (7,))
                    .expect("submit")
                    .get()
                    .expect("get")
            })
            // Fewer round trips: beside busy loops each of rayon's takes milliseconds.
            .bench(
                bench(format!("rayon spawn + channel, {load}")).number(ROUND_TRIPS / 100),
                || {
                    let (tx, rx) = channel::bounded(1);
                    rayon.spawn(move || tx.send(plus_one(7)).expect("the receiver waits"));
                    rx.recv().expect("the task sends")
                },
            )
            .run()
    };

    let mut reports = round_trips("quiet")?;
    let hogs = Hogs::start(hog_count);
    reports.extend(round_trips("loaded")?);
    let python_loaded = python_round_trip_ns();
    drop(hogs); // stops and joins the busy loops before anything is printed
    compare(&reports, "ProcessPool, quiet")?.write_to(&mut out)?;

    // The goal is about the total: a few samples stalled by the load count in full.
    writeln!(
        out,
        "all round trips of each row, loaded against quiet (goal: at most 5×):"
    )?;
    let mut rows = Vec::new();
    for (backend, id) in [
        ("ProcessPool", "contention_processes_loaded_vs_quiet"),
        ("ThreadPool", "contention_threads_loaded_vs_quiet"),
    ] {
        let total = |load: &str| total_seconds(&reports, &format!("{backend}, {load}"));
        let (quiet, loaded) = (total("quiet"), total("loaded"));
        writeln!(
            out,
            "  {backend:<12} quiet {quiet:7.3} s   loaded {loaded:7.3} s   {:6.2}×",
            loaded / quiet
        )?;
        if !id.is_empty() {
            let detail =
                format!("total of 20,000 round trips: loaded {loaded:.3} s / quiet {quiet:.3} s");
            rows.push(Row::now(id, loaded / quiet, detail));
        }
    }

    let median = |name: &str| {
        reports
            .iter()
            .find(|report| report.name == name)
            .expect("measured")
            .stats
            .median
    };
    let (ours, peer) = (
        median("ThreadPool, loaded"),
        median("rayon spawn + channel, loaded"),
    );
    rows.push(Row::now(
        "busy_thread_round_trip_vs_rayon",
        ours / peer,
        goals::versus("ThreadPool", ours, "rayon spawn + channel", peer),
    ));
    let processes_loaded = median("ProcessPool, loaded");
    match python_loaded {
        Ok(python) => {
            writeln!(
                out,
                "beside the busy loops, Python's Pool round trip: {}",
                format_ns(python)
            )?;
            rows.push(Row::now(
                "busy_process_round_trip_vs_python_pool",
                processes_loaded / python,
                goals::versus("ProcessPool", processes_loaded, "Python Pool", python),
            ));
        }
        Err(e) => writeln!(out, "Python's Pool not measured: {e}")?,
    }
    goals::record("contention", &rows)?;
    Ok(())
}

/// The median round trip of Python's `Pool` of 2, in nanoseconds, from `pool_python.py`.
fn python_round_trip_ns() -> Result<f64, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pool_python.py");
    let output = std::process::Command::new("python3")
        .args([script, "round-trip"])
        .output()
        .map_err(|e| format!("python3 did not start: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "python3 failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim()
        .parse()
        .map_err(|e| format!("python3 printed {text:?}: {e}"))
}

fn bench(name: String) -> Bench {
    Bench::new(name).number(ROUND_TRIPS).repeat(10)
}

/// The time all samples of the report named `name` took together, in seconds.
fn total_seconds(reports: &[Report], name: &str) -> f64 {
    let report = reports
        .iter()
        .find(|report| report.name == name)
        .expect("every backend is measured under both loads");
    report.samples_ns.iter().sum::<f64>() * report.number as f64 / 1e9
}

/// Threads that keep the CPU busy until dropped.
struct Hogs {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Hogs {
    fn start(count: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..count)
            .map(|_| {
                let stop = Arc::clone(&stop);
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Hogs { stop, threads }
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for hog in self.threads.drain(..) {
            let _ = hog.join();
        }
    }
}
