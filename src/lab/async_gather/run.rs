//! Running the exercise's tasks: the three ways of gathering them, each task journaled.

use std::any::Any;
use std::borrow::Borrow;
use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::task::{JoinError, JoinSet, unconstrained};
use tokio::time::Instant;

use super::{Gather, task_message};
use crate::coro::{Entry, Flavor, Journal, Log, RunReport, Step, delay_message};
use crate::{Error, Result};

/// Runs one task per delay, all at once (or, for [`Gather::Sequential`], one after another),
/// each calling [`delay_message`] with `log`; journals every start and finish, and returns the
/// [`RunReport`] of the run. Call it inside a tokio runtime; the total time is read from
/// [`tokio::time::Instant`], so under a paused test clock a 4-second run takes milliseconds.
///
/// The first error ends the gather, as asyncio's `gather` raises the first exception; unlike
/// asyncio, which lets the other coroutines run on, it also cancels the tasks still waiting
/// (dropping a `JoinSet` aborts its tasks; dropping a `FuturesUnordered` drops its futures).
///
/// # Errors
///
/// [`Error::SinkWrite`] when the log's sink refuses a line; with [`Gather::JoinSet`],
/// [`Error::AsyncTask`] when a task panicked.
///
/// # Panics
///
/// With [`Gather::JoinAll`] and [`Gather::Sequential`], a panic in a task (in the sink's
/// `write`, say) unwinds into the caller: those tasks are plain futures, not spawned tasks.
///
/// # Examples
///
/// Besides this crate, the example uses `tokio` (in your own crate: `tokio = { version = "1",
/// features = ["macros", "rt", "time", "test-util"] }`; `test-util` is for the paused clock):
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::Log;
/// use concurrency_lab::lab::async_gather::{gather, Gather};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> concurrency_lab::Result<()> {
/// let delays = [2, 3, 1].map(Duration::from_secs);
/// let report = gather(&delays, Gather::JoinAll, &Log::new(std::io::sink())).await?;
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.total(), Duration::from_secs(3));
/// # Ok(())
/// # }
/// ```
pub async fn gather<W: Write + Send + 'static>(
    delays: &[Duration],
    how: Gather,
    log: &Log<W>,
) -> Result<RunReport> {
    gather_journaled(delays, how, log)
        .await
        .map(|(report, _)| report)
}

/// [`gather`], returning the run's journal too: every task's start and finish, in the order
/// they happened — what a [`Gantt`](super::Gantt) chart draws.
///
/// # Errors
///
/// As [`gather`].
///
/// # Panics
///
/// As [`gather`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::{Log, Step};
/// use concurrency_lab::lab::async_gather::{gather_journaled, Gather};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> concurrency_lab::Result<()> {
/// let delays = [1, 2].map(Duration::from_secs);
/// let (report, journal) = gather_journaled(&delays, Gather::JoinAll, &Log::new(std::io::sink())).await?;
/// assert!(report.passed());
/// assert_eq!(journal.len(), 4);
/// assert_eq!(journal.iter().filter(|e| e.step == Step::Finished).count(), 2);
/// # Ok(())
/// # }
/// ```
pub async fn gather_journaled<W: Write + Send + 'static>(
    delays: &[Duration],
    how: Gather,
    log: &Log<W>,
) -> Result<(RunReport, Vec<Entry>)> {
    let journal = Journal::with_capacity(2 * delays.len());
    let start = Instant::now();
    match how {
        Gather::JoinAll => join_all(delays, log, &journal).await?,
        Gather::JoinSet => join_set(delays, log, &journal).await?,
        Gather::Sequential => {
            for (task, &delay) in delays.iter().enumerate() {
                journaled_task(task, delay, log, &journal).await?;
            }
        }
    }
    let total = start.elapsed();
    let flavor = Flavor::current().unwrap_or_default();
    let entries = journal.take();
    Ok((RunReport::new(delays, &entries, total, flavor), entries))
}

/// One task of the run: the lab's coroutine between two journal entries.
///
/// It takes the log and the journal by reference (`join_all`'s futures borrow them) or as owned
/// handles (a spawned task must own what it uses): `Borrow` accepts both, and an owned handle is
/// then stored once, not once and again as a reference to itself.
async fn journaled_task<W: Write>(
    task: usize,
    delay: Duration,
    log: impl Borrow<Log<W>>,
    journal: impl Borrow<Journal>,
) -> Result<()> {
    journal.borrow().record(task, Step::Started);
    delay_message(delay, task_message(task, delay), log.borrow()).await?;
    journal.borrow().record(task, Step::Finished);
    Ok(())
}

