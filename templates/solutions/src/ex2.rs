//! Exercise 2, the reference answer: the library's `is_name_index`, benchmarked behind
//! `black_box`.

use concurrency_lab::bench::{Bench, Report, black_box};
use concurrency_lab::lab::name_index;

/// True when the index contains the digit (letters in the name) mod 10.
pub fn is_name_index(name: &str, index: u64) -> bool {
    name_index::is_name_index(name, index)
}

/// Measures `is_name_index(name, index)` with `bench`.
pub fn benchmark(bench: &Bench, name: &str, index: u64) -> concurrency_lab::Result<Report> {
    bench.run(|| is_name_index(black_box(name), black_box(index)))
}
