//! The process backend's parent side: one driver thread per worker process.
//!
//! A driver owns its worker: it starts it (so the worker dies with the driver's thread, see
//! `spawn`), sends it one chunk at a time from the pool's queue, and reads the reply. When the
//! reply does not come because the worker died, the driver fails that chunk with
//! [`Error::WorkerDied`] — Python's pool waits forever here (bpo-22393) — and starts a fresh
//! worker in its place.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Sender};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::spawn::{self, Launch, Worker};
use super::worker::started_as_worker_without_init;
use crate::error::WorkerExit;
use crate::pool::backend::{Config, Engine};
use crate::pool::queue::{JobQueue, all_ready};
use crate::pool::remote::wire::{EXIT, MAX_FRAME};
use crate::pool::remote::{RemoteJob, entry};
use crate::{Error, Result};

/// How long dropping a pool waits for its drivers after killing their workers.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// The running process backend.
pub struct ProcessEngine {
    shared: Arc<WorkerProcesses>,
}

impl std::fmt::Debug for ProcessEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessEngine")
            .field("closed", &self.shared.queue.is_closed())
            .finish_non_exhaustive()
    }
}

struct WorkerProcesses {
    queue: JobQueue<RemoteJob>,
    launch: Launch,
    max_tasks_per_child: Option<usize>,
    /// The pid of each driver's current worker, for `terminate` to kill. A driver clears its
    /// entry before it reaps the worker, so a pid here never names a reused process id.
    pids: Mutex<Vec<Option<u32>>>,
}

impl Engine for ProcessEngine {
    type Job = RemoteJob;
    /// The initializer's entry offset, or why its code cannot be named to a worker.
    type Init = Result<u64, String>;

    fn start(config: Config<Result<u64, String>>) -> Result<Self> {
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
        let engine = ProcessEngine {
            shared: Arc::new(WorkerProcesses {
                queue: JobQueue::new(config.workers),
                launch: Launch::for_this_program(initializer)?,
                max_tasks_per_child: config.max_tasks_per_child,
                pids: Mutex::new(vec![None; config.workers]),
            }),
        };
        let (ready_tx, ready_rx) = channel::bounded(config.workers);
        for slot in 0..config.workers {
            let shared = Arc::clone(&engine.shared);
            let ready = ready_tx.clone();
            let name = format!("pool-driver-{slot}");
            engine.shared.queue.worker_started();
            let started = thread::Builder::new()
                .name(name.clone())
                .spawn(move || run_driver(&shared, slot, ready));
            if let Err(source) = started {
                engine.shared.queue.worker_exited();
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
        self.shared.terminate();
    }

    fn join(&self, deadline: Option<Instant>) -> bool {
        self.shared.queue.join(deadline)
    }

    fn is_closed(&self) -> bool {
        self.shared.queue.is_closed()
    }
}

impl Drop for ProcessEngine {
    fn drop(&mut self) {
        // Dropping a pool terminates it: workers are killed, and reaped by their drivers, so
        // no process — not even a zombie — outlives the pool.
        self.terminate();
        self.join(Instant::now().checked_add(DROP_GRACE));
    }
}

impl WorkerProcesses {
    fn terminate(&self) {
        self.queue.terminate(|| self.kill_workers());
    }

    fn kill_workers(&self) {
        for pid in self
            .pids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flatten()
        {
            // The worker may have just exited on its own; then there is nothing to kill.
            let _ = kill(Pid::from_raw(*pid as i32), Signal::SIGKILL);
        }
    }

    fn terminated(&self) -> bool {
        self.queue.is_terminated()
    }

    fn set_pid(&self, slot: usize, pid: Option<u32>) {
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)[slot] = pid;
    }
}

/// One driver: starts its worker, then feeds it chunks until told to stop.
fn run_driver(shared: &WorkerProcesses, slot: usize, ready: Sender<Result<()>>) {
    let mut worker = match start_worker(shared, slot) {
        Ok(worker) => Some(worker),
        Err(error) => {
            let _ = ready.send(Err(error));
            None
        }
    };
    if worker.is_some() {
        let _ = ready.send(Ok(()));
        drop(ready);
        feed_worker(shared, slot, &mut worker);
    }
    if let Some(worker) = worker.take() {
        retire(shared, slot, worker);
    }
    shared.queue.worker_exited();
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
        let exchanged = current
            .channel
            .send(&request)
            .and_then(|()| current.channel.recv(&mut reply, MAX_FRAME));
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
                if shared.terminated() {
                    job.fail(&|| Error::PoolTerminated);
                    return;
                }
                job.fail(&|| Error::WorkerDied { pid, exit });
                *worker = start_worker(shared, slot).ok(); // a fresh worker takes its place
                tasks_done = 0;
                continue;
            }
        }
        if shared.terminated() {
            return;
        }
        tasks_done += 1;
        if shared.max_tasks_per_child == Some(tasks_done) {
            // Python's maxtasksperchild: retire this worker, start a fresh one.
            retire(shared, slot, worker.take().expect("the worker was running"));
            *worker = start_worker(shared, slot).ok();
            tasks_done = 0;
        }
    }
}

fn start_worker(shared: &WorkerProcesses, slot: usize) -> Result<Worker> {
    let worker = spawn::spawn(&shared.launch)?;
    shared.set_pid(slot, Some(worker.pid()));
    if shared.terminated() {
        // `terminate` ran while this worker was starting and could not see its pid.
        shared.kill_workers();
    }
    Ok(worker)
}

/// Says goodbye to a worker (or kills it, if the pool was terminated) and reaps it.
fn retire(shared: &WorkerProcesses, slot: usize, mut worker: Worker) {
    if shared.terminated() {
        let _ = worker.child.kill();
    } else {
        let _ = worker.channel.send(&[EXIT]);
    }
    reap(shared, slot, worker);
}

/// Waits for a worker that has exited or is about to, and says how it ended.
fn reap(shared: &WorkerProcesses, slot: usize, mut worker: Worker) -> WorkerExit {
    shared.set_pid(slot, None);
    drop(worker.channel); // a worker still reading sees the end of its input and exits
    worker
        .child
        .wait()
        .map_or(WorkerExit::Unknown, WorkerExit::from)
}
