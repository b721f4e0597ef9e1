//! Exercise 2: benchmark `is_name_index` next to the file write and read of exercise 1.
//!
//! ```sh
//! cargo run --release --example name_index -- --name Tymoteusz --index 144298
//! BENCH_QUICK=1 cargo run --example name_index     # rough figures, in a second
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use concurrency_lab::bench::compare;
use concurrency_lab::lab::file_timing::Student;
use concurrency_lab::lab::name_index::{benchmark, is_name_index};

/// Measures whether your index holds the digit your name's length points to, and how long the
/// answer takes next to writing and reading your record.
#[derive(Debug, Parser)]
struct Args {
    /// Your first name.
    #[arg(long, default_value = "Tymoteusz")]
    name: String,
    /// Your student index number (a non-negative whole number).
    #[arg(long, default_value = "144298", allow_hyphen_values = true)]
    index: String,
    /// The file written and read back by the write and read benchmarks.
    #[arg(long, default_value = "test.txt")]
    path: PathBuf,
    /// Few, short samples: rough figures, fast (like `BENCH_QUICK=1`).
    #[arg(long)]
    quick: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let run = || -> concurrency_lab::Result<()> {
        let student = Student::parse(&args.name, &args.index)?;
        println!(
            "is_name_index({:?}, {}) = {}\n",
            student.name,
            student.index,
            is_name_index(&student.name, student.index)
        );
        let reports = benchmark(&args.path, &student, args.quick)?;
        println!("{}", compare(&reports, "is_name_index")?);
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("name_index: {err}");
            ExitCode::FAILURE
        }
    }
}