/// Polls every task inside the calling task, as `join_all` does for more than 30 futures, but
/// without the heap that puts `join_all`'s results back in input order: the tasks return
/// nothing, and at a million tasks that heap costs a fifth of the run.
async fn join_all<W: Write>(delays: &[Duration], log: &Log<W>, journal: &Journal) -> Result<()> {
    let mut waiting: FuturesUnordered<_> = delays
        .iter()
        .enumerate()
        .map(|(task, &delay)| journaled_task(task, delay, log, journal))
        .collect();
    // Tokio's cooperative budget makes a task yield after 128 timer completions: the next timer
    // answers "not ready" and schedules the wake-up for later. `FuturesUnordered` cannot see a
    // wake-up scheduled for later, so it re-polls every waiting future on each turn — quadratic,
    // minutes for 300,000 tasks (futures-rs issue 2053). `unconstrained` lifts the budget for
    // this gather; its futures still give the thread back whenever none of them is ready.
    unconstrained(async {
        while let Some(result) = waiting.next().await {
            result?;
        }
        Ok(())
    })
    .await
}

/// Spawns every task into a `JoinSet` and waits for them in the order they finish.
async fn join_set<W: Write + Send + 'static>(
    delays: &[Duration],
    log: &Log<W>,
    journal: &Journal,
) -> Result<()> {
    let mut set = JoinSet::new();
    // tokio numbers its tasks its own way; this maps its ids back to ours, for error messages.
    let mut ids = Vec::with_capacity(delays.len());
    for (task, &delay) in delays.iter().enumerate() {
        // A spawned task must own what it uses ('static): each gets its own handles.
        let handle = set.spawn(journaled_task(task, delay, log.clone(), journal.clone()));
        ids.push(handle.id());
    }
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((_, result)) => result?,
            Err(err) => {
                let task = ids.iter().position(|&id| id == err.id());
                return Err(task_failure(task, err));
            }
        }
    }
    Ok(())
}

/// Turns tokio's report of a panicked or cancelled task into the crate's error.
fn task_failure(task: Option<usize>, err: JoinError) -> Error {
    let who = task.map_or_else(|| "a task".to_owned(), |task| format!("task {task}"));
    let reason = match err.try_into_panic() {
        Ok(payload) => format!("{who} panicked: {}", panic_message(payload.as_ref())),
        Err(_) => format!("{who} was cancelled"),
    };
    Error::AsyncTask { reason }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "(a panic payload that is not text)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coro::{CheckKind, Verdict};
    use crate::lab::async_gather::{random_delays, task_message};

    #[tokio::test(start_paused = true)]
    async fn every_way_of_gathering_logs_each_task_twice() {
        let delays = random_delays(40, Duration::from_secs(4), 5).expect("valid");
        for how in Gather::ALL {
            let log = Log::new(Vec::new());
            let report = gather(&delays, how, &log)
                .await
                .expect("a Vec accepts writes");
            assert_eq!(report.check(CheckKind::FinishedOnce).verdict, Verdict::Pass);
            let text = String::from_utf8(log.into_inner().expect("tasks done")).expect("utf-8");
            assert_eq!(text.lines().count(), 80, "{how}");
            for (task, &delay) in delays.iter().enumerate() {
                let message = task_message(task, delay);
                let received = format!(":{message} received");
                let printing = format!(":printing {message}");
                assert_eq!(text.lines().filter(|l| l.ends_with(&received)).count(), 1);
                assert_eq!(text.lines().filter(|l| l.ends_with(&printing)).count(), 1);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_sink_in_a_join_set_becomes_an_error_naming_the_task() {
        struct Exploding;
        impl Write for Exploding {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                panic!("the sink exploded")
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let delays = [Duration::from_secs(1)];
        let err = gather(&delays, Gather::JoinSet, &Log::new(Exploding))
            .await
            .expect_err("the task panicked");
        let Error::AsyncTask { reason } = err else {
            panic!("expected AsyncTask, got {err:?}");
        };
        assert_eq!(reason, "task 0 panicked: the sink exploded");
    }
}
