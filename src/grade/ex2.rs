//! Exercise 2: `is_name_index`, checked against the reference on many names, and benchmarked
//! with the crate's [`bench`](crate::bench).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::guard::bounded;
use super::{Outcome, Part, Text, text};
use crate::bench::{Bench, Report, black_box};
use crate::lab::name_index;

/// The longest the whole comparison, or the benchmark, may take.
const BOUND: Duration = Duration::from_secs(60);
/// How many random names the student's function is compared on (drawn at grading time; a
/// failure names the name it failed on).
const NAMES: usize = 2_000;
/// The name the benchmark's report must carry: the [`Bench`] the grader hands over.
const BENCH_NAME: &str = "is_name_index";
/// The length of the name the benchmark is given, drawn at grading time: long enough that a
/// call of `is_name_index` (which counts every letter) takes microseconds, a thousand times
/// a timer's overhead or an empty closure.
const BENCH_LETTERS: std::ops::Range<usize> = 1_000..3_000;
/// How far the student's fastest sample may be from the grader's own fastest sample of the same
/// call, either way: the same call measured twice in one run differs by far less; an empty
/// closure, or a call on another name, differs by a hundred times or more.
const SPREAD: f64 = 5.0;
/// How many times the two are compared: a loaded machine can spoil one comparison; an honest
/// benchmark passes the first or the second.
const TRIALS: usize = 3;
/// Samples in each run, the student's and the grader's. The fastest sample is compared, not
/// the median: being descheduled only ever adds time, and on a machine shared by many
/// processes a median of few samples was seen 30 times the fastest, where the fastest of 30
/// stays put.
const SAMPLES: usize = 30;

/// The bench both runs use: 30 samples of about 2 ms, whatever `BENCH_QUICK` says.
fn bench(name: &str) -> Bench {
    Bench::new(name)
        .quick(false)
        .warm_up(Duration::from_millis(20))
        .sample_time(Duration::from_millis(2))
        .repeat(SAMPLES)
}

/// A report's fastest sample, in ns a call (infinite without samples).
fn fastest(report: &Report) -> f64 {
    report
        .samples_ns
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

/// The student's `is_name_index(name, index)`.
pub type IsNameIndex = fn(name: &str, index: u64) -> bool;

/// The student's benchmark: runs `bench` on `is_name_index(name, index)` and returns its report.
pub type Benchmark = fn(bench: &Bench, name: &str, index: u64) -> crate::Result<Report>;

/// Grades exercise 2.
///
/// - **agrees** (1 point): the student's `is_name_index` answers as the lab's reference does
///   on the lab's example, on names with Polish letters, hyphens and spaces, on 10- and
///   20-letter names, and on 2,000 random names drawn at grading time. The first disagreement
///   is the failure.
/// - **benchmark** (1 point): `benchmark`, handed a quick [`Bench`] named `is_name_index` and a
///   name of 1,000–3,000 letters (drawn at grading time), returns that bench's report, with
///   samples, and a fastest sample within 5 times, either way, of the grader's own fastest
///   sample of the student's `is_name_index` on the same name and index (30 samples each,
///   best of 3 trials). An empty closure,
///   or a closure that does not call `is_name_index(name, index)`, is a hundred times off.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex2;
///
/// // Counts bytes, not letters: wrong on Polish letters.
/// fn bytes_not_letters(name: &str, index: u64) -> bool {
///     index.to_string().contains(&(name.len() % 10).to_string())
/// }
/// // Times an empty closure: no `is_name_index` in it.
/// let outcome = ex2::check(bytes_not_letters, |bench, _name, _index| bench.run(|| ()));
/// assert_eq!(outcome.points(), 0);
/// let why = outcome.parts[0].failure.as_deref().unwrap();
/// assert!(why.contains("Łukasz"), "{why}");
/// ```
pub fn check(is_name_index: IsNameIndex, benchmark: Benchmark) -> Outcome {
    Outcome {
        exercise: 2,
        title: "is_name_index, checked and benchmarked",
        parts: vec![
            Part::both(("zgodność", "agrees"), agrees_part(is_name_index)),
            Part::both(
                ("benchmark", "benchmark"),
                benchmark_part(is_name_index, benchmark),
            ),
        ],
    }
}

/// Names a careless count gets wrong, then random ones from `seed`.
fn cases(seed: u64) -> Vec<(String, u64)> {
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
    let mut rng = StdRng::seed_from_u64(seed);
    let random = (0..NAMES).map(|_| {
        let len = rng.random_range(0..25);
        (random_name(&mut rng, len), rng.random_range(0..1_000_000))
    });
    fixed
        .into_iter()
        .map(|(name, index)| (name.to_owned(), index))
        .chain(random)
        .collect()
}

/// A name of `len` characters: ASCII and Polish letters, now and then a hyphen or a space.
fn random_name(rng: &mut impl Rng, len: usize) -> String {
    const CHARS: [char; 30] = [
        'a', 'e', 'i', 'k', 'm', 'n', 'o', 'r', 's', 'z', 'A', 'K', 'M', 'ą', 'ć', 'ę', 'ł', 'ń',
        'ó', 'ś', 'ź', 'ż', 'Ą', 'Ć', 'Ę', 'Ł', 'Ś', 'Ż', '-', ' ',
    ];
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())])
        .collect()
}

