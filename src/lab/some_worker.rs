//! Exercise 4: worker threads print their ids periodically until the main thread stops them
//! through their queues.
//!
//! The lab's `SomeWorker` is a `threading.Thread` subclass whose constructor takes a number. The
//! exercise asks for two changes: the worker should print its id (set in the constructor) over
//! and over, and the main thread should be able to stop it by putting a message on a `Queue`.
//!
//! In this crate the worker itself is [`workers::Worker`](crate::workers::Worker): an id given at
//! construction, a periodic job, a queue it waits on between ticks. This file supplies the
//! exercise's job (write `worker <id>` to a sink shared by all the workers), the program's
//! steps ([`run`]), and the closing report ([`RunReport`]).

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::workers::{Worker, WorkerGroup, WorkerReport};
use crate::{Error, Result};

/// The exercise's command line: how many workers, how often each prints, how long main lets
/// them run before stopping them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::some_worker::Settings;
///
/// let settings = Settings {
///     workers: 3,
///     period: Duration::from_millis(500),
///     run_for: Duration::from_secs(3),
/// };
/// assert!(settings.check().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How many workers to start; ids are `0..workers`.
    pub workers: usize,
    /// Time between two prints of the same worker.
    pub period: Duration,
    /// How long main lets the workers run before it stops them.
    pub run_for: Duration,
}

impl Settings {
    /// Checks that the settings describe a run worth watching.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `workers` is zero (nothing would print) or `period` is zero
    /// (the workers would print without pause).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, lab::some_worker::Settings};
    ///
    /// let idle = Settings { workers: 0, period: Duration::from_secs(1), run_for: Duration::ZERO };
    /// assert!(matches!(idle.check(), Err(Error::InvalidInput { what: "workers", .. })));
    /// ```
    pub fn check(&self) -> Result<()> {
        if self.workers == 0 {
            return Err(Error::invalid_input(
                "workers",
                self.workers,
                "start at least one worker",
            ));
        }
        if self.period.is_zero() {
            return Err(Error::invalid_input(
                "period",
                format!("{:?}", self.period),
                "workers need a pause between prints; give at least 1 ms",
            ));
        }
        Ok(())
    }
}

/// Starts `count` workers with ids `0..count`; on every tick, worker `id` writes the line
/// `worker <id>` to the shared `sink`.
///
/// The starts are spread over one period (worker `k` starts `k × period / count` after worker
/// 0), so the ids come out in turn — `0, 1, 2, 0, 1, 2…` — instead of in bursts. This function
/// therefore returns after almost one period.
///
/// The workers share one sink behind a mutex and write each line whole while holding it, so
/// lines never interleave mid-way, and flush it at once, so a buffered sink shows each line
/// when it happens.
///
/// # Errors
///
/// As for [`Worker::spawn`]: a zero `period`, or a thread the system refused. Workers already
/// started are stopped before the error is returned.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use concurrency_lab::lab::some_worker::spawn_some_workers;
///
/// let sink = Arc::new(Mutex::new(Vec::new()));
/// let group = spawn_some_workers(2, Duration::from_millis(5), &sink)?;
/// let reports: Vec<_> = group.stop().into_iter().collect::<Result<_, _>>()?;
///
/// let text = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
/// let zeros = text.lines().filter(|line| *line == "worker 0").count();
/// assert_eq!(zeros as u64, reports[0].ticks);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn spawn_some_workers<W>(
    count: usize,
    period: Duration,
    sink: &Arc<Mutex<W>>,
) -> Result<WorkerGroup>
where
    W: Write + Send + 'static,
{
    let gap = period / u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    (0..count)
        .map(|id| {
            if id > 0 {
                thread::sleep(gap);
            }
            let sink = Arc::clone(sink);
            Worker::spawn(id, period, move |id| {
                write_line(&sink, format_args!("worker {id}"))
            })
        })
        .collect()
}

/// The whole exercise: start the workers, let them print for `run_for`, then stop every worker
/// through its queue and wait for all of them.
///
/// # Errors
///
/// [`Error::InvalidInput`] for settings [`Settings::check`] refuses, [`Error::ThreadSpawn`]
/// when a worker cannot be started. A worker that fails on its own (its sink refused a line) is
/// not an error of the run: it appears in the report.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use concurrency_lab::lab::some_worker::{run, Settings};
///
/// let settings = Settings { workers: 2, period: Duration::from_millis(5), run_for: Duration::from_millis(20) };
/// let sink = Arc::new(Mutex::new(Vec::new()));
/// let report = run(&settings, &sink)?;
/// assert!(report.all_clean());
/// assert!(report.to_string().ends_with("all 2 workers stopped\n"));
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn run<W>(settings: &Settings, sink: &Arc<Mutex<W>>) -> Result<RunReport>
where
    W: Write + Send + 'static,
{
    settings.check()?;
    let group = spawn_some_workers(settings.workers, settings.period, sink)?;
    thread::sleep(settings.run_for);
    Ok(RunReport {
        outcomes: group.stop(),
    })
}

/// How each worker ended, in id order; its `Display` is the program's closing report.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::some_worker::RunReport;
/// use concurrency_lab::workers::WorkerReport;
///
/// let report = RunReport {
///     outcomes: vec![Ok(WorkerReport { id: 0, ticks: 6 }), Ok(WorkerReport { id: 1, ticks: 1 })],
/// };
/// assert_eq!(
///     report.to_string(),
///     "worker 0 printed its id 6 times\nworker 1 printed its id 1 time\nall 2 workers stopped\n",
/// );
/// ```
#[derive(Debug)]
pub struct RunReport {
    /// One outcome per worker, in id order: how many times it printed, or how it failed.
    pub outcomes: Vec<Result<WorkerReport>>,
}

