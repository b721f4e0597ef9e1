//! The MPI backend's pool side: a pool's queue, served by rank 0's progress engine.
//!
//! A pool claims its ranks, hands them and its queue to the progress engine (`progress`), and
//! wakes the engine after each submission, `close` and `terminate`; the engine does the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam::channel;

use super::progress::{Client, Command, Handle};
use super::world;
use crate::pool::backend::{Config, Engine};
use crate::pool::queue::{JobQueue, all_ready};
use crate::pool::remote::RemoteJob;
use crate::pool::remote::entry::check_code_offsets;
use crate::{Error, Result};

/// How long dropping a pool waits for the progress engine to let its ranks go.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// The running MPI backend.
pub struct MpiEngine {
    client: Arc<Client>,
    progress: &'static Handle,
}

impl std::fmt::Debug for MpiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiEngine")
            .field("closed", &self.client.queue.is_closed())
            .field("ranks", &self.client.ranks)
            .finish_non_exhaustive()
    }
}

impl Engine for MpiEngine {
    type Job = RemoteJob;
    /// The initializer's entry offset, or why its code cannot be named to a rank.
    type Init = Result<u64, String>;

    fn start(config: Config<Result<u64, String>>) -> Result<Self> {
        let root = world::rank0()?;
        check_code_offsets().map_err(|reason| Error::WorkerStart { reason })?;
        let initializer = config
            .initializer
            .transpose()
            .map_err(|reason| Error::WorkerStart { reason })?;
        if config.max_tasks_per_child.is_some() {
            return Err(Error::Mpi {
                reason: "max_tasks_per_child cannot work over MPI: a worker rank cannot be \
                         replaced while the job runs"
                    .into(),
            });
        }
        let progress = root.progress()?;
        let ranks = root.claim(config.workers)?;
        let client = Arc::new(Client {
            queue: JobQueue::new(ranks.len()),
            ranks: ranks.len(),
        });
        for _ in &ranks {
            client.queue.worker_started();
        }
        let (ready, reports) = channel::bounded(ranks.len());
        let start = Command::Start {
            client: Arc::clone(&client),
            ranks,
            initializer,
            ready,
        };
        if let Err(Command::Start { ranks, .. }) = progress.send(start) {
            ranks.into_iter().for_each(|rank| root.release(rank));
            return Err(Error::Mpi {
                reason: "MPI was finalised: the program is exiting".into(),
            });
        }
        let engine = MpiEngine { client, progress };
        if let Err(error) = all_ready(&reports) {
            engine.terminate();
            return Err(error);
        }
        Ok(engine)
    }

    fn submit(&self, job: RemoteJob, action: &'static str) -> Result<(), (RemoteJob, Error)> {
        self.client.queue.submit(job, action)?;
        self.progress.wake();
        Ok(())
    }

    fn close(&self) {
        self.client.queue.close();
        self.progress.wake();
    }

    fn terminate(&self) {
        self.client.queue.terminate(|| {});
        self.progress.wake();
    }

    fn join(&self, deadline: Option<Instant>) -> bool {
        self.client.queue.join(deadline)
    }

    fn is_closed(&self) -> bool {
        self.client.queue.is_closed()
    }
}

impl Drop for MpiEngine {
    fn drop(&mut self) {
        // Dropping a pool terminates it; the progress engine lets its ranks go on its next
        // turn — unless this is that engine, dropping the pool from a callback: it does so
        // once the callback has returned.
        self.terminate();
        if !self.progress.is_current() {
            self.join(Instant::now().checked_add(DROP_GRACE));
        }
    }
}
