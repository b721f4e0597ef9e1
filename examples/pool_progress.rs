//! A long `map_async` with a progress bar: the pool's [`MapResult::progress`] read every 50 ms.
//!
//! A program that computes for seconds without a word looks hung. `map_async` returns at once,
//! so the caller is free to report how far the workers are while they work.
//!
//! ```sh
//! cargo run --release --example pool_progress
//! cargo run --release --example pool_progress -- --backend processes
//! cargo run --release --example pool_progress -- --silent     # the same wait, without a word
//! ```
//!
//! [`MapResult::progress`]: concurrency_lab::pool::MapResult::progress

use std::ops::Range;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use concurrency_lab::bench::format_ns;
use concurrency_lab::lab::primes::{blocks, primes_in};
use concurrency_lab::pool::{
    self, MapOptions, MapResult, Pool, ProcessPool, Runs, ThreadPool, cpu_count,
};
use concurrency_lab::timing::Stopwatch;
use indicatif::{ProgressBar, ProgressStyle};

/// Where the pool's workers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    /// OS threads of this process.
    Threads,
    /// Worker processes running this same program.
    Processes,
}

/// Counts the primes below blocks × block-size, one block per task, on a pool of workers,
/// with a progress bar fed by the running map.
#[derive(Debug, Parser)]
struct Args {
    /// Run the tasks on threads or on processes.
    #[arg(long, value_enum, default_value_t = BackendArg::Threads)]
    backend: BackendArg,
    /// Tasks: blocks of consecutive numbers, each counted by one task (1 to 100,000).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    blocks: u64,
    /// Numbers per block (at least 1).
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(1..))]
    block_size: u64,
    /// Workers in the pool [default: the number of CPUs].
    #[arg(long)]
    workers: Option<usize>,
    /// Wait for the result without any progress report, to feel the difference.
    #[arg(long)]
    silent: bool,
}

/// How often the bar is brought up to date.
const POLL: Duration = Duration::from_millis(50);

fn main() -> ExitCode {
    pool::init(); // a worker process of the pool becomes a worker here, never returns
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pool_progress: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let Some(limit) = args.blocks.checked_mul(args.block_size) else {
        return Err(format!(
            "{} blocks of {} numbers go past u64::MAX",
            args.blocks, args.block_size
        ));
    };
    let workers = args.workers.unwrap_or_else(cpu_count);
    // Each task gets its block as a range of numbers: plain data, fit for a process.
    let blocks = blocks(args.blocks, args.block_size);
    match args.backend {
        BackendArg::Threads => {
            let pool = ThreadPool::new(workers).map_err(text)?;
            count_primes(&pool, primes_in, blocks, limit, args.silent)
        }
        BackendArg::Processes => {
            let pool = ProcessPool::new(workers).map_err(text)?;
            count_primes(&pool, primes_in, blocks, limit, args.silent)
        }
    }
}

/// Counts the primes of every block with `task` on `pool`, drawing the bar unless `silent`.
///
/// The task comes in as an argument: the bound `B: Runs<F, …>` needs its type, and the type of
/// a function item has no name to write.
fn count_primes<B, F>(
    pool: &Pool<B>,
    task: F,
    blocks: Vec<Range<u64>>,
    limit: u64,
    silent: bool,
) -> Result<(), String>
where
    F: Fn(Range<u64>) -> u64 + Send + Sync + 'static,
    B: Runs<F, (Range<u64>,)>,
{
    println!(
        "counting the primes below {limit} in {} blocks on a pool of {} worker(s) ({})",
        blocks.len(),
        pool.workers(),
        B::NAME
    );
    let watch = Stopwatch::start();
    // One block per chunk, so that progress moves with every block done, on processes too.
    let options = MapOptions::new().chunksize(1);
    let running = pool.map_async_with(task, blocks, options).map_err(text)?;
    if !silent {
        show_progress(&running)?;
    }
    let primes: u64 = running.get().map_err(text)?.iter().sum();
    println!(
        "{primes} primes below {limit}, counted in {}",
        format_ns(watch.elapsed().as_nanos() as f64)
    );
    Ok(())
}

/// Polls the running map every [`POLL`] and draws how far it is, until it is done.
fn show_progress<T>(running: &MapResult<T>) -> Result<(), String> {
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {pos}/{len} blocks ({percent}%), about {eta} left",
    )
    .map_err(text)?;
    let bar = ProgressBar::new(running.progress().total as u64).with_style(style);
    // `wait_timeout` is the poll's sleep: it returns early, with `true`, when the map is done.
    while !running.wait_timeout(POLL) {
        bar.set_position(running.progress().done as u64);
    }
    bar.set_position(running.progress().done as u64);
    bar.finish();
    Ok(())
}

fn text(err: impl std::fmt::Display) -> String {
    err.to_string()
}
