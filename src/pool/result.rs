//! Handles to results that are still being computed: Python's `AsyncResult` and `MapResult`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::reentry;
use super::slot::Slot;
use crate::{Error, Result};

/// The future result of [`Pool::apply_async`]: Python's `multiprocessing.pool.AsyncResult`.
///
/// Dropping the handle does not cancel the task; it runs, and its callbacks run, regardless —
/// but its error, if it fails, goes unseen unless an error callback reports it.
///
/// The type is deliberately not `#[must_use]`, like `std::thread::JoinHandle`: Python's
/// `callback=` style — [`Pool::apply_async_with`](crate::pool::Pool::apply_async_with) with
/// [`Callbacks`](crate::pool::Callbacks) — receives results through the callbacks and drops
/// the handle by design, and a warning there would teach `let _ =` instead of the idea.
///
/// # Waiting inside the pool
///
/// Inside a task or callback of the pool that computes the result, [`get`](Self::get) and
/// [`wait`](Self::wait) fail with [`Error::PoolReentered`] instead of waiting: the wait could
/// need the very worker that is waiting. The bounded [`get_timeout`](Self::get_timeout) and
/// [`wait_timeout`](Self::wait_timeout) are allowed there while another worker is free to
/// compute the result; when none ever can be — the pool has one worker, or every worker is
/// blocked in such a wait — `get_timeout` fails at once with [`Error::WaitCycle`] and
/// `wait_timeout` returns `false` at once, instead of sitting out the timeout. Any wait whose
/// pool's every worker is blocked in a wait that depends on it (pool A's task waiting on pool
/// B, whose task waits on A) fails the same way; see
/// [`Pool`](crate::pool::Pool#calling-the-pool-from-its-own-tasks-and-callbacks) for what the
/// crate can see and what it cannot.
///
/// [`Pool::apply_async`]: crate::pool::Pool::apply_async
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::pool::ThreadPool;
///
/// fn square(n: u64) -> u64 { n * n }
///
/// let pool = ThreadPool::new(2)?;
/// let pending = pool.apply_async(square, (12,))?;
/// println!("this line runs while the task does");
/// assert!(pending.wait_timeout(Duration::from_secs(10)));
/// assert_eq!(pending.successful(), Some(true));
/// assert_eq!(pending.get()?, 144);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub struct AsyncResult<T> {
    slot: Arc<Slot<T>>,
}

