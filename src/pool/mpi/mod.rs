//! The MPI backend: the pool's workers are the other ranks of an MPI job.
//!
//! Every rank runs the same executable (`world` checks it at start-up), so a task travels as
//! to a worker process, through the `remote` layer both share: the offset of its entry point
//! and its postcard-encoded arguments, in one MPI message per chunk. Rank 0 runs `main`; the
//! others serve in [`init()`](super::init) until rank 0 exits.

mod engine;
mod progress;
mod sends;
mod spin;
mod take_ahead;
mod wait;
mod worker;
mod world;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::backend::Backend;
use super::backend::sealed::{BackendImpl, RunsImpl};
use super::buffer::Chunk;
use super::remote::{self, RemoteJob};
use super::sink::Sink;
use super::task::Task;
use crate::Result;

pub(crate) use world::serve_if_worker_rank;

/// Run tasks on the other ranks of an MPI job: mpi4py's `MPIPoolExecutor`, with the `Pool`
/// API. Needs the crate's `mpi` feature and a program started by `mpirun`.
///
/// Tasks follow the rules of [`Processes`](super::Processes) — plain functions whose arguments
/// and results implement serde's traits — because a worker rank is another process, perhaps on
/// another machine. Chapter 6, [`beyond_one_machine`](crate::beyond_one_machine), explains it.
///
/// # Examples
///
/// ```rust,no_run
/// use concurrency_lab::pool::{Mpi, Pool};
///
/// fn square(n: u64) -> u64 { n * n }
///
/// fn main() -> concurrency_lab::Result<()> {
///     concurrency_lab::pool::init(); // ranks 1, 2, … serve here and never return
///     let pool: Pool<Mpi> = Pool::all_ranks()?;
///     assert_eq!(pool.map(square, 1..=4)?, [1, 4, 9, 16]);
///     Ok(())
/// }
/// ```
///
/// (`no_run`: it needs `mpirun -n 3`; `tests/mpi.rs` runs programs like it under `mpirun`.)
#[derive(Debug, Clone, Copy)]
pub struct Mpi;

impl BackendImpl for Mpi {
    type Engine = engine::MpiEngine;
}

impl Backend for Mpi {
    const NAME: &'static str = "mpi";
}

impl<F, Args> RunsImpl<F, Args> for Mpi
where
    F: Task<Args> + Copy,
    Args: Serialize + DeserializeOwned + Send + 'static,
    F::Output: Serialize + DeserializeOwned,
{
    // A rank runs the very jobs a worker process runs: the same entry offsets, the same encoding.
    fn job_once(_f: F, args: Args, sink: Sink<F::Output>) -> RemoteJob {
        remote::job_once::<F, Args>(args, sink)
    }

    fn job(_f: &Arc<F>, chunk: Chunk<Args>, sink: Sink<F::Output>) -> RemoteJob {
        remote::job::<F, Args>(chunk, sink)
    }

    fn initializer(_f: F) -> Result<u64, String>
    where
        F: Task<(), Output = ()>,
    {
        remote::initializer::<F>()
    }
}

impl super::api::Pool<Mpi> {
    /// A pool over every worker rank of the job: `mpirun -n 4` gives 3 workers.
    ///
    /// # Errors
    ///
    /// [`Error::Mpi`](crate::Error::Mpi) when the program was not started by `mpirun`, runs
    /// with one rank only, did not call [`init()`](super::init), or when another pool holds
    /// the ranks.
    ///
    /// # Examples
    ///
    /// ```rust,no_run
    /// use concurrency_lab::pool::MpiPool;
    ///
    /// concurrency_lab::pool::init();
    /// let pool = MpiPool::all_ranks()?; // under `mpirun -n 3`: 2 workers
    /// assert_eq!(pool.workers(), 2);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn all_ranks() -> Result<Self> {
        let root = world::rank0()?;
        root.require_workers()?;
        Self::new(root.worker_ranks())
    }
}

/// How many worker ranks the MPI job has: its size minus rank 0.
///
/// # Errors
///
/// [`Error::Mpi`](crate::Error::Mpi) when the program was not started by `mpirun` (or did not
/// call [`init()`](super::init)), saying how to start it.
///
/// # Examples
///
/// ```rust,no_run
/// concurrency_lab::pool::init();
/// // under `mpirun -n 4`:
/// assert_eq!(concurrency_lab::pool::worker_ranks()?, 3);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn worker_ranks() -> Result<usize> {
    Ok(world::rank0()?.worker_ranks())
}
