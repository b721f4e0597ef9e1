//! The process backend's parent side: one driver thread per worker process, started and
//! stopped by the pool's engine (`pool::engine`).
//!
//! A driver owns its worker: it starts it (so the worker dies with the driver's thread, see
//! `spawn`), sends it one chunk at a time from the pool's queue, and reads the reply. When the
//! reply does not come because the worker died, the driver fails that chunk with
//! [`Error::WorkerDied`] — Python's pool waits forever here (bpo-22393) — and starts a fresh
//! worker in its place.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::spawn::{self, Launch, Worker};
use super::worker::started_as_worker_without_init;
use crate::error::WorkerExit;
use crate::pool::backend::Config;
use crate::pool::engine::{Crew, Driver, Ready};
use crate::pool::reentry::{self, PoolId};
use crate::pool::remote::wire::{self, EXIT, MAX_FRAME};
use crate::pool::remote::{RemoteJob, entry};
use crate::{Error, Result};

/// The process backend's part of the pool's engine: each of the pool's threads drives one
/// worker process.
pub struct ProcessDriver {
    launch: Launch,
    max_tasks_per_child: Option<usize>,
    /// The pid of each driver's current worker, for `terminate` to kill. A driver clears its
    /// entry before it reaps the worker, so a pid here never names a reused process id.
    pids: Mutex<Vec<Option<u32>>>,
    /// The pool the drivers serve: they are its workers (see `reentry`).
    pool: PoolId,
}

/// What a driver shares with the others: the engine's crew, around this backend's part.
type WorkerProcesses = Crew<ProcessDriver>;

impl std::fmt::Debug for ProcessDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessDriver")
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .finish_non_exhaustive()
    }
}

impl Driver for ProcessDriver {
    type Job = RemoteJob;
    /// The initializer's entry offset, or why its code cannot be named to a worker.
    type Init = Result<u64, String>;
    const ENGINE: &'static str = "ProcessEngine";
    const THREAD: &'static str = "pool-driver";
    /// Dropping a pool kills its workers; their drivers reap them, so no process — not even a
    /// zombie — outlives the pool. This is how long the drop waits for that.
    const DROP_GRACE: Option<Duration> = Some(Duration::from_secs(10));

    fn new(config: Config<Result<u64, String>>) -> Result<Self> {
        if started_as_worker_without_init() {
            return Err(Error::WorkerStart {
                reason: "this process was started as a pool worker but did not call \
                         `concurrency_lab::pool::init()` first; refusing to start workers of \
                         its own"
                    .into(),
            });
        }
        entry::check_code_offsets().map_err(|reason| Error::WorkerStart { reason })?;
        let initializer = config
            .initializer
            .transpose()
            .map_err(|reason| Error::WorkerStart { reason })?;
        Ok(ProcessDriver {
            launch: Launch::for_this_program(initializer)?,
            max_tasks_per_child: config.max_tasks_per_child,
            pids: Mutex::new(vec![None; config.workers]),
            pool: config.pool,
        })
    }

    fn run(crew: &Arc<Crew<Self>>, slot: usize, ready: Ready) {
        run_driver(crew, slot, ready);
    }

    fn on_terminate(&self) {
        self.kill_workers();
    }
}

impl ProcessDriver {
    fn kill_workers(&self) {
        for pid in self
            .pids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flatten()
        {
            // The worker and what its tasks started: its process group (see `spawn`).
            spawn::kill_group(*pid);
        }
    }

    fn set_pid(&self, slot: usize, pid: Option<u32>) {
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)[slot] = pid;
    }
}

/// One driver: starts its worker, then feeds it chunks until told to stop.
fn run_driver(shared: &WorkerProcesses, slot: usize, ready: Ready) {
    // Everything this thread runs — callbacks, and the drops of arguments and unclaimed
    // results — is the pool's code: a wait on the pool from here is refused, not a hang.
    let _working = reentry::work_for(shared.driver.pool);
    let (mut worker, started) = match start_worker(shared, slot) {
        Ok(worker) => (Some(worker), Ok(())),
        Err(error) => (None, Err(error)),
    };
    if let Some(ready) = ready {
        let _ = ready.send(started);
    }
    if worker.is_some() {
        feed_worker(shared, slot, &mut worker);
    }
    if let Some(worker) = worker.take() {
        retire(shared, slot, worker);
    }
}

