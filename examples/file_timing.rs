//! Exercise 1: write your first name and index number to a file, read them back, and compare
//! the write and read times on the monotonic clock and on the CPU clock.
//!
//! ```sh
//! cargo run --example file_timing -- --name Tymoteusz --index 144298
//! cargo run --example file_timing -- --name Tymoteusz --index 144298 --sync   # wait for the disk
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use concurrency_lab::lab::file_timing::{Durability, Student, time_round_trips};

/// Times writing and reading back a two-line file with your name and index number.
#[derive(Debug, Parser)]
struct Args {
    /// Your first name.
    #[arg(long, default_value = "Tymoteusz")]
    name: String,
    /// Your student index number (a non-negative whole number).
    #[arg(long, default_value = "144298", allow_hyphen_values = true)]
    index: String,
    /// The file to write and read back.
    #[arg(long, default_value = "test.txt")]
    path: PathBuf,
    /// How many write + read round trips to time.
    #[arg(long, default_value_t = 100)]
    repeat: u32,
    /// Make every write wait until the data is on the disk (`File::sync_all`).
    #[arg(long)]
    sync: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let durability = if args.sync {
        Durability::Disk
    } else {
        Durability::PageCache
    };
    let timings = Student::parse(&args.name, &args.index)
        .and_then(|student| time_round_trips(&args.path, &student, durability, args.repeat));
    match timings {
        Ok(timings) => {
            println!("{timings}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("file_timing: {err}");
            ExitCode::FAILURE
        }
    }
}
