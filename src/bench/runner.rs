//! The `Bench` builder and the loop it runs: warm-up, calibration, samples.

use std::sync::OnceLock;
use std::time::Duration;

use super::{Report, Stats, check_count};
use crate::Result;
use crate::timing::{Clock, ClockProbe, Stopwatch};

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
#[derive(Debug, Clone, PartialEq)]
pub struct Bench {
    name: String,
    warm_up: Duration,
    repeat: usize,
    sample_time: Duration,
    number: Option<u64>,
    quick: bool,
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
            quick: quick_from_env(std::env::var_os("BENCH_QUICK")),
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
    /// the timer (20 µs on the course machine).
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

    /// Quick mode on or off, overriding `BENCH_QUICK` (see [`Bench`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("x").quick(true).run(|| ())?;
    /// assert!(report.quick);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn quick(mut self, quick: bool) -> Self {
        self.quick = quick;
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
        self.measure(&mut Plain(f))
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
        self.measure(&mut WithSetup { setup, f })
    }

    fn measure(&self, routine: &mut impl Routine) -> Result<Report> {
        let repeat = check_count("repeat", self.repeat as u64)? as usize;
        if let Some(number) = self.number {
            check_count("number", number)?;
        }
        let (warm_up, repeat, sample_time) = if self.quick {
            (
                self.warm_up.min(QUICK_WARM_UP),
                repeat.min(QUICK_REPEAT),
                self.sample_time.min(QUICK_SAMPLE_TIME),
            )
        } else {
            (self.warm_up, repeat, self.sample_time)
        };

        warm(routine, warm_up);
        let number = match self.number {
            Some(number) => number,
            None => autorange_to(routine, sample_time).0,
        };
        let samples_ns: Vec<f64> = (0..repeat)
            .map(|_| routine.time(number).as_nanos() as f64 / number as f64)
            .collect();
        let (timer, empty_loop_ns) = harness();
        Ok(Report {
            name: self.name.clone(),
            number,
            stats: Stats::from_samples(&samples_ns)?,
            samples_ns,
            timer: *timer,
            empty_loop_ns: *empty_loop_ns,
            quick: self.quick,
        })
    }
}