impl<T> AsyncResult<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> Self {
        AsyncResult { slot }
    }

    /// Whether the result is in (Python's `ready()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let pending = pool.apply_async(|| 7, ())?;
    /// pending.wait()?;
    /// assert!(pending.ready());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn ready(&self) -> bool {
        self.slot.is_ready()
    }

    /// Whether the task succeeded: `None` while it is not done (where Python raises
    /// `ValueError`), then `Some(true)` or `Some(false)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let failing = pool.apply_async(|| -> u8 { panic!("boom") }, ())?;
    /// failing.wait()?;
    /// assert_eq!(failing.successful(), Some(false));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn successful(&self) -> Option<bool> {
        if self.ready() {
            self.slot.is_ok()
        } else {
            None
        }
    }

    /// Blocks until the result is in (Python's `wait()`).
    ///
    /// A stopped or stuck worker blocks this forever, as [`get`](Self::get) explains; use
    /// [`wait_timeout`](Self::wait_timeout) when that can happen.
    ///
    /// # Errors
    ///
    /// [`Error::PoolReentered`] inside a task or callback of the same pool; [`Error::WaitCycle`]
    /// when the pool's every worker is blocked in a wait that depends on this one; the task's
    /// own failure comes from [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let pending = pool.apply_async(|| "done", ())?;
    /// pending.wait()?;
    /// assert!(pending.ready());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn wait(&self) -> Result<()> {
        reentry::refuse_inside(self.slot.pool(), "wait")?;
        self.slot.wait(None, "wait").map(drop)
    }

    /// Blocks until the result is in or `timeout` has passed; returns whether it is in
    /// (Python's `wait(timeout)`). The result stays available either way.
    ///
    /// Returns `false` at once, without waiting, when the result can never come: the pool's
    /// every worker is blocked in a wait that depends on this one (see [`Error::WaitCycle`];
    /// [`get_timeout`](Self::get_timeout) says so as an error).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let slow = pool.apply_async(|| std::thread::sleep(Duration::from_millis(300)), ())?;
    /// assert!(!slow.wait_timeout(Duration::from_millis(1)));
    /// assert!(slow.wait_timeout(Duration::from_secs(30)));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.slot
            .wait(Instant::now().checked_add(timeout), "wait_timeout")
            .unwrap_or(false)
    }

    /// Blocks until the result is in and returns it (Python's `get()`).
    ///
    /// # Stopped and stuck workers
    ///
    /// A result that never comes is waited for forever, as in Python: a task in an endless
    /// loop or blocked on a lock, or a worker process stopped with `SIGSTOP` (Ctrl-Z, a
    /// debugger) — a stopped process is not dead, so the pool has nothing to report. When that
    /// can happen, wait with [`get_timeout`](Self::get_timeout), and give up on a pool whose
    /// worker is stuck with [`Pool::terminate`](crate::pool::Pool::terminate), which kills
    /// worker processes:
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, pool::ThreadPool};
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let stuck = pool.apply_async(|| std::thread::sleep(Duration::from_secs(2)), ())?;
    /// match stuck.get_timeout(Duration::from_millis(50)) {
    ///     Err(Error::Timeout { waited, .. }) => println!("no answer within {waited:?}: giving up"),
    ///     other => println!("{other:?}"),
    /// }
    /// pool.terminate();
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    ///
    /// There is deliberately no per-task timeout (`apply_async(f, args, timeout)`, as users
    /// of Python's `concurrent.futures` ask for): a thread cannot be stopped from outside in
    /// Rust, so on a [`ThreadPool`](crate::pool::ThreadPool) such a timeout could only stop
    /// *waiting* — which is `get_timeout` — while the task runs on. Killing a stuck worker
    /// process would be possible, but then the backends would promise different things,
    /// and moving a program from threads to processes must change only the line that builds
    /// the pool. `get_timeout` then `terminate` does the same, on every backend.
    ///
    /// # Errors
    ///
    /// The task's failure: [`Error::TaskPanicked`], [`Error::CallbackPanicked`],
    /// [`Error::WorkerDied`], [`Error::PoolTerminated`], [`Error::Serialization`], …;
    /// [`Error::PoolReentered`] inside a task or callback of the same pool;
    /// [`Error::WaitCycle`] when the pool's every worker is blocked in a wait that depends on
    /// this one, so the result could never come.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::{Error, pool::ThreadPool};
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let err = pool.apply_async(|| -> u8 { panic!("no luck") }, ())?.get().unwrap_err();
    /// assert!(matches!(err, Error::TaskPanicked { ref message, .. } if message == "no luck"));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn get(self) -> Result<T> {
        self.get_for("get")
    }

    /// [`get`](Self::get) on behalf of `action` (`apply`, `map`…), which errors name.
    pub(crate) fn get_for(self, action: &'static str) -> Result<T> {
        reentry::refuse_inside(self.slot.pool(), action)?;
        self.slot.wait(None, action)?;
        self.slot.take()
    }

    /// Like [`get`](Self::get), but gives up after `timeout` (Python's `get(timeout)`).
    ///
    /// The handle is consumed either way: to wait again later, use
    /// [`wait_timeout`](Self::wait_timeout) and then `get`.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when the result is not in within `timeout`; [`Error::WaitCycle`], at
    /// once, when it can never come — a task waiting on its own one-worker pool, or a cycle of
    /// waits across pools — however long `timeout` is (`Duration::MAX` included); otherwise
    /// the task's failure, as [`get`](Self::get) (which refuses to wait inside the same pool
    /// where this does not).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, pool::ThreadPool};
    ///
    /// let pool = ThreadPool::new(1)?;
    /// let slow = pool.apply_async(|| std::thread::sleep(Duration::from_secs(1)), ())?;
    /// let err = slow.get_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert!(matches!(err, Error::Timeout { .. }));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn get_timeout(self, timeout: Duration) -> Result<T> {
        if self
            .slot
            .wait(Instant::now().checked_add(timeout), "get_timeout")?
        {
            self.slot.take()
        } else {
            Err(Error::Timeout { waited: timeout })
        }
    }
}

impl<T> fmt::Debug for AsyncResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}

/// How far a running map is: items done out of the total.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::Progress;
///
/// let progress = Progress { done: 25, total: 100 };
/// assert_eq!(progress.to_string(), "25/100 (25%)");
/// assert_eq!(progress.fraction(), 0.25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Items whose task has finished (successfully or not).
    pub done: usize,
    /// Items in the map.
    pub total: usize,
}

impl Progress {
    /// `done / total` between 0 and 1; an empty map counts as complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::Progress;
    ///
    /// assert_eq!(Progress { done: 0, total: 0 }.fraction(), 1.0);
    /// ```
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ({:.0}%)",
            self.done,
            self.total,
            self.fraction() * 100.0
        )
    }
}

/// Counts finished items of one map; shared by the workers (writers) and the handle.
#[derive(Debug, Default)]
pub(crate) struct ProgressCounter {
    done: AtomicUsize,
}

