#![doc = include_str!("../docs/overview.md")]
#![deny(
    missing_docs,
    rust_2018_idioms,
    unreachable_pub,
    missing_debug_implementations
)]
#![doc(test(attr(deny(warnings))))]

pub mod bench;
pub mod coro;
pub mod course;
mod error;
pub mod grade;
pub mod lab;
mod panic_message;
pub mod pool;
#[cfg(test)]
mod test_support;
pub mod timing;
pub mod workers;

pub use error::{Error, Result};

/// The README's code blocks, compiled and run as doctests so the README never lies.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
