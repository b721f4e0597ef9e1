//! The MPI backend's rank-0 side: one driver thread per worker rank the pool holds.
//!
//! A driver takes a chunk from the pool's queue, sends it to its rank, and waits for the reply
//! (see `wait`). While the rank runs it, and no other driver waits for work, the driver sends
//! the next queued chunk too ([`IN_FLIGHT`]), so that the rank starts it the moment it
//! finishes: a driver waiting asleep sees a reply up to `wait::LONGEST_SLEEP` late, and a rank
//! that waited for it lost that time on every chunk. Unlike a worker process, a rank cannot be
//! killed alone — MPI ends the whole job when a rank dies — so `terminate` fails the running
//! chunks at once and their drivers wait, in the background, for the ranks to finish them
//! before giving the ranks back.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Sender};

use super::world::{self, Refused, Root, tag};
use crate::pool::backend::{Config, Engine};
use crate::pool::queue::{JobQueue, all_ready};
use crate::pool::remote::RemoteJob;
use crate::pool::remote::entry::check_code_offsets;
use crate::{Error, Result};

/// How long a new pool waits for its initializer on each rank.
const INIT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long dropping a pool waits for its drivers.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// How many chunks a rank holds at once: the one it runs and the next. With one, primes in 60
/// blocks ran 1.6× faster than the sequential loop on two ranks where the process pool ran
/// 1.9× faster. A chunk goes ahead only while every other rank is busy too and has one left to
/// take, and never more than one: else it could wait behind a long one while another rank is
/// free.
const IN_FLIGHT: usize = 2;

/// The largest request sent ahead. MPI sends a message this small at once, buffered
/// ("eagerly": OpenMPI's limit is 4 KiB over shared memory, 64 KiB over TCP); a larger one
/// waits until the rank receives it. Sent ahead, it would wait for a rank busy with the chunk
/// before, holding the MPI lock — while that rank, to send its reply, waits for rank 0: a
/// deadlock. A larger chunk is taken ahead but sent once the reply is in.
const EAGER_BYTES: usize = 2048;

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
    queue: JobQueue<RemoteJob>,
    root: &'static Root,
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

    fn submit(&self, job: RemoteJob, action: &'static str) -> Result<(), (RemoteJob, Error)> {
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
    let mut owed = 0;
    let initialized = match initializer {
        None => Ok(()),
        Some(offset) => initialize(shared.root, rank, offset, &mut owed),
    };
    let ok = initialized.is_ok();
    let _ = ready.send(initialized);
    drop(ready);
    if ok {
        owed = serve(shared, rank);
    }
    if owed == 0 {
        // Released before the pool hears of the exit: after `join`, the rank is free.
        shared.root.release(rank);
        shared.queue.worker_exited();
        return;
    }
    // Chunks the rank still runs after `terminate` are no reason to block `join` or a dropped
    // pool: the pool stops waiting for this driver, which waits on for the rank.
    shared.queue.worker_exited();
    let mut reply = Vec::new();
    for _ in 0..owed {
        if shared.root.receive(rank, &mut reply, || false).is_err() {
            break; // MPI is finalised: nothing more will come
        }
    }
    shared.root.release(rank);
}

fn initialize(root: &Root, rank: i32, offset: u64, owed: &mut usize) -> Result<()> {
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
            *owed = 1;
            Err(Error::WorkerStart {
                reason: format!(
                    "the initializer did not finish within {INIT_TIMEOUT:?} on rank {rank}"
                ),
            })
        }
        Err(refused) => Err(failed(refused)),
    }
}

/// Feeds chunks to `rank` until the queue says stop; returns how many replies the rank still
/// owes for chunks the pool gave up on.
fn serve(shared: &Shared, rank: i32) -> usize {
    let mut sent: VecDeque<RemoteJob> = VecDeque::with_capacity(IN_FLIGHT);
    // A chunk taken to go ahead but too large to send while the rank is busy: it goes next.
    let mut next_up: Option<RemoteJob> = None;
    let mut request = Vec::new();
    let mut ahead = Vec::new();
    let mut reply = Vec::new();
    let mut stopping = false;
    loop {
        if sent.is_empty() {
            let job = match next_up.take() {
                Some(job) => {
                    std::mem::swap(&mut request, &mut ahead);
                    job
                }
                None if stopping => return 0,
                None => match shared.queue.next() {
                    Some(job) => match encode(job, &mut request) {
                        Some(job) => job,
                        None => continue,
                    },
                    None => return 0,
                },
            };
            sent.extend(transmit(shared, rank, job, &request));
            continue;
        }
        if !stopping && next_up.is_none() && sent.len() < IN_FLIGHT {
            match shared.queue.try_next() {
                Some(Some(job)) => {
                    if let Some(job) = encode(job, &mut ahead) {
                        if ahead.len() <= EAGER_BYTES {
                            sent.extend(transmit(shared, rank, job, &ahead));
                        } else {
                            next_up = Some(job);
                        }
                    }
                }
                Some(None) => stopping = true,
                None => {}
            }
        }
        let job = sent.pop_front().expect("the rank runs a chunk");
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
                sent.push_front(job);
                return fail_all(sent, next_up, &|| Error::PoolTerminated);
            }
            Err(Refused(reason)) => {
                sent.push_front(job);
                let reason = || Error::Mpi {
                    reason: reason.clone(),
                };
                fail_all(sent, next_up, &reason);
                return 0; // MPI is finalised: no reply will come
            }
        }
        if shared.queue.is_terminated() {
            return fail_all(sent, next_up, &|| Error::PoolTerminated);
        }
    }
}

/// Encodes `job`'s request into `request`; returns the job unless that failed (then the job
/// failed its own items).
fn encode(mut job: RemoteJob, request: &mut Vec<u8>) -> Option<RemoteJob> {
    request.clear();
    // The job runs user code (serde impls, drops) here; it catches its own panics.
    job.encode(request).then_some(job)
}

/// Sends `job`'s encoded `request` to `rank`; returns the job if the rank now owes its reply.
fn transmit(shared: &Shared, rank: i32, job: RemoteJob, request: &[u8]) -> Option<RemoteJob> {
    match shared.root.send(rank, tag::TASK, request) {
        Ok(()) => Some(job),
        Err(Refused(reason)) => {
            job.fail(&|| Error::Mpi {
                reason: reason.clone(),
            });
            None
        }
    }
}

/// Fails every chunk sent and not answered, and the one that was to go next; returns how many
/// replies the rank still owes.
fn fail_all(
    sent: VecDeque<RemoteJob>,
    next_up: Option<RemoteJob>,
    error: &dyn Fn() -> Error,
) -> usize {
    let owed = sent.len();
    for job in sent.into_iter().chain(next_up) {
        job.fail(error);
    }
    owed
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
