//! Reading a journal task by task, and the checks computed from that reading.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use super::show::{Secs, TaskList};
use super::{Check, CheckKind, TIMER_TICK, Verdict};
use crate::coro::journal::{Entry, Step};

/// What the journal says about one task.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    starts: u32,
    finishes: u32,
    started: Option<Instant>,
    /// The instant of the journal entry after the task's first start: on one thread, the task
    /// had set its timer by then (it journals its start and sets its timer in one turn).
    timer_set_by: Option<Instant>,
    finished: Option<Instant>,
}

impl Tally {
    /// Start and finish, when the task has exactly one of each.
    fn span(&self) -> Option<(Instant, Instant)> {
        match (self.starts, self.finishes, self.started, self.finished) {
            (1, 1, Some(started), Some(finished)) => Some((started, finished)),
            _ => None,
        }
    }
}

/// The journal read once, task by task.
pub(super) struct Reading {
    tallies: Vec<Tally>,
    stray_starts: usize,
    stray_finishes: usize,
    finish_order: Vec<usize>,
    pub(super) first_start: Option<Instant>,
    pub(super) last_start: Option<Instant>,
    pub(super) peak_in_flight: usize,
    pub(super) threads: usize,
}

impl Reading {
    pub(super) fn new(tasks: usize, entries: &[Entry]) -> Reading {
        let mut reading = Reading {
            tallies: vec![Tally::default(); tasks],
            stray_starts: 0,
            stray_finishes: 0,
            finish_order: Vec::with_capacity(tasks),
            first_start: None,
            last_start: None,
            peak_in_flight: 0,
            threads: 0,
        };
        let mut threads = HashSet::new();
        let mut in_flight = 0usize;
        // The task whose first start is the entry just read, waiting for the next entry's time.
        let mut just_started: Option<usize> = None;
        let mut last_thread = None;
        for entry in entries {
            // Hashing each of two million entries' thread would cost more than the rest of
            // the reading: most entries come from the thread of the one before.
            if last_thread != Some(entry.thread) {
                threads.insert(entry.thread);
                last_thread = Some(entry.thread);
            }
            if let Some(task) = just_started.take() {
                reading.tallies[task].timer_set_by = Some(entry.at);
            }
            let tally = reading.tallies.get_mut(entry.task);
            match (entry.step, tally) {
                (Step::Started, Some(tally)) => {
                    tally.starts += 1;
                    if tally.started.is_none() {
                        tally.started = Some(entry.at);
                        just_started = Some(entry.task);
                    }
                    in_flight += 1;
                    reading.peak_in_flight = reading.peak_in_flight.max(in_flight);
                    reading.first_start =
                        Some(reading.first_start.map_or(entry.at, |f| f.min(entry.at)));
                    reading.last_start = reading.last_start.max(Some(entry.at));
                }
                (Step::Finished, Some(tally)) => {
                    tally.finishes += 1;
                    tally.finished.get_or_insert(entry.at);
                    in_flight = in_flight.saturating_sub(1);
                    reading.finish_order.push(entry.task);
                }
                (Step::Started, None) => reading.stray_starts += 1,
                (Step::Finished, None) => reading.stray_finishes += 1,
            }
        }
        reading.threads = threads.len();
        reading
    }

    /// The "exactly once" check over starts or finishes.
    pub(super) fn once_check(&self, kind: CheckKind) -> Check {
        let (verb, count, strays): (&str, fn(&Tally) -> u32, usize) = match kind {
            CheckKind::StartedOnce => ("started", |t| t.starts, self.stray_starts),
            _ => ("finished", |t| t.finishes, self.stray_finishes),
        };
        let tasks = self.tallies.len();
        let never = TaskList::matching(&self.tallies, |t| count(t) == 0);
        let twice = TaskList::matching(&self.tallies, |t| count(t) > 1);
        let once = tasks - never.len() - twice.len();
        let mut evidence = format!(
            "{once} of {tasks} {verb} once; {}; {}",
            never.describe("never"),
            twice.describe("more than once")
        );
        if strays > 0 {
            evidence += &format!("; {strays} {verb} that are not part of the run");
        }
        let verdict = pass_if(never.is_empty() && twice.is_empty() && strays == 0);
        Check {
            kind,
            verdict,
            evidence,
        }
    }

