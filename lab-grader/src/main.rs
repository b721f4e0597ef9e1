//! `lab-grader`: grades a directory of submissions, or writes the key.
//!
//! ```sh
//! cargo run --release -p lab-grader -- grade submissions/ --out grades.csv
//! cargo run --release -p lab-grader -- grade submissions/ --out grades.csv --lang en
//! cargo run --release -p lab-grader -- key ~/key      # the reference answers, as a starter
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use concurrency_lab::grade::Dependency;
use lab_grader::{Lang, Library, Settings};

/// The lecturer's grader for concurrency-lab.
#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    command: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Grade every submission (one subdirectory per student) into a CSV, a JSON and feedback.
    Grade {
        /// The directory of submissions, one subdirectory per student named after the student.
        submissions: PathBuf,
        /// The CSV to write; the JSON goes next to it, with the extension `.json`.
        #[arg(long, default_value = "grades.csv")]
        out: PathBuf,
        /// Where the feedback files go [default: `feedback/` next to the CSV].
        #[arg(long)]
        feedback: Option<PathBuf>,
        /// The feedback's language: pl or en.
        #[arg(long, default_value = "pl")]
        lang: Lang,
        /// How many exercise programs run at a time [default: the number of CPUs].
        #[arg(long)]
        jobs: Option<usize>,
        /// Seconds each exercise program may run.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Address space each exercise process may take, in MiB (0: unbounded).
        #[arg(long, default_value_t = 4096)]
        memory_mb: u64,
        /// Seconds the whole batch's build may take.
        #[arg(long, default_value_t = 3600)]
        build_timeout: u64,
        /// Where to build; kept between runs, so the library is compiled once.
        #[arg(long, default_value = "target/lab-grader")]
        work: PathBuf,
        /// The concurrency-lab checkout to build the students' code against [default: the one
        /// this grader belongs to].
        #[arg(long)]
        library: Option<PathBuf>,
        /// Build without network access (every dependency must be in cargo's cache).
        #[arg(long)]
        offline: bool,
    },
    /// Write the key: the starter crate with the reference answers (10/10).
    Key {
        /// The directory to create (it must not exist yet, or be empty).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    // Started by cargo as the compiler's wrapper: bound the compiler and become it.
    lab_grader::rustc_wrapper();
    match Args::parse().command {
        Verb::Key { dir } => match lab_grader::write_key(&dir, &Dependency::this_checkout()) {
            Ok(()) => {
                println!("wrote the key to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("lab-grader: {err}");
                ExitCode::FAILURE
            }
        },
        Verb::Grade {
            submissions,
            out,
            feedback,
            lang,
            jobs,
            timeout,
            memory_mb,
            build_timeout,
            work,
            library,
            offline,
        } => {
            let started = Instant::now();
            let work = std::path::absolute(&work).unwrap_or(work);
            let settings = Settings {
                submissions,
                work,
                library: library.map(Library).unwrap_or_else(Library::this_checkout),
                jobs: jobs.unwrap_or_else(num_cpus::get).max(1),
                time: Duration::from_secs(timeout),
                memory: (memory_mb > 0).then_some(memory_mb << 20),
                build_time: Duration::from_secs(build_timeout),
                offline,
                wrapper: std::env::current_exe().ok(),
            };
            let graded = match lab_grader::grade(&settings) {
                Ok(graded) => graded,
                Err(err) => {
                    eprintln!("lab-grader: {err}");
                    return ExitCode::FAILURE;
                }
            };
            let feedback = feedback.unwrap_or_else(|| {
                out.parent()
                    .map(|dir| dir.join("feedback"))
                    .unwrap_or_else(|| "feedback".into())
            });
            if let Err(err) = lab_grader::write_outputs(&graded.results, &out, &feedback, lang) {
                eprintln!("lab-grader: cannot write the grades: {err}");
                return ExitCode::FAILURE;
            }
            for result in &graded.results {
                let statuses: Vec<String> = result
                    .exercises
                    .iter()
                    .map(|e| format!("{}:{}", e.points(), e.status.code()))
                    .collect();
                println!(
                    "{:>2}/10  {}  [{}]",
                    result.total(),
                    result.student,
                    statuses.join(" ")
                );
            }
            println!(
                "graded {} submissions ({} programs run, {} at a time) in {:.1} s: build {:.1} s, runs {:.1} s",
                graded.results.len(),
                graded.programs,
                settings.jobs,
                started.elapsed().as_secs_f64(),
                graded.build_time.as_secs_f64(),
                graded.run_time.as_secs_f64(),
            );
            println!(
                "wrote {}, {} and {}/",
                out.display(),
                out.with_extension("json").display(),
                feedback.display()
            );
            ExitCode::SUCCESS
        }
    }
}
