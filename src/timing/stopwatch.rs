//! A stopwatch over any [`Clock`], and `measure`: one call timed on the wall and the CPU.

use std::time::Duration;

use super::Clock;

/// A stopwatch: started on creation, read with [`elapsed`](Stopwatch::elapsed), split into laps
/// with [`lap`](Stopwatch::lap), reset with [`restart`](Stopwatch::restart).
///
/// It runs on the monotonic clock unless told otherwise ([`Stopwatch::start_on`]). On
/// [`Clock::ThreadCpu`] read it on the thread that started it: another thread has its own
/// clock. On [`Clock::Wall`] a clock stepped backwards reads as zero elapsed time — one more
/// reason to time intervals on the monotonic clock.
///
/// # Examples
///
/// ```
/// use concurrency_lab::timing::Stopwatch;
///
/// let mut watch = Stopwatch::start();
/// let squares: Vec<u64> = (0..1_000).map(|x| x * x).collect();
/// let building = watch.lap();
/// let total: u64 = squares.iter().sum();
/// let summing = watch.lap();
/// assert_eq!(total, 332_833_500);
/// assert!(building + summing <= watch.elapsed(), "laps add up to at most the total");
/// ```
#[must_use = "a Stopwatch measures only when you read it with `.elapsed()` or `.lap()`"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopwatch {
    clock: Clock,
    started_ns: u64,
    lap_started_ns: u64,
}

impl Stopwatch {
    /// Starts a stopwatch on the monotonic clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::{Clock, Stopwatch};
    ///
    /// assert_eq!(Stopwatch::start().clock(), Clock::Monotonic);
    /// ```
    pub fn start() -> Self {
        Stopwatch::start_on(Clock::Monotonic)
    }

    /// Starts a stopwatch on `clock`, e.g. [`Clock::ProcessCpu`] to time CPU work only.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::{Clock, Stopwatch};
    ///
    /// let cpu = Stopwatch::start_on(Clock::ProcessCpu);
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// println!("20 ms of sleep cost {:?} of CPU time", cpu.elapsed());
    /// ```
    pub fn start_on(clock: Clock) -> Self {
        let now = clock.now_ns();
        Stopwatch {
            clock,
            started_ns: now,
            lap_started_ns: now,
        }
    }

    /// The clock this stopwatch reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::{Clock, Stopwatch};
    ///
    /// assert_eq!(Stopwatch::start_on(Clock::ThreadCpu).clock(), Clock::ThreadCpu);
    /// ```
    #[must_use]
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Time since the start (or the last [`restart`](Stopwatch::restart)); laps do not reset it.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Stopwatch;
    ///
    /// let watch = Stopwatch::start();
    /// let first = watch.elapsed();
    /// assert!(watch.elapsed() >= first);
    /// ```
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.since(self.started_ns).1
    }

    /// Time since the previous lap (or the start), and begins a new lap.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Stopwatch;
    ///
    /// let mut watch = Stopwatch::start();
    /// let laps: Vec<_> = (0..3).map(|_| watch.lap()).collect();
    /// assert!(laps.iter().sum::<std::time::Duration>() <= watch.elapsed());
    /// ```
    pub fn lap(&mut self) -> Duration {
        let (now, lap) = self.since(self.lap_started_ns);
        self.lap_started_ns = now;
        lap
    }

    /// Returns the time elapsed so far and starts again from zero (laps included).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Stopwatch;
    ///
    /// let mut watch = Stopwatch::start();
    /// std::thread::sleep(std::time::Duration::from_millis(5));
    /// let before = watch.restart();
    /// assert!(before >= std::time::Duration::from_millis(5), "sleep waits at least that long");
    /// ```
    pub fn restart(&mut self) -> Duration {
        let (now, elapsed) = self.since(self.started_ns);
        self.started_ns = now;
        self.lap_started_ns = now;
        elapsed
    }

    /// Reads the clock once: the reading, and the time since `mark`.
    fn since(&self, mark: u64) -> (u64, Duration) {
        let now = self.clock.now_ns();
        (now, Duration::from_nanos(now.saturating_sub(mark)))
    }
}

