//! The process backend: workers are re-executions of this program.

mod engine;
pub(crate) mod entry;
pub(crate) mod job;
mod patient;
mod spawn;
pub(crate) mod wire;
mod worker;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use engine::ProcessEngine;
use job::{ProcessJob, TypedChunk};

use super::Task;
use super::backend::{Backend, Processes, Runs};
use super::buffer::Chunk;
use super::sink::Sink;

impl Backend for Processes {
    const NAME: &'static str = "processes";
    type Engine = ProcessEngine;
}

#[allow(private_interfaces)]
impl<F, Args> Runs<F, Args> for Processes
where
    F: Task<Args> + Copy,
    Args: Serialize + DeserializeOwned + Send + 'static,
    F::Output: Serialize + DeserializeOwned,
{
    fn job(_f: &Arc<F>, chunk: Chunk<Args>, sink: Sink<F::Output>) -> ProcessJob {
        Box::new(TypedChunk {
            entry: entry::chunk_entry::<F, Args>(),
            items: Some(chunk),
            sink,
        })
    }

    fn initializer(_f: F) -> u64
    where
        F: Task<(), Output = ()>,
    {
        entry::init_entry::<F>()
    }
}

/// Turns this process into a pool worker if a [`ProcessPool`](super::ProcessPool) started it;
/// otherwise returns at once. Call it first thing in `main`.
///
/// This is the Rust counterpart of Python's `if __name__ == "__main__":` guard under the
/// *spawn* start method. A process pool's worker is a fresh run of the same program: without
/// the guard, that run would execute `main` from the top — and start a pool of its own. With
/// it, the run becomes a worker here, serves tasks until the pool lets it go, and exits
/// without ever returning.
///
/// Built with the `mpi` feature and started by `mpirun`, it also starts MPI: every rank but
/// rank 0 becomes a worker of `MpiPool` here (chapter 6).
///
/// Call it before anything else, argument parsing included: the pool starts its workers with
/// arguments of its own (ignored by a program that calls `init` first). In a test binary
/// built by libtest, put [`pool_worker_test!`](crate::pool_worker_test) in the crate instead,
/// or declare the test with `harness = false` and call `init()` at the top of its `main`.
///
/// # Examples
///
/// ```rust,standalone_crate
/// use concurrency_lab::pool::{self, ProcessPool};
///
/// fn square(n: u64) -> u64 { n * n }
///
/// fn main() -> Result<(), concurrency_lab::Error> {
///     pool::init(); // a worker never gets past this line
///
///     let pool = ProcessPool::new(2)?;
///     assert_eq!(pool.map(square, 1..=4)?, [1, 4, 9, 16]);
///     Ok(())
/// }
/// ```
pub fn init() {
    worker::serve_if_worker();
    #[cfg(feature = "mpi")]
    super::mpi::serve_if_worker_rank();
}

/// Defines the test that a libtest test binary needs to serve as a process-pool worker.
///
/// A [`ProcessPool`](crate::pool::ProcessPool) created inside a `#[test]` starts workers by
/// running the test binary again, asking it (through its arguments) for the one test named
/// `__concurrency_lab_pool_worker`. This macro defines that test: it calls
/// [`pool::init()`](crate::pool::init), which turns the run into a worker. Run normally, the
/// test does nothing and passes.
///
/// Alternatively, declare the test target with `harness = false` and call
/// `concurrency_lab::pool::init()` first in its `main`, as an ordinary program does.
///
/// # Examples
///
/// Once, at the top level of a test crate:
///
/// ```
/// concurrency_lab::pool_worker_test!();
/// # fn main() {}
/// ```
///
/// and then any test can use a process pool:
///
/// ```text
/// #[test]
/// fn squares_in_worker_processes() {
///     fn square(n: u64) -> u64 { n * n }
///     let pool = concurrency_lab::pool::ProcessPool::new(2).unwrap();
///     assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
/// }
/// ```
#[macro_export]
macro_rules! pool_worker_test {
    () => {
        #[test]
        fn __concurrency_lab_pool_worker() {
            $crate::pool::init();
        }
    };
}
