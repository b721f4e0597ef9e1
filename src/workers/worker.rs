//! One long-lived worker thread: an id, a periodic job, and a queue that stops it.

use std::io;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, RecvTimeoutError, Sender, TrySendError};

use crate::panic_message::panic_message;
use crate::{Error, Result};

/// The one message a worker's queue carries: "finish your current tick and return".
#[derive(Debug)]
struct Stop;

/// What a worker did, once it has stopped cleanly.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::workers::Worker;
///
/// let worker = Worker::spawn(4, Duration::from_millis(10), |_id| Ok(()))?;
/// let report = worker.stop()?;
/// assert_eq!(report.id, 4);
/// assert!(report.ticks >= 1, "a worker always does its first tick");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerReport {
    /// The id the worker was given at construction.
    pub id: usize,
    /// How many times its job ran and succeeded.
    pub ticks: u64,
}

/// A long-lived thread with an id fixed at construction that runs `job(id)` once per `period`
/// until a stop message arrives on its queue — the lab's `SomeWorker`, a `threading.Thread`
/// subclass, in Rust.
///
/// The worker waits between ticks *on its queue* (`recv_timeout`), not in `thread::sleep`, so a
/// stop message wakes it at once instead of after the rest of its period. The first tick runs
/// as soon as the thread starts, so every worker ticks at least once.
///
/// The worker also stops when its job returns an error, or panics; [`Worker::stop`] then reports
/// what happened.
///
/// Dropping a `Worker` stops it and waits for its thread (at most the tick in progress): no
/// worker outlives its handle.
///
/// # Examples
///
/// Besides this crate, the example uses `crossbeam`'s channels (in your own crate: `crossbeam =
/// "0.8"`):
///
/// ```
/// use std::time::Duration;
/// use crossbeam::channel;
/// use concurrency_lab::workers::Worker;
///
/// let (lines, printed) = channel::unbounded();
/// let worker = Worker::spawn(7, Duration::from_millis(5), move |id| {
///     lines.send(format!("worker {id}")).map_err(std::io::Error::other)
/// })?;
///
/// // Wait (with a bound, as always in tests) for its first line, then stop it.
/// let first = printed.recv_timeout(Duration::from_secs(10)).expect("the first tick is immediate");
/// assert_eq!(first, "worker 7");
/// let report = worker.stop()?;
/// assert_eq!(report.ticks as usize, 1 + printed.try_iter().count());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "a Worker that is dropped is stopped at once; keep it, and `.stop()` it to learn how it ended"]
#[derive(Debug)]
pub struct Worker {
    id: usize,
    queue: Sender<Stop>,
    /// `None` only once [`Worker::stop`] has taken it; `Drop` joins whatever is left.
    thread: Option<JoinHandle<Result<u64>>>,
}

