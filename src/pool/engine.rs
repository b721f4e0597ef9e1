//! The engine the thread and process backends share: a queue, one thread of this process per
//! worker, and the pool's life — start-up, readiness, close, join, terminate and drop — written
//! once (crossbeam-channel's `counter.rs` does the same for its channel flavors).
//!
//! What differs is a [`Driver`]: what one of the pool's threads does with its worker (run the
//! jobs itself, or feed them to a worker process), and what terminating must do besides
//! failing the queue (kill the worker processes). The MPI backend keeps an engine of its own:
//! a rank cannot be started, replaced or killed, and its threads outlive the pool's hold on it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Sender};

use super::backend::{Config, Engine};
use super::queue::{JobQueue, all_ready};
use crate::{Error, Result};

/// Where one of the pool's threads reports, at start-up, whether its worker is ready: its
/// initializer ran, its process answered the handshake. A thread started later (a replacement)
/// has none.
pub(crate) type Ready = Option<Sender<Result<()>>>;

/// What a backend's threads do: everything the engine leaves to the backend.
pub trait Driver: Sized + Send + Sync + 'static {
    /// One chunk of work, as the queue holds it.
    type Job: Send + 'static;
    /// The initializer, in the form this driver can run in each new worker.
    type Init: Send + Sync + 'static;
    /// The engine's name in `Debug` output.
    const ENGINE: &'static str;
    /// The pool's threads are named `{THREAD}-0`, `{THREAD}-1`, …
    const THREAD: &'static str;
    /// How long dropping the pool waits for its threads after terminating it; `None`: not at
    /// all (a thread running a task cannot be stopped, so waiting for it could be forever).
    const DROP_GRACE: Option<Duration>;

    /// Checks what this backend needs and makes what its threads share.
    fn new(config: Config<Self::Init>) -> Result<Self>;

    /// The life of the pool's thread number `number`: gets its worker ready and says so on
    /// `ready`, then serves jobs from `crew.queue` until it says stop. The engine counts the
    /// thread out when this returns.
    fn run(crew: &Arc<Crew<Self>>, number: usize, ready: Ready);

    /// Runs while terminating, with new submissions held back: whatever must stop besides
    /// the queue.
    fn on_terminate(&self) {}
}

/// What a pool's threads share: the queue, the driver, and the threads themselves.
pub struct Crew<D: Driver> {
    pub(crate) queue: JobQueue<D::Job>,
    pub(crate) driver: D,
    /// Threads started so far, for their names and numbers.
    started: AtomicUsize,
    /// Every thread not joined yet, so that `join` returns only once they have ended — their
    /// thread-local destructors run — as Python's `Pool.join` joins its worker threads.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<D: Driver> std::fmt::Debug for Crew<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crew")
            .field("closed", &self.queue.is_closed())
            .finish_non_exhaustive()
    }
}

impl<D: Driver> Crew<D> {
    /// Starts one more of the pool's threads; `ready` (at start-up only) hears whether its
    /// worker is ready.
    pub(crate) fn spawn(self: &Arc<Self>, ready: Ready) -> Result<()> {
        let number = self.started.fetch_add(1, Ordering::Relaxed);
        self.queue.worker_started();
        let crew = Arc::clone(self);
        let name = format!("{}-{number}", D::THREAD);
        let spawned = thread::Builder::new().name(name.clone()).spawn(move || {
            D::run(&crew, number, ready);
            crew.queue.worker_exited();
        });
        match spawned {
            Ok(handle) => {
                let mut threads = self.threads();
                // A retired thread (`max_tasks_per_child`) is joined when its replacement
                // starts, so the list holds at most one ended thread per worker.
                let (ended, running) = threads
                    .drain(..)
                    .partition(|t: &JoinHandle<()>| t.is_finished());
                *threads = running;
                threads.push(handle);
                drop(threads);
                join_all(ended);
                Ok(())
            }
            Err(source) => {
                self.queue.worker_exited();
                Err(Error::ThreadSpawn { name, source })
            }
        }
    }

