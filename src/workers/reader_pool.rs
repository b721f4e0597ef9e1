//! The lab's reader pool: `n` threads taking jobs from one [`JoinableQueue`].

use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::joinable_queue::JoinableQueue;
use super::worker::join;
use crate::panic_message::panic_message;
use crate::{Error, Result};

/// What travels through the pool's queue: a job, or the poison pill that ends one reader.
enum Message<T> {
    Job(T),
    Stop,
}

/// What one reader did, reported by [`ReaderPool::shutdown`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::workers::ReaderPool;
///
/// let pool = ReaderPool::spawn(1, |n: u32| assert!(n < 10, "{n} is too big"))?;
/// pool.put(3);
/// pool.put(30);
/// let report = pool.shutdown().remove(0)?;
/// assert_eq!(report.jobs, 2);
/// assert_eq!(report.panics, ["30 is too big"]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderReport {
    /// The reader's number, `0..readers`.
    pub id: usize,
    /// How many jobs it took from the queue (including those that panicked).
    pub jobs: u64,
    /// The messages of the jobs that panicked, in the order they happened.
    pub panics: Vec<String>,
}

/// The lab's pattern, packaged: `readers` threads each loop on "take a job from the queue, run
/// it, mark it done", and the main thread waits for all the jobs with [`join`](Self::join).
///
/// It is built on the public [`JoinableQueue`]; the only addition is how readers end. Python's
/// lab makes them daemon threads and lets them die with the process. Here
/// [`shutdown`](Self::shutdown) (or dropping the pool) puts one *poison pill* per reader at the
/// back of the queue: each reader finishes the jobs ahead of it, swallows one pill and returns.
///
/// A job that panics does not take its reader down: the panic is caught, its message goes into
/// that reader's [`ReaderReport`], and the job still counts as done — so `join` can never hang
/// on a job that blew up. (Rust's default panic hook still prints the panic to stderr.)
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use concurrency_lab::workers::ReaderPool;
///
/// let total = Arc::new(AtomicU64::new(0));
/// let pool = {
///     let total = Arc::clone(&total);
///     ReaderPool::spawn(4, move |n: u64| {
///         total.fetch_add(n, Ordering::Relaxed);
///     })?
/// };
/// for n in 1..=100 {
///     pool.put(n);
/// }
/// pool.join(); // every job done
/// assert_eq!(total.load(Ordering::Relaxed), 5050);
///
/// let reports = pool.shutdown();
/// let jobs: u64 = reports.into_iter().map(|r| r.map(|r| r.jobs)).sum::<Result<_, _>>()?;
/// assert_eq!(jobs, 100);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "a ReaderPool that is dropped shuts down at once; keep it while you send it work"]
pub struct ReaderPool<T> {
    queue: JoinableQueue<Message<T>>,
    readers: Vec<JoinHandle<Result<ReaderReport>>>,
}

impl<T: Send + 'static> ReaderPool<T> {
    /// Starts `readers` threads (named `reader-0`, `reader-1`, …) that run `job` on every item
    /// put into the pool's unbounded queue.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidInput`] when `readers` is zero: nothing would ever take a job, and
    ///   `join` would wait forever.
    /// - [`Error::ThreadSpawn`] when the operating system refuses a thread; the readers already
    ///   started are shut down first.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::{Error, workers::ReaderPool};
    ///
    /// let none = ReaderPool::spawn(0, |_: ()| ());
    /// assert!(matches!(none, Err(Error::InvalidInput { what: "readers", .. })));
    /// ```
    pub fn spawn<F>(readers: usize, job: F) -> Result<Self>
    where
        F: Fn(T) + Send + Sync + 'static,
    {
        Self::start(readers, JoinableQueue::unbounded(), job)
    }

    /// Like [`spawn`](Self::spawn), but the queue holds at most `capacity` jobs: `put` waits
    /// while it is full, so producers cannot run far ahead of the readers.
    ///
    /// # Errors
    ///
    /// As for [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// let pool = ReaderPool::spawn_bounded(2, 4, |line: String| assert!(!line.is_empty()))?;
    /// for i in 0..20 {
    ///     pool.put(format!("line {i}")); // waits whenever 4 jobs are already queued
    /// }
    /// pool.join();
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn spawn_bounded<F>(readers: usize, capacity: usize, job: F) -> Result<Self>
    where
        F: Fn(T) + Send + Sync + 'static,
    {
        Self::start(readers, JoinableQueue::bounded(capacity), job)
    }

    fn start<F>(readers: usize, queue: JoinableQueue<Message<T>>, job: F) -> Result<Self>
    where
        F: Fn(T) + Send + Sync + 'static,
    {
        if readers == 0 {
            return Err(Error::invalid_input(
                "readers",
                readers,
                "a pool needs at least one reader to take its jobs",
            ));
        }
        let job = Arc::new(job);
        // Built up one thread at a time: if a spawn fails, dropping `pool` stops the others.
        let mut pool = ReaderPool {
            queue,
            readers: Vec::with_capacity(readers),
        };
        for id in 0..readers {
            let queue = pool.queue.clone();
            let job = Arc::clone(&job);
            let name = format!("reader-{id}");
            let reader = thread::Builder::new()
                .name(name.clone())
                .spawn(move || read(id, &queue, &*job))
                .map_err(|source| Error::ThreadSpawn { name, source })?;
            pool.readers.push(reader);
        }
        Ok(pool)
    }

    /// Queues one job; waits while a bounded pool's queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// let pool = ReaderPool::spawn(2, |name: &str| assert!(name.starts_with('m')))?;
    /// pool.put("messages.txt");
    /// pool.join();
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn put(&self, item: T) {
        self.queue.put(Message::Job(item));
    }
}

