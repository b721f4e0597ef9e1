//! The run report: five checks, computed from a [`Journal`](super::Journal), that prove a
//! gathered run was complete and concurrent — or show exactly how it was not.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use self::reading::{Reading, concurrency_check};
use self::show::Secs;
use super::Flavor;
use super::journal::Entry;
use crate::{Error, Result};

mod order;
mod reading;
mod show;

/// The resolution of tokio's timer, and the run report's tolerance for due times.
///
/// A sleep ends on the first 1 ms tick at or after its deadline, never before. A task's
/// timer falls due at the instant the task set it plus its delay; the journal brackets that
/// instant between the task's start and the next entry (see [`CheckKind::CompletionOrder`]).
/// A task due, for certain, a tick or more before another (its latest due time a tick before
/// the other's earliest) has the earlier tick, so the runtime fires it no later than the
/// other: in the same reading of the timer (then either may finish first) or an earlier one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(concurrency_lab::coro::TIMER_TICK, Duration::from_millis(1));
/// ```
pub const TIMER_TICK: Duration = Duration::from_millis(1);

/// [`TIMER_TICK`] as the report prints it.
const TICK_TEXT: &str = "1 ms";

/// The claims a [`RunReport`] checks, in the order it prints them.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::CheckKind;
///
/// assert_eq!(CheckKind::ALL.len(), 5);
/// assert_eq!(CheckKind::StartedOnce.claim(), "every task started exactly once");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// Each task has exactly one start in the journal, and nothing else does.
    StartedOnce,
    /// Each task has exactly one finish in the journal, and nothing else does.
    FinishedOnce,
    /// Each task finished no earlier than its own delay after its start.
    FullDelay,
    /// Tasks finished in the order they fell due, except where the runtime fell behind. A
    /// task falls due when its timer does, at the instant it set it plus its delay; the
    /// journal brackets that between its start + delay and the next journal entry + delay
    /// (on one thread the task sets its timer in the turn it journals its start, before any
    /// other task journals anything), and due times less than one [`TIMER_TICK`] apart are
    /// ties. A runtime that falls behind (busy starting a million tasks, say) fires every timer
    /// that fell due meanwhile in one go, in no promised order, so late tasks — tasks that
    /// finished after one due, for certain, a tick or more later — are allowed in a
    /// *backlog*: a stretch of consecutive finishes, tied together by late tasks, none of
    /// which finished before every task in it could have fallen due (the latest start + delay
    /// among them). A stretch with a finish before that shows a runtime that was keeping
    /// time: its late tasks are out of order, and the check fails. Two tasks alone never fail it (a runtime stalled past both due
    /// times may finish them either way); a third that finished on time between them does.
    /// Every correct gather on a current-thread runtime passes it, at any scale and load: the
    /// argument is in chapter 5's appendix, *The order check*. Applies on a current-thread
    /// runtime only (see [`RunReport::new`]).
    CompletionOrder,
    /// The total time is nearer the longest delay than the sum of the delays: the tasks waited
    /// at the same time, not one after another.
    Concurrent,
}

impl CheckKind {
    /// Every check, in report order.
    pub const ALL: [CheckKind; 5] = [
        CheckKind::StartedOnce,
        CheckKind::FinishedOnce,
        CheckKind::FullDelay,
        CheckKind::CompletionOrder,
        CheckKind::Concurrent,
    ];

    /// The claim, as the report prints it.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::CheckKind;
    /// assert!(CheckKind::Concurrent.claim().contains("longest delay"));
    /// ```
    #[must_use]
    pub fn claim(self) -> &'static str {
        match self {
            CheckKind::StartedOnce => "every task started exactly once",
            CheckKind::FinishedOnce => "every task finished exactly once",
            CheckKind::FullDelay => "no task finished before its own delay was over",
            CheckKind::CompletionOrder => "tasks finished in the order they fell due",
            CheckKind::Concurrent => "total time ≈ the longest delay, not the sum",
        }
    }
}

/// What a check concluded.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::Verdict;
/// assert_eq!(Verdict::NotApplicable.to_string(), "n/a");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The claim holds.
    Pass,
    /// The claim is false for this run.
    Fail,
    /// The run cannot show it either way (one task, say, cannot show concurrency).
    NotApplicable,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: the report aligns verdicts with `{:<4}`.
        f.pad(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "n/a",
        })
    }
}

/// One check of a [`RunReport`]: the claim, the verdict, and the numbers behind it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::{CheckKind, Flavor, RunReport, Verdict};
///
/// // Nothing was journaled: the tasks never ran.
/// let report = RunReport::new(&[Duration::from_secs(1)], &[], Duration::ZERO, Flavor::CurrentThread);
/// let check = report.check(CheckKind::StartedOnce);
/// assert_eq!(check.verdict, Verdict::Fail);
/// assert!(check.evidence.contains("0 of 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which claim.
    pub kind: CheckKind,
    /// Whether it holds.
    pub verdict: Verdict,
    /// The numbers that decided it, in a sentence.
    pub evidence: String,
}

