//! The completion-order check: tasks finish in the order they fell due, except where the
//! runtime fell behind and fired a backlog of due timers together.
//!
//! The model, for tokio's current-thread runtime (tokio 1.54, read in its source). Its timer
//! counts whole ticks of 1 ms, rounding each deadline up; each time the loop reads its timer
//! it fires *every* timer whose tick has come, earlier ticks first, and puts the woken tasks
//! at the back of its one first-in-first-out queue; tasks woken by a later reading run after
//! them. A task of the exercise finishes in the turn its timer wakes it. So the finishes come
//! in blocks, one per reading, every tick in a block later than every tick in the blocks
//! before it, and every finish in a block after all of the block's deadlines.
//!
//! The journal does not show a task's deadline, only bounds on it: the task set its timer
//! after it journaled its start and, on one thread, before the next entry was journaled (it
//! sets its timer in the same turn, and no other task runs in between). So it fell due
//! between `due` (start + delay) and `due_by` (next entry + delay). The two are microseconds
//! apart unless the process was paused in between — and then the task really did fall due
//! later: reading start + delay as *the* due time failed correct runs that were preempted.
//!
//! The check asks whether *some* cut of the finishing order into blocks fits the model, and
//! fails the run when none does:
//!
//! - a task is *late* when it finished after one due, for certain, a tick or more later (that
//!   one's `due` a tick past its `due_by`): both were then fired in one reading. Finishes tied
//!   together by late tasks form one *stretch*: the finest cut such that no late task's
//!   partner is in another stretch. The finer the cut, the fewer finishes one reading must
//!   explain: this is the most lenient grouping a late runtime could have produced;
//! - a reading that fired a whole stretch came after every deadline in it, so none of its
//!   tasks can have finished before the latest `due` in it. A stretch whose first finish comes
//!   earlier was not a backlog: the loop was keeping time, and its late tasks are out of order.
//!
//! Every correct run passes: its readings are a cut that fits, and the stretches refine it.
//! Two tasks alone cannot prove disorder (a loop stalled past both due times may run them
//! either way); a third that finished on time between them can. Due times less than one tick
//! apart are ties: they may share a tick.

use std::time::Duration;

use super::reading::{Reading, Timed, not_applicable, pass_if};
use super::show::{Secs, TaskList};
use super::{Check, CheckKind, TICK_TEXT, TIMER_TICK};
use crate::coro::Flavor;

/// What "due" means in the evidence: the journal brackets each timer's deadline.
pub(super) const DUE_NOTE: &str = "(due: between start + delay and the next journal entry + delay)";

/// A task that finished after another that fell due at least one tick later.
#[derive(Debug, Clone, Copy)]
struct Inversion {
    gap: Duration,
    task: usize,
    before: usize,
}

/// Consecutive finishes tied together by late tasks.
#[derive(Debug, Clone, Copy)]
struct Stretch {
    tasks: usize,
    /// The stretch's first finish.
    first: Timed,
    earliest_due: Duration,
    /// The task with the latest due time.
    latest: Timed,
}

impl Stretch {
    fn new(timed: Timed) -> Stretch {
        Stretch {
            tasks: 1,
            first: timed,
            earliest_due: timed.due,
            latest: timed,
        }
    }

    fn add(&mut self, timed: Timed) {
        self.tasks += 1;
        self.earliest_due = self.earliest_due.min(timed.due);
        if timed.due > self.latest.due {
            self.latest = timed;
        }
    }

    /// How long before the last due time in it the stretch began to finish: zero for a
    /// backlog the runtime fired late, after all of it had fallen due.
    fn shortfall(&self) -> Duration {
        self.latest.due.saturating_sub(self.first.finished)
    }
}

/// The stretch being read, with its late tasks.
struct Open {
    stretch: Stretch,
    late: TaskList,
    worst: Option<Inversion>,
}

impl Open {
    fn new(timed: Timed) -> Open {
        Open {
            stretch: Stretch::new(timed),
            late: TaskList::default(),
            worst: None,
        }
    }
}

/// What the finishing order showed.
#[derive(Default)]
struct Seen {
    /// Every late task.
    late: TaskList,
    /// Stretches with a late task that the runtime fired after their last due time.
    backlogs: usize,
    largest_backlog: Option<Stretch>,
    /// The late tasks of stretches that no lateness explains, and the worst of those.
    unexplained: TaskList,
    worst_unexplained: Option<Stretch>,
    worst_inversion: Option<Inversion>,
}

impl Seen {
    fn close(&mut self, open: Open) {
        let Open {
            stretch,
            late,
            worst,
        } = open;
        let Some(worst) = worst else { return };
        if stretch.shortfall().is_zero() {
            self.backlogs += 1;
            if self
                .largest_backlog
                .is_none_or(|largest| stretch.tasks > largest.tasks)
            {
                self.largest_backlog = Some(stretch);
            }
            return;
        }
        self.unexplained.extend(late);
        if self
            .worst_unexplained
            .is_none_or(|w| stretch.shortfall() > w.shortfall())
        {
            self.worst_unexplained = Some(stretch);
        }
        if self.worst_inversion.is_none_or(|w| worst.gap > w.gap) {
            self.worst_inversion = Some(worst);
        }
    }
}

