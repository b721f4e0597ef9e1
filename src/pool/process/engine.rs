//! The process backend's parent side: one driver thread per worker process.
//!
//! A driver owns its worker: it starts it (so the worker dies with the driver's thread, see
//! `spawn`), sends it one chunk at a time from the pool's queue, and reads the reply. When the
//! reply does not come because the worker died, the driver fails that chunk with
//! [`Error::WorkerDied`] — Python's pool waits forever here (bpo-22393) — and starts a fresh
//! worker in its place.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Receiver, Sender};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::job::ProcessJob;
use super::spawn::{self, Launch, Worker, describe};
use super::wire::{self, EXIT};
use super::worker::started_as_worker_without_init;
use crate::pool::backend::{Config, Engine};
use crate::pool::idle;
use crate::{Error, Result};

enum Message {
    Run(ProcessJob),
    /// A poison pill: the driver that takes it retires its worker and exits.
    Stop,
}

const RUNNING: u8 = 0;
const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

/// How long dropping a pool waits for its drivers after killing their workers.
const DROP_GRACE: Duration = Duration::from_secs(10);

/// The running process backend. Public only because [`Backend::Engine`] names it; opaque.
///
/// [`Backend::Engine`]: crate::pool::Backend::Engine
#[doc(hidden)]
#[allow(unreachable_pub, missing_debug_implementations)]
pub struct ProcessEngine {
    shared: Arc<Shared>,
}

struct Shared {
    sender: Sender<Message>,
    receiver: Receiver<Message>,
    state: AtomicU8,
    /// Held for reading while submitting, for writing while changing `state`, so no job can
    /// slip into the queue behind the poison pills.
    submit_gate: RwLock<()>,
    workers: usize,
    live: Mutex<usize>,
    all_exited: Condvar,
    launch: Launch,
    max_tasks_per_child: Option<usize>,
    /// The pid of each driver's current worker, for `terminate` to kill. A driver clears its
    /// entry before it reaps the worker, so a pid here never names a reused process id.
    pids: Mutex<Vec<Option<u32>>>,
}

impl Engine for ProcessEngine {
    type Job = ProcessJob;
    type Init = u64;

    fn start(config: Config<u64>) -> Result<Self> {
        if started_as_worker_without_init() {
            return Err(Error::WorkerStart {
                reason: "this process was started as a pool worker but did not call \
                         `concurrency_lab::pool::init()` first; refusing to start workers of \
                         its own"
                    .into(),
            });
        }
        let (sender, receiver) = channel::unbounded();
        let shared = Arc::new(Shared {
            sender,
            receiver,
            state: AtomicU8::new(RUNNING),
            submit_gate: RwLock::new(()),
            workers: config.workers,
            live: Mutex::new(config.workers),
            all_exited: Condvar::new(),
            launch: Launch::for_this_program(config.initializer)?,
            max_tasks_per_child: config.max_tasks_per_child,
            pids: Mutex::new(vec![None; config.workers]),
        });
        let engine = ProcessEngine {
            shared: Arc::clone(&shared),
        };
        let (ready_tx, ready_rx) = channel::bounded(config.workers);
        for slot in 0..config.workers {
            let shared = Arc::clone(&shared);
            let ready = ready_tx.clone();
            let name = format!("pool-driver-{slot}");
            let started = thread::Builder::new()
                .name(name.clone())
                .spawn(move || drive(&shared, slot, ready));
            if let Err(source) = started {
                // The drivers not started will never report their exit: count them out.
                for _ in slot..config.workers {
                    engine.shared.exited();
                }
                engine.terminate();
                return Err(Error::ThreadSpawn { name, source });
            }
        }
        drop(ready_tx);
        for report in ready_rx.iter() {
            if let Err(error) = report {
                engine.terminate();
                return Err(error);
            }
        }
        Ok(engine)
    }

    fn submit(&self, job: ProcessJob, action: &'static str) -> Result<(), (ProcessJob, Error)> {
        let _gate = self
            .shared
            .submit_gate
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if self.shared.state.load(Ordering::Acquire) != RUNNING {
            return Err((job, Error::PoolClosed { action }));
        }
        self.shared
            .sender
            .send(Message::Run(job))
            .map_err(|channel::SendError(message)| match message {
                Message::Run(job) => (job, Error::PoolClosed { action }),
                Message::Stop => unreachable!("only jobs are submitted"),
            })
    }

