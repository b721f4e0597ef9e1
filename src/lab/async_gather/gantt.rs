//! The run as a Gantt chart in the terminal: one row per task, a bar from its start to its
//! finish on a common time axis — the picture of tasks waiting together.

use std::io::{self, Write};
use std::time::Duration;

use crate::coro::{Entry, Step};

/// One task's bar: when it started and finished, from the first journal entry of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bar {
    task: usize,
    delay: Duration,
    start: Option<Duration>,
    finish: Option<Duration>,
}

/// A Gantt chart of a gathered run, built from its delays and its journal
/// ([`gather_journaled`](super::gather_journaled) returns both).
///
/// Rows are sorted by start time, then by delay, shortest first: in a run that gathered its
/// tasks, every bar starts at 0 and the bars' ends climb like a staircase to the longest delay;
/// in a sequential run each bar starts where the previous one ended, so the bars themselves
/// descend like a staircase, and the axis stretches to the sum. (Sorted by delay alone, a
/// sequential run's bars would jump about and hide that staircase.) Tasks that never started
/// come first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::Log;
/// use concurrency_lab::lab::async_gather::{gather_journaled, Gantt, Gather};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let delays = [3, 1, 2].map(Duration::from_secs);
/// let (_report, journal) = gather_journaled(&delays, Gather::JoinAll, &Log::new(std::io::sink())).await?;
///
/// let mut chart = Vec::new();
/// Gantt::new(&delays, &journal).write_to(&mut chart, 12)?;
/// let chart = String::from_utf8(chart)?;
/// print!("{chart}");
/// assert!(chart.contains("│████        │")); // task 1: 1 s of 3
/// assert!(chart.contains("│████████████│")); // task 0: all 3 s
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gantt {
    bars: Vec<Bar>,
    span: Duration,
}

impl Gantt {
    /// The chart of a run: `delays[i]` is task `i`'s delay, `entries` the run's journal.
    ///
    /// A task with no start or no finish in the journal gets a row saying so, not a bar.
    ///
    /// # Examples
    ///
    /// See [`Gantt`].
    pub fn new(delays: &[Duration], entries: &[Entry]) -> Gantt {
        let origin = entries.iter().map(|entry| entry.at).min();
        let mut bars: Vec<Bar> = delays
            .iter()
            .enumerate()
            .map(|(task, &delay)| Bar {
                task,
                delay,
                start: None,
                finish: None,
            })
            .collect();
        for entry in entries {
            let (Some(origin), Some(bar)) = (origin, bars.get_mut(entry.task)) else {
                continue;
            };
            let at = Some(entry.at - origin);
            match entry.step {
                Step::Started => bar.start = at,
                Step::Finished => bar.finish = at,
            }
        }
        bars.sort_by_key(|bar| (bar.start, bar.delay, bar.task));
        let span = bars.iter().filter_map(|bar| bar.finish).max();
        Gantt {
            bars,
            span: span.unwrap_or_default(),
        }
    }

    /// The time from the first start to the last finish.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::async_gather::Gantt;
    ///
    /// assert_eq!(Gantt::new(&[], &[]).span(), std::time::Duration::ZERO);
    /// ```
    pub fn span(&self) -> Duration {
        self.span
    }

    /// Draws the chart to `out`, with bars `width` columns wide at most: a header with the time
    /// axis, then one row per task — its number, its delay, its bar.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns when it refuses a write.
    ///
    /// # Examples
    ///
    /// See [`Gantt`].
    pub fn write_to<W: Write + ?Sized>(&self, out: &mut W, width: usize) -> io::Result<()> {
        let width = width.max(1);
        let end = format!("{:.3} s", self.span.as_secs_f64());
        let gap = width.saturating_sub(3 + end.len());
        writeln!(out, "  task    delay │0 s{:gap$}{end}│", "")?;
        for bar in &self.bars {
            write!(out, "{:>6} {:>6.3} s │", bar.task, bar.delay.as_secs_f64())?;
            match (bar.start, bar.finish) {
                (Some(start), Some(finish)) => {
                    let (from, to) = (self.column(start, width), self.column(finish, width));
                    // A bar is at least one column wide, so a zero delay still shows.
                    let to = to.max(from + 1).min(width);
                    let from = from.min(to - 1);
                    writeln!(
                        out,
                        "{}{}{}│",
                        " ".repeat(from),
                        "█".repeat(to - from),
                        " ".repeat(width - to)
                    )?;
                }
                (Some(_), None) => writeln!(out, " started, never finished")?,
                (None, _) => writeln!(out, " never started")?,
            }
        }
        Ok(())
    }

