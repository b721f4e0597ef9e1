//! The lecturer's side of [concurrency-lab](concurrency_lab): grades a year group's starter
//! crates and writes `grades.csv`, `grades.json` and one feedback file per student.
//!
//! ```sh
//! cargo run --release -p lab-grader -- grade submissions/ --out grades.csv
//! ```
//!
//! `submissions/` holds one directory per student, named after the student, as the starter
//! (`cargo run --example starter -- DIR`) was handed out and filled in. Only the student's
//! answers are taken — the files `src/ex1.rs` … `src/ex5.rs`; everything else (`tests/grade.rs`,
//! `Cargo.toml`, a `build.rs`…) is ignored, and the feedback lists it.
//!
//! How a batch is graded ([`grade`]):
//!
//! 1. **One package per student and exercise**, in a cargo workspace the grader writes
//!    ([`Package`], [`write_workspace`]): its library is the student's file alone, its program
//!    the grader's harness, which calls `concurrency_lab::pool::init()` and then the exercise's
//!    check (`concurrency_lab::grade::exN::check`) and prints the outcome. Names are unique per
//!    student (a hash of the exact name), so no student's program can run for another.
//! 2. **One build for the batch** (`cargo build --keep-going`, one target directory kept between
//!    runs): the library is compiled once, and a compile error costs only its exercise. The
//!    compiler itself runs with CPU-time and memory bounds on students' code
//!    ([`rustc_wrapper`]).
//! 3. **No answer key in reach**: each student library, as compiled, is scanned for the
//!    library's own answers to the exercise ([`Exercise::answer_key`], [`scan_rlib`]).
//! 4. **Each exercise on its own**: each program runs in a process group of its own, in a
//!    fresh directory, with a wall-clock bound (the group is killed after it), an address-space
//!    bound, no core dumps, and its output kept up to a size. The harness prints the outcome
//!    after a random token it read from stdin before any student code ran, so a program that
//!    prints a perfect score and exits is not believed. A panic, `exit`, abort, stack overflow,
//!    endless loop or runaway allocation costs that exercise only, and is named ([`Status`]).
//! 5. **Outputs** ([`write_outputs`]): the CSV ([`csv`]), the JSON (every part's message), and
//!    the feedback ([`feedback`]), in Polish unless told English ([`Lang`]).
//!
//! `docs/lecturer-notes.md` in the repository describes the whole cycle.

#![deny(missing_docs, rust_2018_idioms, unreachable_pub)]

mod answer_key;
mod batch;
mod child;
mod compile;
mod exercise;
mod feedback;
mod key;
mod report;
mod submission;
mod verdict;
mod workspace;

pub use answer_key::{Finding, scan_rlib};
pub use batch::{Graded, Settings, StudentResult, grade};
pub use compile::{WRAPPER_ENV, rustc_wrapper};
pub use exercise::Exercise;
pub use feedback::{Lang, feedback};
pub use key::{SOLUTIONS, write_key};
pub use report::{csv, write_outputs};
pub use submission::Submission;
pub use verdict::{Crash, ExerciseResult, PartResult, Status};
pub use workspace::{Library, OUTCOME_MARKER, Package, write_workspace};
