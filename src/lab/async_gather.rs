//! Exercise 5: draw a delay from 0–4 s for each of 100 tasks, run them all at once, and prove
//! that the program works.
//!
//! Each task is the lab's [`delay_message`], bracketed by two [`Journal`] entries. The tasks are
//! gathered in one of three ways ([`Gather`]); the run's journal then goes to a [`RunReport`],
//! whose five checks are the proof. [`Settings::run`] does all of it on a fresh runtime, as
//! `cargo run --example async_gather` does; [`gather`] does it on the runtime you are in, as the
//! tests do under tokio's paused clock.

use std::any::Any;
use std::borrow::Borrow;
use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::{JoinError, JoinSet, unconstrained};
use tokio::time::Instant;

use crate::coro::{self, Flavor, Journal, Log, RunReport, Step, delay_message};
use crate::{Error, Result};

/// How the tasks are run together.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::async_gather::Gather;
///
/// let how: Gather = "join-set".parse()?;
/// assert_eq!(how, Gather::JoinSet);
/// assert_eq!(how.to_string(), "join-set");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Gather {
    /// [`tokio::task::JoinSet`]: each task is spawned on the runtime, like the tasks
    /// `asyncio.gather` wraps its coroutines in. Spawned tasks run on the runtime's worker
    /// threads, are `'static + Send`, and a panic in one comes back as an error.
    #[default]
    JoinSet,
    /// `join_all`'s way: every task is a future polled inside the one task that gathers them —
    /// concurrent, but on that task's thread even on a multi-threaded runtime. The futures may
    /// borrow (here the log and the journal, without cloning handles). Built on the
    /// [`FuturesUnordered`] that [`futures::future::join_all`] itself uses for more than 30
    /// futures.
    JoinAll,
    /// The classic mistake: `await` each task before starting the next. It works, slowly — the
    /// total is the sum of the delays — and the report catches it.
    Sequential,
}

impl Gather {
    /// Every way, in the order `--gather` lists them.
    pub const ALL: [Gather; 3] = [Gather::JoinSet, Gather::JoinAll, Gather::Sequential];

    /// The name used on the command line.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::async_gather::Gather;
    /// assert_eq!(Gather::JoinAll.name(), "join-all");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Gather::JoinSet => "join-set",
            Gather::JoinAll => "join-all",
            Gather::Sequential => "sequential",
        }
    }
}

impl fmt::Display for Gather {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Gather {
    type Err = Error;

    fn from_str(text: &str) -> Result<Gather> {
        Gather::ALL
            .into_iter()
            .find(|how| how.name() == text)
            .ok_or_else(|| {
                Error::invalid_input(
                    "gather",
                    text,
                    "expected one of join-set, join-all, sequential",
                )
            })
    }
}

/// One run of the exercise: how many tasks, their delays, and how they run.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::{Flavor, Log};
/// use concurrency_lab::lab::async_gather::Settings;
///
/// let settings = Settings {
///     tasks: 5,
///     max_delay: Duration::from_millis(30),
///     ..Settings::new(42)
/// };
/// assert_eq!(settings.flavor, Flavor::CurrentThread);
/// let report = settings.run(&Log::new(Vec::new()))?;
/// assert_eq!(report.tasks(), 5);
/// assert!(report.total() >= report.longest_delay());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How many tasks (the lab: 100).
    pub tasks: usize,
    /// Delays are drawn uniformly from `0..=max_delay` (the lab: 4 s).
    pub max_delay: Duration,
    /// The random generator's seed: the same seed draws the same delays.
    pub seed: u64,
    /// The runtime: one thread (the default, asyncio's model) or several.
    pub flavor: Flavor,
    /// How the tasks are gathered.
    pub gather: Gather,
}

impl Settings {
    /// The lab's run — 100 tasks, delays from 0–4 s, one thread, a `JoinSet` — with `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::lab::async_gather::Settings;
    ///
    /// let settings = Settings::new(7);
    /// assert_eq!((settings.tasks, settings.max_delay), (100, Duration::from_secs(4)));
    /// ```
    pub fn new(seed: u64) -> Settings {
        Settings {
            tasks: 100,
            max_delay: Duration::from_secs(4),
            seed,
            flavor: Flavor::CurrentThread,
            gather: Gather::JoinSet,
        }
    }

    /// The delays these settings draw (see [`random_delays`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `tasks` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::async_gather::Settings;
    /// assert_eq!(Settings::new(1).delays()?, Settings::new(1).delays()?);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn delays(&self) -> Result<Vec<Duration>> {
        random_delays(self.tasks, self.max_delay, self.seed)
    }

    /// Runs the exercise: builds the runtime (`asyncio.run`), draws the delays, gathers the
    /// tasks — each logging to `log` — and returns the run's report.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `tasks` is zero; [`Error::Runtime`] when the runtime cannot
    /// start; then whatever [`gather`] returns.
    ///
    /// # Panics
    ///
    /// When called from inside a tokio runtime (use [`gather`] there).
    ///
    /// # Examples
    ///
    /// See [`Settings`].
    pub fn run<W: Write + Send + 'static>(&self, log: &Log<W>) -> Result<RunReport> {
        let delays = self.delays()?;
        coro::run(self.flavor, gather(&delays, self.gather, log))?
    }
}

impl fmt::Display for Settings {
    /// One line: `100 tasks, delays uniform in 0–4 s (seed 7), current-thread runtime, join-set`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tasks, delays uniform in 0–{} s (seed {}), {} runtime, gathered with {}",
            self.tasks,
            self.max_delay.as_secs_f64(),
            self.seed,
            self.flavor,
            self.gather
        )
    }
}

