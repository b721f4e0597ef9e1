//! [`Pool`]: Python's `Pool` / `ThreadPool` API, written once for both backends.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{Backend, Config, Engine, Runs};
use super::buffer::Chunk;
use super::builder::PoolBuilder;
use super::callbacks::Callbacks;
use super::chunk::default_chunksize;
use super::imap::IMap;
use super::result::{AsyncResult, MapResult};
use super::sink::{MapState, Sink};
use super::slot::Slot;
use super::{MapOptions, Task};
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
        let workers = config.workers;
        Ok(Pool {
            engine: B::Engine::start(config)?,
            workers,
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
    /// # Errors
    ///
    /// [`Error::PoolClosed`] after `close`/`terminate`; otherwise the task's failure, as
    /// [`AsyncResult::get`].
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
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.submit_apply(f, args, Callbacks::new(), "apply")?.get()
    }

    /// Queues `f(args…)` and returns at once with a handle to its result (Python's
    /// `apply_async`).
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
        F: Task<Args>,
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
        F: Task<Args>,
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
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.check_open(action)?;
        let slot = Arc::new(Slot::new(callbacks));
        let filled = Arc::clone(&slot);
        let sink = Sink::items(1, move |mut outcomes: Vec<Result<F::Output>>| {
            filled.complete(
                outcomes
                    .pop()
                    .expect("a sink of one item delivers one outcome"),
            );
        });
        self.submit(B::job(&Arc::new(f), Chunk::whole(vec![args]), sink), action)?;
        Ok(AsyncResult::new(slot))
    }

    /// Applies `f` to every item and returns the results in input order (Python's `map`).
    ///
    /// The items are cut into chunks — by default about four per worker, Python's heuristic —
    /// and each chunk travels to a worker as one job. See
    /// [`map_async_with`](Self::map_async_with) to choose the chunk size.
    ///
    /// # Errors
    ///
    /// [`Error::PoolClosed`] after `close`/`terminate`; otherwise the failure of the first
    /// failed item in input order.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// assert_eq!(pool.map(|n: u64| n * n, 1..=5)?, [1, 4, 9, 16, 25]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn map<F, A, R>(&self, f: F, items: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        R: Send + 'static,
        B: Runs<F, (A,)>,
    {
        self.submit_map(f, items.into_iter().map(|a| (a,)), MapOptions::new(), "map")?
            .get()
    }

    /// Like [`map`](Self::map), but returns at once with a handle that reports progress
    /// (Python's `map_async`).
    ///
    /// # Errors
    ///
    /// [`Error::PoolClosed`] after `close`/`terminate`; item failures come from the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let running = pool.map_async(|n: u64| n * n, 1..=5)?;
    /// assert_eq!(running.progress().total, 5);
    /// assert_eq!(running.get()?, [1, 4, 9, 16, 25]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn map_async<F, A, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = A>,
    ) -> Result<MapResult<R>>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        R: Send + 'static,
        B: Runs<F, (A,)>,
    {
        self.submit_map(
            f,
            items.into_iter().map(|a| (a,)),
            MapOptions::new(),
            "map_async",
        )
    }

    /// [`map_async`](Self::map_async) with a chosen chunk size and callbacks (Python's
    /// `map_async(func, iterable, chunksize, callback, error_callback)`).
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::{MapOptions, ThreadPool};
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let options = MapOptions::new().chunksize(10);
    /// let squares = pool.map_async_with(|n: u64| n * n, 0..100, options)?.get()?;
    /// assert_eq!(squares[99], 9801);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn map_async_with<F, A, R>(
        &self,
        f: F,
        items: impl IntoIterator<Item = A>,
        options: MapOptions<R>,
    ) -> Result<MapResult<R>>
    where
        F: Fn(A) -> R + Send + Sync + 'static,
        R: Send + 'static,
        B: Runs<F, (A,)>,
    {
        self.submit_map(f, items.into_iter().map(|a| (a,)), options, "map_async")
    }

    /// Like [`map`](Self::map) for functions of several arguments: each item is an argument
    /// tuple (Python's `starmap`).
    ///
    /// # Errors
    ///
    /// As [`map`](Self::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// fn power(base: u64, exponent: u32) -> u64 { base.pow(exponent) }
    ///
    /// let pool = ThreadPool::new(2)?;
    /// assert_eq!(pool.starmap(power, [(2, 10), (3, 3)])?, [1024, 27]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn starmap<F, Args>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> Result<Vec<F::Output>>
    where
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.submit_map(f, items.into_iter(), MapOptions::new(), "starmap")?
            .get()
    }

    /// Like [`map_async`](Self::map_async) for functions of several arguments (Python's
    /// `starmap_async`).
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
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
    /// let rows = vec![vec![4, 8, 9], vec![0, 1, 2]];
    /// let running = pool.starmap_async(howmany_within_range, rows.into_iter().map(|r| (r, 4, 8)))?;
    /// assert_eq!(running.get()?, [2, 0]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn starmap_async<F, Args>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
    ) -> Result<MapResult<F::Output>>
    where
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.submit_map(f, items.into_iter(), MapOptions::new(), "starmap_async")
    }

    /// [`starmap_async`](Self::starmap_async) with a chosen chunk size and callbacks (Python's
    /// `starmap_async(func, iterable, chunksize, callback, error_callback)`).
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::{MapOptions, ThreadPool};
    ///
    /// fn power(base: u64, exponent: u32) -> u64 { base.pow(exponent) }
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let options = MapOptions::new().chunksize(1);
    /// let powers = pool.starmap_async_with(power, [(2, 3), (3, 2)], options)?.get()?;
    /// assert_eq!(powers, [8, 9]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn starmap_async_with<F, Args>(
        &self,
        f: F,
        items: impl IntoIterator<Item = Args>,
        options: MapOptions<F::Output>,
    ) -> Result<MapResult<F::Output>>
    where
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.submit_map(f, items.into_iter(), options, "starmap_async")
    }

    fn submit_map<F, Args>(
        &self,
        f: F,
        items: impl Iterator<Item = Args>,
        options: MapOptions<F::Output>,
        action: &'static str,
    ) -> Result<MapResult<F::Output>>
    where
        F: Task<Args>,
        B: Runs<F, Args>,
    {
        self.check_open(action)?;
        if options.chunksize == Some(0) {
            return Err(Error::invalid_input(
                "chunksize",
                0,
                "a chunk holds at least one item",
            ));
        }
        let items: Vec<Args> = items.collect(); // in place when `items` came from a Vec
        let total = items.len();
        let chunksize = options
            .chunksize
            .unwrap_or_else(|| default_chunksize(total, self.workers));
        let slot = Arc::new(Slot::new(options.callbacks));
        let chunks = Chunk::split(items, chunksize);
        let map = MapState::new(chunks.len(), total, Arc::clone(&slot));
        let result = MapResult::new(slot, Arc::clone(&map.progress), total);
        if total == 0 {
            map.complete_empty();
            return Ok(result);
        }
        // Every sink exists before the first submission: if the pool refuses a chunk midway,
        // the sinks not yet submitted drop with the iterator and fail their items, so the map
        // still completes (with an error) and nothing waits for it forever.
        let mut sinks = (0..chunks.len())
            .map(|index| {
                let start = index * chunksize;
                Sink::map_chunk(&map, start, chunksize.min(total - start))
            })
            .collect::<Vec<_>>()
            .into_iter();
        let f = Arc::new(f);
        for (chunk, sink) in chunks.into_iter().zip(sinks.by_ref()) {
            self.submit(B::job(&f, chunk, sink), action)?;
        }
        Ok(result)
    }

    /// A lazy, ordered `map` over `items` (Python's `imap`): results come out in input order
    /// as they are ready, and the input is read only as far as needed.
    ///
    /// Unlike Python's `imap`, which reads its whole input up front (gh-84291), this one keeps
    /// a bounded number of chunks in flight, so it works on an endless iterator. Chunks hold
    /// one item unless you say otherwise with [`IMap::chunksize`]. Nothing is submitted until
    /// the first call to `next`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let first: Vec<u64> = pool
    ///     .imap(|n: u64| n * n, 1..) // an endless input
    ///     .chunksize(16)
    ///     .take(5)
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(first, [1, 4, 9, 16, 25]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn imap<F, A, R, I>(&self, f: F, items: I) -> IMap<'_, B, F, I::IntoIter>
    where
        I: IntoIterator<Item = A>,
        F: Fn(A) -> R + Send + Sync + 'static,
        R: Send + 'static,
        B: Runs<F, (A,)>,
    {
        IMap::new(self, f, items.into_iter(), true)
    }

    /// Like [`imap`](Self::imap), but yields results in the order they finish (Python's
    /// `imap_unordered`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let mut squares: Vec<u64> =
    ///     pool.imap_unordered(|n: u64| n * n, 1..=5).collect::<Result<_, _>>()?;
    /// squares.sort();
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn imap_unordered<F, A, R, I>(&self, f: F, items: I) -> IMap<'_, B, F, I::IntoIter>
    where
        I: IntoIterator<Item = A>,
        F: Fn(A) -> R + Send + Sync + 'static,
        R: Send + 'static,
        B: Runs<F, (A,)>,
    {
        IMap::new(self, f, items.into_iter(), false)
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

    /// Waits until every worker has exited (Python's `join`).
    ///
    /// # Errors
    ///
    /// [`Error::PoolNotClosed`] unless [`close`](Self::close) or
    /// [`terminate`](Self::terminate) was called first: joining a pool that still accepts
    /// work could wait forever.
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
        self.join_until(None).map(drop)
    }

    /// Like [`join`](Self::join), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::PoolNotClosed`] as for `join`; [`Error::Timeout`] when a worker is still busy
    /// when `timeout` has passed.
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
        self.join_until(Instant::now().checked_add(timeout))
            .and_then(|joined| {
                if joined {
                    Ok(())
                } else {
                    Err(Error::Timeout { waited: timeout })
                }
            })
    }

    fn join_until(&self, deadline: Option<Instant>) -> Result<bool> {
        if !self.engine.is_closed() {
            return Err(Error::PoolNotClosed);
        }
        Ok(self.engine.join(deadline))
    }

    fn check_open(&self, action: &'static str) -> Result<()> {
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
