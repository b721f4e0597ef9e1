//! The timed loops, and the steps built on them: warm-up, Python's autorange, the harness's
//! own cost.

use std::sync::OnceLock;
use std::time::Duration;

use super::black_box;
use crate::timing::{Clock, ClockProbe, Stopwatch};

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
            black_box((self.0)());
        }
        watch.elapsed()
    }
}

/// A closure fed by an untimed setup.
pub(super) struct WithSetup<S, F> {
    pub(super) setup: S,
    pub(super) f: F,
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
            outputs.push(black_box((self.f)(input)));
        }
        let spent = watch.elapsed();
        drop(outputs);
        spent
    }
}

/// Runs the routine, untimed, in growing batches (1, 2, 5, 10…) until `warm_up` has passed.
pub(super) fn warm(routine: &mut dyn Routine, warm_up: Duration) {
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
pub(super) fn autorange_to(routine: &mut dyn Routine, target: Duration) -> (u64, Duration) {
    for number in autorange_counts() {
        let spent = routine.time(number);
        if spent >= target {
            return (number, spent);
        }
    }
    // The counts stop growing at 10^19 calls, a loop no computer finishes: unreachable.
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
pub(super) fn harness() -> &'static (ClockProbe, f64) {
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
}
