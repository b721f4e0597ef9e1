//! The process pool: one-at-a-time round trips, the lab's `map` over 200,000 rows, and
//! CPU-bound prime counting, with the thread pool and a plain loop in the same run.
//!
//! The round trips have a floor beside them: a raw ping-pong of 16 bytes between this process
//! and another, through the same shared-memory rings and waits a pool worker uses, without the
//! pool (no queue, no driver thread, no encoding, no task).
//!
//! ```sh
//! cargo bench --bench pool_processes
//! BENCH_QUICK=1 cargo bench --bench pool_processes    # a smoke run, in seconds
//! ```
//!
//! The benchmark binary is also the workers' program, so `main` calls `pool::init()` first.

use std::io::{self, Write};

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
use concurrency_lab::pool::{self, MapOptions, ProcessPool, ShmEcho, ThreadPool};

#[path = "common/goals.rs"]
mod goals;

const WORKERS: usize = 2;

fn plus_one(n: u64) -> u64 {
    n + 1
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    pool::init();
    let mut out = io::stdout().lock();
    let processes = ProcessPool::new(WORKERS)?;
    let threads = ThreadPool::new(WORKERS)?;
    writeln!(
        out,
        "{WORKERS} workers each; medians; ratios to the named baseline\n"
    )?;

    writeln!(
        out,
        "== one task at a time: apply_async(plus_one, (n,)).get()"
    )?;
    const FLOOR: &str = "raw shared-memory ping-pong (floor)";
    let mut floor = ShmEcho::start()?;
    let round_trips = Group::new()
        .bench(Bench::new(FLOOR), || {
            floor.round_trip(&[7; 16]).expect("echo").len()
        })
        .bench(Bench::new("ProcessPool"), || {
            processes
                .apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .bench(Bench::new("ThreadPool"), || {
            threads
                .apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .run()?;
    table(&mut out, &round_trips, FLOOR)?;
    drop(floor);

    writeln!(
        out,
        "== the lab's map: howmany_within_range over 200,000 rows of 5 (rows copied untimed)"
    )?;
    let rows = random_rows(200_000, 2024);
    let map = Group::new()
        .bench_with_setup(
            Bench::new("sequential loop").number(1),
            || rows.clone(),
            |rows| {
                rows.into_iter()
                    .map(howmany_within_range_rowonly)
                    .collect::<Vec<_>>()
            },
        )
        .bench_with_setup(
            Bench::new("ProcessPool::map").number(1),
            || rows.clone(),
            |rows| {
                processes
                    .map(howmany_within_range_rowonly, rows)
                    .expect("map")
            },
        )
        .bench_with_setup(
            Bench::new("ThreadPool::map").number(1),
            || rows.clone(),
            |rows| {
                threads
                    .map(howmany_within_range_rowonly, rows)
                    .expect("map")
            },
        )
        .run()?;
    table(&mut out, &map, "sequential loop")?;
    let (pooled, sequential) = (
        median(&map, "ProcessPool::map"),
        median(&map, "sequential loop"),
    );
    let (round_trip, floor) = (
        median(&round_trips, "ProcessPool"),
        median(&round_trips, FLOOR),
    );
    // Issue 19's goal rows of this benchmark, written at the end (`common/goals.rs`).
    let goal_rows = vec![
        goals::Row::now(
            "process_round_trip_vs_shm_floor",
            round_trip / floor,
            goals::versus("ProcessPool", round_trip, FLOOR, floor),
        ),
        goals::Row::now(
            "lab_map_processes_vs_sequential",
            pooled / sequential,
            goals::versus("ProcessPool::map", pooled, "sequential loop", sequential),
        ),
    ];

    writeln!(
        out,
        "== chunk size: map over 20,000 rows; items per message to a worker"
    )?;
    let few_rows = random_rows(20_000, 2024);
    let (processes, threads) = (&processes, &threads);
    let mut sizes = Group::new();
    for chunksize in [1, 10, 100, 1_000, 2_500] {
        let options = move || MapOptions::new().chunksize(chunksize);
        sizes = sizes
            .bench_with_setup(
                Bench::new(format!("processes, chunksize {chunksize}"))
                    .number(1)
                    .repeat(10),
                || few_rows.clone(),
                move |rows| {
                    let running =
                        processes.map_async_with(howmany_within_range_rowonly, rows, options());
                    running.expect("map").get().expect("get")
                },
            )
            .bench_with_setup(
                Bench::new(format!("threads, chunksize {chunksize}"))
                    .number(1)
                    .repeat(10),
                || few_rows.clone(),
                move |rows| {
                    let running =
                        threads.map_async_with(howmany_within_range_rowonly, rows, options());
                    running.expect("map").get().expect("get")
                },
            );
    }
    table(&mut out, &sizes.run()?, "processes, chunksize 2500")?;

    writeln!(
        out,
        "== CPU-bound: primes in 60 blocks of 50,000 numbers, one block per task"
    )?;
    let work = blocks(60, 50_000);
    let one_per_task = || MapOptions::new().chunksize(1);
    let primes = Group::new()
        .bench(Bench::new("sequential").number(1), || {
            work.iter().cloned().map(primes_in).sum::<u64>()
        })
        .bench(Bench::new("ProcessPool::map").number(1), || {
            let counts = processes.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
        })
        .bench(Bench::new("ThreadPool::map").number(1), || {
            let counts = threads.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
        })
        .run()?;
    table(&mut out, &primes, "sequential")?;
    goals::record("pool_processes", &goal_rows)?;
    Ok(())
}

/// The median of the report named `name`, or NaN if there is none.
fn median(reports: &[Report], name: &str) -> f64 {
    reports
        .iter()
        .find(|report| report.name == name)
        .map_or(f64::NAN, |report| report.stats.median)
}

fn table(out: &mut impl Write, reports: &[Report], baseline: &str) -> io::Result<()> {
    compare(reports, baseline)
        .map_err(io::Error::other)?
        .write_to(out)?;
    writeln!(out)
}
