//! The MPI pool against the process pool: one-at-a-time round trips, the lab's `map` over
//! 200,000 rows, and CPU-bound prime counting, over shared memory and over TCP.
//!
//! ```sh
//! cargo bench --features mpi --bench mpi                   # launches mpirun itself, twice
//! BENCH_QUICK=1 cargo bench --features mpi --bench mpi     # a smoke run, in seconds
//! ```
//!
//! Started by cargo, this binary runs itself under `mpirun -n 3 --oversubscribe` (rank 0 and
//! two worker ranks), first over shared memory (`--mca btl self,vader`), then over TCP
//! (`--mca btl self,tcp`). Under `mpirun`, `main` calls `pool::init()` first: ranks 1 and 2
//! serve there, rank 0 measures. The process pool in the same run has two workers too.

use std::io::{self, Write};
use std::process::{Command, ExitCode};

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
use concurrency_lab::pool::{self, MapOptions, MpiPool, ProcessPool};

const WORKERS: usize = 2;

fn plus_one(n: u64) -> u64 {
    n + 1
}

fn main() -> ExitCode {
    pool::init(); // under mpirun, ranks 1 and 2 serve here
    let outcome = if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() {
        let transport = std::env::args().nth(1).unwrap_or_default();
        measure(&transport).map_err(|e| e.to_string())
    } else {
        launch()
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench mpi: {message}");
            ExitCode::FAILURE
        }
    }
}

fn launch() -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    for (transport, btl) in [("shared memory", "self,vader"), ("TCP", "self,tcp")] {
        let status = Command::new("mpirun")
            .args(["--oversubscribe", "-n", "3", "--mca", "btl", btl])
            .args(["--mca", "btl_tcp_if_include", "lo"])
            .arg(&me)
            .arg(transport)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .status()
            .map_err(|e| {
                format!(
                    "cannot start mpirun ({e}); install OpenMPI: `apt-get install -y \
                     libopenmpi-dev openmpi-bin libclang-dev`"
                )
            })?;
        if !status.success() {
            return Err(format!("mpirun over {transport}: {status}"));
        }
    }
    Ok(())
}

fn measure(transport: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let mpi = MpiPool::new(WORKERS)?;
    let processes = ProcessPool::new(WORKERS)?;
    writeln!(
        out,
        "##### over {transport}: {WORKERS} worker ranks, {WORKERS} worker processes; \
         medians; ratios to the named baseline\n"
    )?;

    writeln!(
        out,
        "== one task at a time: apply_async(plus_one, (n,)).get()"
    )?;
    let round_trips = Group::new()
        .bench(Bench::new("MpiPool"), || {
            mpi.apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .bench(Bench::new("ProcessPool"), || {
            processes
                .apply_async(plus_one, (7,))
                .expect("submit")
                .get()
                .expect("get")
        })
        .run()?;
    table(&mut out, &round_trips, "ProcessPool")?;

    writeln!(
        out,
        "== messages: map(plus_one) over 20,000 numbers, one number per chunk (per call: \
         20,000 round trips, two workers at once)"
    )?;
    let one_each = || MapOptions::new().chunksize(1);
    let messages = Group::new()
        .bench(
            Bench::new("MpiPool, chunksize 1").number(1).repeat(10),
            || {
                let running = mpi.map_async_with(plus_one, 0..20_000, one_each());
                running.expect("map").get().expect("get")
            },
        )
        .bench(
            Bench::new("ProcessPool, chunksize 1").number(1).repeat(10),
            || {
                let running = processes.map_async_with(plus_one, 0..20_000, one_each());
                running.expect("map").get().expect("get")
            },
        )
        .run()?;
    table(&mut out, &messages, "ProcessPool, chunksize 1")?;

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
            Bench::new("MpiPool::map").number(1),
            || rows.clone(),
            |rows| mpi.map(howmany_within_range_rowonly, rows).expect("map"),
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
        .run()?;
    table(&mut out, &map, "ProcessPool::map")?;

    writeln!(
        out,
        "== CPU-bound: primes in 60 blocks of 50,000 numbers, one block per task"
    )?;
    let work = blocks(60, 50_000);
    let one_per_task = || MapOptions::new().chunksize(1);
    let primes = Group::new()
        .bench(Bench::new("sequential").number(1).repeat(10), || {
            work.iter().cloned().map(primes_in).sum::<u64>()
        })
        .bench(Bench::new("MpiPool::map").number(1).repeat(10), || {
            let counts = mpi.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
        })
        .bench(Bench::new("ProcessPool::map").number(1).repeat(10), || {
            let counts = processes.map_async_with(primes_in, work.clone(), one_per_task());
            counts.expect("map").get().expect("get").iter().sum::<u64>()
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
