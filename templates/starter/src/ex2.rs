//! Exercise 2 (Zadanie 2, 2 pkt): `is_name_index`, and its benchmark.

use concurrency_lab::bench::{Bench, Report};

/// True when the index contains the digit equal to the number of letters in the name, modulo
/// 10. `Tymoteusz` has 9 letters and `144298` contains a 9: true. Letters, not bytes: `Łukasz`
/// has 6 letters; a hyphen or a space is not a letter.
pub fn is_name_index(name: &str, index: u64) -> bool {
    todo!()
}

/// Measures `is_name_index(name, index)` with `bench` (already set up: run it, as
/// `bench.run(|| ...)`) and returns its report. Think about `concurrency_lab::bench::black_box`.
pub fn benchmark(bench: &Bench, name: &str, index: u64) -> concurrency_lab::Result<Report> {
    todo!()
}
