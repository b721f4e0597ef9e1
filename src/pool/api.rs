//! [`Pool`]: Python's `Pool` / `ThreadPool` API, written once for every backend.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{Backend, Config, Engine, Runs};
use super::builder::PoolBuilder;
use super::callbacks::Callbacks;
use super::reentry::{self, PoolId};
use super::result::AsyncResult;
use super::sink::Sink;
use super::slot::Slot;
use super::task::TaskOnce;
use crate::{Error, Result};

/// A pool of workers: Python's `multiprocessing.Pool` (over [`Processes`](super::Processes))
/// and `multiprocessing.pool.ThreadPool` (over [`Threads`](super::Threads)), one API for both.
///
/// Use the aliases [`ThreadPool`](super::ThreadPool) and [`ProcessPool`](super::ProcessPool);
/// moving a program from threads to processes changes only the line that builds the pool.
///
/// Dropping the pool terminates it, like leaving Python's `with Pool() as pool:` block: queued
/// tasks fail with [`Error::PoolTerminated`]. To wait for queued work instead, call
/// [`close`](Self::close) and [`join`](Self::join) first.
///
/// # Calling the pool from its own tasks and callbacks
///
/// A task that waits on its own pool — `apply`, `map`, `starmap`, `get` or `wait` on one of
/// the pool's results, an `imap`'s next item, `join` — occupies a worker while waiting for a
/// worker: with one worker, or when every worker does it, nothing runs ever again. So, inside
/// a pool's task or callback, these calls on the *same* pool fail at once with
/// [`Error::PoolReentered`], on every backend. What cannot hang stays allowed: submitting
/// (`apply_async`, `map_async`, `imap` before its first item), `close` and `terminate`. The
/// bounded waits (`get_timeout`, `wait_timeout`, `join_timeout`) are allowed while another
/// worker is free to finish what they wait for; when none can ever be — one worker, or every
/// worker waiting — they fail at once with [`Error::WaitCycle`] instead of sitting out their
/// timeout (`wait_timeout` returns `false`), and `join_timeout` always does inside a task:
/// its own worker cannot exit while it waits.
///
/// On a [`ThreadPool`](super::ThreadPool) the rule covers the worker threads (tasks,
/// initializer, callbacks). On a [`ProcessPool`](super::ProcessPool) a task runs in another
/// process, which has no handle on the parent's pool; callbacks, and the drops of arguments
/// and unclaimed results, run on the parent's threads that drive the workers, and are
/// covered.
///
/// Another pool can be used from a task, unless the waits close a cycle: pool A's task
/// waiting on pool B, whose task waits on A, with every worker of both so occupied, could
/// never end. The crate keeps a graph of which of its threads waits on which of its pools,
/// and refuses the wait that would close such a cycle with [`Error::WaitCycle`], naming the
/// waits. What the crate cannot see it cannot refuse: a worker blocked on a channel, a lock,
/// a child process or `std::thread::scope` joining the threads it started counts as able to
/// finish — so a scoped thread calling the pool whose only worker waits for that thread
/// hangs, as it would in Python. The chapter
/// [*Waits that could never end*](crate::course::ch3_pool_deeper#waits-that-could-never-end)
/// has the examples.
///
/// ```
/// use concurrency_lab::{Error, pool::ThreadPool};
///
/// let pool = std::sync::Arc::new(ThreadPool::new(1)?);
/// let inner = std::sync::Arc::clone(&pool);
/// let nested = pool.apply(move || inner.apply(|| 1, ()), ())?;
/// assert!(matches!(nested, Err(Error::PoolReentered { action: "apply", .. })));
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
///
/// # Waiting for a stopped or stuck worker
///
/// `get`, `map` and `join` wait as long as a task runs. A task that never ends — an endless
/// loop, a lock never released, a worker process stopped with `SIGSTOP` — makes them wait
/// forever, as in Python; see [`AsyncResult::get`] for the bounded alternatives and why there
/// is no per-task timeout.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::ThreadPool;
///
/// fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
///     row.iter().filter(|n| (minimum..=maximum).contains(n)).count()
/// }
///
/// let pool = ThreadPool::new(2)?;
/// assert_eq!(pool.apply(howmany_within_range, (vec![1, 5, 7, 9], 4, 8))?, 2);
/// let rows = vec![vec![4, 8, 9], vec![0, 1, 2]];
/// let counts = pool.map(|row: Vec<u8>| howmany_within_range(row, 4, 8), rows)?;
/// assert_eq!(counts, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub struct Pool<B: Backend> {
    engine: B::Engine,
    workers: usize,
    /// This pool's mark on the threads that run its code (see `reentry`).
    id: PoolId,
}