/// `BENCH_QUICK` switches quick mode on unless it is unset, empty or `0`.
fn quick_from_env(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Something that can be called `number` times in a timed loop.
pub(super) trait Routine {
    /// Calls the routine `number` times and returns the time the calls took.
    fn time(&mut self, number: u64) -> Duration;
}

/// A closure timed as it is.
pub(super) struct Plain<F>(pub(super) F);

// The timed loops are never inlined: each is compiled on its own, the same way wherever a
// benchmark calls it, so two runs of one closure execute the same machine code.
impl<T, F: FnMut() -> T> Routine for Plain<F> {
    #[inline(never)]
    fn time(&mut self, number: u64) -> Duration {
        let watch = Stopwatch::start();
        for _ in 0..number {
            super::black_box((self.0)());
        }
        watch.elapsed()
    }
}

/// A closure fed by an untimed setup.
struct WithSetup<S, F> {
    setup: S,
    f: F,
}

impl<I, T, S: FnMut() -> I, F: FnMut(I) -> T> Routine for WithSetup<S, F> {
    #[inline(never)]
    fn time(&mut self, number: u64) -> Duration {
        let mut inputs: Vec<I> = (0..number).map(|_| (self.setup)()).collect();
        // Outputs are kept and dropped after the clock stops: freeing them is not the call's
        // work. `drain` keeps the inputs' buffer alive until then too.
        let mut outputs = Vec::with_capacity(inputs.len());
        let watch = Stopwatch::start();
        for input in inputs.drain(..) {
            outputs.push(super::black_box((self.f)(input)));
        }
        let spent = watch.elapsed();
        drop(outputs);
        spent
    }
}

/// Runs the routine, untimed, in growing batches (1, 2, 5, 10…) until `warm_up` has passed.
fn warm(routine: &mut impl Routine, warm_up: Duration) {
    let mut spent = Duration::ZERO;
    for number in autorange_counts() {
        if spent >= warm_up {
            break;
        }
        spent += routine.time(number);
    }
}

/// Python's `Timer.autorange` with a target: the first count of 1, 2, 5, 10, 20, 50… whose
/// loop lasts at least `target`, with that loop's time.
pub(super) fn autorange_to(routine: &mut impl Routine, target: Duration) -> (u64, Duration) {
    for number in autorange_counts() {
        let spent = routine.time(number);
        if spent >= target {
            return (number, spent);
        }
    }
    // The counts stop growing at u64::MAX, a loop no computer finishes: unreachable.
    (u64::MAX, Duration::MAX)
}

/// 1, 2, 5, 10, 20, 50, 100… up to the largest such count that fits in a `u64`.
fn autorange_counts() -> impl Iterator<Item = u64> {
    std::iter::successors(Some(1_u64), |&n| {
        let leading = n / 10_u64.pow(n.ilog10());
        match leading {
            2 => n.checked_div(2)?.checked_mul(5),
            _ => n.checked_mul(2),
        }
    })
}

/// The timer (the monotonic clock, probed) and the empty loop's cost per call: measured once
/// per process, the first time a benchmark needs them.
fn harness() -> &'static (ClockProbe, f64) {
    static HARNESS: OnceLock<(ClockProbe, f64)> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let timer = Clock::Monotonic.probe();
        let mut empty = Plain(|| ());
        let (number, _) = autorange_to(&mut empty, Duration::from_millis(1));
        let cheapest = (0..5).map(|_| empty.time(number)).min().unwrap_or_default();
        (timer, cheapest.as_nanos() as f64 / number as f64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autorange_counts_follow_the_1_2_5_sequence() {
        let counts: Vec<u64> = autorange_counts().take(10).collect();
        assert_eq!(counts, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000]);
        let last = autorange_counts().last().unwrap();
        assert_eq!(
            last, 10_000_000_000_000_000_000,
            "ends at the largest count that fits"
        );
    }

    /// A routine whose every call "takes" 1 µs by the book, without a clock: tests the logic,
    /// not the machine.
    struct Counted {
        calls: u64,
    }

    impl Routine for Counted {
        fn time(&mut self, number: u64) -> Duration {
            self.calls += number;
            Duration::from_micros(number)
        }
    }

    #[test]
    fn autorange_stops_at_the_first_count_reaching_the_target() {
        let mut routine = Counted { calls: 0 };
        let (number, spent) = autorange_to(&mut routine, Duration::from_micros(150));
        assert_eq!((number, spent), (200, Duration::from_micros(200)));
        assert_eq!(routine.calls, 1 + 2 + 5 + 10 + 20 + 50 + 100 + 200);
    }

    #[test]
    fn warm_up_runs_until_its_time_has_passed() {
        let mut routine = Counted { calls: 0 };
        warm(&mut routine, Duration::from_micros(30));
        assert_eq!(
            routine.calls,
            1 + 2 + 5 + 10 + 20,
            "stops once 38 µs ≥ 30 µs"
        );
        let mut routine = Counted { calls: 0 };
        warm(&mut routine, Duration::ZERO);
        assert_eq!(routine.calls, 0);
    }

    #[test]
    fn setup_runs_once_per_call_and_outside_the_clock() {
        let mut made = 0;
        let mut consumed = Vec::new();
        let mut routine = WithSetup {
            setup: || {
                made += 1;
                made
            },
            f: |input: i32| consumed.push(input),
        };
        routine.time(3);
        routine.time(2);
        assert_eq!(made, 5);
        assert_eq!(consumed, [1, 2, 3, 4, 5], "each input used once, in order");
    }

    #[test]
    fn quick_mode_caps_the_settings() {
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
        assert!(report.quick);
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
        assert!(
            !Bench::new("x").quick(false).quick,
            "the builder overrides the variable"
        );
    }
}
