//! The thread pool against rayon, the best peer, measured in the same run:
//! a million-item `map`, one-at-a-time round trips, and CPU-bound prime counting.
//!
//! ```sh
//! cargo bench --bench pool_threads
//! BENCH_QUICK=1 cargo bench --bench pool_threads    # a smoke run, in seconds
//! ```

use std::io::{self, Write};

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::pool::{MapOptions, ThreadPool};
use crossbeam::channel;
use rayon::prelude::*;

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
    Ok(())
}

fn table(out: &mut impl Write, reports: &[Report], baseline: &str) -> io::Result<()> {
    compare(reports, baseline)
        .map_err(io::Error::other)?
        .write_to(out)?;
    writeln!(out)
}