/// The proof that a run of tasks was complete and concurrent, computed from the planned delays,
/// the run's [`Journal`](super::Journal) and its total time.
///
/// It checks five claims ([`CheckKind`]) and prints them with their numbers
/// ([`write_to`](RunReport::write_to), or `{}`); it also shows the longest and summed delays,
/// the time beyond the longest delay, how far apart the tasks started, how many waited at the
/// same time and on how many threads they ran.
///
/// # Examples
///
/// A run journaled by hand: two tasks of 2 s and 3 s started together on a paused clock.
///
/// Besides this crate, the example uses `tokio` (in your own crate: `tokio = { version = "1",
/// features = ["macros", "rt", "time", "test-util"] }`; `test-util` is for the paused clock):
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::{Flavor, Journal, RunReport, Step};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let delays = [Duration::from_secs(2), Duration::from_secs(3)];
/// let journal = Journal::new();
/// let start = tokio::time::Instant::now();
/// journal.record(0, Step::Started);
/// journal.record(1, Step::Started);
/// tokio::time::sleep(delays[0]).await;
/// journal.record(0, Step::Finished);
/// tokio::time::sleep(delays[1] - delays[0]).await;
/// journal.record(1, Step::Finished);
///
/// let report = RunReport::new(&delays, &journal.take(), start.elapsed(), Flavor::CurrentThread);
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.total(), Duration::from_secs(3)); // not 5: they waited together
/// assert_eq!(report.peak_in_flight(), 2);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RunReport {
    tasks: usize,
    total: Duration,
    sum: Duration,
    longest: Option<(usize, Duration)>,
    start_spread: Option<Duration>,
    peak_in_flight: usize,
    threads: usize,
    flavor: Flavor,
    /// One per kind, in `CheckKind::ALL` order, so `checks[kind as usize]` is `kind`'s check.
    checks: [Check; 5],
}

impl RunReport {
    /// Checks a run: `delays[i]` is task `i`'s delay, `entries` the run's journal in recorded
    /// order ([`Journal::take`](super::Journal::take)), `total` the time the whole gather
    /// took, measured with [`tokio::time::Instant`], and `flavor` the runtime it ran on
    /// ([`Flavor::current`] tells, from inside it).
    ///
    /// The runtime matters to one check. One thread runs woken tasks first in, first out, in
    /// the order the timer woke them, so on a current-thread runtime tasks finish in the order
    /// they fell due, up to the backlogs of a loop that fell behind (see
    /// [`CheckKind::CompletionOrder`]): the check holds at any scale and load on a correct run.
    /// A multi-threaded runtime promises no such order — its workers run in parallel, the OS may
    /// pause any of them, and each runs the task it woke last first — so there
    /// [`CheckKind::CompletionOrder`] does not apply; its evidence still shows what was seen.
    ///
    /// Entries naming a task outside `0..delays.len()` make the "exactly once" checks fail.
    ///
    /// # Examples
    ///
    /// A run that forgot its tasks entirely fails the first two checks:
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{CheckKind, Flavor, RunReport, Verdict};
    ///
    /// let report = RunReport::new(&[Duration::from_secs(1); 3], &[], Duration::ZERO, Flavor::CurrentThread);
    /// assert!(!report.passed());
    /// assert_eq!(report.check(CheckKind::FinishedOnce).verdict, Verdict::Fail);
    /// ```
    #[must_use]
    pub fn new(
        delays: &[Duration],
        entries: &[Entry],
        total: Duration,
        flavor: Flavor,
    ) -> RunReport {
        let reading = Reading::new(delays.len(), entries);
        let sum = delays
            .iter()
            .fold(Duration::ZERO, |sum, &d| sum.saturating_add(d));
        // The first of equal longest delays: `max_by_key` would pick the last.
        let longest = delays
            .iter()
            .copied()
            .enumerate()
            .fold(None, |best, (task, d)| match best {
                Some((_, longest)) if longest >= d => best,
                _ => Some((task, d)),
            });
        let checks = [
            reading.once_check(CheckKind::StartedOnce),
            reading.once_check(CheckKind::FinishedOnce),
            reading.full_delay_check(delays),
            order::order_check(&reading, delays, flavor),
            concurrency_check(total, sum, longest.map_or(Duration::ZERO, |(_, d)| d)),
        ];
        RunReport {
            tasks: delays.len(),
            total,
            sum,
            longest,
            start_spread: reading
                .first_start
                .zip(reading.last_start)
                .map(|(first, last)| last - first),
            peak_in_flight: reading.peak_in_flight,
            threads: reading.threads,
            flavor,
            checks,
        }
    }

