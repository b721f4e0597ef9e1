//! Exercise 5: draw a delay from 0–4 s for each of 100 tasks, run them all at once, and prove
//! that the program works.
//!
//! Each task is the lab's [`delay_message`](crate::coro::delay_message), bracketed by two
//! [`Journal`](crate::coro::Journal) entries. The tasks are gathered in one of three ways
//! ([`Gather`]); the run's journal then goes to a [`RunReport`], whose five checks are the proof.
//! [`Settings::run`] does all of it on a fresh runtime (`cargo run --example async_gather`
//! spells out the same steps); [`gather`] does it on the runtime you are in, as the tests do
//! under tokio's paused clock.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::coro::{self, Flavor, Log, RunReport};
use crate::{Error, Result};

mod gantt;
mod run;

pub use gantt::Gantt;
pub use run::{gather, gather_journaled};

/// How the tasks are run together.
///
/// The default follows the runtime ([`Gather::for_flavor`]): `join-all` on one thread —
/// asyncio's model, and the lighter of the two (450 bytes a task against 690, see
/// `docs/PERFORMANCE.md`) — and `join-set` on a multi-threaded runtime, whose threads only
/// spawned tasks can use.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gather {
    /// [`tokio::task::JoinSet`]: each task is spawned on the runtime, like the tasks
    /// `asyncio.gather` wraps its coroutines in. Spawned tasks run on the runtime's worker
    /// threads, are `'static + Send`, and a panic in one comes back as an error.
    JoinSet,
    /// `join_all`'s way: every task is a future polled inside the one task that gathers them —
    /// concurrent, but on that task's thread even on a multi-threaded runtime. The futures may
    /// borrow (here the log and the journal, without cloning handles). Built on the
    /// [`FuturesUnordered`](futures::stream::FuturesUnordered) that
    /// [`futures::future::join_all`] itself uses for more than 30 futures.
    JoinAll,
    /// The classic mistake: `await` each task before starting the next. It works, slowly — the
    /// total is the sum of the delays — and the report catches it.
    Sequential,
}

impl Gather {
    /// Every way, in the order `--gather` lists them.
    pub const ALL: [Gather; 3] = [Gather::JoinSet, Gather::JoinAll, Gather::Sequential];

    /// The default for a runtime: `join-all` on one thread, `join-set` on several.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::Flavor;
    /// use concurrency_lab::lab::async_gather::Gather;
    ///
    /// assert_eq!(Gather::for_flavor(Flavor::CurrentThread), Gather::JoinAll);
    /// assert_eq!(Gather::for_flavor(Flavor::MultiThread), Gather::JoinSet);
    /// ```
    #[must_use]
    pub fn for_flavor(flavor: Flavor) -> Gather {
        match flavor {
            Flavor::CurrentThread => Gather::JoinAll,
            Flavor::MultiThread => Gather::JoinSet,
        }
    }

    /// The name used on the command line.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::async_gather::Gather;
    /// assert_eq!(Gather::JoinAll.name(), "join-all");
    /// ```
    #[must_use]
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
    /// The lab's run — 100 tasks, delays from 0–4 s, one thread, `join-all` — with `seed`.
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
    #[must_use]
    pub fn new(seed: u64) -> Settings {
        Settings {
            tasks: 100,
            max_delay: Duration::from_secs(4),
            seed,
            flavor: Flavor::CurrentThread,
            gather: Gather::for_flavor(Flavor::CurrentThread),
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
#[must_use]
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

#[cfg(test)]
mod tests {
    use super::*;

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
             gathered with join-all"
        );
    }
}
