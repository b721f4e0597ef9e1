#![doc = include_str!("../docs/overview.md")]
// The crate's lints (missing_docs, unreachable_pub, …) are in Cargo.toml's `[lints]`, which
// reaches the tests, benches and examples too.
#![doc(test(attr(deny(warnings))))]

pub mod bench;
/// Chapter 6: the same `Pool` over the ranks of an MPI job (feature `mpi`).
#[cfg(feature = "mpi")]
#[doc = include_str!("../docs/mpi.md")]
#[doc = include_str!("../docs/scaling.svg")] // the chart ends the chapter's last section
pub mod beyond_one_machine {}
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

/// The serde crate this one uses, re-exported: a course crate can name it without depending on
/// it. Process-pool arguments and results must implement its `Serialize` and `Deserialize`.
///
/// serde's derive macros expand to code that names `serde` by path, so a crate that does not
/// list `serde` in its own `Cargo.toml` tells them where it is with
/// `#[serde(crate = "concurrency_lab::serde")]`. A crate that does list `serde` (with the
/// `derive` feature) needs nothing more.
///
/// # Examples
///
/// ```
/// use concurrency_lab::serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// #[serde(crate = "concurrency_lab::serde")]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
/// # fn takes<T: Serialize + for<'de> Deserialize<'de>>(_: T) {}
/// # takes(Point { x: 1, y: 2 });
/// ```
pub use serde;

/// serde's traits and derive macros, re-exported: `#[derive(concurrency_lab::Serialize)]` and
/// `use concurrency_lab::{Deserialize, Serialize};` work; see [`serde`] for the one attribute a
/// derive needs when your crate does not depend on serde itself.
///
/// # Examples
///
/// ```
/// #[derive(concurrency_lab::Serialize, concurrency_lab::Deserialize)]
/// #[serde(crate = "concurrency_lab::serde")]
/// enum Shape {
///     Circle { radius: f64 },
///     Square(f64),
/// }
/// # let _ = (Shape::Circle { radius: 1.0 }, Shape::Square(2.0));
/// ```
pub use serde::{Deserialize, Serialize};

/// The README's code blocks, compiled and run as doctests so the README never lies.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