fn feed_worker(shared: &WorkerProcesses, slot: usize, worker: &mut Option<Worker>) {
    let mut request = Vec::new();
    let mut reply = Vec::new();
    let mut tasks_done = 0;
    while let Some(mut job) = shared.queue.next() {
        if worker.is_none() {
            match start_worker(shared, slot) {
                Ok(fresh) => *worker = Some(fresh),
                Err(error) => {
                    let reason = error.to_string();
                    job.fail(&|| Error::WorkerStart {
                        reason: reason.clone(),
                    });
                    if matches!(error, Error::InitializerPanicked { .. }) {
                        // Workers that cannot be set up cannot run anything: stop the pool
                        // rather than fail every task one by one.
                        shared.terminate();
                    }
                    continue;
                }
            }
        }
        let current = worker.as_mut().expect("started just above");
        request.clear();
        // The job runs user code (serde impls, drops) here, on the driver thread; it catches
        // its panics itself, and fails its own items when its arguments cannot be sent.
        if !job.encode(&mut request) {
            continue;
        }
        let exchanged = wire::write_frame(&mut current.socket, &request)
            .and_then(|()| wire::read_frame(&mut current.socket, &mut reply, MAX_FRAME));
        match exchanged {
            Ok(true) => {
                // Belt and braces: a panic that escapes the job's own guards (a sink's
                // delivery) drops the job's sink, which fails what it did not deliver; the
                // driver, and its worker, go on.
                let _ = catch_unwind(AssertUnwindSafe(|| job.deliver(&reply)));
            }
            // No reply: the worker is gone, killed by someone or by the pool itself.
            Ok(false) | Err(_) => {
                let dead = worker.take().expect("the worker was running");
                let pid = dead.pid();
                let exit = reap(shared, slot, dead);
                if shared.queue.is_terminated() {
                    job.fail(&|| Error::PoolTerminated);
                    return;
                }
                job.fail(&|| Error::WorkerDied { pid, exit });
                *worker = start_worker(shared, slot).ok(); // a fresh worker takes its place
                tasks_done = 0;
                continue;
            }
        }
        if shared.queue.is_terminated() {
            return;
        }
        tasks_done += 1;
        if shared.driver.max_tasks_per_child == Some(tasks_done) {
            // Python's maxtasksperchild: retire this worker, start a fresh one.
            retire(shared, slot, worker.take().expect("the worker was running"));
            *worker = start_worker(shared, slot).ok();
            tasks_done = 0;
        }
    }
}

fn start_worker(shared: &WorkerProcesses, slot: usize) -> Result<Worker> {
    let worker = spawn::spawn(&shared.driver.launch)?;
    shared.driver.set_pid(slot, Some(worker.pid()));
    if shared.queue.is_terminated() {
        // `terminate` ran while this worker was starting and could not see its pid.
        shared.driver.kill_workers();
    }
    Ok(worker)
}

/// Says goodbye to a worker (or kills it, if the pool was terminated) and reaps it.
fn retire(shared: &WorkerProcesses, slot: usize, mut worker: Worker) {
    if shared.queue.is_terminated() {
        spawn::kill_group(worker.pid());
    } else {
        let _ = wire::write_frame(&mut worker.socket, &[EXIT]);
    }
    reap(shared, slot, worker);
}

/// Waits for a worker that has exited or is about to, kills what its tasks left running (its
/// process group), and says how it ended.
fn reap(shared: &WorkerProcesses, slot: usize, mut worker: Worker) -> WorkerExit {
    shared.driver.set_pid(slot, None);
    drop(worker.socket); // a worker still reading sees the end of its input and exits
    spawn::reap(&mut worker.child).map_or(WorkerExit::Unknown, WorkerExit::from)
}
