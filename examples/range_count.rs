//! Exercise 3: count the numbers in 4..=8 in every row of a seeded table, sequentially and with
//! each of the pool's ways of handing out work; check they agree; print the times.
//!
//! ```sh
//! cargo run --release --example range_count
//! cargo run --release --example range_count -- --backend processes
//! cargo run --release --example range_count -- --rows 1000000 --seed 7 --workers 4
//! cargo build --release --features mpi --example range_count
//! mpirun --oversubscribe -n 3 target/release/examples/range_count --backend mpi
//! ```

use std::process::ExitCode;

use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use concurrency_lab::lab::LabError;
use concurrency_lab::lab::range_count::{DEFAULT_ROWS, DEFAULT_SEED, compare, random_rows};
use concurrency_lab::pool::{self, ProcessPool, ThreadPool, cpu_count};

/// Where the pool's workers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// OS threads of this process (Python's `ThreadPool`, without the GIL).
    Threads,
    /// Worker processes running this same program (Python's `multiprocessing.Pool`).
    Processes,
    /// The other ranks of an MPI job (mpi4py's `MPIPoolExecutor`): build with `--features mpi`
    /// and start with `mpirun --oversubscribe -n 3` (`--oversubscribe`: more ranks than cores).
    Mpi,
}

/// Counts, for every row of a random table, the numbers within 4..=8 — sequentially and on a
/// pool of workers with apply, apply_async, map, map_async, starmap and imap — and prints how
/// long each way took.
#[derive(Debug, Parser)]
struct Args {
    /// Run the pool's tasks on threads or on processes.
    #[arg(long, value_enum, default_value_t = Backend::Threads)]
    backend: Backend,
    /// Rows in the table (5 numbers each, drawn from 0..10), at most 10,000,000.
    #[arg(long, default_value_t = DEFAULT_ROWS,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_ROWS))]
    rows: usize,
    /// Seed of the random table: the same seed gives the same table.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Workers in the pool [default: the number of CPUs; over MPI, every rank but rank 0].
    #[arg(long)]
    workers: Option<usize>,
    /// Rows given to the one-task-per-row variants (apply, apply_async) [default: all rows on
    /// threads, 20000 on processes, where each task is a round trip through a pipe, 2000 over
    /// MPI].
    #[arg(long)]
    apply_rows: Option<usize>,
}

/// A table this size takes about a gigabyte with the copies the pool variants get; more could
/// exhaust the memory of a shared machine.
const MAX_ROWS: u64 = 10_000_000;

/// On processes, `apply` in a loop costs tens of microseconds per row: a tenth of the lab's
/// table makes the point in about a second instead of ten.
const PROCESS_APPLY_ROWS: usize = 20_000;

/// Over MPI, each `apply` in a loop costs a round trip to a rank, which may have gone to sleep
/// between tasks — thousands of times the time a row takes to count (chapter 6): a tenth of
/// the process pool's rows keeps the run short on a busy machine.
#[cfg(feature = "mpi")]
const MPI_APPLY_ROWS: usize = 2_000;

fn main() -> ExitCode {
    pool::init(); // a worker process of the pool becomes a worker here, never returns
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("range_count: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), LabError> {
    if args.backend == Backend::Mpi {
        return run_mpi(args);
    }
    let workers = args.workers.unwrap_or_else(cpu_count);
    println!("seed {} (--seed to change it)", args.seed);
    let rows = random_rows(args.rows, args.seed);
    let report = match args.backend {
        Backend::Threads => compare(&ThreadPool::new(workers)?, &rows, args.apply_rows)?,
        Backend::Processes => {
            let limit = args.apply_rows.or(Some(PROCESS_APPLY_ROWS));
            compare(&ProcessPool::new(workers)?, &rows, limit)?
        }
        Backend::Mpi => unreachable!("handled by run_mpi"),
    };
    println!("{report}");
    Ok(())
}

#[cfg(feature = "mpi")]
fn run_mpi(args: &Args) -> Result<(), LabError> {
    use concurrency_lab::pool::{MpiPool, worker_ranks};
    // Check the setup before making the table: without mpirun this fails at once, saying so.
    let pool = MpiPool::new(args.workers.map_or_else(worker_ranks, Ok)?)?;
    println!("seed {} (--seed to change it)", args.seed);
    let rows = random_rows(args.rows, args.seed);
    let limit = args.apply_rows.or(Some(MPI_APPLY_ROWS));
    println!("{}", compare(&pool, &rows, limit)?);
    Ok(())
}

#[cfg(not(feature = "mpi"))]
fn run_mpi(_args: &Args) -> Result<(), LabError> {
    Err(LabError::from(concurrency_lab::Error::invalid_input(
        "backend",
        "mpi",
        "this program was built without the MPI backend: build it with `cargo build --release \
         --features mpi --example range_count` (needs `apt-get install libopenmpi-dev \
         openmpi-bin libclang-dev`) and run it with `mpirun --oversubscribe -n 3 \
         target/release/examples/range_count --backend mpi`",
    )))
}
