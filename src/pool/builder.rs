//! [`PoolBuilder`]: Python's `Pool(processes, initializer, maxtasksperchild)`.

use std::fmt;

use super::api::Pool;
use super::backend::{Backend, Config, Engine, Runs};
use super::cpu_count;
use super::reentry::PoolId;
use crate::{Error, Result};

/// Configures a [`Pool`] before starting it.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use concurrency_lab::pool::ThreadPool;
///
/// thread_local!(static GREETING: Cell<&'static str> = const { Cell::new("") });
///
/// fn set_up() { GREETING.set("hello from an initialized worker"); }
/// fn greet() -> &'static str { GREETING.get() }
///
/// let pool = ThreadPool::builder().workers(2).initializer(set_up).build()?;
/// assert_eq!(pool.apply(greet, ())?, "hello from an initialized worker");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "a builder does nothing until `build` starts the pool"]
pub struct PoolBuilder<B: Backend> {
    workers: usize,
    initializer: Option<<B::Engine as Engine>::Init>,
    max_tasks_per_child: Option<usize>,
}

impl<B: Backend> PoolBuilder<B> {
    pub(crate) fn new() -> Self {
        PoolBuilder {
            workers: cpu_count(),
            initializer: None,
            max_tasks_per_child: None,
        }
    }

    /// The number of workers; [`cpu_count()`] unless set (Python's `processes`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// assert_eq!(ThreadPool::builder().workers(3).build()?.workers(), 3);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use = "the builder methods return the changed builder"]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// A function every new worker runs once before its first task (Python's
    /// `initializer`): open a connection, warm a cache, set a thread-local.
    ///
    /// If it panics while the pool starts, [`build`](Self::build) fails with
    /// [`Error::InitializerPanicked`]. If it panics in a replacement worker later (see
    /// [`max_tasks_per_child`](Self::max_tasks_per_child)), the pool terminates, failing
    /// its queued tasks, rather than run them on workers that are not set up.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::{Error, pool::ThreadPool};
    ///
    /// let broken = ThreadPool::builder().initializer(|| panic!("no database")).build();
    /// assert!(matches!(broken, Err(Error::InitializerPanicked { .. })));
    /// ```
    #[must_use = "the builder methods return the changed builder"]
    pub fn initializer<F>(mut self, initializer: F) -> Self
    where
        B: Runs<F, ()>,
        F: super::Task<(), Output = ()>,
    {
        self.initializer = Some(B::initializer(initializer));
        self
    }

    /// After this many tasks (chunks, for `map`) a worker retires and a fresh one replaces it
    /// (Python's `maxtasksperchild`): a way to bound what a task leaks.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().workers(1).max_tasks_per_child(1).build()?;
    /// let first = pool.apply(|| std::thread::current().id(), ())?;
    /// let second = pool.apply(|| std::thread::current().id(), ())?;
    /// assert_ne!(first, second); // every task ran on a fresh worker
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use = "the builder methods return the changed builder"]
    pub fn max_tasks_per_child(mut self, tasks: usize) -> Self {
        self.max_tasks_per_child = Some(tasks);
        self
    }

    /// Starts the workers; each has run the initializer when this returns.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for zero workers or a zero task limit;
    /// [`Error::InitializerPanicked`] when the initializer panics; [`Error::WorkerStart`]
    /// when a worker cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// assert!(ThreadPool::builder().workers(0).build().is_err());
    /// assert!(ThreadPool::builder().max_tasks_per_child(0).build().is_err());
    /// ```
    pub fn build(self) -> Result<Pool<B>> {
        if self.workers == 0 {
            return Err(Error::invalid_input(
                "workers",
                0,
                "a pool needs at least one worker",
            ));
        }
        if self.max_tasks_per_child == Some(0) {
            return Err(Error::invalid_input(
                "max_tasks_per_child",
                0,
                "a worker must be allowed at least one task",
            ));
        }
        Pool::start(Config {
            workers: self.workers,
            initializer: self.initializer,
            max_tasks_per_child: self.max_tasks_per_child,
            pool: PoolId::fresh(),
        })
    }
}

impl<B: Backend> fmt::Debug for PoolBuilder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("backend", &B::NAME)
            .field("workers", &self.workers)
            .field("initializer", &self.initializer.is_some())
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .finish()
    }
}