impl<T> ReaderPool<T> {
    /// Blocks until every job put so far has been run (or has panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// let pool = ReaderPool::spawn(1, |_: u8| ())?;
    /// pool.join(); // no jobs: returns at once
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn join(&self) {
        self.queue.join();
    }

    /// Like [`join`](Self::join), but gives up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::QueueJoinTimeout`] with the number of jobs not yet done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// let pool = ReaderPool::spawn(2, |n: u64| assert!(n > 0))?;
    /// pool.put(1);
    /// pool.join_timeout(Duration::from_secs(10))?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<()> {
        self.queue.join_timeout(timeout)
    }

    /// How many reader threads the pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// assert_eq!(ReaderPool::spawn(3, |_: ()| ())?.readers(), 3);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn readers(&self) -> usize {
        self.readers.len()
    }

    /// Lets the readers finish every job already queued, ends them with one poison pill each,
    /// and returns each reader's report, in reader order.
    ///
    /// When this returns, every reader thread has ended. An `Err` would mean a reader's own loop
    /// panicked (jobs' panics are caught and reported in [`ReaderReport::panics`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::ReaderPool;
    ///
    /// let pool = ReaderPool::spawn(2, |_: char| ())?;
    /// pool.put('a');
    /// let reports = pool.shutdown(); // no join needed: queued jobs are finished first
    /// let jobs: u64 = reports.iter().map(|r| r.as_ref().unwrap().jobs).sum();
    /// assert_eq!(jobs, 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use = "the readers' failures are in the returned reports"]
    pub fn shutdown(mut self) -> Vec<Result<ReaderReport>> {
        self.stop_readers()
    }

    fn stop_readers(&mut self) -> Vec<Result<ReaderReport>> {
        let readers = mem::take(&mut self.readers);
        // Pills go behind the jobs already queued (FIFO), so those jobs are done first.
        for _ in &readers {
            self.queue.put(Message::Stop);
        }
        readers
            .into_iter()
            .enumerate()
            .map(|(id, reader)| join(id, reader))
            .collect()
    }
}

impl<T> Drop for ReaderPool<T> {
    /// Shuts the pool down like [`ReaderPool::shutdown`]: queued jobs are run first, then every
    /// reader thread has ended when the drop returns.
    fn drop(&mut self) {
        self.stop_readers();
    }
}

impl<T> std::fmt::Debug for ReaderPool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderPool")
            .field("readers", &self.readers.len())
            .field("queued", &self.queue.len())
            .field("unfinished_jobs", &self.queue.unfinished_tasks())
            .finish()
    }
}

/// One reader's loop: Python's `reader()` from the lab, plus a way out.
fn read<T>(id: usize, queue: &JoinableQueue<Message<T>>, job: &dyn Fn(T)) -> Result<ReaderReport> {
    let mut report = ReaderReport {
        id,
        jobs: 0,
        panics: Vec::new(),
    };
    loop {
        let message = queue.get();
        let Message::Job(item) = message else {
            queue.task_done()?;
            return Ok(report);
        };
        // AssertUnwindSafe: if a panicking job leaves state it shares half-updated, that is the
        // job's business (as in any thread pool); the pool's own state is only the queue, and
        // the queue's count stays right because task_done follows whatever the job did.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| job(item))) {
            report.panics.push(panic_message(&*payload));
        }
        report.jobs += 1;
        queue.task_done()?;
    }
}
