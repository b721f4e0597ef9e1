//! The process backend: workers are re-executions of this program, one driver thread each.
//!
//! What a task is and how its bytes look is the `remote` layer's, shared with MPI; here is
//! only how a worker process is started (`spawn`), fed (`driver`), and how it serves
//! (`worker`).

mod driver;
mod patient;
mod spawn;
mod worker;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use driver::ProcessDriver;
pub(crate) use worker::serve_if_worker;

use super::backend::sealed::{BackendImpl, RunsImpl};
use super::backend::{Backend, Processes};
use super::buffer::Chunk;
use super::engine::PoolEngine;
use super::remote::{self, RemoteJob};
use super::sink::Sink;
use super::task::Task;

impl BackendImpl for Processes {
    type Engine = PoolEngine<ProcessDriver>;
}

impl Backend for Processes {
    const NAME: &'static str = "processes";
}

impl<F, Args> RunsImpl<F, Args> for Processes
where
    F: Task<Args> + Copy,
    Args: Serialize + DeserializeOwned + Send + 'static,
    F::Output: Serialize + DeserializeOwned,
{
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

#[cfg(test)]
mod tests {
    use std::process::Command;

    use crate::pool::ProcessPool;

    crate::pool_worker_test!();

    fn square(n: u64) -> u64 {
        n * n
    }

    #[test]
    fn squares_on_worker_processes() {
        let pool = ProcessPool::new(2).unwrap();
        assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
    }

    /// Workers re-run this libtest binary; what its harness prints before the worker test
    /// runs ("running 1 test") must not reach the program's output: one block, the run's own.
    #[test]
    fn libtest_workers_print_nothing_of_their_harness() {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "pool::process::tests::squares_on_worker_processes",
                "--exact",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        let blocks = stdout.lines().filter(|l| l.starts_with("running ")).count();
        assert_eq!(blocks, 1, "{stdout}");
        assert!(stdout.contains("1 passed"), "{stdout}");
    }
}
