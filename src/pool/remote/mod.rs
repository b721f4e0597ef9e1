//! What the two remote backends share: worker processes and MPI ranks.
//!
//! A remote worker runs this same executable in another process, so a task travels as the
//! distance to its entry point and its postcard-encoded arguments, and comes back as encoded
//! outcomes. This layer knows nothing of how the bytes travel (a Unix socket for
//! [`Processes`](super::Processes), MPI messages for `Mpi`): it names tasks ([`entry`], with
//! [`image`] to check where code lies), encodes chunks and decodes their outcomes ([`job`]),
//! frames values ([`wire`], with `serde_text` to keep a serde error's text), and, on the
//! worker's side, runs one chunk request ([`run_request`]).

pub(crate) mod entry;
mod image;
pub(crate) mod job;
mod runner;
mod serde_text;
pub(crate) mod wire;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::buffer::Chunk;
use super::sink::Sink;
use super::task::Task;
pub(crate) use job::RemoteJob;
pub(crate) use runner::{Unrunnable, run_request};

/// A job running task `F` over every item of `chunk` in a remote worker.
pub(crate) fn job<F, Args>(chunk: Chunk<Args>, sink: Sink<F::Output>) -> RemoteJob
where
    F: Task<Args> + Copy,
    Args: Serialize + DeserializeOwned + Send + 'static,
    F::Output: Serialize + DeserializeOwned,
{
    Box::new(job::TypedChunk {
        entry: entry::chunk_entry::<F, Args>(),
        place: chunk.place().clone(),
        items: Some(chunk),
        sink: Some(sink),
    })
}

/// A job running task `F` once, on `args`, in a remote worker (`apply`).
pub(crate) fn job_once<F, Args>(args: Args, sink: Sink<F::Output>) -> RemoteJob
where
    F: Task<Args> + Copy,
    Args: Serialize + DeserializeOwned + Send + 'static,
    F::Output: Serialize + DeserializeOwned,
{
    job::<F, Args>(Chunk::whole(vec![args]), sink)
}

/// Initializer `F`'s entry offset, or why its code cannot be named to a remote worker.
pub(crate) fn initializer<F>() -> Result<u64, String>
where
    F: Task<(), Output = ()> + Copy,
{
    entry::init_entry::<F>()
}
