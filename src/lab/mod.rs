#![doc = include_str!("../../docs/exercises.md")]

mod error;

pub mod async_gather;
pub mod file_timing;
pub mod name_index;
pub mod primes;
pub mod range_count;
pub mod some_worker;

pub use error::LabError;