impl<B: Backend> Pool<B> {
    /// A pool of `workers` workers, with no initializer and no task limit.
    ///
    /// Python's default is `cpu_count()` workers: pass [`cpu_count()`](super::cpu_count) for
    /// the same.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for zero workers; [`Error::WorkerStart`] when a worker cannot be
    /// started.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::{ThreadPool, cpu_count};
    ///
    /// let pool = ThreadPool::new(cpu_count())?;
    /// assert_eq!(pool.workers(), cpu_count());
    /// assert!(ThreadPool::new(0).is_err());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn new(workers: usize) -> Result<Self> {
        Self::builder().workers(workers).build()
    }

    /// A builder for a pool with an initializer, a task limit per worker, or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().workers(2).max_tasks_per_child(100).build()?;
    /// assert_eq!(pool.workers(), 2);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn builder() -> PoolBuilder<B> {
        PoolBuilder::new()
    }

    pub(crate) fn start(config: Config<<B::Engine as Engine>::Init>) -> Result<Self> {
        let (workers, id) = (config.workers, config.pool);
        Ok(Pool {
            engine: B::Engine::start(config)?,
            workers,
            id,
        })
    }

    /// How many workers the pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// assert_eq!(ThreadPool::new(3)?.workers(), 3);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `f(args…)` on a worker and waits for the result (Python's `apply`).
    ///
    /// The caller blocks until the task is done, so `apply` in a loop runs one task at a
    /// time — no faster than a plain loop. Use [`apply_async`](Self::apply_async) or
    /// [`map`](Self::map) to keep every worker busy.
    ///
    /// The task runs once, so on threads it may be any [`TaskOnce`]: a closure that moves a
    /// value it owns out of itself, or that captures a channel's `Receiver`.
    ///
    /// # Errors
    ///
    /// [`Error::PoolClosed`] after `close`/`terminate`; [`Error::PoolReentered`] inside a task
    /// or callback of this pool; [`Error::WaitCycle`] when every worker of the pool is blocked
    /// in a wait that depends on this one (the task may then still run, later); otherwise the
    /// task's failure, as [`AsyncResult::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// fn add(a: u32, b: u32) -> u32 { a + b }
    ///
    /// let pool = ThreadPool::new(2)?;
    /// assert_eq!(pool.apply(add, (2, 3))?, 5);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn apply<F, Args>(&self, f: F, args: Args) -> Result<F::Output>
    where
        F: TaskOnce<Args>,
        B: Runs<F, Args>,
    {
        self.refuse_inside("apply")?;
        self.submit_apply(f, args, Callbacks::new(), "apply")?
            .get_for("apply")
    }

    /// Queues `f(args…)` and returns at once with a handle to its result (Python's
    /// `apply_async`).
    ///
    /// As for [`apply`](Self::apply), a one-shot [`TaskOnce`] will do:
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let (tx, rx) = mpsc::channel::<String>();
    /// let listener = pool.apply_async(move || rx.recv_timeout(Duration::from_secs(30)), ())?;
    /// tx.send("hello".into()).unwrap();
    /// assert_eq!(listener.get()?.unwrap(), "hello");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::PoolClosed`] after `close`/`terminate`. The task's own failure comes later,
    /// from the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// fn square(n: u64) -> u64 { n * n }
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let pending: Vec<_> = (1..=4)
    ///     .map(|n| pool.apply_async(square, (n,)))
    ///     .collect::<Result<_, _>>()?;
    /// let squares: Vec<u64> = pending.into_iter().map(|r| r.get()).collect::<Result<_, _>>()?;
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn apply_async<F, Args>(&self, f: F, args: Args) -> Result<AsyncResult<F::Output>>
    where
        F: TaskOnce<Args>,
        B: Runs<F, Args>,
    {
        self.submit_apply(f, args, Callbacks::new(), "apply_async")
    }

    /// [`apply_async`](Self::apply_async) with Python's `callback=` / `error_callback=`.
    ///
    /// # Errors
    ///
    /// As [`apply_async`](Self::apply_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use concurrency_lab::pool::{Callbacks, ThreadPool};
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let (tx, rx) = mpsc::channel();
    /// let callbacks = Callbacks::new().on_success(move |n: &u32| tx.send(*n).unwrap());
    /// pool.apply_async_with(|a: u32, b: u32| a * b, (6, 7), callbacks)?;
    /// assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap(), 42);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn apply_async_with<F, Args>(
        &self,
        f: F,
        args: Args,
        callbacks: Callbacks<F::Output>,
    ) -> Result<AsyncResult<F::Output>>
    where
        F: TaskOnce<Args>,
        B: Runs<F, Args>,
    {
        self.submit_apply(f, args, callbacks, "apply_async")
    }

    fn submit_apply<F, Args>(
        &self,
        f: F,
        args: Args,
        callbacks: Callbacks<F::Output>,
        action: &'static str,
    ) -> Result<AsyncResult<F::Output>>
    where
        F: TaskOnce<Args>,
        B: Runs<F, Args>,
    {
        self.check_open(action)?;
        let slot = Arc::new(Slot::new(callbacks, self.id));
        let filled = Arc::clone(&slot);
        let sink = Sink::items(1, move |mut outcomes: Vec<Result<F::Output>>| {
            filled.complete(
                outcomes
                    .pop()
                    .expect("a sink of one item delivers one outcome"),
            );
        });
        self.submit(B::job_once(f, args, sink), action)?;
        Ok(AsyncResult::new(slot))
    }

    /// Stops accepting tasks; the workers finish what is queued, then exit (Python's
    /// `close`). Calling it again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::{Error, pool::ThreadPool};
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let queued = pool.apply_async(|| 1 + 1, ())?;
    /// pool.close();
    /// assert!(matches!(pool.apply(|| 0, ()), Err(Error::PoolClosed { .. })));
    /// assert_eq!(queued.get()?, 2); // queued work still runs
    /// pool.join()?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn close(&self) {
        self.engine.close();
    }

    /// Stops the workers now: queued tasks fail with [`Error::PoolTerminated`] (Python's
    /// `terminate`). A worker process is killed on the spot; a worker thread cannot be,
    /// so a task already running on a thread finishes and its result is delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let busy = pool.apply_async(|| std::thread::sleep(Duration::from_millis(200)), ())?;
    /// let queued = pool.apply_async(|| 42, ())?;
    /// pool.terminate();
    /// assert!(queued.get().is_err());
    /// # drop(busy);
    /// pool.join()?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn terminate(&self) {
        self.engine.terminate();
    }

    /// Waits until every worker has exited (Python's `join`): a thread pool's worker threads
    /// have ended, their thread-local values dropped; a process pool's worker processes have
    /// been reaped.
    ///
    /// # Errors
    ///
    /// [`Error::PoolNotClosed`] unless [`close`](Self::close) or
    /// [`terminate`](Self::terminate) was called first: joining a pool that still accepts
    /// work could wait forever. [`Error::PoolReentered`] inside a task or callback of this
    /// pool, which would wait for its own worker; [`Error::WaitCycle`] when the pool's every
    /// worker is blocked in a wait that depends on this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// assert!(pool.join().is_err()); // not closed yet
    /// pool.close();
    /// pool.join()?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn join(&self) -> Result<()> {
        self.refuse_inside("join")?;
        self.join_until(None, "join").map(drop)
    }

    /// Like [`join`](Self::join), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::PoolNotClosed`] as for `join`; [`Error::Timeout`] when a worker is still busy
    /// when `timeout` has passed; [`Error::WaitCycle`], at once, on one of the pool's own
    /// workers (it cannot exit while it waits) or when every worker is blocked in a wait that
    /// depends on this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// pool.close();
    /// pool.join_timeout(Duration::from_secs(30))?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<()> {
        self.join_until(Instant::now().checked_add(timeout), "join_timeout")
            .and_then(|joined| {
                if joined {
                    Ok(())
                } else {
                    Err(Error::Timeout { waited: timeout })
                }
            })
    }

    fn join_until(&self, deadline: Option<Instant>, action: &'static str) -> Result<bool> {
        if !self.engine.is_closed() {
            return Err(Error::PoolNotClosed);
        }
        let _waiting = reentry::wait_for_exit(self.id, action)?;
        Ok(self.engine.join(deadline))
    }

    /// `Err(PoolReentered)` inside this pool's own task or callback, where waiting on the
    /// pool could wait for itself; `Err(WaitCycle)` where the pool's every worker is blocked
    /// on a wait that depends on this one.
    pub(crate) fn refuse_inside(&self, action: &'static str) -> Result<()> {
        reentry::refuse_inside(self.id, action)?;
        reentry::refuse_cycle(self.id, action)
    }

    pub(crate) fn id(&self) -> PoolId {
        self.id
    }

    pub(crate) fn check_open(&self, action: &'static str) -> Result<()> {
        if self.engine.is_closed() {
            Err(Error::PoolClosed { action })
        } else {
            Ok(())
        }
    }

    pub(crate) fn submit(
        &self,
        job: <B::Engine as Engine>::Job,
        action: &'static str,
    ) -> Result<()> {
        self.engine.submit(job, action).map_err(|(job, error)| {
            drop(job);
            error
        })
    }
}

impl<B: Backend> fmt::Debug for Pool<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("backend", &B::NAME)
            .field("workers", &self.workers)
            .field("closed", &self.engine.is_closed())
            .finish()
    }
}
