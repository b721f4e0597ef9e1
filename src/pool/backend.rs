//! The seam between the pool's API and where tasks run.
//!
//! [`Pool`](super::Pool) is written once; a [`Backend`] says how a chunk of work gets executed:
//! on a thread of this process ([`Threads`]) or in another process ([`Processes`]). The
//! traits are sealed: the crate provides both backends, and the hidden items are its own
//! plumbing.

use std::sync::Arc;
use std::time::Instant;

use super::Task;
use super::buffer::Chunk;
use super::sink::Sink;
use crate::Result;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Threads {}
    impl Sealed for super::Processes {}
    #[cfg(feature = "mpi")]
    impl Sealed for crate::pool::Mpi {}
}

/// Where a [`Pool`](super::Pool) runs its tasks: [`Threads`] or [`Processes`].
///
/// # Examples
///
/// Code that works with either backend takes the pool as `&Pool<B>` and the task as a generic
/// argument, bound by [`Runs`] — the type of a `fn` item has no name to write in a bound:
///
/// ```
/// use concurrency_lab::pool::{Backend, Pool, Runs, ThreadPool};
///
/// fn square(n: u64) -> u64 { n * n }
///
/// fn sum_of<B, F>(pool: &Pool<B>, task: F) -> concurrency_lab::Result<u64>
/// where
///     F: Fn(u64) -> u64 + Send + Sync + 'static,
///     B: Backend + Runs<F, (u64,)>,
/// {
///     Ok(pool.map(task, 1..=10)?.iter().sum())
/// }
///
/// assert_eq!(sum_of(&ThreadPool::new(2)?, square)?, 385);
/// // and, in a program that calls `pool::init()` first: sum_of(&ProcessPool::new(2)?, square)
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[allow(private_bounds)]
pub trait Backend: sealed::Sealed + Sized + Send + Sync + 'static {
    /// `"threads"` or `"processes"`: the word reports and messages use.
    const NAME: &'static str;

    #[doc(hidden)]
    type Engine: Engine;
}

/// The backend `Self` can run task `F` with arguments `Args`.
///
/// [`Threads`] runs any [`Task`]. [`Processes`] runs plain functions — `fn` items and
/// closures that capture nothing — whose arguments and result implement serde's `Serialize`
/// and `Deserialize`, because they cross to another process through a socket. A capturing
/// closure, or a function *pointer* (`fn(u64) -> u64`, which is a value, not a name), is
/// refused when the program is built — by `cargo build`, not already by `cargo check` — because
/// the worker could not know what it points to.
///
/// # Examples
///
/// A bound on `Runs` lets one function serve both backends:
///
/// ```
/// use concurrency_lab::pool::{Pool, Runs, ThreadPool};
///
/// fn double_all<B, F>(pool: &Pool<B>, task: F) -> concurrency_lab::Result<Vec<u32>>
/// where
///     F: Fn(u32) -> u32 + Send + Sync + 'static,
///     B: Runs<F, (u32,)>,
/// {
///     pool.map(task, [1, 2, 3])
/// }
///
/// fn double(n: u32) -> u32 { 2 * n }
///
/// assert_eq!(double_all(&ThreadPool::new(2)?, double)?, [2, 4, 6]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[allow(private_interfaces)]
pub trait Runs<F: Task<Args>, Args>: Backend {
    #[doc(hidden)]
    fn job(f: &Arc<F>, chunk: Chunk<Args>, sink: Sink<F::Output>) -> <Self::Engine as Engine>::Job;

    #[doc(hidden)]
    fn initializer(f: F) -> <Self::Engine as Engine>::Init
    where
        F: Task<(), Output = ()>;
}

/// A running set of workers that executes jobs.
pub(crate) trait Engine: Send + Sync + Sized + 'static {
    /// One chunk of work, with its typed function, arguments and sink.
    type Job: Send + 'static;
    /// The initializer, in the form this engine can run in each new worker.
    type Init: Send + Sync + 'static;

    /// Starts the workers; every worker has run the initializer when this returns `Ok`.
    fn start(config: Config<Self::Init>) -> Result<Self>;

    /// Queues a job; on refusal (pool closed) hands the job back with the reason.
    fn submit(&self, job: Self::Job, action: &'static str)
    -> Result<(), (Self::Job, crate::Error)>;

    /// Stop accepting jobs; workers exit once the queue is empty.
    fn close(&self);

    /// Stop accepting jobs, discard the queue, stop the workers now.
    fn terminate(&self);

    /// Waits until every worker has exited or `deadline` has passed; returns whether they all
    /// have. Only meaningful after `close` or `terminate`.
    fn join(&self, deadline: Option<Instant>) -> bool;

    /// Whether `close` or `terminate` was called.
    fn is_closed(&self) -> bool;
}

/// How to start a pool's workers.
pub(crate) struct Config<Init> {
    pub(crate) workers: usize,
    pub(crate) initializer: Option<Init>,
    pub(crate) max_tasks_per_child: Option<usize>,
}

/// Run tasks on OS threads of this process: Python's `multiprocessing.pool.ThreadPool`,
/// without the GIL — CPU-bound tasks run in parallel.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::{Pool, Threads};
///
/// let pool: Pool<Threads> = Pool::new(2)?;
/// assert_eq!(pool.apply(|a: u32, b: u32| a + b, (2, 3))?, 5);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Threads;

/// Run tasks in worker processes: Python's `multiprocessing.Pool` with the spawn start method.
///
/// # Examples
///
/// See [`ProcessPool`](super::ProcessPool).
#[derive(Debug, Clone, Copy)]
pub struct Processes;