/// Reads the finishing order into stretches (see the module's documentation).
fn read(finishes: &[Timed]) -> Seen {
    let mut seen = Seen::default();
    let Some((&first, rest)) = finishes.split_first() else {
        return seen;
    };
    // `due_by_from[p]`: the latest due time the finishes from position `p` on can all have
    // reached, i.e. the least of their `due_by`. A stretch may end before `p` unless a task
    // before `p` fell due a tick or more after one of those, for certain.
    let mut due_by_from: Vec<Duration> = finishes.iter().map(|t| t.due_by).collect();
    for p in (1..due_by_from.len()).rev() {
        due_by_from[p - 1] = due_by_from[p - 1].min(due_by_from[p]);
    }
    let mut open = Open::new(first);
    // The finished task with the latest (earliest possible) due time so far.
    let mut latest = first;
    for (&timed, &due_by_later) in rest.iter().zip(&due_by_from[1..]) {
        if latest.due.saturating_sub(due_by_later) < TIMER_TICK {
            seen.close(std::mem::replace(&mut open, Open::new(timed)));
        } else {
            open.stretch.add(timed);
        }
        let gap = latest.due.saturating_sub(timed.due_by);
        if gap >= TIMER_TICK {
            seen.late.push(timed.task);
            open.late.push(timed.task);
            if open.worst.is_none_or(|w| gap > w.gap) {
                open.worst = Some(Inversion {
                    gap,
                    task: timed.task,
                    before: latest.task,
                });
            }
        }
        if timed.due > latest.due {
            latest = timed;
        }
    }
    seen.close(open);
    seen
}

/// Whether the check would pass had every task set its timer the instant it journaled its
/// start (the reading of the journal this module used to make): tests use it to show that a
/// run they built provokes that reading.
#[cfg(test)]
pub(super) fn passes_taking_starts_as_timers(finishes: &[Timed]) -> bool {
    let naive: Vec<Timed> = finishes
        .iter()
        .map(|t| Timed {
            due_by: t.due,
            ..*t
        })
        .collect();
    read(&naive).worst_unexplained.is_none()
}

pub(super) fn order_check(reading: &Reading, delays: &[Duration], flavor: Flavor) -> Check {
    let kind = CheckKind::CompletionOrder;
    let Some(finishes) = reading.timed_finishes(delays) else {
        return not_applicable(kind, "no task started");
    };
    if finishes.len() < 2 {
        return not_applicable(kind, "fewer than two tasks ran once to the end");
    }
    let seen = read(&finishes);
    let late_text = format!("finished after a task due {TICK_TEXT} or more later");
    let evidence = match (seen.worst_unexplained, seen.worst_inversion) {
        (Some(stretch), Some(worst)) => format!(
            "{} while the runtime kept time: task {} finished {} before task {} fell due, in \
             one stretch of finishes with them, and a runtime that falls behind fires such a \
             stretch together, after its last due time; worst: task {} finished after task {}, \
             which fell due at least {} after it {DUE_NOTE}",
            seen.unexplained.describe(&late_text),
            stretch.first.task,
            Secs(stretch.shortfall()),
            stretch.latest.task,
            worst.task,
            worst.before,
            Secs(worst.gap),
        ),
        _ => match seen.largest_backlog {
            Some(largest) => format!(
                "{}, each in a backlog the runtime fired late, after all of it fell due \
                 ({} {}; the largest: {} tasks due over {}, finishing from {} after the \
                 earliest of them fell due) {DUE_NOTE}",
                seen.late.describe(&late_text),
                seen.backlogs,
                if seen.backlogs == 1 {
                    "backlog"
                } else {
                    "backlogs"
                },
                largest.tasks,
                Secs(largest.latest.due - largest.earliest_due),
                Secs(largest.first.finished.saturating_sub(largest.earliest_due)),
            ),
            None => format!(
                "none of {} {late_text} {DUE_NOTE}{}",
                finishes.len(),
                reading
                    .started_together()
                    .map_or(String::new(), |spread| format!(
                        "; all started within {}, so this is the order of their delays",
                        Secs(spread)
                    ))
            ),
        },
    };
    // The current-thread scheduler runs woken tasks first in, first out, in the order the
    // timer woke them. The multi-threaded one runs them in parallel, on threads the OS may
    // pause, and puts the task a worker woke last first in line (its "LIFO slot").
    if flavor == Flavor::MultiThread {
        return not_applicable(
            kind,
            &format!(
                "a multi-thread runtime promises no finishing order: its workers run in \
                 parallel and the OS may pause any of them; seen: {evidence}"
            ),
        );
    }
    Check {
        kind,
        verdict: pass_if(seen.worst_unexplained.is_none()),
        evidence,
    }
}
