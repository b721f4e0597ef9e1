//! Exercise 2: `is_name_index`, checked against the reference on many names, and benchmarked
//! with the crate's [`bench`](crate::bench).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::guard::bounded;
use super::{Outcome, Part};
use crate::bench::{Bench, Report};
use crate::lab::name_index;

/// The longest the whole comparison, or the benchmark, may take.
const BOUND: Duration = Duration::from_secs(60);
/// How many random names the student's function is compared on.
const NAMES: usize = 2_000;
/// The seed of those names: the same names on every run, so a failure can be repeated.
const SEED: u64 = 144_298;
/// The name the benchmark's report must carry: the [`Bench`] the grader hands over.
const BENCH_NAME: &str = "is_name_index";
/// `is_name_index` on a short name takes nanoseconds, even unoptimised: a median above this
/// measured something else (a file, a sleep, a whole loop).
const SLOWEST_NS: f64 = 50_000.0;

/// The student's `is_name_index(name, index)`.
pub type IsNameIndex = fn(name: &str, index: u64) -> bool;

/// The student's benchmark: runs `bench` on `is_name_index(name, index)` and returns its report.
pub type Benchmark = fn(bench: &Bench, name: &str, index: u64) -> crate::Result<Report>;

/// Grades exercise 2.
///
/// - **agrees** (1 point): the student's `is_name_index` answers as
///   [`lab::name_index::is_name_index`](crate::lab::name_index::is_name_index) does on the lab's
///   example, on names with Polish letters, hyphens and spaces, on 10- and 20-letter names, and
///   on 2,000 random names from a fixed seed. The first disagreement is the failure.
/// - **benchmark** (1 point): `benchmark`, handed a quick [`Bench`] named `is_name_index`,
///   returns that bench's report, with samples, and a median a call of `is_name_index` can
///   take (above 0, below 50 µs).
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex2;
/// use concurrency_lab::lab::name_index::is_name_index;
///
/// fn bytes_not_letters(name: &str, index: u64) -> bool {
///     index.to_string().contains(&(name.len() % 10).to_string())
/// }
/// let outcome = ex2::check(bytes_not_letters, |bench, name, index| {
///     bench.run(|| is_name_index(std::hint::black_box(name), index))
/// });
/// assert_eq!(outcome.points(), 1);
/// let why = outcome.parts[0].failure.as_deref().unwrap();
/// assert!(why.contains("Łukasz"), "{why}");
/// ```
pub fn check(is_name_index: IsNameIndex, benchmark: Benchmark) -> Outcome {
    Outcome {
        exercise: 2,
        title: "is_name_index, checked and benchmarked",
        parts: vec![
            Part::new("agrees", agrees_part(is_name_index)),
            Part::new("benchmark", benchmark_part(benchmark)),
        ],
    }
}

/// Names a careless count gets wrong, then random ones.
fn cases() -> Vec<(String, u64)> {
    let fixed: [(&str, u64); 12] = [
        ("Tymoteusz", 144_298),
        ("Tymoteusz", 144_288),
        ("Łukasz", 6),
        ("Łukasz", 7),
        ("Żaneta", 1_406),
        ("Anna-Maria", 9),
        ("Anna Maria", 10),
        ("Maximilian", 105),
        ("Maximilian", 123),
        ("Maximilian Bartolomeo", 1_000),
        ("Ścibor", 60),
        ("Jan", 0),
    ];
    let mut rng = StdRng::seed_from_u64(SEED);
    let random = (0..NAMES).map(|_| (random_name(&mut rng), rng.random_range(0..1_000_000)));
    fixed
        .into_iter()
        .map(|(name, index)| (name.to_owned(), index))
        .chain(random)
        .collect()
}

/// A name of 0–24 characters: ASCII and Polish letters, now and then a hyphen or a space.
fn random_name(rng: &mut StdRng) -> String {
    const CHARS: [char; 30] = [
        'a', 'e', 'i', 'k', 'm', 'n', 'o', 'r', 's', 'z', 'A', 'K', 'M', 'ą', 'ć', 'ę', 'ł', 'ń',
        'ó', 'ś', 'ź', 'ż', 'Ą', 'Ć', 'Ę', 'Ł', 'Ś', 'Ż', '-', ' ',
    ];
    let len = rng.random_range(0..25);
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())])
        .collect()
}

fn agrees_part(is_name_index: IsNameIndex) -> Result<(), String> {
    let disagreement = bounded("is_name_index", BOUND, move || {
        cases().into_iter().find_map(|(name, index)| {
            let said = is_name_index(&name, index);
            let right = name_index::is_name_index(&name, index);
            (said != right).then_some((name, index, said))
        })
    })?;
    match disagreement {
        None => Ok(()),
        Some((name, index, said)) => {
            let letters = name.chars().filter(|c| c.is_alphabetic()).count();
            Err(format!(
                "is_name_index({name:?}, {index}) returned {said}, expected {}: the name has \
                 {letters} letters, so the digit to look for is {}",
                !said,
                letters % 10
            ))
        }
    }
}

