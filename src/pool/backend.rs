//! The seam between the pool's API and where tasks run.
//!
//! [`Pool`](super::Pool) is written once; a [`Backend`] says how a chunk of work gets executed:
//! on a thread of this process ([`Threads`]), in another process ([`Processes`]), or on another
//! rank of an MPI job (`Mpi`, feature `mpi`).
//!
//! The public traits are sealed by private supertraits (rayon-core's pattern): their
//! plumbing lives in [`sealed`], a module no one outside the crate can name, so no one else
//! can implement them and the crate can change the plumbing without breaking anybody. A new
//! backend implements [`sealed::BackendImpl`] and [`sealed::RunsImpl`]; the public traits
//! follow (`Backend` by one `impl` giving its name, `Runs` by itself).
//!
//! The private traits are declared `pub` inside a private module, so the types their
//! signatures name (`Engine`, `Config`, `Chunk`, `Sink`, a backend's job) are `pub` too:
//! unreachable from outside the crate all the same, and no lint needs silencing.

use std::time::Instant;

use super::reentry::PoolId;
use super::task::TaskOnce;
use crate::Result;

pub(crate) mod sealed {
    //! What a backend must provide, out of sight of the crate's users.

    use std::sync::Arc;

    use crate::pool::buffer::Chunk;
    use crate::pool::sink::Sink;
    use crate::pool::task::{Task, TaskOnce};

    /// The private half of [`Backend`](super::Backend): how to start its workers.
    pub trait BackendImpl: Sized + Send + Sync + 'static {
        /// The running workers.
        type Engine: super::Engine;
    }

    /// The private half of [`Runs`](super::Runs): how to turn task `F` into the backend's
    /// jobs.
    pub trait RunsImpl<F: TaskOnce<Args>, Args>: BackendImpl {
        /// A job running `f` once on `args` (`apply`): `f` may be a one-shot `FnOnce`.
        fn job_once(
            f: F,
            args: Args,
            sink: Sink<F::Output>,
        ) -> <Self::Engine as super::Engine>::Job;

        /// A job running the shared `f` over every item of `chunk` (`map` and kin).
        fn job(
            f: &Arc<F>,
            chunk: Chunk<Args>,
            sink: Sink<F::Output>,
        ) -> <Self::Engine as super::Engine>::Job
        where
            F: Task<Args>;

        /// `f` as the initializer every new worker runs.
        fn initializer(f: F) -> <Self::Engine as super::Engine>::Init
        where
            F: Task<(), Output = ()>;
    }
}

/// Where a [`Pool`](super::Pool) runs its tasks: [`Threads`], [`Processes`], or the ranks of an
/// MPI job (`Mpi`, with feature `mpi`).
///
/// The trait is sealed: the crate provides the backends.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::{Backend, Processes, Threads};
///
/// fn describe<B: Backend>() -> String { format!("a pool of {}", B::NAME) }
///
/// assert_eq!(describe::<Threads>(), "a pool of threads");
/// assert_eq!(describe::<Processes>(), "a pool of processes");
/// ```
pub trait Backend: sealed::BackendImpl {
    /// `"threads"`, `"processes"` or `"mpi"`: the word reports and messages use.
    const NAME: &'static str;
}

/// The backend `Self` can run task `F` with arguments `Args`.
///
/// [`Threads`] runs any [`TaskOnce`] (`apply`) or [`Task`](super::Task) (`map` and kin).
/// [`Processes`] runs plain functions — `fn` items and closures that capture nothing — whose
/// arguments and result implement serde's `Serialize` and `Deserialize`, because they cross
/// to another process through a socket. A capturing closure, or a function *pointer*
/// (`fn(u64) -> u64`, which is a value, not a name), is refused when the program is built —
/// by `cargo build`, not already by `cargo check` — because the worker could not know what it
/// points to.
///
/// The trait is sealed, and implemented for every backend and task it applies to.
///
/// # One function for both backends
///
/// A `fn` item's type has no name, so a function generic over the backend cannot say
/// "`B` runs `square`" in its bounds. Take the task as an argument instead: the caller names
/// it, and each call's backend is checked where it is made. The bound reads "`F` is a task
/// of one `u64`, and `B` can run it":
///
/// ```rust,standalone_crate
/// use concurrency_lab::pool::{self, Pool, ProcessPool, Runs, ThreadPool};
///
/// fn square(n: u64) -> u64 { n * n }
///
/// /// The exercise, written once.
/// fn sum_of<B, F>(pool: &Pool<B>, task: F) -> concurrency_lab::Result<u64>
/// where
///     F: Fn(u64) -> u64 + Send + Sync + 'static,
///     B: Runs<F, (u64,)>,
/// {
///     Ok(pool.map(task, 1..=10)?.iter().sum())
/// }
///
/// fn main() -> concurrency_lab::Result<()> {
///     pool::init();
///     assert_eq!(sum_of(&ThreadPool::new(2)?, square)?, 385);
///     assert_eq!(sum_of(&ProcessPool::new(2)?, square)?, 385);
///     Ok(())
/// }
/// ```
///
/// A function that uses several tasks takes each as an argument, with one `Runs` bound per
/// task (`B: Runs<F, (u64,)> + Runs<G, (u64, u64)>`); the lab's
/// [`RangeCountBackend`](crate::lab::range_count::RangeCountBackend) shows the other way,
/// a trait implemented once per backend.
pub trait Runs<F: TaskOnce<Args>, Args>: Backend + sealed::RunsImpl<F, Args> {}

impl<B, F, Args> Runs<F, Args> for B
where
    B: Backend + sealed::RunsImpl<F, Args>,
    F: TaskOnce<Args>,
{
}

/// A running set of workers that executes jobs.
pub trait Engine: Send + Sync + Sized + 'static {
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
#[derive(Debug)]
pub struct Config<Init> {
    pub(crate) workers: usize,
    pub(crate) initializer: Option<Init>,
    pub(crate) max_tasks_per_child: Option<usize>,
    /// Which pool the workers belong to (see `reentry`).
    pub(crate) pool: PoolId,
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
