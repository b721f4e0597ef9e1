#![doc = include_str!("../../docs/exercises.md")]

mod error;

pub mod async_gather;
pub mod file_timing;
pub mod name_index;
pub mod primes;
pub mod range_count;
pub mod some_worker;

pub use error::LabError;

/// Zadania: the five exercises in Polish, as the lab hands them out (2 points each), with a
/// Polish–English glossary. A page only; its code blocks are compiled and run as doctests.
#[doc = include_str!("../../docs/zadania.md")]
pub mod zadania {}