fn agrees_part(is_name_index: IsNameIndex) -> Result<(), Text> {
    let seed = rand::random();
    let disagreement = bounded("is_name_index", BOUND, move || {
        cases(seed).into_iter().find_map(|(name, index)| {
            let said = is_name_index(&name, index);
            let right = name_index::is_name_index(&name, index);
            (said != right).then_some((name, index, said))
        })
    })?;
    match disagreement {
        None => Ok(()),
        Some((name, index, said)) => {
            let letters = name.chars().filter(|c| c.is_alphabetic()).count();
            let (expected, digit) = (!said, letters % 10);
            Err(text!(
                "is_name_index({name:?}, {index}) zwróciła {said}, oczekiwano {expected}: imię ma \
                 {letters} liter, więc szukana cyfra to {digit}",
                "is_name_index({name:?}, {index}) returned {said}, expected {expected}: the name \
                 has {letters} letters, so the digit to look for is {digit}"
            ))
        }
    }
}

fn benchmark_part(is_name_index: IsNameIndex, benchmark: Benchmark) -> Result<(), Text> {
    let mut rng = rand::rng();
    let len = rng.random_range(BENCH_LETTERS);
    let (name, index) = (random_name(&mut rng, len), rng.random_range(0..1_000_000));
    let mut off = Text::default();
    for _ in 0..TRIALS {
        let own = own_fastest(is_name_index, &name, index)?;
        let median = student_fastest(benchmark, &name, index)?;
        match near(median, own) {
            Ok(()) => return Ok(()),
            Err(why) => off = why,
        }
    }
    Err(off)
}

/// The grader's own fastest sample of the student's `is_name_index(name, index)`, in ns a call.
fn own_fastest(is_name_index: IsNameIndex, name: &str, index: u64) -> Result<f64, Text> {
    let name = name.to_owned();
    let report = bounded("is_name_index", BOUND, move || {
        bench("grader").run(|| is_name_index(black_box(&name), black_box(index)))
    })?
    .map_err(|err| {
        text!(
            "sprawdzarka nie mogła zmierzyć is_name_index: {err}",
            "the grader could not time is_name_index: {err}"
        )
    })?;
    Ok(fastest(&report))
}

/// The fastest sample of the student's benchmark of `is_name_index(name, index)`, once its report is
/// the grader's bench's, with samples.
fn student_fastest(benchmark: Benchmark, name: &str, index: u64) -> Result<f64, Text> {
    let name = name.to_owned();
    let report = bounded("benchmark", BOUND, move || {
        benchmark(&bench(BENCH_NAME), &name, index)
    })?
    .map_err(|err| {
        text!(
            "benchmark zwróciła błąd: {err}",
            "benchmark returned an error: {err}"
        )
    })?;
    let named = &report.name;
    if named != BENCH_NAME {
        return Err(text!(
            "raport nazywa się {named:?}: uruchom podany Bench (o nazwie {BENCH_NAME:?})",
            "the report is named {named:?}: run the Bench you are given (named {BENCH_NAME:?})"
        ));
    }
    if report.samples_ns.is_empty() {
        return Err(text!("raport nie ma próbek", "the report holds no samples"));
    }
    Ok(fastest(&report))
}

