//! The thread backend: worker threads taking jobs from one shared queue.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread;
use std::time::Instant;

use crossbeam::channel::{self, Receiver, Sender};

use super::Task;
use super::backend::{Config, Engine, Runs, Threads};
use super::buffer::Chunk;
use super::idle;
use super::sink::Sink;
use crate::panic_message::panic_message;
use crate::{Error, Result};

/// A chunk of work, ready to run on any worker thread.
pub(crate) type ThreadJob = Box<dyn FnOnce() + Send>;
/// The initializer, run once at the start of each worker thread.
pub(crate) type ThreadInit = Arc<dyn Fn() + Send + Sync>;

#[allow(private_interfaces)]
impl<F: Task<Args>, Args: Send + 'static> Runs<F, Args> for Threads {
    fn job(f: &Arc<F>, chunk: Chunk<Args>, sink: Sink<F::Output>) -> ThreadJob {
        let f = Arc::clone(f);
        Box::new(move || sink.run(&*f, chunk))
    }

    fn initializer(f: F) -> ThreadInit
    where
        F: Task<(), Output = ()>,
    {
        Arc::new(move || f.call_with(()))
    }
}

impl super::Backend for Threads {
    const NAME: &'static str = "threads";
    type Engine = ThreadEngine;
}

enum Message {
    Run(ThreadJob),
    /// A poison pill: the worker that takes it exits. `close` sends one per worker, behind
    /// every job already queued.
    Stop,
}

const RUNNING: u8 = 0;
const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

/// The running thread backend. Public only because [`Backend::Engine`] names it; opaque.
///
/// [`Backend::Engine`]: super::Backend::Engine
#[doc(hidden)]
#[allow(unreachable_pub, missing_debug_implementations)]
pub struct ThreadEngine {
    shared: Arc<Shared>,
}

struct Shared {
    sender: Sender<Message>,
    receiver: Receiver<Message>,
    /// RUNNING, CLOSED or TERMINATED. Writers hold `submit_gate` for writing, so that no job
    /// slips into the queue behind the poison pills.
    state: AtomicU8,
    submit_gate: RwLock<()>,
    workers: usize,
    live: Mutex<usize>,
    all_exited: Condvar,
    initializer: Option<ThreadInit>,
    max_tasks_per_child: Option<usize>,
    spawned: AtomicUsize,
}

impl Engine for ThreadEngine {
    type Job = ThreadJob;
    type Init = ThreadInit;

    fn start(config: Config<ThreadInit>) -> Result<Self> {
        let (sender, receiver) = channel::unbounded();
        let shared = Arc::new(Shared {
            sender,
            receiver,
            state: AtomicU8::new(RUNNING),
            submit_gate: RwLock::new(()),
            workers: config.workers,
            live: Mutex::new(0),
            all_exited: Condvar::new(),
            initializer: config.initializer,
            max_tasks_per_child: config.max_tasks_per_child,
            spawned: AtomicUsize::new(0),
        });
        let engine = ThreadEngine { shared };
        let (ready_tx, ready_rx) = channel::bounded(config.workers);
        for _ in 0..config.workers {
            spawn_worker(&engine.shared, Some(ready_tx.clone()))?;
        }
        drop(ready_tx);
        // Every worker reports whether its initializer ran; the first failure fails the start.
        for report in ready_rx.iter() {
            if let Err(error) = report {
                engine.terminate();
                return Err(error);
            }
        }
        Ok(engine)
    }

    fn submit(&self, job: ThreadJob, action: &'static str) -> Result<(), (ThreadJob, Error)> {
        let _gate = self.shared.read_gate();
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

impl Shared {
    fn read_gate(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.submit_gate
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves to CLOSED or TERMINATED and tells every worker to stop.
    fn stop(&self, to: u8) {
        let discarded: Vec<Message> = {
            let _gate = self
                .submit_gate
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let from = self.state.fetch_max(to, Ordering::AcqRel);
            if from >= to {
                return; // already there
            }
            // Terminating discards the queue, poison pills from an earlier close included.
            let discarded = if to == TERMINATED {
                self.receiver.try_iter().collect()
            } else {
                Vec::new()
            };
            for _ in 0..self.workers {
                // The receiver lives as long as `self`: sending cannot fail.
                let _ = self.sender.send(Message::Stop);
            }
            discarded
        };
        // Dropping a queued job drops its sink, which fails its items with PoolTerminated and
        // may run callbacks: outside the gate, so a callback may use the pool.
        drop(discarded);
    }

    fn terminated(&self) -> bool {
        self.state.load(Ordering::Acquire) == TERMINATED
    }
}

/// Starts one worker thread. `ready` (at start-up only) receives the initializer's outcome.
fn spawn_worker(shared: &Arc<Shared>, ready: Option<Sender<Result<()>>>) -> Result<()> {
    let number = shared.spawned.fetch_add(1, Ordering::Relaxed);
    *shared.live.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    let worker_shared = Arc::clone(shared);
    let name = format!("pool-worker-{number}");
    thread::Builder::new()
        .name(name.clone())
        .spawn(move || worker(worker_shared, ready))
        .map(drop)
        .map_err(|source| {
            shared.exited();
            Error::ThreadSpawn { name, source }
        })
}

fn worker(shared: Arc<Shared>, ready: Option<Sender<Result<()>>>) {
    let initialized = match &shared.initializer {
        None => Ok(()),
        Some(init) => catch_unwind(AssertUnwindSafe(|| init())).map_err(|payload| {
            Error::InitializerPanicked {
                message: panic_message(payload.as_ref()),
            }
        }),
    };
    let failed = initialized.is_err();
    match ready {
        Some(ready) => {
            let _ = ready.send(initialized);
        }
        // A replacement worker whose initializer fails leaves the pool unable to promise
        // anything about its workers' state: stop it, failing what is queued.
        None if failed => shared.stop(TERMINATED),
        None => {}
    }
    if !failed {
        run_jobs(&shared);
    }
    shared.exited();
}

fn run_jobs(shared: &Arc<Shared>) {
    let mut tasks_done = 0;
    while let Some(Message::Run(job)) = idle::next_message(&shared.receiver) {
        job();
        if shared.terminated() {
            return;
        }
        tasks_done += 1;
        if shared.max_tasks_per_child == Some(tasks_done) {
            // Python's maxtasksperchild: this worker retires and a fresh one takes its place.
            if spawn_worker(shared, None).is_err() {
                continue; // no replacement possible: keep serving rather than shrink the pool
            }
            return;
        }
    }
}

impl Shared {
    fn exited(&self) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        *live -= 1;
        if *live == 0 {
            self.all_exited.notify_all();
        }
    }
}

impl Drop for ThreadEngine {
    fn drop(&mut self) {
        // Dropping a pool terminates it, as leaving Python's `with Pool() as pool:` block does.
        // Tasks already running finish on their own threads; nothing waits for them here.
        self.terminate();
    }
}
