//! Pools of workers: Python's `multiprocessing.Pool` and `ThreadPool`, over OS threads, OS
//! processes and (feature `mpi`) the ranks of an MPI job, with one API.
//!
//! This page is the reference. The lecture is [chapter 3](crate::course::ch3_pool), with two
//! appendices: [using pools well](crate::course::ch3_pool_deeper) and [inside the process
//! pool](crate::course::ch3_pool_inside).
//!
//! | piece | what it is |
//! |-------|------------|
//! | [`ThreadPool`], [`ProcessPool`] | `Pool<Threads>` and `Pool<Processes>`: one [`Pool`] type, three [backends](Backend) (threads, processes, MPI ranks) |
//! | [`Pool::apply`], [`Pool::apply_async`] | one task; [`AsyncResult`] is the handle to its result |
//! | [`Callbacks`] | Python's `callback=` and `error_callback=` |
//! | [`Pool::map`], [`Pool::map_async`], [`Pool::starmap`] | many tasks, cut into chunks; [`MapResult`] reports [`Progress`] |
//! | [`Pool::imap`], [`Pool::imap_unordered`] | a lazy map: an [`IMap`] iterator with a bounded number of chunks in flight |
//! | [`Pool::close`], [`Pool::join`], [`Pool::terminate`] | shutting down |
//! | [`PoolBuilder`] | workers, `initializer`, `max_tasks_per_child` |
//! | [`init`] | the first line of `main` in a program that uses a process pool |
//! | [`WorkerExit`] | how a worker process ended, carried by [`Error::WorkerDied`](crate::Error::WorkerDied) |
//!
//! ```
//! use concurrency_lab::pool::ThreadPool;
//!
//! let pool = ThreadPool::new(2)?; // ProcessPool::new(2), with pool::init() first in main
//! assert_eq!(pool.map(|n: u64| n * n, 1..=4)?, [1, 4, 9, 16]);
//! # Ok::<(), concurrency_lab::Error>(())
//! ```

mod api;
mod backend;
mod buffer;
mod builder;
mod callbacks;
mod chunksize;
mod engine;
mod idle;
mod imap;
mod init;
mod map;
#[cfg(feature = "mpi")]
mod mpi;
mod options;
mod process;
mod queue;
mod reentry;
mod remote;
mod result;
mod sink;
mod slot;
mod task;
mod thread;
mod wake;

pub use crate::error::WorkerExit;
pub use api::Pool;
pub use backend::{Backend, Processes, Runs, Threads};
pub use builder::PoolBuilder;
pub use callbacks::Callbacks;
pub use imap::IMap;
pub use init::init;
#[cfg(feature = "mpi")]
pub use mpi::{Mpi, worker_ranks};
pub use options::MapOptions;
pub use result::{AsyncResult, MapResult, Progress};
pub use task::{Task, TaskOnce};

/// A pool of worker threads: Python's `multiprocessing.pool.ThreadPool`, without the GIL.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// assert_eq!(pool.map(|n: u32| n * 2, [1, 2, 3])?, [2, 4, 6]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub type ThreadPool = Pool<Threads>;

/// A pool of worker processes: Python's `multiprocessing.Pool` (spawn start method).
///
/// Its tasks are plain functions — `fn` items or closures that capture nothing — whose
/// arguments and results implement serde's `Serialize` and `Deserialize`: they cross to the
/// worker through a socket. A program that uses it calls [`init()`] first thing in `main`.
///
/// # Examples
///
/// ```rust,standalone_crate
/// use concurrency_lab::pool::{self, ProcessPool};
///
/// fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
///     row.iter().filter(|n| (minimum..=maximum).contains(n)).count()
/// }
///
/// fn main() -> Result<(), concurrency_lab::Error> {
///     pool::init();
///     let pool = ProcessPool::new(2)?;
///     assert_eq!(pool.apply(howmany_within_range, (vec![1, 5, 7, 9], 4, 8))?, 2);
///     Ok(())
/// }
/// ```
pub type ProcessPool = Pool<Processes>;

/// A pool over the other ranks of an MPI job (feature `mpi`): mpi4py's `MPIPoolExecutor`.
///
/// Rank 0 runs `main` and owns the pool; the other ranks serve in [`init()`] and never return
/// from it. Tasks follow the rules of [`ProcessPool`]'s. Chapter 6,
/// [`beyond_one_machine`](crate::beyond_one_machine), tells the whole story.
///
/// # Examples
///
/// ```rust,no_run
/// use concurrency_lab::pool::{self, MpiPool};
///
/// fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
///     row.iter().filter(|n| (minimum..=maximum).contains(n)).count()
/// }
///
/// fn main() -> Result<(), concurrency_lab::Error> {
///     pool::init(); // on ranks 1, 2, …: serve rank 0, then exit
///     let pool = MpiPool::all_ranks()?;
///     assert_eq!(pool.apply(howmany_within_range, (vec![1, 5, 7, 9], 4, 8))?, 2);
///     Ok(())
/// }
/// ```
///
/// `no_run`: it must be started as `mpirun -n 3 <program>`.
#[cfg(feature = "mpi")]
pub type MpiPool = Pool<Mpi>;

/// The number of logical CPUs: Python's `multiprocessing.cpu_count()`.
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::cpu_count;
///
/// println!("Number of processors: {}", cpu_count());
/// assert!(cpu_count() >= 1);
/// ```
pub fn cpu_count() -> usize {
    num_cpus::get()
}
