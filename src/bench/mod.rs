//! Measuring many times: Python's `timeit`, and a careful harness on top of it.
//!
//! This page is the reference. The lecture is [chapter 2](crate::course::ch2_bench). This module
//! is also the harness of the crate's own benchmarks (`benches/`).
//!
//! | piece | what it is |
//! |-------|------------|
//! | [`timeit`], [`repeat`], [`autorange`] | Python's three `timeit` functions |
//! | [`Bench`] | warm-up, calibration, samples → a [`Report`] of [`Stats`] |
//! | [`Group`], [`compare`] | benchmarks measured in turns, compared as ratios |
//! | [`black_box`] | keeps the optimiser from deleting what you measure |

mod builder;
mod group;
mod quick;
mod report;
mod routine;
mod stats;

pub use builder::Bench;
pub use group::Group;
pub use quick::QuickSource;
pub(crate) use report::group_digits;
pub use report::{Comparison, Report, compare, format_ns};
pub use stats::{Outliers, Stats};
/// Hides a value from the optimiser, so it can neither precompute work from a known input nor
/// delete work whose result is unused. Re-exported from [`std::hint::black_box`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{black_box, timeit};
///
/// // Without black_box, `7 * 6` could be computed once, at compile time.
/// let total = timeit(1_000, || black_box(7_u64) * black_box(6))?;
/// println!("{:?} per multiplication", total / 1_000);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub use std::hint::black_box;

use std::time::Duration;

use crate::{Error, Result};
use routine::{Plain, Routine, autorange_to};

/// Python's `timeit.timeit(stmt, number=number)`: the total time of `number` calls of `f`.
///
/// There is no warm-up and no statistics: one loop, one figure. Data built before the call and
/// captured by `f` is Python's `setup=`, and is not timed.
///
/// # Errors
///
/// [`Error::InvalidInput`] when `number` is 0.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{black_box, timeit};
///
/// let total = timeit(10_000, || black_box(144298_u64).to_string())?;
/// println!("{:?} per call", total / 10_000);
/// assert!(timeit(0, || ()).is_err());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn timeit<T>(number: u64, f: impl FnMut() -> T) -> Result<Duration> {
    check_count("number", number)?;
    Ok(Plain(f).time(number))
}

/// Python's `timeit.repeat(stmt, repeat=repeat, number=number)`: `repeat` totals of `number`
/// calls each, in the order they were measured. Take the [`Iterator::min`] of them, as Python's
/// documentation advises, or feed them to [`Stats::from_samples`].
///
/// # Errors
///
/// [`Error::InvalidInput`] when `repeat` or `number` is 0.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{black_box, repeat};
///
/// let totals = repeat(5, 1_000, || black_box(3.0_f64).sqrt())?;
/// assert_eq!(totals.len(), 5);
/// let best = totals.iter().min().unwrap();
/// println!("best of 5: {:?} per call", *best / 1_000);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn repeat<T>(repeat: usize, number: u64, f: impl FnMut() -> T) -> Result<Vec<Duration>> {
    check_count("repeat", repeat as u64)?;
    check_count("number", number)?;
    let mut routine = Plain(f);
    Ok((0..repeat).map(|_| routine.time(number)).collect())
}

/// Python's `Timer.autorange()`: times 1, 2, 5, 10, 20, 50… calls until one loop lasts at
/// least 0.2 s, and returns that number of calls with that loop's total time.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{autorange, black_box};
///
/// let (number, total) = autorange(|| black_box(2_u64).pow(black_box(10)));
/// assert!(total.as_secs_f64() >= 0.2);
/// println!("{number} calls took {total:?}");
/// ```
pub fn autorange<T>(f: impl FnMut() -> T) -> (u64, Duration) {
    autorange_to(&mut Plain(f), Duration::from_millis(200))
}

/// A count of calls or samples must be at least 1: timing zero calls divides by zero.
fn check_count(what: &'static str, count: u64) -> Result<u64> {
    if count == 0 {
        Err(Error::invalid_input(what, count, "it must be at least 1"))
    } else {
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeit_calls_exactly_number_times() {
        let mut calls = 0_u64;
        timeit(1_234, || calls += 1).unwrap();
        assert_eq!(calls, 1_234);
    }

    #[test]
    fn repeat_returns_one_total_per_repeat_and_calls_repeat_times_number() {
        let mut calls = 0_u64;
        let totals = repeat(4, 25, || calls += 1).unwrap();
        assert_eq!(totals.len(), 4);
        assert_eq!(calls, 100);
    }

    #[test]
    fn zero_counts_are_refused_before_any_call() {
        let mut calls = 0;
        assert!(timeit(0, || calls += 1).is_err());
        assert!(repeat(0, 10, || calls += 1).is_err());
        let err = repeat(3, 0, || calls += 1).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { what: "number", .. }),
            "{err}"
        );
        assert_eq!(calls, 0);
    }

    #[test]
    fn autorange_returns_the_first_count_of_the_1_2_5_sequence_reaching_0_2_s() {
        let mut calls = 0_u64;
        // Each call sleeps at least 40 ms, so 5 calls surely reach 0.2 s; on a loaded machine
        // fewer might, since a sleep may last longer than asked.
        let (number, total) = autorange(|| {
            calls += 1;
            std::thread::sleep(Duration::from_millis(40));
        });
        assert!([1, 2, 5].contains(&number), "{number}");
        assert!(total >= Duration::from_millis(200));
        let tried: u64 = [1, 2, 5].iter().take_while(|&&n| n <= number).sum();
        assert_eq!(
            calls, tried,
            "each count of the sequence is tried once, in order"
        );
    }
}
