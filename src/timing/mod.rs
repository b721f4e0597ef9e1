//! Measuring once: the four clocks of Python's `time` module, a stopwatch, wall and CPU time.
//!
//! This page is the reference. The lecture is [chapter 1](crate::course::ch1_timing).
//!
//! | piece | what it is |
//! |-------|------------|
//! | [`Clock`] | `time.time_ns`, `perf_counter_ns`, `process_time_ns`, `thread_time_ns` |
//! | [`Clock::info`], [`Clock::probe`] | `time.get_clock_info`, and the resolution actually seen |
//! | [`Stopwatch`] | two readings with a name: `elapsed`, `lap`, `restart` |
//! | [`measure`] | one call's value, with its wall and CPU time |

mod probe;
mod stopwatch;

pub use probe::ClockProbe;
pub use stopwatch::{Measured, Stopwatch, measure};

use std::fmt;

use nix::sys::time::TimeValLike;
use nix::time::ClockId;

/// The four clocks a Python programmer knows from the `time` module.
///
/// Every clock reads in nanoseconds as a `u64` (what `time.*_ns()` returns in Python). Only the
/// *differences* between two readings of the same clock mean something, except for
/// [`Clock::Wall`], whose readings are nanoseconds since 1970-01-01 00:00 UTC.
///
/// # Examples
///
/// ```
/// use concurrency_lab::timing::Clock;
///
/// let before = Clock::Monotonic.now_ns();
/// let total: u64 = (1..=1000).sum();
/// let after = Clock::Monotonic.now_ns();
/// assert_eq!(total, 500_500);
/// assert!(after >= before, "a monotonic clock never goes back");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    /// Calendar time, `time.time_ns()`: what the system believes the date is. It can be set and
    /// stepped (by an administrator, by NTP), so it can jump forwards and backwards.
    Wall,
    /// Elapsed time that never goes back, `time.perf_counter_ns()`: the clock for intervals.
    /// `std::time::Instant` reads the same kernel clock on Linux.
    Monotonic,
    /// CPU time spent by all threads of this process, `time.process_time_ns()`.
    ProcessCpu,
    /// CPU time spent by the calling thread only, `time.thread_time_ns()`.
    ThreadCpu,
}

impl Clock {
    /// All four clocks, in the order of the chapter.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// let names: Vec<&str> = Clock::ALL.iter().map(|clock| clock.name()).collect();
    /// assert_eq!(names, ["wall", "monotonic", "process CPU", "thread CPU"]);
    /// ```
    pub const ALL: [Clock; 4] = [
        Clock::Wall,
        Clock::Monotonic,
        Clock::ProcessCpu,
        Clock::ThreadCpu,
    ];

    /// Reads the clock, in nanoseconds.
    ///
    /// A wall clock set before 1970 reads 0.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to read a clock that POSIX requires it to have. Linux
    /// never does; `std::time::Instant::now` makes the same assumption and panics the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// let seconds_since_1970 = Clock::Wall.now_ns() / 1_000_000_000;
    /// assert!(seconds_since_1970 > 1_600_000_000, "the clock says we are after Sept 2020");
    /// ```
    #[must_use]
    pub fn now_ns(self) -> u64 {
        let reading = self
            .id()
            .now()
            .unwrap_or_else(|errno| panic!("clock_gettime({}) failed: {errno}", self.id_name()));
        u64::try_from(reading.num_nanoseconds()).unwrap_or(0)
    }