/// Whether the student's fastest sample is within [`SPREAD`] times the grader's, either way.
fn near(median: f64, own: f64) -> Result<(), Text> {
    if median * SPREAD >= own && median <= own * SPREAD {
        return Ok(());
    }
    Err(text!(
        "najszybsza próbka benchmarku to {median:.0} ns na wywołanie, a is_name_index(name, \
         index) dla podanego imienia trwa {own:.0} ns: benchmark zmierzył coś innego — wywołaj \
         is_name_index(name, index) wewnątrz bench.run, z podanym imieniem i indeksem",
        "the benchmark's fastest sample is {median:.0} ns a call, and is_name_index(name, index) \
         on the name given takes {own:.0} ns: the benchmark timed something else — call \
         is_name_index(name, index) inside bench.run, with the name and index given"
    ))
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
        assert!(cases(1).len() == 12 + NAMES);
        assert_ne!(cases(1), cases(2), "the random names follow the seed");
        let names = cases(rand::random());
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
                .run(|| std::thread::sleep(Duration::from_millis(20)))
        }
        let why = failure(&check(reference, sleeps), "benchmark").unwrap();
        assert!(why.contains("timed something else"), "{why}");
    }

    #[test]
    fn an_empty_closure_fails_the_part() {
        fn empty(bench: &Bench, _: &str, _: u64) -> crate::Result<Report> {
            bench.run(|| ())
        }
        let outcome = check(reference, empty);
        let why = failure(&outcome, "benchmark").unwrap();
        assert!(why.contains("timed something else"), "{why}");
        assert_eq!(outcome.points(), 1, "is_name_index is right");
    }

    #[test]
    fn a_closure_without_is_name_index_fails_the_part() {
        fn length(bench: &Bench, name: &str, _: u64) -> crate::Result<Report> {
            bench.run(|| black_box(name).len())
        }
        assert!(failure(&check(reference, length), "benchmark").is_some());
    }

    #[test]
    fn a_benchmark_of_another_name_fails_the_part() {
        // Times the lab's example instead of the name it is given.
        fn hard_coded(bench: &Bench, _: &str, _: u64) -> crate::Result<Report> {
            bench.run(|| reference(black_box("Tymoteusz"), black_box(144_298)))
        }
        assert!(failure(&check(reference, hard_coded), "benchmark").is_some());
    }

    #[test]
    fn the_benchmark_is_compared_with_the_students_own_function() {
        // A slow but right is_name_index (it counts the letters a hundred times over), and an
        // honest benchmark of it: the grader times the same function, so the medians agree.
        fn slow(name: &str, index: u64) -> bool {
            (0..100).fold(false, |_, _| reference(black_box(name), index))
        }
        fn honest_of_slow(bench: &Bench, name: &str, index: u64) -> crate::Result<Report> {
            bench.run(|| slow(black_box(name), black_box(index)))
        }
        let outcome = check(slow, honest_of_slow);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        // The same benchmark of the reference is a hundred times faster than the slow
        // function the grader times: it did not time the student's function.
        assert!(failure(&check(slow, right_benchmark), "benchmark").is_some());
    }

    #[test]
    fn an_empty_report_fails_the_part() {
        fn empty(bench: &Bench, name: &str, index: u64) -> crate::Result<Report> {
            let mut report = right_benchmark(bench, name, index)?;
            report.samples_ns.clear();
            Ok(report)
        }
        let why = failure(&check(reference, empty), "benchmark").unwrap();
        assert!(why.contains("no samples"), "{why}");
    }

    #[test]
    fn near_means_within_the_spread_either_way() {
        assert!(near(100.0, 100.0).is_ok());
        assert!(near(500.0, 100.0).is_ok());
        assert!(near(20.0, 100.0).is_ok());
        assert!(near(500.1, 100.0).is_err());
        assert!(near(19.9, 100.0).is_err());
        assert!(near(0.0, 100.0).is_err());
        assert!(near(f64::NAN, 100.0).is_err());
    }
}