impl RunReport {
    /// Whether every worker printed until it was told to stop (none failed or panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{lab::some_worker::RunReport, workers::Worker};
    ///
    /// let fragile = Worker::spawn(0, Duration::from_millis(1), |_| panic!("boom"))?;
    /// let panicked = fragile.stop(); // Err(Error::WorkerPanicked { .. })
    /// assert!(!RunReport { outcomes: vec![panicked] }.all_clean());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn all_clean(&self) -> bool {
        self.outcomes.iter().all(Result::is_ok)
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for outcome in &self.outcomes {
            match outcome {
                Ok(WorkerReport { id, ticks: 1 }) => {
                    writeln!(f, "worker {id} printed its id 1 time")?
                }
                Ok(WorkerReport { id, ticks }) => {
                    writeln!(f, "worker {id} printed its id {ticks} times")?
                }
                Err(err) => writeln!(f, "{err}")?,
            }
        }
        // The outcomes only exist once every worker was joined, so "stopped" is a fact.
        match self.outcomes.len() {
            0 => write!(f, "no worker was started")?,
            1 => write!(f, "the worker stopped")?,
            n => write!(f, "all {n} workers stopped")?,
        }
        let failed = self.outcomes.iter().filter(|o| o.is_err()).count();
        match failed {
            0 => writeln!(f),
            1 => writeln!(f, " (1 of them had failed before)"),
            _ => writeln!(f, " ({failed} of them had failed before)"),
        }
    }
}

/// Writes one whole line to the shared sink and flushes it.
fn write_line<W: Write>(sink: &Mutex<W>, line: fmt::Arguments<'_>) -> io::Result<()> {
    // A poisoned lock means a writer panicked mid-line; the sink itself is still usable.
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    sink.write_fmt(line)?;
    sink.write_all(b"\n")?;
    sink.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::BrokenPipe;
    use std::collections::BTreeMap;

    fn settings(workers: usize, period_ms: u64, run_for_ms: u64) -> Settings {
        Settings {
            workers,
            period: Duration::from_millis(period_ms),
            run_for: Duration::from_millis(run_for_ms),
        }
    }

    /// How many `worker <id>` lines each id wrote.
    fn count_lines(text: &str) -> BTreeMap<usize, u64> {
        let mut counts = BTreeMap::new();
        for id in text.lines().filter_map(|line| line.strip_prefix("worker ")) {
            *counts.entry(id.parse().expect("an id")).or_default() += 1;
        }
        counts
    }

    #[test]
    fn refuses_runs_with_nothing_to_watch() {
        let no_workers = settings(0, 10, 10).check().unwrap_err();
        assert!(no_workers.to_string().contains("invalid workers \"0\""));
        let no_pause = settings(2, 0, 10).check().unwrap_err();
        assert!(matches!(
            no_pause,
            Error::InvalidInput { what: "period", .. }
        ));
        assert!(run(&settings(0, 10, 10), &Arc::new(Mutex::new(Vec::new()))).is_err());
    }

    #[test]
    fn every_worker_prints_exactly_as_often_as_it_reports() {
        let sink = Arc::new(Mutex::new(Vec::new()));
        let report = run(&settings(3, 2, 30), &sink).unwrap();
        assert!(report.all_clean(), "{report}");

        let text = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
        let printed = count_lines(&text);
        let reported: BTreeMap<usize, u64> = report
            .outcomes
            .iter()
            .map(|o| o.as_ref().map(|r| (r.id, r.ticks)).unwrap())
            .collect();
        assert_eq!(printed, reported);
        assert_eq!(printed.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
        assert!(
            printed.values().all(|&n| n >= 1),
            "the first tick is immediate"
        );
        assert_eq!(
            text.lines().count() as u64,
            printed.values().sum::<u64>(),
            "{text}"
        );
    }

    #[test]
    fn a_worker_whose_sink_fails_is_reported_not_fatal() {
        let report = run(&settings(2, 2, 5), &Arc::new(Mutex::new(BrokenPipe))).unwrap();
        assert!(!report.all_clean());
        for (id, outcome) in report.outcomes.iter().enumerate() {
            match outcome {
                Err(Error::WorkerFailed { id: failed, source }) => {
                    assert_eq!(*failed, id);
                    assert_eq!(source.kind(), io::ErrorKind::BrokenPipe);
                }
                other => panic!("worker {id}: expected a failure, got {other:?}"),
            }
        }
        assert!(
            report
                .to_string()
                .ends_with("all 2 workers stopped (2 of them had failed before)\n")
        );
    }

    #[test]
    fn report_names_each_failure_and_counts_them() {
        let report = RunReport {
            outcomes: vec![
                Ok(WorkerReport { id: 0, ticks: 3 }),
                Err(Error::WorkerPanicked {
                    id: 1,
                    message: "out of ink".into(),
                }),
            ],
        };
        assert_eq!(
            report.to_string(),
            "worker 0 printed its id 3 times\n\
             worker 1 panicked: out of ink\n\
             all 2 workers stopped (1 of them had failed before)\n"
        );
        let alone = RunReport {
            outcomes: vec![Ok(WorkerReport { id: 4, ticks: 1 })],
        };
        assert_eq!(
            alone.to_string(),
            "worker 4 printed its id 1 time\nthe worker stopped\n"
        );
    }
}
