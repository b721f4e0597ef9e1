//! The MPI backend's rank-0 side: one driver thread per worker rank the pool holds.
//!
//! A driver takes a chunk from the pool's queue, sends it to its rank, and waits for the reply
//! (see `wait`), then takes the next. Unlike a worker process, a rank cannot be killed alone
//! — MPI ends the whole job when a rank dies — so `terminate` fails the running chunks at
//! once and their drivers wait, in the background, for the ranks to finish them before giving
//! the ranks back.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Sender};

use super::world::{self, Refused, Root, tag};
use crate::pool::backend::{Config, Engine};
use crate::pool::process::entry::check_code_offsets;
use crate::pool::process::job::ProcessJob;
use crate::pool::queue::{JobQueue, all_ready};
use crate::{Error, Result};

/// How long a new pool waits for its initializer on each rank.
const INIT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long dropping a pool waits for its drivers.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// The running MPI backend.
pub struct MpiEngine {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MpiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiEngine")
            .field("closed", &self.shared.queue.is_closed())
            .finish_non_exhaustive()
    }
}

struct Shared {
    queue: JobQueue<ProcessJob>,
    root: &'static Root,
}

impl Engine for MpiEngine {
    type Job = ProcessJob;
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
        let ranks = root.claim(config.workers)?;
        let engine = MpiEngine {
            shared: Arc::new(Shared {
                queue: JobQueue::new(ranks.len()),
                root,
            }),
        };
        let (ready_tx, ready_rx) = channel::bounded(ranks.len());
        let mut unstarted = ranks.into_iter();
        while let Some(rank) = unstarted.next() {
            let shared = Arc::clone(&engine.shared);
            let ready = ready_tx.clone();
            let name = format!("mpi-driver-{rank}");
            engine.shared.queue.worker_started();
            let started = thread::Builder::new()
                .name(name.clone())
                .spawn(move || drive(&shared, rank, initializer, ready));
            if let Err(source) = started {
                engine.shared.queue.worker_exited();
                root.release(rank);
                unstarted.for_each(|rank| root.release(rank));
                engine.terminate();
                return Err(Error::ThreadSpawn { name, source });
            }
        }
        drop(ready_tx);
        if let Err(error) = all_ready(&ready_rx) {
            engine.terminate();
            return Err(error);
        }
        Ok(engine)
    }

    fn submit(&self, job: ProcessJob, action: &'static str) -> Result<(), (ProcessJob, Error)> {
        self.shared.queue.submit(job, action)
    }

    fn close(&self) {
        self.shared.queue.close();
    }

    fn terminate(&self) {
        self.shared.queue.terminate(|| {});
    }

    fn join(&self, deadline: Option<Instant>) -> bool {
        self.shared.queue.join(deadline)
    }

    fn is_closed(&self) -> bool {
        self.shared.queue.is_closed()
    }
}

impl Drop for MpiEngine {
    fn drop(&mut self) {
        // Dropping a pool terminates it; its drivers notice within one pause between probes.
        self.terminate();
        self.join(Instant::now().checked_add(DROP_GRACE));
    }
}

/// One driver: sets its rank up, feeds it chunks, and gives it back when it owes nothing.
fn drive(shared: &Shared, rank: i32, initializer: Option<u64>, ready: Sender<Result<()>>) {
    let mut owes_reply = false;
    let initialized = match initializer {
        None => Ok(()),
        Some(offset) => initialize(shared.root, rank, offset, &mut owes_reply),
    };
    let ok = initialized.is_ok();
    let _ = ready.send(initialized);
    drop(ready);
    if ok {
        owes_reply = serve(shared, rank);
    }
    if !owes_reply {
        // Released before the pool hears of the exit: after `join`, the rank is free.
        shared.root.release(rank);
        shared.queue.worker_exited();
        return;
    }
    // A task the rank still runs after `terminate` is no reason to block `join` or a dropped
    // pool: the pool stops waiting for this driver, which waits on for the rank.
    shared.queue.worker_exited();
    let _ = shared.root.receive(rank, &mut Vec::new(), || false);
    shared.root.release(rank);
}

fn initialize(root: &Root, rank: i32, offset: u64, owes_reply: &mut bool) -> Result<()> {
    let failed = |Refused(reason)| Error::WorkerStart { reason };
    root.send(rank, tag::INIT, &offset.to_le_bytes())
        .map_err(failed)?;
    let deadline = Instant::now() + INIT_TIMEOUT;
    let mut reply = Vec::new();
    match root.receive(rank, &mut reply, || Instant::now() > deadline) {
        Ok(Some(tag::INIT_DONE)) => Ok(()),
        Ok(Some(tag::INIT_PANICKED)) => Err(Error::InitializerPanicked {
            message: String::from_utf8_lossy(&reply).into_owned(),
        }),
        Ok(Some(other)) => Err(unexpected(rank, other)),
        Ok(None) => {
            *owes_reply = true;
            Err(Error::WorkerStart {
                reason: format!(
                    "the initializer did not finish within {INIT_TIMEOUT:?} on rank {rank}"
                ),
            })
        }
        Err(refused) => Err(failed(refused)),
    }
}

/// Feeds chunks to `rank` until the queue says stop; returns whether the rank still owes the
/// reply to a chunk the pool gave up on.
fn serve(shared: &Shared, rank: i32) -> bool {
    let mut request = Vec::new();
    let mut reply = Vec::new();
    while let Some(mut job) = shared.queue.next() {
        request.clear();
        // The job runs user code (serde impls, drops) here; it catches its own panics and
        // fails its own items when its arguments cannot be sent.
        if !job.encode(&mut request) {
            continue;
        }
        if let Err(Refused(reason)) = shared.root.send(rank, tag::TASK, &request) {
            job.fail(&|| Error::Mpi {
                reason: reason.clone(),
            });
            continue;
        }
        match shared
            .root
            .receive(rank, &mut reply, || shared.queue.is_terminated())
        {
            Ok(Some(tag::REPLY)) => {
                // As in the process backend: a panic escaping the job's own guards drops its
                // sink, which fails what it did not deliver; the driver goes on.
                let _ = catch_unwind(AssertUnwindSafe(|| job.deliver(&reply)));
            }
            Ok(Some(tag::REPLY_TOO_LARGE)) => {
                let size = <[u8; 8]>::try_from(&reply[..]).map_or(0, u64::from_le_bytes);
                job.fail(&|| Error::Mpi {
                    reason: format!(
                        "the chunk's results take {size} bytes, more than one MPI message \
                         carries (2 GiB); use smaller chunks"
                    ),
                });
            }
            Ok(Some(other)) => job.fail(&|| unexpected(rank, other)),
            Ok(None) => {
                job.fail(&|| Error::PoolTerminated);
                return true;
            }
            Err(Refused(reason)) => {
                job.fail(&|| Error::Mpi {
                    reason: reason.clone(),
                });
                return false;
            }
        }
        if shared.queue.is_terminated() {
            return false;
        }
    }
    false
}

fn unexpected(rank: i32, tag: mpi::Tag) -> Error {
    Error::Protocol {
        message: if tag == tag::REFUSED {
            format!(
                "rank {rank} refused the request: it runs another build of this program, or the \
                 code named lies outside its executable"
            )
        } else {
            format!("rank {rank} answered with unexpected tag {tag}")
        },
    }
}
