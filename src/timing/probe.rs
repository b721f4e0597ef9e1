//! Measuring a clock: how finely it really moves, and what one reading costs.

use std::fmt;
use std::hint::black_box;

use super::{Clock, ClockInfo};

/// Stop looking for steps after this many: the smallest of a thousand is a stable figure.
const STEPS_WANTED: u32 = 1_000;
/// Give up on a clock that moved fewer than `STEPS_WANTED` times in this many readings (a
/// coarse clock); 200,000 readings take between 5 ms and 0.2 s.
const MAX_READINGS: u32 = 200_000;
/// The cost is the cheapest of a few batches, so that a batch the scheduler interrupted does not
/// count: we want the price of a reading, not of a preemption.
const COST_BATCHES: u32 = 5;
const COST_BATCH_SIZE: u32 = 2_000;

/// A clock as measured on this machine: its declared [`ClockInfo`] plus two figures Python's
/// `time.get_clock_info()` does not give.
///
/// # Examples
///
/// ```
/// use concurrency_lab::timing::Clock;
///
/// for clock in Clock::ALL {
///     println!("{}", clock.probe());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockProbe {
    /// What the system declares about the clock.
    pub info: ClockInfo,
    /// The smallest non-zero difference seen between two consecutive readings, in nanoseconds:
    /// the clock's real resolution, or the cost of a reading if that is larger (two readings
    /// cannot be closer than the time it takes to make one). `None` when the clock did not move
    /// often enough during the probe to tell.
    pub measured_resolution_ns: Option<u64>,
    /// What one reading costs, in nanoseconds, measured on the monotonic clock.
    pub reading_cost_ns: f64,
}

impl fmt::Display for ClockProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<12} declared resolution {} ns, measured step ",
            self.info.clock.name(),
            self.info.resolution_ns
        )?;
        match self.measured_resolution_ns {
            Some(step) => write!(f, "{step} ns")?,
            None => f.write_str("too coarse to see")?,
        }
        write!(f, ", {:.1} ns per reading", self.reading_cost_ns)
    }
}

pub(super) fn probe(clock: Clock) -> ClockProbe {
    ClockProbe {
        info: clock.info(),
        measured_resolution_ns: smallest_step(clock),
        reading_cost_ns: reading_cost(clock),
    }
}

/// Reads the clock back to back and keeps the smallest change seen.
fn smallest_step(clock: Clock) -> Option<u64> {
    let mut smallest: Option<u64> = None;
    let mut steps = 0;
    let mut previous = clock.now_ns();
    for _ in 0..MAX_READINGS {
        let now = clock.now_ns();
        if now != previous {
            // `abs_diff`: the wall clock may be stepped back while we watch.
            let step = now.abs_diff(previous);
            smallest = Some(smallest.map_or(step, |s| s.min(step)));
            steps += 1;
            if steps == STEPS_WANTED {
                break;
            }
        }
        previous = now;
    }
    smallest
}

/// Times batches of readings on the monotonic clock and keeps the cheapest batch's average.
fn reading_cost(clock: Clock) -> f64 {
    (0..COST_BATCHES)
        .map(|_| {
            let start = Clock::Monotonic.now_ns();
            for _ in 0..COST_BATCH_SIZE {
                black_box(clock.now_ns());
            }
            let spent = Clock::Monotonic.now_ns().saturating_sub(start);
            spent as f64 / f64::from(COST_BATCH_SIZE)
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clock_is_seen_to_move_and_to_cost_something() {
        for clock in Clock::ALL {
            let probe = clock.probe();
            assert_eq!(probe.info, clock.info());
            let step = probe
                .measured_resolution_ns
                .expect("Linux clocks move in < 1 ms");
            assert!(step >= 1, "{probe}");
            assert!(probe.reading_cost_ns.is_finite() && probe.reading_cost_ns > 0.0);
        }
    }

    #[test]
    fn display_names_the_clock_and_both_measurements() {
        let text = Clock::ThreadCpu.probe().to_string();
        assert!(text.starts_with("thread CPU"), "{text}");
        assert!(
            text.contains("measured step") && text.contains("per reading"),
            "{text}"
        );
    }
}