impl ProgressCounter {
    pub(crate) fn add(&self, items: usize) {
        self.done.fetch_add(items, Ordering::Relaxed);
    }

    pub(crate) fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
}

/// The future result of [`Pool::map_async`]: Python's `MapResult`, plus progress.
///
/// [`progress`](Self::progress) can be read at any time while the map runs — the lab's point
/// that a user left without feedback believes the program hangs.
///
/// Like [`AsyncResult`], it waits forever for a stopped or stuck worker (see
/// [`AsyncResult::get`]), refuses to wait inside a task or callback of its own pool, and is
/// not `#[must_use]`: with callbacks in [`MapOptions`](crate::pool::MapOptions), dropping it
/// is the normal case.
///
/// [`Pool::map_async`]: crate::pool::Pool::map_async
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::ThreadPool;
///
/// fn square(n: u64) -> u64 { n * n }
///
/// let pool = ThreadPool::new(2)?;
/// let running = pool.map_async(square, 1..=1000)?;
/// println!("{}", running.progress()); // e.g. "375/1000 (38%)"
/// let squares = running.get()?;
/// assert_eq!(squares[9], 100);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub struct MapResult<T> {
    result: AsyncResult<Vec<T>>,
    counter: Arc<ProgressCounter>,
    total: usize,
}

impl<T> MapResult<T> {
    pub(crate) fn new(
        slot: Arc<Slot<Vec<T>>>,
        counter: Arc<ProgressCounter>,
        total: usize,
    ) -> Self {
        MapResult {
            result: AsyncResult::new(slot),
            counter,
            total,
        }
    }

    /// Items done so far out of the total.
    ///
    /// With threads it advances every few hundred items; with processes a chunk at a time
    /// (use smaller chunks for a smoother bar).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u32| n + 1, 0..10)?;
    /// running.wait()?;
    /// assert_eq!(running.progress().done, 10);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.counter.done().min(self.total),
            total: self.total,
        }
    }

    /// Whether every item is done (Python's `ready()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u32| n + 1, 0..10)?;
    /// running.wait()?;
    /// assert!(running.ready());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn ready(&self) -> bool {
        self.result.ready()
    }

    /// `None` while running, then whether every item succeeded (Python's `successful()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u32| 10 / n, 0..3)?; // 10 / 0 panics
    /// running.wait()?;
    /// assert_eq!(running.successful(), Some(false));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn successful(&self) -> Option<bool> {
        self.result.successful()
    }

    /// Blocks until every item is done.
    ///
    /// # Errors
    ///
    /// As [`AsyncResult::wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u32| n * 2, 0..100)?;
    /// running.wait()?;
    /// assert_eq!(running.progress().done, 100);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn wait(&self) -> Result<()> {
        self.result.wait()
    }

    /// Blocks until every item is done or `timeout` has passed; returns whether all are done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u32| n * 2, 0..100)?;
    /// assert!(running.wait_timeout(Duration::from_secs(30)));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.result.wait_timeout(timeout)
    }

    /// Blocks until every item is done and returns the results in input order.
    ///
    /// A stopped or stuck worker blocks this forever, as [`AsyncResult::get`] explains; use
    /// [`get_timeout`](Self::get_timeout) when that can happen.
    ///
    /// # Errors
    ///
    /// The failure of the first failed item in input order (as [`AsyncResult::get`]);
    /// [`Error::PoolReentered`] inside a task or callback of the same pool;
    /// [`Error::WaitCycle`] as for [`AsyncResult::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// assert_eq!(pool.map_async(|n: u32| n * 2, 0..4)?.get()?, [0, 2, 4, 6]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn get(self) -> Result<Vec<T>> {
        self.result.get()
    }

    /// [`get`](Self::get) on behalf of `action` (`map`, `starmap`), which errors name.
    pub(crate) fn get_for(self, action: &'static str) -> Result<Vec<T>> {
        self.result.get_for(action)
    }

    /// Like [`get`](Self::get), but gives up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when the map is not done within `timeout`; [`Error::WaitCycle`], at
    /// once, when it can never be done, as for [`AsyncResult::get_timeout`]; otherwise as
    /// [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let doubled = pool.map_async(|n: u32| n * 2, 0..4)?.get_timeout(Duration::from_secs(30))?;
    /// assert_eq!(doubled, [0, 2, 4, 6]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn get_timeout(self, timeout: Duration) -> Result<Vec<T>> {
        self.result.get_timeout(timeout)
    }
}

impl<T> fmt::Debug for MapResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapResult")
            .field("progress", &self.progress())
            .finish()
    }
}
