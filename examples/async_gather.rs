//! Exercise 5: a hundred coroutines with random delays, gathered at once — and the proof that
//! the run was correct.
//!
//! ```sh
//! cargo run --example async_gather                         # the lab's run: 100 tasks, 0–4 s
//! cargo run --example async_gather -- --seed 42            # repeat a run
//! cargo run --example async_gather -- --multi-thread       # tasks on worker threads
//! cargo run --example async_gather -- --tasks 5 --gather sequential   # the mistake, caught
//! cargo run --example async_gather -- --gantt --tasks 20   # the run drawn: one bar per task
//! ```

use std::error::Error;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use concurrency_lab::coro::{self, Flavor, LOG_TIME_NOTE, Log};
use concurrency_lab::lab::async_gather::{
    Gantt, Gather, Settings, gather_journaled, max_delay_from_secs,
};

/// Run many tasks that each wait a random delay, all at once, and check the run.
#[derive(Debug, Parser)]
struct Args {
    /// How many tasks.
    #[arg(long, default_value_t = 100)]
    tasks: usize,
    /// The longest delay, in seconds: each task's delay is drawn uniformly from 0 to this.
    #[arg(long, default_value_t = 4.0, allow_negative_numbers = true)]
    max_delay: f64,
    /// Seed for the delays [default: a random one, printed so that you can repeat the run].
    #[arg(long)]
    seed: Option<u64>,
    /// Run the tasks on tokio's multi-threaded runtime instead of one thread.
    #[arg(long)]
    multi_thread: bool,
    /// How to gather the tasks: join-set, join-all, or sequential (the mistake the report
    /// catches) [default: join-all on one thread, join-set with --multi-thread].
    #[arg(long)]
    gather: Option<Gather>,
    /// After the report, draw the run: one row per task, a bar from its start to its finish.
    #[arg(long)]
    gantt: bool,
    /// The width of the chart's bars, in columns.
    #[arg(long, default_value_t = 60)]
    gantt_width: usize,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("async_gather: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the exercise; `Ok(false)` when the report found the run wrong.
fn run(args: Args) -> Result<bool, Box<dyn Error>> {
    let flavor = if args.multi_thread {
        Flavor::MultiThread
    } else {
        Flavor::CurrentThread
    };
    let settings = Settings {
        tasks: args.tasks,
        max_delay: max_delay_from_secs(args.max_delay)?,
        seed: args.seed.unwrap_or_else(rand::random),
        flavor,
        gather: args.gather.unwrap_or(Gather::for_flavor(flavor)),
    };
    let delays = settings.delays()?;
    let longest = delays.iter().max().copied().unwrap_or_default();
    {
        // The lock is released before the run: the tasks write to stdout through the log.
        let mut out = io::stdout().lock();
        writeln!(out, "async_gather: {settings}")?;
        writeln!(
            out,
            "repeat this run: cargo run --example async_gather -- {}",
            repeat_args(&settings, &args)
        )?;
        writeln!(
            out,
            "the longest delay is {:.3} s: run at once, the tasks should take about that long",
            longest.as_secs_f64()
        )?;
        writeln!(out, "{LOG_TIME_NOTE}\n")?;
    }

    // asyncio.run(gather(...)): a runtime of the chosen flavour runs the gather to completion.
    let log = Log::new(io::stdout());
    let (report, journal) = coro::run(
        settings.flavor,
        gather_journaled(&delays, settings.gather, &log),
    )??;

    let mut out = io::stdout().lock();
    writeln!(out)?;
    report.write_to(&mut out)?;
    if args.gantt {
        // Sorted by delay: gathered tasks all start at 0 and end in a staircase; a sequential
        // run's bars follow one another instead.
        writeln!(out, "\nthe run, task by task (shortest delay first):")?;
        Gantt::new(&delays, &journal).write_to(&mut out, args.gantt_width)?;
    }
    Ok(report.passed())
}

/// The command-line arguments that repeat this exact run.
fn repeat_args(settings: &Settings, args: &Args) -> String {
    let mut text = format!(
        "--tasks {} --max-delay {} --seed {}",
        settings.tasks, args.max_delay, settings.seed
    );
    if args.multi_thread {
        text += " --multi-thread";
    }
    if settings.gather != Gather::for_flavor(settings.flavor) {
        text += &format!(" --gather {}", settings.gather);
    }
    text
}
