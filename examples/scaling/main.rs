//! A scaling chart: the speedup of 1 to twice-the-cores workers over the sequential loop, for
//! threads and processes, on a CPU-bound task (counting primes) and a communication-bound one
//! (the lab's range count), with Amdahl's law (and a cost per extra worker) fitted to each
//! backend's points.
//!
//! ```sh
//! cargo run --release --example scaling -- --out docs/scaling.svg
//! cargo build --release --features mpi --example scaling     # with an MPI series:
//! mpirun --oversubscribe -n 5 target/release/examples/scaling --out /tmp/scaling.svg \
//!     --out-mpi docs/scaling-mpi.svg
//! BENCH_QUICK=1 cargo run --release --example scaling -- --out /tmp/scaling.svg   # seconds
//! ```
//!
//! `--out` never shows the MPI series: it is chapter 3's chart, and MPI comes in chapter 6.
//! The chart with MPI goes to `--out-mpi`, when there is an MPI series to draw.
//!
//! Every point is the median of several runs measured with the crate's `bench` module; the
//! table printed on stdout holds the same figures. Built with the `mpi` feature and started by
//! `mpirun`, it adds a third series, MPI ranks, for as many worker ranks as the job has (up to
//! twice the cores); started otherwise, it says how to get that series and draws the other two.

mod amdahl;
mod chart;

use std::error::Error;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use concurrency_lab::bench::Bench;
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{RangeCountBackend, Row, Variant, random_rows, sequential};
use concurrency_lab::pool::{self, MapOptions, Pool, ProcessPool, Runs, ThreadPool};
use plotters::style::RGBColor;

use chart::{Marker, Panel, Series};

/// Measures speedup against the number of workers and draws it as an SVG chart.
#[derive(Debug, Parser)]
struct Args {
    /// Where to write the SVG.
    #[arg(long, default_value = "scaling.svg")]
    out: PathBuf,
    /// Where to write the chart with the MPI series too (only when there is one).
    #[arg(long)]
    out_mpi: Option<PathBuf>,
    /// The largest number of workers [default: twice the number of CPUs].
    #[arg(long)]
    max_workers: Option<usize>,
}

/// Where a pool's workers run.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Threads,
    Processes,
    /// Worker ranks of an MPI job; measured only when the program runs under `mpirun`.
    #[cfg(feature = "mpi")]
    Mpi,
}

impl Backend {
    const ALL: &[Backend] = &[
        Backend::Threads,
        Backend::Processes,
        #[cfg(feature = "mpi")]
        Backend::Mpi,
    ];

    fn name(self) -> &'static str {
        match self {
            Backend::Threads => "threads",
            Backend::Processes => "processes",
            #[cfg(feature = "mpi")]
            Backend::Mpi => "MPI ranks",
        }
    }

    /// How the backend's points are marked and its fit drawn: not by colour alone.
    fn marker(self) -> Marker {
        match self {
            Backend::Threads => Marker::Circle,
            Backend::Processes => Marker::Triangle,
            #[cfg(feature = "mpi")]
            Backend::Mpi => Marker::Square,
        }
    }

    /// Whether this is the MPI series, drawn only in the chart of chapter 6.
    fn is_mpi(self) -> bool {
        match self {
            #[cfg(feature = "mpi")]
            Backend::Mpi => true,
            _ => false,
        }
    }

    fn color(self) -> RGBColor {
        match self {
            Backend::Threads => RGBColor(31, 119, 180),
            Backend::Processes => RGBColor(214, 39, 40),
            #[cfg(feature = "mpi")]
            Backend::Mpi => RGBColor(44, 160, 44),
        }
    }

    /// The most workers this backend can have here, up to `wanted`; `None` to skip it.
    fn max_workers(self, wanted: usize) -> Option<usize> {
        #[cfg(feature = "mpi")]
        if let Backend::Mpi = self {
            return match pool::worker_ranks() {
                Ok(ranks) if ranks > 0 => Some(ranks.min(wanted)),
                Ok(_) | Err(_) => {
                    println!(
                        "(no MPI series: start with `mpirun -n {}` to get one)",
                        wanted + 1
                    );
                    None
                }
            };
        }
        Some(wanted)
    }
}

/// What the workers do.
#[derive(Debug, Clone, Copy)]
enum Workload {
    /// Primes in 60 blocks of 50,000 numbers, one block per task: milliseconds of work per
    /// message.
    Primes,
    /// The lab's `map` of `howmany_within_range` over 200,000 rows of 5: nanoseconds of work
    /// per row, so the cost is moving rows to the workers and counts back.
    RangeCount,
}

impl Workload {
    const ALL: [Workload; 2] = [Workload::Primes, Workload::RangeCount];

    fn title(self) -> &'static str {
        match self {
            Workload::Primes => "CPU-bound: primes, 60 blocks of 50,000",
            Workload::RangeCount => "communication-bound: range count, map over 200,000 rows",
        }
    }

    /// Runs per point: enough for a stable median within seconds.
    fn repeat(self) -> usize {
        match self {
            Workload::Primes => 5,
            Workload::RangeCount => 15,
        }
    }
}

/// The inputs, built once, and what the sequential loop computes from them.
struct Inputs {
    blocks: Vec<Range<u64>>,
    primes: u64,
    rows: Vec<Row>,
    counts: Vec<usize>,
}

