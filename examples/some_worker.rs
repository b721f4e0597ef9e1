//! Exercise 4: worker threads print their ids until main stops them through their queues.
//!
//! ```sh
//! cargo run --example some_worker -- --workers 3 --period 500 --run-for 3000
//! ```
//!
//! The logic lives in `concurrency_lab::lab::some_worker`; this file parses the command line and
//! prints.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use concurrency_lab::lab::some_worker::{Settings, run};

/// Start worker threads that print their ids periodically, then stop them through their queues.
#[derive(Debug, Parser)]
struct Args {
    /// How many workers to start (ids 0, 1, …).
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Milliseconds between two prints of the same worker.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    period: u64,
    /// Milliseconds main lets the workers run before it stops them.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    run_for: u64,
}

fn main() -> ExitCode {
    match exercise(&Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE, // a worker failed; the report says which and why
        Err(err) => {
            eprintln!("some_worker: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the exercise and prints its report; `Ok(false)` when some worker failed.
///
/// Printing goes through `write!` rather than `print!`: stdout may be a closed pipe (try
/// `| head -3`), and that should end the program with a message, not a panic.
fn exercise(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    let settings = Settings {
        workers: args.workers,
        period: Duration::from_millis(args.period),
        run_for: Duration::from_millis(args.run_for),
    };
    settings.check()?;

    let mut out = io::stdout();
    writeln!(
        out,
        "main: {} worker(s) print their ids every {} ms; after {} ms main stops them through their queues",
        args.workers, args.period, args.run_for
    )?;
    // The workers share stdout behind one mutex, so their lines never mix.
    let report = run(&settings, &Arc::new(Mutex::new(io::stdout())))?;
    write!(out, "{report}")?;
    Ok(report.all_clean())
}
