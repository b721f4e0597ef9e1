//! Round trips on a busy CPU: `apply_async(plus_one, (n,)).get()` on a pool of 2, first on a
//! quiet machine, then with twice as many busy-loop threads as cores, in the same run; the
//! ratio of their total times, loaded / quiet, is the figure (goal: at most 5× for both
//! backends). Medians would hide the point: a busy CPU stalls some samples, not all.
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

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::pool::{self, ProcessPool, ThreadPool};

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
            .run()
    };

    let mut reports = round_trips("quiet")?;
    let hogs = Hogs::start(hog_count);
    reports.extend(round_trips("loaded")?);
    drop(hogs); // stops and joins the busy loops before anything is printed
    compare(&reports, "ProcessPool, quiet")?.write_to(&mut out)?;

    // The goal is about the total: a few samples stalled by the load count in full.
    writeln!(
        out,
        "all round trips of each row, loaded against quiet (goal: at most 5×):"
    )?;
    for backend in ["ProcessPool", "ThreadPool"] {
        let total = |load: &str| total_seconds(&reports, &format!("{backend}, {load}"));
        let (quiet, loaded) = (total("quiet"), total("loaded"));
        writeln!(
            out,
            "  {backend:<12} quiet {quiet:7.3} s   loaded {loaded:7.3} s   {:6.2}×",
            loaded / quiet
        )?;
    }
    Ok(())
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