impl Inputs {
    fn new() -> Self {
        let blocks = blocks(60, 50_000);
        let rows = random_rows(200_000, 2024);
        Inputs {
            primes: blocks.iter().cloned().map(primes_in).sum(),
            counts: sequential(&rows),
            blocks,
            rows,
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    pool::init(); // a worker process of the pools becomes a worker here, never returns
    let args = Args::parse();
    let cores = pool::cpu_count();
    let max_workers = args.max_workers.unwrap_or(2 * cores).max(1);
    let inputs = Inputs::new();
    println!("{cores} cores; medians; speedup = sequential loop / pool");

    let mut panels = Vec::new();
    for workload in Workload::ALL {
        let alone = sequential_time(workload, &inputs)?;
        println!("\n== {}: sequential loop {alone:.2?}", workload.title());
        let mut series = Vec::new();
        for &backend in Backend::ALL {
            let Some(most) = backend.max_workers(max_workers) else {
                continue;
            };
            let mut points = Vec::new();
            for workers in 1..=most {
                let took = measure(backend, workers, workload, &inputs)?;
                let speedup = alone.as_secs_f64() / took.as_secs_f64();
                println!(
                    "{:>10}, workers {workers}: {took:>9.2?}  speedup {speedup:.2}",
                    backend.name()
                );
                points.push((workers, speedup));
            }
            let fit = fit(&points, cores);
            println!(
                "{:>10}: fit: serial fraction {:.3}, {:.3} more per extra worker, one worker \
                 {:.2}× the loop",
                backend.name(),
                fit.serial,
                fit.overhead,
                fit.scale
            );
            series.push(Series {
                name: backend.name(),
                color: backend.color(),
                marker: backend.marker(),
                mpi: backend.is_mpi(),
                points,
                fit,
            });
        }
        panels.push(Panel {
            title: workload.title().to_owned(),
            series,
        });
    }
    let has_mpi = panels
        .iter()
        .flat_map(|panel| &panel.series)
        .any(|series| series.mpi);
    chart::draw(&args.out, &panels, cores, false)?;
    println!("\nchart written to {}", args.out.display());
    match (&args.out_mpi, has_mpi) {
        (Some(out), true) => {
            chart::draw(out, &panels, cores, true)?;
            println!("chart with MPI written to {}", out.display());
        }
        (Some(_), false) => println!("(no MPI series: no --out-mpi chart)"),
        (None, _) => {}
    }
    Ok(())
}

/// The fit of a backend's points, with no more processors than cores: past the cores, workers
/// share them (and each still costs its overhead).
fn fit(points: &[(usize, f64)], cores: usize) -> amdahl::Fit {
    let on_processors: Vec<amdahl::Point> = points
        .iter()
        .map(|&(workers, speedup)| amdahl::Point {
            processors: workers.min(cores) as f64,
            workers: workers as f64,
            speedup,
        })
        .collect();
    amdahl::fit(&on_processors)
}

/// The median time of the sequential loop over the workload's inputs.
fn sequential_time(workload: Workload, inputs: &Inputs) -> Result<Duration, Box<dyn Error>> {
    let bench = Bench::new("sequential").number(1).repeat(workload.repeat());
    let report = match workload {
        Workload::Primes => {
            bench.run(|| inputs.blocks.iter().cloned().map(primes_in).sum::<u64>())?
        }
        Workload::RangeCount => bench.run(|| sequential(&inputs.rows))?,
    };
    Ok(Duration::from_nanos(report.stats.median as u64))
}

/// The median time of `workload` on a new pool of `workers` workers of `backend` (the pool's
/// start is not timed).
fn measure(
    backend: Backend,
    workers: usize,
    workload: Workload,
    inputs: &Inputs,
) -> Result<Duration, Box<dyn Error>> {
    match backend {
        Backend::Threads => time_on(&ThreadPool::new(workers)?, primes_in, workload, inputs),
        Backend::Processes => time_on(&ProcessPool::new(workers)?, primes_in, workload, inputs),
        #[cfg(feature = "mpi")]
        Backend::Mpi => {
            let pool = concurrency_lab::pool::MpiPool::new(workers)?;
            time_on(&pool, primes_in, workload, inputs)
        }
    }
}

/// [`measure`] on a given pool. `primes` is always `primes_in`: passed in because a process
/// pool's task is named by its type, which only a caller holding the function can write.
fn time_on<B, F>(
    pool: &Pool<B>,
    primes: F,
    workload: Workload,
    inputs: &Inputs,
) -> Result<Duration, Box<dyn Error>>
where
    B: RangeCountBackend + Runs<F, (Range<u64>,)>,
    F: Fn(Range<u64>) -> u64 + Copy + Send + Sync + 'static,
{
    let bench = Bench::new(workload.title())
        .number(1)
        .repeat(workload.repeat());
    // The bench discards what a run returns: the first failure is kept here instead.
    let mut failure: Option<String> = None;
    let mut keep = |outcome: concurrency_lab::Result<bool>| match outcome {
        Ok(true) => {}
        Ok(false) => {
            failure.get_or_insert_with(|| "the pool's result differs from the loop's".into());
        }
        Err(error) => {
            failure.get_or_insert_with(|| error.to_string());
        }
    };
    let report = match workload {
        Workload::Primes => bench.run_with_setup(
            || inputs.blocks.clone(),
            |blocks| {
                let one_per_task = MapOptions::new().chunksize(1);
                let counts = pool
                    .map_async_with(primes, blocks, one_per_task)
                    .and_then(|running| running.get());
                keep(counts.map(|counts| counts.iter().sum::<u64>() == inputs.primes));
            },
        )?,
        Workload::RangeCount => bench.run_with_setup(
            || inputs.rows.clone(),
            |rows| {
                let counts = B::run_variant(pool, Variant::Map, rows);
                keep(counts.map(|counts| counts == inputs.counts));
            },
        )?,
    };
    match failure {
        Some(failure) => Err(format!("{}: {failure}", workload.title()).into()),
        None => Ok(Duration::from_nanos(report.stats.median as u64)),
    }
}