    fn close(&self) {
        self.shared.stop(CLOSED);
    }

    fn terminate(&self) {
        self.shared.stop(TERMINATED);
    }

    fn join(&self, deadline: Option<Instant>) -> bool {
        let mut live = self
            .shared
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *live > 0 {
            live = match deadline {
                None => self
                    .shared
                    .all_exited
                    .wait(live)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.shared
                        .all_exited
                        .wait_timeout(live, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        true
    }

    fn is_closed(&self) -> bool {
        self.shared.state.load(Ordering::Acquire) != RUNNING
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

impl Shared {
    fn stop(&self, to: u8) {
        let discarded: Vec<Message> = {
            let _gate = self
                .submit_gate
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let from = self.state.fetch_max(to, Ordering::AcqRel);
            if from >= to {
                return;
            }
            let discarded = if to == TERMINATED {
                let queued = self.receiver.try_iter().collect();
                self.kill_workers();
                queued
            } else {
                Vec::new()
            };
            for _ in 0..self.workers {
                let _ = self.sender.send(Message::Stop);
            }
            discarded
        };
        // Dropped jobs fail their items with PoolTerminated; outside the gate, since that may
        // run callbacks that use the pool.
        drop(discarded);
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

    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    fn set_pid(&self, slot: usize, pid: Option<u32>) {
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)[slot] = pid;
    }

    fn exited(&self) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        *live -= 1;
        if *live == 0 {
            self.all_exited.notify_all();
        }
    }
}

/// One driver: starts its worker, then feeds it chunks until told to stop.
fn drive(shared: &Shared, slot: usize, ready: Sender<Result<()>>) {
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
        serve(shared, slot, &mut worker);
    }
    if let Some(worker) = worker.take() {
        retire(shared, slot, worker);
    }
    shared.exited();
}

fn serve(shared: &Shared, slot: usize, worker: &mut Option<Worker>) {
    let mut request = Vec::new();
    let mut reply = Vec::new();
    let mut tasks_done = 0;
    while let Some(Message::Run(mut job)) = idle::next_message(&shared.receiver) {
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
                        shared.stop(TERMINATED);
                    }
                    continue;
                }
            }
        }
        let current = worker.as_mut().expect("started just above");
        request.clear();
        if let Err(message) = job.encode(&mut request) {
            job.fail(&|| Error::Serialization {
                what: "arguments",
                message: message.clone(),
            });
            continue;
        }
        let exchanged = wire::write_frame(&mut current.socket, &request)
            .and_then(|()| wire::read_frame(&mut current.socket, &mut reply));
        match exchanged {
            Ok(true) => job.deliver(&reply),
            // No reply: the worker is gone, killed by someone or by the pool itself.
            Ok(false) | Err(_) => {
                let dead = worker.take().expect("the worker was running");
                let pid = dead.pid();
                let status = reap(shared, slot, dead);
                if shared.state() == TERMINATED {
                    job.fail(&|| Error::PoolTerminated);
                    return;
                }
                job.fail(&|| Error::WorkerDied {
                    pid,
                    status: status.clone(),
                });
                *worker = start_worker(shared, slot).ok(); // a fresh worker takes its place
                tasks_done = 0;
                continue;
            }
        }
        if shared.state() == TERMINATED {
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

fn start_worker(shared: &Shared, slot: usize) -> Result<Worker> {
    let worker = spawn::spawn(&shared.launch)?;
    shared.set_pid(slot, Some(worker.pid()));
    if shared.state() == TERMINATED {
        // `terminate` ran while this worker was starting and could not see its pid.
        shared.kill_workers();
    }
    Ok(worker)
}

/// Says goodbye to a worker (or kills it, if the pool was terminated) and reaps it.
fn retire(shared: &Shared, slot: usize, mut worker: Worker) {
    if shared.state() == TERMINATED {
        let _ = worker.child.kill();
    } else {
        let _ = wire::write_frame(&mut worker.socket, &[EXIT]);
    }
    reap(shared, slot, worker);
}

/// Waits for a worker that has exited or is about to, and says how it ended.
fn reap(shared: &Shared, slot: usize, mut worker: Worker) -> String {
    shared.set_pid(slot, None);
    drop(worker.socket); // a worker still reading sees the end of its input and exits
    match worker.child.wait() {
        Ok(status) => describe(status),
        Err(e) => format!("its exit status is unknown ({e})"),
    }
}
