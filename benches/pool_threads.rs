//! The thread pool against rayon, the best peer, measured in the same run:
//! a million-item `map`, one-at-a-time round trips, the lab's map over 200,000 owned rows, and
//! CPU-bound prime counting. Writes its rows of issue 19's goals table (`common/goals.rs`).
//!
//! ```sh
//! cargo bench --bench pool_threads
//! BENCH_QUICK=1 cargo bench --bench pool_threads    # a smoke run, in seconds
//! ```

use std::io::{self, Write};

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
use concurrency_lab::pool::{MapOptions, ThreadPool};
use crossbeam::channel;
use rayon::prelude::*;

#[path = "common/goals.rs"]
mod goals;
use goals::Row;

const WORKERS: usize = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let pool = ThreadPool::new(WORKERS)?;
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()?;
    writeln!(
        out,
        "{WORKERS} workers each; medians; ratios to the named baseline\n"
    )?;

    writeln!(
        out,
        "== map(|x| x * x) over 1,000,000 u64 (input made untimed, per call)"
    )?;
    let input: Vec<u64> = (0..1_000_000).collect();
    let map = Group::new()
        .bench_with_setup(
            Bench::new("rayon into_par_iter().map().collect()").number(1),
            || input.clone(),
            |items| rayon.install(|| items.into_par_iter().map(|x| x * x).collect::<Vec<u64>>()),
        )
        .bench_with_setup(
            Bench::new("ThreadPool::map").number(1),
            || input.clone(),
            |items| pool.map(|x: u64| x * x, items).expect("map"),
        )
        .bench_with_setup(
            Bench::new("sequential into_iter().map().collect()").number(1),
            || input.clone(),
            |items| items.into_iter().map(|x| x * x).collect::<Vec<u64>>(),
        )
        .run()?;
    table(&mut out, &map, "rayon into_par_iter().map().collect()")?;
    let mut rows = vec![versus(
        "map_square_vs_rayon",
        &map,
        "ThreadPool::map",
        "rayon into_par_iter().map().collect()",
    )];

    writeln!(
        out,
        "== one task at a time: submit, then wait for its result"
    )?;
    let round_trips = Group::new()
        .bench(Bench::new("rayon spawn + channel"), || {
            let (tx, rx) = channel::bounded(1);
            rayon.spawn(move || tx.send(7_u64).expect("the receiver waits"));
            rx.recv().expect("the task sends")
        })
        .bench(Bench::new("ThreadPool::apply_async + get"), || {
            pool.apply_async(|| 7_u64, ())
                .expect("submit")
                .get()
                .expect("get")
        })
        .bench(Bench::new("ThreadPool::apply"), || {
            pool.apply(|| 7_u64, ()).expect("apply")
        })
        .run()?;
    table(&mut out, &round_trips, "rayon spawn + channel")?;
    rows.push(versus(
        "thread_round_trip_vs_rayon",
        &round_trips,
        "ThreadPool::apply_async + get",
        "rayon spawn + channel",
    ));

    writeln!(
        out,
        "== the lab's map: howmany_within_range over 200,000 owned rows of 5 (rows copied untimed)"
    )?;
    let lab_rows = random_rows(200_000, 2024);
    let lab_map = Group::new()
        .bench_with_setup(
            Bench::new("rayon into_par_iter on owned rows").number(1),
            || lab_rows.clone(),
            |rows| {
                rayon.install(|| {
                    rows.into_par_iter()
                        .map(howmany_within_range_rowonly)
                        .collect::<Vec<_>>()
                })
            },
        )
        .bench_with_setup(
            Bench::new("ThreadPool::map").number(1),
            || lab_rows.clone(),
            |rows| pool.map(howmany_within_range_rowonly, rows).expect("map"),
        )
        .run()?;
    table(&mut out, &lab_map, "rayon into_par_iter on owned rows")?;
    rows.push(versus(
        "lab_map_threads_vs_rayon_owned",
        &lab_map,
        "ThreadPool::map",
        "rayon into_par_iter on owned rows",
    ));

    writeln!(
        out,
        "== CPU-bound: primes in 60 blocks of 50,000 numbers, one block per task"
    )?;
    let work = blocks(60, 50_000);
    let primes = Group::new()
        .bench(Bench::new("sequential").number(1), || {
            work.iter().cloned().map(primes_in).sum::<u64>()
        })
        .bench(Bench::new("ThreadPool::map, chunksize 1").number(1), || {
            let options = MapOptions::new().chunksize(1);
            let counts = pool
                .map_async_with(primes_in, work.clone(), options)
                .expect("map");
            counts.get().expect("get").iter().sum::<u64>()
        })
        .bench(Bench::new("rayon par_iter").number(1), || {
            rayon.install(|| work.par_iter().cloned().map(primes_in).sum::<u64>())
        })
        .run()?;
    table(&mut out, &primes, "sequential")?;
    let sequential = median(&primes, "sequential");
    let pooled = median(&primes, "ThreadPool::map, chunksize 1");
    rows.push(Row::now(
        "primes_threads_speedup",
        sequential / pooled,
        goals::versus("sequential", sequential, "ThreadPool::map", pooled),
    ));
    goals::record("pool_threads", &rows)?;
    Ok(())
}

/// The goal row `id`: the median of `ours` over the median of `peer`, both in `reports`.
fn versus(id: &str, reports: &[Report], ours: &str, peer: &str) -> Row {
    let (a, b) = (median(reports, ours), median(reports, peer));
    Row::now(id, a / b, goals::versus(ours, a, peer, b))
}

fn median(reports: &[Report], name: &str) -> f64 {
    reports
        .iter()
        .find(|report| report.name == name)
        .unwrap_or_else(|| panic!("{name} was measured"))
        .stats
        .median
}

fn table(out: &mut impl Write, reports: &[Report], baseline: &str) -> io::Result<()> {
    compare(reports, baseline)
        .map_err(io::Error::other)?
        .write_to(out)?;
    writeln!(out)
}