/// A value with the time it took to compute: see [`measure`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::timing::measure;
///
/// let run = measure(|| "done");
/// assert_eq!(run.value, "done");
/// println!("wall {:?}, CPU {:?}", run.wall, run.cpu);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured<T> {
    /// What the closure returned.
    pub value: T,
    /// Elapsed real time, read on the monotonic clock.
    pub wall: Duration,
    /// CPU time of the whole process (every thread) during the call.
    pub cpu: Duration,
}

impl<T> Measured<T> {
    /// CPU time over wall time: about 0 for a call that waited (sleep, I/O), about 1 for one
    /// busy thread, up to the number of cores for work spread over threads. 0 if no wall time
    /// was seen to pass.
    ///
    /// The CPU time counts every thread of the process, so threads busy with something else
    /// during the call (a test harness, a pool) count too.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::measure;
    ///
    /// let nap = measure(|| std::thread::sleep(std::time::Duration::from_millis(30)));
    /// println!("while sleeping, the process used {:.0}% of a core", nap.cpu_utilization() * 100.0);
    /// ```
    pub fn cpu_utilization(&self) -> f64 {
        if self.wall.is_zero() {
            0.0
        } else {
            self.cpu.as_secs_f64() / self.wall.as_secs_f64()
        }
    }
}

/// Calls `f` once and returns its value with the wall time and the process CPU time it took.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::timing::measure;
///
/// let nap = measure(|| std::thread::sleep(Duration::from_millis(50)));
/// assert!(nap.wall >= Duration::from_millis(50), "a sleep lasts at least what was asked");
/// println!("slept: wall {:?}, CPU {:?}", nap.wall, nap.cpu); // CPU: some microseconds
///
/// let work = measure(|| (0..2_000_000_u64).map(std::hint::black_box).sum::<u64>());
/// assert_eq!(work.value, 1_999_999_000_000);
/// println!("summed: wall {:?}, CPU {:?}", work.wall, work.cpu); // about equal
/// ```
pub fn measure<T>(f: impl FnOnce() -> T) -> Measured<T> {
    // The CPU stopwatch goes outside the wall one, so the wall figure holds only the call.
    let cpu = Stopwatch::start_on(Clock::ProcessCpu);
    let wall = Stopwatch::start();
    let value = f();
    let wall = wall.elapsed();
    let cpu = cpu.elapsed();
    Measured { value, wall, cpu }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_partition_the_elapsed_time() {
        // Laps are differences of consecutive readings, so they sum to the last reading minus
        // the first: never more than the total. (The wall clock may be stepped, so not it.)
        for clock in [Clock::Monotonic, Clock::ProcessCpu, Clock::ThreadCpu] {
            let mut watch = Stopwatch::start_on(clock);
            let laps: Duration = (0..100).map(|_| watch.lap()).sum();
            let total = watch.elapsed();
            assert!(laps <= total, "{clock}: laps {laps:?} > total {total:?}");
        }
    }

    #[test]
    fn restart_resets_both_the_total_and_the_lap() {
        let mut watch = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(2));
        let first = watch.restart();
        assert!(first >= Duration::from_millis(2));
        // After a restart the lap counts from the restart, so it cannot exceed the new total.
        let lap = watch.lap();
        assert!(lap <= watch.elapsed());
    }

    #[test]
    fn measure_returns_the_value_and_covers_the_call() {
        let run = measure(|| {
            std::thread::sleep(Duration::from_millis(3));
            vec![1, 2, 3]
        });
        assert_eq!(run.value, [1, 2, 3]);
        assert!(run.wall >= Duration::from_millis(3));
        assert!(run.cpu_utilization() >= 0.0);
    }

    #[test]
    fn utilization_of_an_instant_call_is_zero_not_nan() {
        let run = Measured {
            value: (),
            wall: Duration::ZERO,
            cpu: Duration::from_nanos(5),
        };
        assert_eq!(run.cpu_utilization(), 0.0);
        let run = Measured {
            value: (),
            wall: Duration::from_millis(10),
            cpu: Duration::from_millis(20),
        };
        assert_eq!(run.cpu_utilization(), 2.0);
    }
}
