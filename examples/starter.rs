//! Writes the starter crate a lecturer hands out: the lab's five exercises with `todo!()`
//! where the student's work goes, and a `cargo test` that grades them out of 10.
//!
//! ```sh
//! cargo run --example starter -- ~/lab                      # depends on this checkout, by path
//! cargo run --example starter -- ~/lab --version 0.1.0      # depends on the published crate
//! cd ~/lab && cargo test                                     # the score table: 0/10
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use concurrency_lab::grade::{Dependency, write_starter};

/// Write a starter crate for the concurrency lab.
#[derive(Debug, Parser)]
struct Args {
    /// The directory to create (it must not exist yet, or be empty).
    dir: PathBuf,
    /// Depend on this published version of concurrency-lab instead of this checkout.
    #[arg(long)]
    version: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dependency = match args.version {
        Some(version) => Dependency::Version(version),
        None => Dependency::this_checkout(),
    };
    match write_starter(&args.dir, &dependency) {
        Ok(()) => {
            println!("wrote {}", args.dir.display());
            println!("  {}", dependency.toml_line());
            println!("next: cd {} && cargo test", args.dir.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("starter: {err}");
            ExitCode::FAILURE
        }
    }
}