    /// A short human name: `"wall"`, `"monotonic"`, `"process CPU"`, `"thread CPU"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// assert_eq!(Clock::ProcessCpu.name(), "process CPU");
    /// assert_eq!(Clock::ProcessCpu.to_string(), "process CPU");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            Clock::Monotonic => "monotonic",
            Clock::ProcessCpu => "process CPU",
            Clock::ThreadCpu => "thread CPU",
        }
    }

    /// The Python function that reads the same clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// assert_eq!(Clock::Monotonic.python(), "time.perf_counter_ns()");
    /// ```
    #[must_use]
    pub fn python(self) -> &'static str {
        match self {
            Clock::Wall => "time.time_ns()",
            Clock::Monotonic => "time.perf_counter_ns()",
            Clock::ProcessCpu => "time.process_time_ns()",
            Clock::ThreadCpu => "time.thread_time_ns()",
        }
    }

    /// What the system declares about the clock, like Python's `time.get_clock_info()`.
    ///
    /// The declared resolution comes from `clock_getres`. It is a promise about the unit of
    /// the readings, not about how finely the clock really moves: [`Clock::probe`] measures that.
    ///
    /// # Panics
    ///
    /// If `clock_getres` fails for one of the four POSIX clocks (Linux never does).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// let wall = Clock::Wall.info();
    /// assert!(wall.adjustable && !wall.monotonic);
    /// assert_eq!(wall.implementation, "clock_gettime(CLOCK_REALTIME)");
    /// assert!(Clock::Monotonic.info().monotonic);
    /// ```
    #[must_use]
    pub fn info(self) -> ClockInfo {
        let resolution = self
            .id()
            .res()
            .unwrap_or_else(|errno| panic!("clock_getres({}) failed: {errno}", self.id_name()));
        ClockInfo {
            clock: self,
            implementation: self.implementation(),
            monotonic: self != Clock::Wall,
            adjustable: self == Clock::Wall,
            resolution_ns: u64::try_from(resolution.num_nanoseconds()).unwrap_or(0),
        }
    }

    /// Measures the clock on this machine: the smallest step it was seen to make and the cost
    /// of one reading. Takes a few milliseconds (longer for a coarse clock, at most ~0.2 s).
    ///
    /// # Panics
    ///
    /// As [`Clock::now_ns`] and [`Clock::info`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::timing::Clock;
    ///
    /// let probe = Clock::Monotonic.probe();
    /// assert!(probe.reading_cost_ns > 0.0);
    /// println!("{} moves in steps of {:?} ns", probe.info.clock, probe.measured_resolution_ns);
    /// ```
    #[must_use]
    pub fn probe(self) -> ClockProbe {
        probe::probe(self)
    }

    fn id(self) -> ClockId {
        match self {
            Clock::Wall => ClockId::CLOCK_REALTIME,
            Clock::Monotonic => ClockId::CLOCK_MONOTONIC,
            Clock::ProcessCpu => ClockId::CLOCK_PROCESS_CPUTIME_ID,
            Clock::ThreadCpu => ClockId::CLOCK_THREAD_CPUTIME_ID,
        }
    }

    fn id_name(self) -> &'static str {
        match self {
            Clock::Wall => "CLOCK_REALTIME",
            Clock::Monotonic => "CLOCK_MONOTONIC",
            Clock::ProcessCpu => "CLOCK_PROCESS_CPUTIME_ID",
            Clock::ThreadCpu => "CLOCK_THREAD_CPUTIME_ID",
        }
    }

    fn implementation(self) -> &'static str {
        match self {
            Clock::Wall => "clock_gettime(CLOCK_REALTIME)",
            Clock::Monotonic => "clock_gettime(CLOCK_MONOTONIC)",
            Clock::ProcessCpu => "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)",
            Clock::ThreadCpu => "clock_gettime(CLOCK_THREAD_CPUTIME_ID)",
        }
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the system declares about a clock: the fields of Python's `time.get_clock_info()`.
///
/// # Examples
///
/// ```
/// use concurrency_lab::timing::Clock;
///
/// for clock in Clock::ALL {
///     let info = clock.info();
///     println!("{:<12} {:<42} monotonic={} adjustable={} resolution={} ns",
///         clock.name(), info.implementation, info.monotonic, info.adjustable, info.resolution_ns);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockInfo {
    /// The clock described.
    pub clock: Clock,
    /// The system call behind it, spelled as Python spells it.
    pub implementation: &'static str,
    /// True when readings never go back.
    pub monotonic: bool,
    /// True when the clock can be set (by an administrator or NTP), so it may jump.
    pub adjustable: bool,
    /// The declared resolution (`clock_getres`), in nanoseconds.
    pub resolution_ns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_cpu_clocks_never_go_back() {
        for clock in [Clock::Monotonic, Clock::ProcessCpu, Clock::ThreadCpu] {
            let mut previous = clock.now_ns();
            for _ in 0..10_000 {
                let now = clock.now_ns();
                assert!(now >= previous, "{clock} went back: {previous} -> {now}");
                previous = now;
            }
        }
    }

    #[test]
    fn info_matches_what_python_reports_on_linux() {
        for clock in Clock::ALL {
            let info = clock.info();
            assert_eq!(info.clock, clock);
            assert_eq!(info.monotonic, clock != Clock::Wall);
            assert_eq!(info.adjustable, !info.monotonic);
            assert!(info.resolution_ns >= 1, "{clock}: {info:?}");
            assert!(info.implementation.contains(clock.id_name()));
        }
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = Clock::ALL.iter().map(|c| (c.name(), c.python())).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Clock::ALL.len());
    }

    #[test]
    fn process_clock_includes_the_time_of_every_thread() {
        // Not a speed claim but a definition: the process's CPU time is the sum over its
        // threads, so it can never be less than what one finished thread used.
        let thread_cpu = std::thread::spawn(|| {
            let mut acc = 0_u64;
            for i in 0..100_000_u64 {
                acc = std::hint::black_box(acc.wrapping_add(i * i));
            }
            Clock::ThreadCpu.now_ns()
        })
        .join()
        .unwrap();
        assert!(Clock::ProcessCpu.now_ns() >= thread_cpu);
    }
}
