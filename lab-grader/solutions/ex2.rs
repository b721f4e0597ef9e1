//! Exercise 2, the reference answer: the letters counted as characters, the index's digits
//! peeled off one by one; the benchmark behind `black_box`.

use concurrency_lab::bench::{Bench, Report, black_box};

/// True when the index contains the digit (letters in the name) mod 10.
pub fn is_name_index(name: &str, index: u64) -> bool {
    let wanted = (name.chars().filter(|c| c.is_alphabetic()).count() % 10) as u64;
    let mut rest = index;
    loop {
        if rest % 10 == wanted {
            return true;
        }
        rest /= 10;
        if rest == 0 {
            return false;
        }
    }
}

/// Measures `is_name_index(name, index)` with `bench`.
pub fn benchmark(bench: &Bench, name: &str, index: u64) -> concurrency_lab::Result<Report> {
    bench.run(|| is_name_index(black_box(name), black_box(index)))
}