    /// The column of time `at` on an axis of `width` columns spanning the run.
    fn column(&self, at: Duration, width: usize) -> usize {
        if self.span.is_zero() {
            return 0;
        }
        let fraction = at.as_secs_f64() / self.span.as_secs_f64();
        ((fraction * width as f64).round() as usize).min(width)
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    fn entry(task: usize, step: Step, at: Instant) -> Entry {
        Entry {
            task,
            step,
            at,
            thread: std::thread::current().id(),
        }
    }

    fn chart(gantt: &Gantt, width: usize) -> Vec<String> {
        let mut out = Vec::new();
        gantt.write_to(&mut out, width).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn gathered_tasks_start_together_and_sort_by_delay() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let delays = [s(2), s(1)];
        let entries = [
            entry(0, Step::Started, t0),
            entry(1, Step::Started, t0),
            entry(1, Step::Finished, t0 + s(1)),
            entry(0, Step::Finished, t0 + s(2)),
        ];
        let gantt = Gantt::new(&delays, &entries);
        assert_eq!(gantt.span(), s(2));
        assert_eq!(
            chart(&gantt, 14),
            [
                "  task    delay │0 s    2.000 s│",
                "     1  1.000 s │███████       │",
                "     0  2.000 s │██████████████│",
            ]
        );
    }

    #[test]
    fn sequential_tasks_make_a_staircase() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let delays = [s(1), s(1), Duration::ZERO];
        let entries = [
            entry(0, Step::Started, t0),
            entry(0, Step::Finished, t0 + s(1)),
            entry(1, Step::Started, t0 + s(1)),
            entry(1, Step::Finished, t0 + s(2)),
            entry(2, Step::Started, t0 + s(2)),
            entry(2, Step::Finished, t0 + s(2)),
        ];
        let rows = chart(&Gantt::new(&delays, &entries), 4);
        assert_eq!(rows[1], "     0  1.000 s │██  │");
        assert_eq!(rows[2], "     1  1.000 s │  ██│");
        assert_eq!(
            rows[3], "     2  0.000 s │   █│",
            "a zero delay is one column"
        );
    }

    #[test]
    fn a_sequential_run_is_drawn_in_start_order_not_by_delay() {
        // Run one after another in the tasks' order: 3 s, then 1 s, then 2 s. Sorted by delay
        // the bars would jump (1 s task in the middle of the axis first); by start they
        // descend as a staircase.
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let delays = [s(3), s(1), s(2)];
        let entries = [
            entry(0, Step::Started, t0),
            entry(0, Step::Finished, t0 + s(3)),
            entry(1, Step::Started, t0 + s(3)),
            entry(1, Step::Finished, t0 + s(4)),
            entry(2, Step::Started, t0 + s(4)),
            entry(2, Step::Finished, t0 + s(6)),
        ];
        let rows = chart(&Gantt::new(&delays, &entries), 6);
        assert_eq!(
            rows[1..],
            [
                "     0  3.000 s │███   │",
                "     1  1.000 s │   █  │",
                "     2  2.000 s │    ██│",
            ]
        );
    }

    #[test]
    fn missing_entries_are_said_not_drawn() {
        let t0 = Instant::now();
        let delays = [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(3),
        ];
        let entries = [entry(1, Step::Started, t0), entry(9, Step::Started, t0)];
        let rows = chart(&Gantt::new(&delays, &entries), 5);
        // Never started first (no start time to sort by), then by start.
        assert_eq!(rows[1], "     0  1.000 s │ never started");
        assert_eq!(rows[2], "     2  3.000 s │ never started");
        assert_eq!(rows[3], "     1  2.000 s │ started, never finished");
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn a_refused_write_is_returned() {
        let err = Gantt::new(&[], &[])
            .write_to(&mut crate::test_support::BrokenPipe, 10)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