    /// `true` when no check failed (a check that does not apply does not fail).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// assert!(!RunReport::new(&[Duration::ZERO], &[], Duration::ZERO, Flavor::CurrentThread).passed());
    /// ```
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
    }

    /// All five checks, in [`CheckKind::ALL`] order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{CheckKind, Flavor, RunReport};
    ///
    /// let report = RunReport::new(&[], &[], Duration::ZERO, Flavor::CurrentThread);
    /// let kinds: Vec<CheckKind> = report.checks().iter().map(|c| c.kind).collect();
    /// assert_eq!(kinds, CheckKind::ALL);
    /// ```
    #[must_use]
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The check of one claim.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{CheckKind, Flavor, RunReport, Verdict};
    ///
    /// // One task cannot show that tasks overlap.
    /// let report = RunReport::new(&[Duration::from_secs(1)], &[], Duration::from_secs(1), Flavor::CurrentThread);
    /// assert_eq!(report.check(CheckKind::Concurrent).verdict, Verdict::NotApplicable);
    /// ```
    #[must_use]
    pub fn check(&self, kind: CheckKind) -> &Check {
        &self.checks[kind as usize]
    }

    /// How many tasks the run planned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.tasks(), 2);
    /// ```
    #[must_use]
    pub fn tasks(&self) -> usize {
        self.tasks
    }

    /// The time the whole run took.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.total(), Duration::from_millis(3_002));
    /// ```
    #[must_use]
    pub fn total(&self) -> Duration {
        self.total
    }

    /// The longest planned delay (zero for a run of no tasks).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.longest_delay(), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn longest_delay(&self) -> Duration {
        self.longest.map_or(Duration::ZERO, |(_, d)| d)
    }

    /// The sum of the planned delays: what the run would take one task after another.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.sum_of_delays(), Duration::from_secs(4));
    /// ```
    #[must_use]
    pub fn sum_of_delays(&self) -> Duration {
        self.sum
    }

    /// The time beyond the longest delay: what starting, waking and logging the tasks cost
    /// (zero if the run was, impossibly, shorter than its longest delay).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.overshoot(), Duration::from_millis(2));
    /// ```
    #[must_use]
    pub fn overshoot(&self) -> Duration {
        self.total.saturating_sub(self.longest_delay())
    }

    /// The time from the first task's start to the last task's start, if any started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.start_spread(), None); // no journal entries: nothing started
    /// ```
    #[must_use]
    pub fn start_spread(&self) -> Option<Duration> {
        self.start_spread
    }

    /// The most tasks that had started and not yet finished at one time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.peak_in_flight(), 0);
    /// ```
    #[must_use]
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
    }

    /// On how many distinct threads the journal was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let delays = [Duration::from_secs(1), Duration::from_secs(3)];
    /// let report = RunReport::new(&delays, &[], Duration::from_millis(3_002), Flavor::CurrentThread);
    /// assert_eq!(report.threads(), 0);
    /// ```
    #[must_use]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Prints the report (the same text as `{}`) to `sink`.
    ///
    /// # Errors
    ///
    /// [`Error::SinkWrite`] when the sink refuses the text.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::{Flavor, RunReport};
    ///
    /// let mut out = Vec::new();
    /// RunReport::new(&[], &[], Duration::ZERO, Flavor::CurrentThread).write_to(&mut out)?;
    /// assert!(String::from_utf8(out)?.starts_with("run report: 0 tasks"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to<W: Write + ?Sized>(&self, sink: &mut W) -> Result<()> {
        write!(sink, "{self}").map_err(|source| Error::SinkWrite {
            what: "the run report".to_owned(),
            source,
        })
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        writeln!(
            f,
            "run report: {} on {} of a {} runtime",
            plural(self.tasks, "task", "tasks"),
            plural(self.threads, "thread", "threads"),
            self.flavor
        )?;
        if let Some((task, longest)) = self.longest {
            writeln!(f, "  longest delay   {} (task {task})", Secs(longest))?;
        }
        writeln!(f, "  sum of delays   {}", Secs(self.sum))?;
        writeln!(
            f,
            "  total time      {} = longest delay + {}",
            Secs(self.total),
            Secs(self.overshoot())
        )?;
        if let Some(spread) = self.start_spread {
            writeln!(
                f,
                "  start spread    {} from the first task's start to the last one's",
                Secs(spread)
            )?;
        }
        writeln!(
            f,
            "  peak in flight  {} waiting at the same time",
            plural(self.peak_in_flight, "task", "tasks")
        )?;
        writeln!(f, "checks (timer tick: {TICK_TEXT})")?;
        for check in &self.checks {
            writeln!(f, "  {:<4}  {}", check.verdict, check.kind.claim())?;
            writeln!(f, "        {}", check.evidence)?;
        }
        let failed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.kind.claim())
            .collect();
        let skipped = self
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::NotApplicable)
            .count();
        if failed.is_empty() {
            let skipped = match skipped {
                0 => String::new(),
                1 => " (1 check did not apply)".to_owned(),
                n => format!(" ({n} checks did not apply)"),
            };
            writeln!(
                f,
                "result: PASS{skipped} — every task ran once, waited its own delay, and they \
                 waited together"
            )
        } else {
            writeln!(
                f,
                "result: FAIL — {} of {} checks failed: {}",
                failed.len(),
                self.checks.len(),
                failed.join("; ")
            )
        }
    }
}

#[cfg(test)]
mod tests;
