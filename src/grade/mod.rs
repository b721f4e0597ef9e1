//! Grading the lab: one check per exercise that runs the student's code for real and says, in
//! points and in words, what it found.
//!
//! Each check takes the student's functions, with signatures in the library's concrete types
//! ([`ThreadPool`](crate::pool::ThreadPool), [`ProcessPool`](crate::pool::ProcessPool),
//! [`Bench`](crate::bench::Bench), …), runs them on inputs of its own, and returns an
//! [`Outcome`]: two [`Part`]s of one point each, as the lab gives 2 points an exercise, each
//! saying what failed and why. A [`ScoreTable`] prints the five outcomes and the total out of 10.
//!
//! | # | check | the student writes |
//! |---|-------|--------------------|
//! | 1 | [`ex1::check`] | `write_and_read(path, name, index) -> io::Result<RoundTrip>` |
//! | 2 | [`ex2::check`] | `is_name_index(name, index) -> bool`, `benchmark(&Bench, name, index)` |
//! | 3 | [`ex3::check`] | one count with `map_async` on a `ThreadPool`, one on a `ProcessPool` |
//! | 4 | [`ex4::check`] | a worker type: `start(id, period, Printer) -> W`, `stop(W)` |
//! | 5 | [`ex5::check`] | `random_delays(count)`, `async fn gather(Vec<LabTask>)` |
//!
//! Nothing the student's code does stops the grading: every call runs on a thread of its own,
//! a panic (`todo!()` included) becomes a failed part, and so does a call that does not return
//! within its bound — its thread is then left behind, since a thread cannot be killed.
//!
//! `cargo run --example starter -- DIR` writes a crate for students with these signatures,
//! `todo!()` in every body, and a `tests/grade.rs` that prints the table
//! ([`write_starter`]). `docs/lecturer-notes.md` says how each check decides, and what the
//! checks leave to the lecturer.
//!
//! # Examples
//!
//! ```
//! use concurrency_lab::grade::{ex2, ScoreTable};
//!
//! // Wrong on purpose: counts bytes, not letters, and times nothing.
//! fn bytes_not_letters(name: &str, index: u64) -> bool {
//!     index.to_string().contains(&(name.len() % 10).to_string())
//! }
//! let outcome = ex2::check(bytes_not_letters, |bench, _name, _index| bench.run(|| ()));
//! let table = ScoreTable::new(vec![outcome]);
//! table.write_to(&mut std::io::stdout())?;
//! assert_eq!(table.total(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod ex1;
pub mod ex2;
pub mod ex3;
pub mod ex4;
pub mod ex5;
mod guard;
mod outcome;
mod starter;
mod table;

pub(crate) use outcome::text;
pub use outcome::{Lang, Outcome, Part, Text};
pub use starter::{Dependency, write_starter};
pub use table::ScoreTable;
