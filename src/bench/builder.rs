//! The `Bench` builder: a benchmark's name and settings.

use std::time::Duration;

use super::{Group, QuickSource, Report, check_count};
use crate::Result;

/// Settings of a quick run (`BENCH_QUICK=1` or [`Bench::quick`]): caps, not replacements, so a
/// quick run never takes longer than a normal one.
const QUICK_WARM_UP: Duration = Duration::from_millis(10);
const QUICK_REPEAT: usize = 5;
const QUICK_SAMPLE_TIME: Duration = Duration::from_millis(1);

/// A benchmark: a name and how to measure; [`run`](Bench::run) measures a closure and returns
/// a [`Report`].
///
/// A run has three phases:
/// 1. **warm-up** — call the closure, untimed, for [`warm_up`](Bench::warm_up) (default
///    200 ms), so caches, branch predictors and the CPU's clock frequency settle;
/// 2. **calibration** — unless [`number`](Bench::number) fixes it, find how many calls make one
///    sample last [`sample_time`](Bench::sample_time) (default 10 ms), with Python's
///    `autorange` sequence 1, 2, 5, 10, 20, 50…;
/// 3. **samples** — time [`repeat`](Bench::repeat) (default 30) loops of `number` calls; each
///    loop gives one sample, its time divided by `number`.
///
/// To compare several benchmarks, measure them together in a [`Group`]: their samples are
/// taken in turns, so the machine's slow spells do not favour one of them.
///
/// With `BENCH_QUICK=1` in the environment (or [`quick`](Bench::quick)) the warm-up is capped at
/// 10 ms, the sample time at 1 ms and the repeat at 5: the figures are rough, but a benchmark
/// binary runs in seconds, which is what tests and CI need.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{Bench, black_box};
///
/// let report = Bench::new("sum 1..=100")
///     .quick(true)
///     .run(|| (1..=black_box(100_u64)).sum::<u64>())?;
/// assert_eq!(report.stats.count, 5);
/// println!("{report}");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
///
/// A `Bench` that is built and never run measures nothing, so the compiler warns about it
/// (`#[must_use]`; here the warning is made an error):
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// use concurrency_lab::bench::Bench;
///
/// Bench::new("forgotten").quick(true); // error: unused `Bench` that must be used
/// ```
#[must_use = "a Bench measures nothing until you call `.run(...)` on it"]
#[derive(Debug, Clone, PartialEq)]
pub struct Bench {
    pub(super) name: String,
    warm_up: Duration,
    repeat: usize,
    sample_time: Duration,
    number: Option<u64>,
    quick: Option<QuickSource>,
}

impl Bench {
    /// A benchmark called `name` with the default settings, in quick mode when the environment
    /// variable `BENCH_QUICK` is set to anything but `0` or nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("parse").quick(true).run(|| "144298".parse::<u64>())?;
    /// assert_eq!(report.name, "parse");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Bench {
            name: name.into(),
            warm_up: Duration::from_millis(200),
            repeat: 30,
            sample_time: Duration::from_millis(10),
            number: None,
            quick: quick_from_env(std::env::var_os("BENCH_QUICK"))
                .then_some(QuickSource::Environment),
        }
    }

    /// How long to run the closure, untimed, before measuring. `Duration::ZERO` skips it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::bench::Bench;
    ///
    /// let mut cache = std::collections::HashMap::new();
    /// let cold = Bench::new("first insert")
    ///     .warm_up(Duration::ZERO)
    ///     .repeat(1)
    ///     .number(1)
    ///     .run(|| cache.insert("key", 1))?;
    /// assert_eq!(cold.samples_ns.len(), 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn warm_up(mut self, warm_up: Duration) -> Self {
        self.warm_up = warm_up;
        self
    }

    /// How many samples to take: Python's `repeat`. [`run`](Bench::run) refuses 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// assert!(Bench::new("x").repeat(0).run(|| ()).is_err());
    /// ```
    pub fn repeat(mut self, repeat: usize) -> Self {
        self.repeat = repeat;
        self
    }

    /// How long one sample should last; calibration picks the number of calls to match.
    /// Longer samples average more noise away; they should last at least a thousand steps of
    /// the timer (20–30 µs on the course machine).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("x")
    ///     .warm_up(Duration::ZERO)
    ///     .repeat(3)
    ///     .sample_time(Duration::from_millis(2))
    ///     .run(|| std::hint::black_box(3_u64).pow(4))?;
    /// println!("{} calls make a 2 ms sample", report.number);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn sample_time(mut self, sample_time: Duration) -> Self {
        self.sample_time = sample_time;
        self
    }

    /// Fixes the number of calls per sample (Python's `number`) instead of calibrating it:
    /// `number(1)` for a closure that does a whole job, such as a parallel map over a data set.
    /// [`run`](Bench::run) refuses 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("one job").quick(true).number(1).run(|| {
    ///     std::thread::scope(|s| s.spawn(|| 6 * 7).join().unwrap())
    /// })?;
    /// assert_eq!(report.number, 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn number(mut self, number: u64) -> Self {
        self.number = Some(number);
        self
    }

    /// Quick mode on or off, overriding `BENCH_QUICK` (see [`Bench`]). The report's quick-mode
    /// warning then says it was set in code ([`QuickSource::Code`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, QuickSource};
    ///
    /// let report = Bench::new("x").quick(true).run(|| ())?;
    /// assert_eq!(report.quick, Some(QuickSource::Code));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn quick(mut self, quick: bool) -> Self {
        self.quick = quick.then_some(QuickSource::Code);
        self
    }

    /// Warms up, calibrates and measures `f`; every call's result goes through
    /// [`black_box`](super::black_box), so the compiler cannot drop the work.
    ///
    /// Captured variables are the Rust form of Python's `setup=`: build the data before the
    /// call, and only the closure is timed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when [`repeat`](Bench::repeat) or
    /// [`number`](Bench::number) is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, black_box};
    ///
    /// let words: Vec<String> = (0..1_000).map(|i| format!("w{i}")).collect(); // not timed
    /// let report = Bench::new("find w999")
    ///     .quick(true)
    ///     .run(|| words.iter().position(|w| w == black_box("w999")))?;
    /// println!("{report}");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn run<T>(&self, f: impl FnMut() -> T) -> Result<Report> {
        Group::new().bench(self.clone(), f).run().map(only)
    }

    /// Like [`run`](Bench::run), with a fresh input for every call: `setup` makes it, untimed,
    /// and `f` consumes it. Use it when the call changes or uses up its input (sorting a
    /// vector in place, draining a queue).
    ///
    /// Each sample first makes all its `number` inputs, then times the calls, so the inputs of
    /// one sample must fit in memory together; fix [`number`](Bench::number) if they are big.
    ///
    /// # Errors
    ///
    /// As [`run`](Bench::run).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("sort 1,000 reversed")
    ///     .quick(true)
    ///     .run_with_setup(|| (0..1_000).rev().collect::<Vec<u32>>(), |mut v| {
    ///         v.sort();
    ///         v
    ///     })?;
    /// println!("{report}");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn run_with_setup<I, T>(
        &self,
        setup: impl FnMut() -> I,
        f: impl FnMut(I) -> T,
    ) -> Result<Report> {
        Group::new()
            .bench_with_setup(self.clone(), setup, f)
            .run()
            .map(only)
    }

    /// The settings a run uses: checked, with quick mode's caps applied.
    pub(super) fn plan(&self) -> Result<Plan> {
        check_count("repeat", self.repeat as u64)?;
        if let Some(number) = self.number {
            check_count("number", number)?;
        }
        let plan = Plan {
            warm_up: self.warm_up,
            repeat: self.repeat,
            sample_time: self.sample_time,
            number: self.number,
            quick: self.quick,
        };
        Ok(if self.quick.is_some() {
            Plan {
                warm_up: plan.warm_up.min(QUICK_WARM_UP),
                repeat: plan.repeat.min(QUICK_REPEAT),
                sample_time: plan.sample_time.min(QUICK_SAMPLE_TIME),
                ..plan
            }
        } else {
            plan
        })
    }
}