fn benchmark_part(benchmark: Benchmark) -> Result<(), String> {
    let report = bounded("benchmark", BOUND, move || {
        benchmark(&Bench::new(BENCH_NAME).quick(true), "Tymoteusz", 144_298)
    })?
    .map_err(|err| format!("benchmark returned an error: {err}"))?;
    if report.name != BENCH_NAME {
        return Err(format!(
            "the report is named {:?}: run the Bench you are given (named {BENCH_NAME:?})",
            report.name
        ));
    }
    if report.samples_ns.is_empty() {
        return Err("the report holds no samples".into());
    }
    let median = report.stats.median;
    if !(median > 0.0 && median < SLOWEST_NS) {
        return Err(format!(
            "the median is {median} ns a call: is_name_index takes nanoseconds, so the \
             benchmark timed something else"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::black_box;
    use crate::lab::name_index::is_name_index as reference;

    fn right_benchmark(bench: &Bench, name: &str, index: u64) -> crate::Result<Report> {
        bench.run(|| reference(black_box(name), black_box(index)))
    }

    fn failure(outcome: &Outcome, part: &str) -> Option<String> {
        let found = outcome.parts.iter().find(|p| p.name == part).unwrap();
        found.failure.clone()
    }

    #[test]
    fn the_reference_scores_two() {
        let outcome = check(reference, right_benchmark);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        assert_eq!(outcome.exercise, 2);
    }

    #[test]
    fn todo_scores_zero() {
        fn todo_is(_: &str, _: u64) -> bool {
            todo!()
        }
        fn todo_bench(_: &Bench, _: &str, _: u64) -> crate::Result<Report> {
            todo!()
        }
        let outcome = check(todo_is, todo_bench);
        assert_eq!(outcome.points(), 0);
        assert!(
            failure(&outcome, "benchmark")
                .unwrap()
                .contains("not written yet")
        );
    }

    #[test]
    fn counting_bytes_fails_on_a_polish_letter() {
        fn bytes(name: &str, index: u64) -> bool {
            let digit = (name.len() % 10) as u64;
            index.to_string().contains(&digit.to_string())
        }
        let why = failure(&check(bytes, right_benchmark), "agrees").unwrap();
        assert!(
            why.contains("\"Łukasz\", 6") && why.contains("6 letters"),
            "{why}"
        );
        assert!(why.contains("returned false, expected true"), "{why}");
        assert!(why.contains("the digit to look for is 6"), "{why}");
    }

    #[test]
    fn counting_characters_fails_on_a_hyphen() {
        fn chars(name: &str, index: u64) -> bool {
            let digit = (name.chars().count() % 10) as u64;
            index.to_string().contains(&digit.to_string())
        }
        let why = failure(&check(chars, right_benchmark), "agrees").unwrap();
        assert!(why.contains("Anna-Maria"), "{why}");
    }

    #[test]
    fn an_off_by_one_count_fails() {
        fn one_more(name: &str, index: u64) -> bool {
            let letters = name.chars().filter(|c| c.is_alphabetic()).count() + 1;
            index.to_string().contains(&(letters % 10).to_string())
        }
        assert!(failure(&check(one_more, right_benchmark), "agrees").is_some());
    }

    #[test]
    fn forgetting_modulo_ten_fails_on_a_long_name() {
        fn no_modulo(name: &str, index: u64) -> bool {
            let letters = name.chars().filter(|c| c.is_alphabetic()).count();
            index.to_string().contains(&letters.to_string())
        }
        let why = failure(&check(no_modulo, right_benchmark), "agrees").unwrap();
        assert!(why.contains("Maximilian"), "{why}");
        assert!(
            why.contains("20 letters, so the digit to look for is 0"),
            "{why}"
        );
    }

    #[test]
    fn the_random_names_catch_what_the_fixed_ones_miss() {
        // Right on every fixed case (it knows them), wrong on names longer than 12 characters.
        fn short_names_only(name: &str, index: u64) -> bool {
            name.chars().count() <= 12 && reference(name, index)
        }
        let why = failure(&check(short_names_only, right_benchmark), "agrees").unwrap();
        assert!(why.contains("returned false, expected true"), "{why}");
        assert!(cases().len() == 12 + NAMES);
        let names = cases();
        assert!(
            names
                .iter()
                .any(|(n, _)| n.chars().any(|c| "ąęłńśźż".contains(c)))
        );
        assert!(names.iter().any(|(n, _)| n.chars().count() >= 20));
    }

    #[test]
    fn a_benchmark_that_fails_fails_the_part() {
        fn refuses(_: &Bench, _: &str, _: u64) -> crate::Result<Report> {
            Bench::new("x").repeat(0).run(|| ())
        }
        let why = failure(&check(reference, refuses), "benchmark").unwrap();
        assert!(why.contains("returned an error"), "{why}");
    }

    #[test]
    fn a_benchmark_of_its_own_fails_the_part() {
        fn own(_: &Bench, name: &str, index: u64) -> crate::Result<Report> {
            Bench::new("mine")
                .quick(true)
                .run(|| reference(black_box(name), index))
        }
        let why = failure(&check(reference, own), "benchmark").unwrap();
        assert!(why.contains("named \"mine\""), "{why}");
    }

    #[test]
    fn timing_something_slow_fails_the_part() {
        fn sleeps(bench: &Bench, _: &str, _: u64) -> crate::Result<Report> {
            bench
                .clone()
                .repeat(3)
                .number(1)
                .run(|| std::thread::sleep(Duration::from_micros(100)))
        }
        let why = failure(&check(reference, sleeps), "benchmark").unwrap();
        assert!(why.contains("timed something else"), "{why}");
    }

    #[test]
    fn an_empty_or_impossible_report_fails_the_part() {
        fn empty(bench: &Bench, name: &str, index: u64) -> crate::Result<Report> {
            let mut report = right_benchmark(bench, name, index)?;
            report.samples_ns.clear();
            Ok(report)
        }
        fn zero(bench: &Bench, name: &str, index: u64) -> crate::Result<Report> {
            let mut report = right_benchmark(bench, name, index)?;
            report.stats.median = 0.0;
            Ok(report)
        }
        let why = failure(&check(reference, empty), "benchmark").unwrap();
        assert!(why.contains("no samples"), "{why}");
        let why = failure(&check(reference, zero), "benchmark").unwrap();
        assert!(why.contains("median is 0 ns"), "{why}");
    }
}