    /// Stops the pool now: refuses new jobs, fails the queued ones, and tells the driver.
    pub(crate) fn terminate(&self) {
        self.queue.terminate(|| self.driver.on_terminate());
    }

    /// Joins every thread of the pool but the caller (a pool dropped by its own callback),
    /// once all have counted themselves out; returns `false` if `deadline` passes first.
    fn join_threads(&self, deadline: Option<Instant>) -> bool {
        let me = thread::current().id();
        let mut threads = self.threads();
        if let Some(deadline) = deadline {
            // A thread that has counted itself out ends within moments, unless a destructor
            // of one of its thread-locals (the program's code) takes its time.
            for thread in threads.iter().filter(|t| t.thread().id() != me) {
                while !thread.is_finished() {
                    if Instant::now() >= deadline {
                        return false;
                    }
                    thread::sleep(Duration::from_micros(100));
                }
            }
        }
        let ended: Vec<_> = threads
            .drain(..)
            .filter(|t| t.thread().id() != me)
            .collect();
        join_all(ended);
        true
    }

    /// Whether the calling thread is one of the pool's.
    fn is_own_thread(&self) -> bool {
        let me = thread::current().id();
        self.threads().iter().any(|t| t.thread().id() == me)
    }

    fn threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Joins threads that have ended or are about to. A thread's panic was its worker's, caught
/// and reported where it happened; here it is only a thread that ended.
fn join_all(threads: Vec<JoinHandle<()>>) {
    for thread in threads {
        let _ = thread.join();
    }
}

/// A running pool: the [`Engine`] of every backend whose workers are threads of this process
/// or are driven by one.
pub struct PoolEngine<D: Driver> {
    crew: Arc<Crew<D>>,
}

impl<D: Driver> std::fmt::Debug for PoolEngine<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(D::ENGINE)
            .field("closed", &self.crew.queue.is_closed())
            .finish_non_exhaustive()
    }
}

impl<D: Driver> Engine for PoolEngine<D> {
    type Job = D::Job;
    type Init = D::Init;

    fn start(config: Config<D::Init>) -> Result<Self> {
        let workers = config.workers;
        let engine = PoolEngine {
            crew: Arc::new(Crew {
                queue: JobQueue::new(workers),
                driver: D::new(config)?,
                started: AtomicUsize::new(0),
                threads: Mutex::new(Vec::with_capacity(workers)),
            }),
        };
        let (ready_tx, ready_rx) = channel::bounded(workers);
        for _ in 0..workers {
            if let Err(error) = engine.crew.spawn(Some(ready_tx.clone())) {
                engine.terminate();
                return Err(error);
            }
        }
        drop(ready_tx);
        if let Err(error) = all_ready(&ready_rx) {
            engine.terminate();
            return Err(error);
        }
        Ok(engine)
    }

    fn submit(&self, job: D::Job, action: &'static str) -> Result<(), (D::Job, Error)> {
        self.crew.queue.submit(job, action)
    }

    fn close(&self) {
        self.crew.queue.close();
    }

    fn terminate(&self) {
        self.crew.terminate();
    }

    fn join(&self, deadline: Option<Instant>) -> bool {
        self.crew.queue.join(deadline) && self.crew.join_threads(deadline)
    }

    fn is_closed(&self) -> bool {
        self.crew.queue.is_closed()
    }
}

impl<D: Driver> Drop for PoolEngine<D> {
    fn drop(&mut self) {
        // Dropping a pool terminates it, as leaving Python's `with Pool() as pool:` block does.
        self.terminate();
        if let Some(grace) = D::DROP_GRACE {
            let deadline = Instant::now().checked_add(grace);
            // Dropped by one of its own threads (the last handle went away in a callback):
            // that thread cannot count itself out while it runs this, and ends once the
            // callback returns. Wait for the others only.
            let this_one = usize::from(self.crew.is_own_thread());
            let _ = self.crew.queue.join_leaving(deadline, this_one)
                && self.crew.join_threads(deadline);
        }
    }
}