/// What a run of one benchmark does, once its settings are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) warm_up: Duration,
    pub(super) repeat: usize,
    pub(super) sample_time: Duration,
    /// Fixed calls per sample, or `None` to calibrate.
    pub(super) number: Option<u64>,
    pub(super) quick: Option<QuickSource>,
}

/// The one report of a one-benchmark group.
fn only(mut reports: Vec<Report>) -> Report {
    // A group of one benchmark yields exactly one report.
    reports.remove(0)
}

/// `BENCH_QUICK` switches quick mode on unless it is unset, empty or `0`.
fn quick_from_env(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_mode_caps_the_settings_and_keeps_smaller_ones() {
        let plan = Bench::new("x").quick(true).repeat(100).plan().unwrap();
        assert_eq!(
            (plan.warm_up, plan.repeat, plan.sample_time),
            (QUICK_WARM_UP, QUICK_REPEAT, QUICK_SAMPLE_TIME)
        );
        let plan = Bench::new("x")
            .quick(true)
            .repeat(2)
            .warm_up(Duration::ZERO)
            .number(7)
            .plan()
            .unwrap();
        assert_eq!(
            (plan.warm_up, plan.repeat, plan.number),
            (Duration::ZERO, 2, Some(7))
        );
        let plan = Bench::new("x").quick(false).repeat(100).plan().unwrap();
        assert_eq!(plan.repeat, 100);
    }

    #[test]
    fn a_quick_run_calls_exactly_repeat_times_number() {
        let mut calls = 0;
        let report = Bench::new("count")
            .quick(true)
            .repeat(100)
            .number(7)
            .warm_up(Duration::ZERO)
            .run(|| calls += 1)
            .unwrap();
        assert_eq!(report.stats.count, QUICK_REPEAT);
        assert_eq!(report.samples_ns.len(), QUICK_REPEAT);
        assert_eq!(calls, 7 * QUICK_REPEAT as u64, "no warm-up, no calibration");
        assert_eq!(report.quick, Some(QuickSource::Code));
    }

    #[test]
    fn zero_repeat_or_number_is_an_error_and_runs_nothing() {
        let mut calls = 0;
        let err = Bench::new("x").repeat(0).run(|| calls += 1).unwrap_err();
        assert!(err.to_string().contains("invalid repeat \"0\""), "{err}");
        let err = Bench::new("x").number(0).run(|| calls += 1).unwrap_err();
        assert!(err.to_string().contains("invalid number \"0\""), "{err}");
        assert_eq!(calls, 0);
    }

    #[test]
    fn bench_quick_is_on_for_any_value_but_empty_or_zero() {
        let on = |v: Option<&str>| quick_from_env(v.map(Into::into));
        assert!(on(Some("1")) && on(Some("yes")));
        assert!(!on(None) && !on(Some("")) && !on(Some("0")));
        assert_eq!(
            Bench::new("x").quick(false).quick,
            None,
            "the builder overrides the variable"
        );
        assert_eq!(Bench::new("x").quick(true).quick, Some(QuickSource::Code));
    }
}