/// Draws `tasks` delays uniformly from `0..=max_delay` (to the nanosecond) with a generator
/// seeded by `seed`: the same arguments give the same delays with the same build (the generator,
/// `rand`'s `StdRng`, is pinned by `Cargo.lock`).
///
/// # Errors
///
/// [`Error::InvalidInput`] when `tasks` is zero: there would be nothing to gather.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::async_gather::random_delays;
///
/// let max = Duration::from_secs(4);
/// let delays = random_delays(100, max, 42)?;
/// assert_eq!(delays.len(), 100);
/// assert!(delays.iter().all(|&d| d <= max));
/// assert_eq!(delays, random_delays(100, max, 42)?);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn random_delays(tasks: usize, max_delay: Duration, seed: u64) -> Result<Vec<Duration>> {
    if tasks == 0 {
        return Err(Error::invalid_input(
            "number of tasks",
            tasks,
            "there must be at least one task to gather",
        ));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    Ok((0..tasks)
        .map(|_| rng.random_range(Duration::ZERO..=max_delay))
        .collect())
}

/// Reads a maximum delay given in seconds, as on the command line (`--max-delay 4`).
///
/// # Errors
///
/// [`Error::InvalidInput`] for a negative, infinite or NaN number, or one too large for a
/// [`Duration`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::async_gather::max_delay_from_secs;
///
/// assert_eq!(max_delay_from_secs(0.25)?, Duration::from_millis(250));
/// assert!(max_delay_from_secs(-1.0).is_err());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn max_delay_from_secs(secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        Error::invalid_input(
            "maximum delay",
            secs,
            "it must be a non-negative, finite number of seconds",
        )
    })
}

/// The message task `task` logs: `task 17 (2.345 s)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::async_gather::task_message;
///
/// let message = task_message(17, Duration::from_millis(2345));
/// assert_eq!(message.to_string(), "task 17 (2.345 s)");
/// ```
pub fn task_message(task: usize, delay: Duration) -> TaskMessage {
    TaskMessage { task, delay }
}

/// A task's message, formatted only when a line is logged: a million waiting tasks then hold
/// sixteen bytes each instead of a `String`. Made by [`task_message`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::async_gather::task_message;
///
/// assert_eq!(format!("{} received", task_message(3, Duration::ZERO)), "task 3 (0.000 s) received");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskMessage {
    task: usize,
    delay: Duration,
}

impl fmt::Display for TaskMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whole milliseconds with integer formatting: cheaper than a float, for a million tasks.
        let (secs, millis) = (self.delay.as_secs(), self.delay.subsec_millis());
        write!(f, "task {} ({secs}.{millis:03} s)", self.task)
    }
}

/// Runs one task per delay, all at once (or, for [`Gather::Sequential`], one after another),
/// each calling [`delay_message`] with `log`; journals every start and finish, and returns the
/// [`RunReport`] of the run. Call it inside a tokio runtime; the total time is read from
/// [`tokio::time::Instant`], so under a paused test clock a 4-second run takes milliseconds.
///
/// The first error ends the gather and cancels the tasks still waiting (dropping a `JoinSet`
/// aborts its tasks; dropping a `FuturesUnordered` drops its futures), as asyncio's `gather`
/// raises the first exception.
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
    Ok(RunReport::new(delays, &journal.take(), total, flavor))
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

    #[test]
    fn the_same_seed_draws_the_same_delays_and_another_seed_others() {
        let max = Duration::from_secs(4);
        let a = random_delays(1000, max, 1).expect("valid");
        assert_eq!(a, random_delays(1000, max, 1).expect("valid"));
        assert_ne!(a, random_delays(1000, max, 2).expect("valid"));
        assert!(a.iter().all(|&d| d <= max));
        // Uniform over 0–4 s: a thousand draws spread over the whole range.
        assert!(a.iter().any(|&d| d < Duration::from_millis(100)));
        assert!(a.iter().any(|&d| d > Duration::from_millis(3900)));
    }

    #[test]
    fn zero_tasks_is_refused_and_zero_delay_is_fine() {
        let err = random_delays(0, Duration::from_secs(1), 0).expect_err("nothing to gather");
        assert!(matches!(
            err,
            Error::InvalidInput {
                what: "number of tasks",
                ..
            }
        ));
        let delays = random_delays(3, Duration::ZERO, 0).expect("valid");
        assert_eq!(delays, [Duration::ZERO; 3]);
    }

    #[test]
    fn a_maximum_delay_must_be_a_finite_non_negative_number() {
        for bad in [-0.5, f64::NAN, f64::INFINITY, 1e30] {
            let err = max_delay_from_secs(bad).expect_err("refused");
            assert!(err.to_string().contains("maximum delay"), "{err}");
        }
        assert_eq!(max_delay_from_secs(0.0).expect("valid"), Duration::ZERO);
    }

    #[test]
    fn gather_names_round_trip_and_unknown_names_are_refused() {
        for how in Gather::ALL {
            assert_eq!(how.name().parse::<Gather>().expect("known"), how);
        }
        let err = "gather".parse::<Gather>().expect_err("unknown");
        assert!(err.to_string().contains("join-set"), "{err}");
    }

    #[test]
    fn settings_describe_themselves_in_one_line() {
        let text = Settings::new(9).to_string();
        assert_eq!(
            text,
            "100 tasks, delays uniform in 0–4 s (seed 9), current-thread runtime, \
             gathered with join-set"
        );
    }

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