    pub(super) fn full_delay_check(&self, delays: &[Duration]) -> Check {
        let kind = CheckKind::FullDelay;
        let mut smallest_margin: Option<(Duration, usize)> = None;
        let mut worst_shortfall: Option<(Duration, usize)> = None;
        let mut early = Vec::new();
        for (task, (tally, &delay)) in self.tallies.iter().zip(delays).enumerate() {
            let Some((started, finished)) = tally.span() else {
                continue;
            };
            let waited = finished.saturating_duration_since(started);
            if waited >= delay {
                let margin = (waited - delay, task);
                smallest_margin = Some(smallest_margin.map_or(margin, |m| m.min(margin)));
            } else {
                early.push(task);
                worst_shortfall = worst_shortfall.max(Some((delay - waited, task)));
            }
        }
        let (verdict, evidence) = match (worst_shortfall, smallest_margin) {
            (Some((shortfall, task)), _) => (
                Verdict::Fail,
                format!(
                    "{}; worst: task {task}, {} too soon",
                    TaskList::new(early).describe("finished early"),
                    Secs(shortfall)
                ),
            ),
            (None, Some((margin, task))) => (
                Verdict::Pass,
                format!(
                    "each waited at least its delay; the closest, task {task}, by {}",
                    Secs(margin)
                ),
            ),
            (None, None) => (
                Verdict::NotApplicable,
                "no task both started and finished exactly once".to_owned(),
            ),
        };
        Check {
            kind,
            verdict,
            evidence,
        }
    }

    /// The tasks that started and finished exactly once, in the order they finished, timed
    /// from the first start; `None` when no task started.
    pub(super) fn timed_finishes(&self, delays: &[Duration]) -> Option<Vec<Timed>> {
        let base = self.first_start?;
        // Offsets from the first start: no `Instant` arithmetic that could overflow.
        let since = |at: Instant| at.saturating_duration_since(base);
        Some(
            self.finish_order
                .iter()
                .filter_map(|&task| {
                    let tally = &self.tallies[task];
                    let (started, finished) = tally.span()?;
                    // A start journaled last (after its own finish) has no next entry: the
                    // start is then the only bound there is.
                    let set_by = tally.timer_set_by.unwrap_or(started);
                    Some(Timed {
                        task,
                        due: since(started).saturating_add(delays[task]),
                        due_by: since(set_by).saturating_add(delays[task]),
                        finished: since(finished),
                    })
                })
                .collect(),
        )
    }

    /// How far apart the tasks started, if they all started within one timer tick.
    pub(super) fn started_together(&self) -> Option<Duration> {
        let spread = self.last_start? - self.first_start?;
        (spread < TIMER_TICK).then_some(spread)
    }
}

/// One task's finish, timed from the run's first start.
///
/// Its timer's deadline is not in the journal, only bounds on it: the task set its timer after
/// it journaled its start, and (on one thread) before the next entry was journaled.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timed {
    pub(super) task: usize,
    /// Its start plus its delay: the earliest its timer's deadline can be.
    pub(super) due: Duration,
    /// The next journal entry's time plus its delay: the latest its deadline can be.
    pub(super) due_by: Duration,
    pub(super) finished: Duration,
}

pub(super) fn pass_if(holds: bool) -> Verdict {
    if holds { Verdict::Pass } else { Verdict::Fail }
}

pub(super) fn not_applicable(kind: CheckKind, why: &str) -> Check {
    Check {
        kind,
        verdict: Verdict::NotApplicable,
        evidence: why.to_owned(),
    }
}

/// Concurrent tasks take about the longest delay; sequential ones at least the sum. The run
/// passes when its total is nearer the former: `total - longest < sum - total`.
pub(super) fn concurrency_check(total: Duration, sum: Duration, longest: Duration) -> Check {
    let kind = CheckKind::Concurrent;
    if sum - longest < TIMER_TICK {
        return not_applicable(
            kind,
            "the delays other than the longest add up to less than one timer tick, \
             so waiting together or in turn would take the same time",
        );
    }
    let share = 100.0 * total.as_secs_f64() / sum.as_secs_f64();
    let nearer_longest = total.saturating_sub(longest) < sum.saturating_sub(total);
    let evidence = if nearer_longest {
        format!(
            "total {} is nearer the longest delay ({}) than the sum ({}): {share:.1} % of the sum",
            Secs(total),
            Secs(longest),
            Secs(sum)
        )
    } else {
        format!(
            "total {} is nearer the sum of the delays ({}) than the longest ({}): \
             the tasks waited one after another",
            Secs(total),
            Secs(sum),
            Secs(longest)
        )
    };
    Check {
        kind,
        verdict: pass_if(nearer_longest),
        evidence,
    }
}