impl Worker {
    /// Starts a thread named `worker-{id}` that calls `job(id)` now and then once every
    /// `period`, until it is stopped.
    ///
    /// The job returns [`io::Result`] because a periodic job is there for its side effect —
    /// printing, writing, sending — and those fail as I/O errors; wrap anything else with
    /// [`io::Error::other`].
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidInput`] when `period` is zero: the worker would spin without pause.
    /// - [`Error::ThreadSpawn`] when the operating system refuses to start the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, workers::Worker};
    ///
    /// let worker = Worker::spawn(1, Duration::from_secs(3600), |_id| Ok(()))?;
    /// assert_eq!(worker.id(), 1);
    /// worker.stop()?; // returns at once, although the worker was in the middle of its hour
    ///
    /// let spin = Worker::spawn(2, Duration::ZERO, |_id| Ok(()));
    /// assert!(matches!(spin, Err(Error::InvalidInput { what: "period", .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn spawn<J>(id: usize, period: Duration, job: J) -> Result<Worker>
    where
        J: FnMut(usize) -> io::Result<()> + Send + 'static,
    {
        if period.is_zero() {
            return Err(Error::invalid_input(
                "period",
                format!("{period:?}"),
                "a worker needs a pause between ticks; give it at least a nanosecond",
            ));
        }
        // One slot is enough: a second stop message would say nothing new.
        let (queue, inbox) = channel::bounded(1);
        let name = format!("worker-{id}");
        let thread = thread::Builder::new()
            .name(name.clone())
            .spawn(move || run(id, period, inbox, job))
            .map_err(|source| Error::ThreadSpawn { name, source })?;
        Ok(Worker {
            id,
            queue,
            thread: Some(thread),
        })
    }

    /// The id given at construction.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::Worker;
    ///
    /// let worker = Worker::spawn(42, Duration::from_secs(1), |_| Ok(()))?;
    /// assert_eq!(worker.id(), 42);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> usize {
        self.id
    }

    /// Puts a stop message on the worker's queue and returns at once, without waiting for the
    /// worker. Asking twice, or asking a worker that has already ended, does nothing.
    ///
    /// Use it to stop several workers at the same time before waiting for any of them (that is
    /// what [`WorkerGroup::stop`](super::WorkerGroup::stop) does). It takes `&self`, so any thread
    /// that can see the worker can ask it to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::Worker;
    ///
    /// let a = Worker::spawn(0, Duration::from_secs(60), |_| Ok(()))?;
    /// let b = Worker::spawn(1, Duration::from_secs(60), |_| Ok(()))?;
    /// a.request_stop();
    /// b.request_stop(); // both are winding down now, in parallel
    /// assert_eq!(a.stop()?.id, 0);
    /// assert_eq!(b.stop()?.id, 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn request_stop(&self) {
        match self.queue.try_send(Stop) {
            // Full: a stop is already waiting. Disconnected: the worker has already returned.
            Ok(()) | Err(TrySendError::Full(Stop)) | Err(TrySendError::Disconnected(Stop)) => {}
        }
    }

    /// Stops the worker through its queue and waits for its thread to end. The wait lasts at most
    /// the tick in progress: a worker between ticks wakes up at once.
    ///
    /// When this returns, the worker's thread has ended: it will never run its job again.
    ///
    /// # Errors
    ///
    /// - [`Error::WorkerFailed`] when the job returned an error (the worker had stopped then).
    /// - [`Error::WorkerPanicked`] when the job panicked, with the panic's message.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, workers::Worker};
    ///
    /// let fragile = Worker::spawn(3, Duration::from_millis(1), |id| panic!("worker {id} tripped"))?;
    /// match fragile.stop() {
    ///     Err(Error::WorkerPanicked { id, message, .. }) => {
    ///         assert_eq!(id, 3);
    ///         assert_eq!(message, "worker 3 tripped");
    ///     }
    ///     other => panic!("expected a panic report, got {other:?}"),
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    pub fn stop(mut self) -> Result<WorkerReport> {
        self.request_stop();
        let ticks = match self.thread.take() {
            Some(thread) => join(self.id, thread)?,
            // Only `stop` takes the handle, and it consumes the worker: this arm is never taken.
            None => 0,
        };
        Ok(WorkerReport { id: self.id, ticks })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.request_stop();
            // Nobody is left to read the outcome; what matters is that the thread has ended.
            let _ = join(self.id, thread);
        }
    }
}

/// The worker's thread: tick, then wait on the queue for at most the rest of the period.
fn run<J>(id: usize, period: Duration, inbox: channel::Receiver<Stop>, mut job: J) -> Result<u64>
where
    J: FnMut(usize) -> io::Result<()>,
{
    let mut ticks = 0;
    loop {
        let started = Instant::now();
        job(id).map_err(|source| Error::WorkerFailed { id, source })?;
        ticks += 1;
        // Periods are measured start to start, so a slow job does not stretch the rhythm. A job
        // slower than its period makes the wait zero: check the queue, then tick again.
        match inbox.recv_timeout(period.saturating_sub(started.elapsed())) {
            Err(RecvTimeoutError::Timeout) => {}
            // A stop message, or every sender gone (the `Worker` was dropped): either way, stop.
            Ok(Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(ticks),
        }
    }
}

/// Waits for a worker's thread and turns a panic into an [`Error::WorkerPanicked`] value.
pub(super) fn join<T>(id: usize, thread: JoinHandle<Result<T>>) -> Result<T> {
    thread.join().unwrap_or_else(|payload| {
        Err(Error::WorkerPanicked {
            id,
            message: panic_message(&*payload),
        })
    })
}
