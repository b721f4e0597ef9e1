//! The MPI pool against the process pool and against raw MPI: one-at-a-time round trips, the
//! lab's `map` over 200,000 rows, and CPU-bound prime counting, over shared memory and TCP.
//!
//! ```sh
//! cargo bench --features mpi --bench mpi                   # launches mpirun itself
//! BENCH_QUICK=1 cargo bench --features mpi --bench mpi     # a smoke run, in seconds
//! ```
//!
//! Started by cargo, this binary runs itself under `mpirun`, over shared memory
//! (`--mca btl self,vader`) and over TCP (`--mca btl self,tcp`), each time:
//! - with two ranks (`-n 2`: rank 0 and one worker rank, one per core), first as raw MPI — a
//!   message there and back with rsmpi's `send` and a polling receive, the floor under any
//!   pool — then as a pool, for the round trip only;
//! - with three ranks (`-n 3 --oversubscribe`: two worker ranks, as in the lab), for everything.
//!
//! Under `mpirun`, `main` calls `pool::init()` first: worker ranks serve there, rank 0
//! measures. The process pool in the same run has as many workers as the job has worker ranks.

use std::io::{self, Write};
use std::process::{Command, ExitCode};

use concurrency_lab::bench::{Bench, Group, Report, compare};
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
use concurrency_lab::pool::{self, MapOptions, MpiPool, ProcessPool};
use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;

fn plus_one(n: u64) -> u64 {
    n + 1
}

/// The argument that makes a two-rank job measure raw MPI instead of the pool.
const RAW: &str = "raw";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_none() {
        launch()
    } else if args.get(1).map(String::as_str) == Some(RAW) {
        raw_round_trip(&args[0]).map_err(|e| e.to_string())
    } else {
        pool::init(); // worker ranks serve here
        measure(&args[0]).map_err(|e| e.to_string())
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
        for (ranks, mode) in [("2", Some(RAW)), ("2", None), ("3", None)] {
            let status = Command::new("mpirun")
                .args(["--oversubscribe", "-n", ranks, "--mca", "btl", btl])
                .args(["--mca", "btl_tcp_if_include", "lo"])
                .arg(&me)
                .arg(transport)
                .args(mode)
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
                return Err(format!("mpirun -n {ranks} over {transport}: {status}"));
            }
        }
    }
    Ok(())
}

/// Rank 0 sends 8 bytes to rank 1 and waits, polling, for rank 1 to send them back: what a
/// pool's round trip costs at least, with no pool around it.
fn raw_round_trip(transport: &str) -> Result<(), Box<dyn std::error::Error>> {
    const STOP: mpi::Tag = 1;
    let universe = mpi::initialize().ok_or("MPI was already initialised")?;
    let world = universe.world();
    let mut buf = [0u8; 8];
    if world.rank() != 0 {
        let root = world.process_at_rank(0);
        while receive(&root, &mut buf) != STOP {
            root.send(&buf[..]);
        }
        return Ok(());
    }
    let worker = world.process_at_rank(1);
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "##### over {transport}: raw MPI, rank 0 and one worker rank\n"
    )?;
    let reports = Group::new()
        .bench(Bench::new("raw MPI send + polled receive"), || {
            worker.send(&buf[..]);
            receive(&worker, &mut buf)
        })
        .run()?;
    table(&mut out, &reports, "raw MPI send + polled receive")?;
    worker.send_with_tag(&buf[..], STOP);
    Ok(())
}

/// Polls until `from` sends a message, receives it into `buf`, and returns its tag.
fn receive(from: &mpi::topology::Process<'_>, buf: &mut [u8; 8]) -> mpi::Tag {
    loop {
        if let Some((message, status)) = from.immediate_matched_probe() {
            message.matched_receive_into(&mut buf[..]);
            return status.tag();
        }
    }
}

fn measure(transport: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout().lock();
    let mpi = MpiPool::all_ranks()?;
    let workers = mpi.workers();
    let processes = ProcessPool::new(workers)?;
    writeln!(
        out,
        "##### over {transport}: {workers} worker rank(s), {workers} worker process(es); \
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
    if workers < 2 {
        return Ok(()); // the rest is about two workers at once
    }

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
