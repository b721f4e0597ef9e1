//! The thread backend: worker threads taking jobs from one shared queue.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use crossbeam::channel::{self, Sender};

use super::backend::sealed::{BackendImpl, RunsImpl};
use super::backend::{Backend, Config, Engine, Threads};
use super::buffer::Chunk;
use super::queue::{JobQueue, all_ready};
use super::reentry::{self, PoolId};
use super::sink::Sink;
use super::task::{Task, TaskOnce};
use crate::panic_message::panic_message;
use crate::{Error, Result};

/// A chunk of work, ready to run on any worker thread.
pub(crate) type ThreadJob = Box<dyn FnOnce() + Send>;
/// The initializer, run once at the start of each worker thread.
pub(crate) type ThreadInit = Arc<dyn Fn() + Send + Sync>;

impl BackendImpl for Threads {
    type Engine = ThreadEngine;
}

impl Backend for Threads {
    const NAME: &'static str = "threads";
}

impl<F: TaskOnce<Args>, Args: Send + 'static> RunsImpl<F, Args> for Threads {
    fn job_once(f: F, args: Args, sink: Sink<F::Output>) -> ThreadJob {
        Box::new(move || sink.run_once(f, args))
    }

    fn job(f: &Arc<F>, chunk: Chunk<Args>, sink: Sink<F::Output>) -> ThreadJob
    where
        F: Task<Args>,
    {
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

/// The running thread backend.
pub struct ThreadEngine {
    shared: Arc<WorkerThreads>,
}

impl std::fmt::Debug for ThreadEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadEngine")
            .field("closed", &self.shared.queue.is_closed())
            .finish_non_exhaustive()
    }
}

struct WorkerThreads {
    queue: JobQueue<ThreadJob>,
    initializer: Option<ThreadInit>,
    max_tasks_per_child: Option<usize>,
    /// Workers started so far, for their names.
    spawned: AtomicUsize,
    /// The pool the workers serve: they carry its mark (see `reentry`).
    pool: PoolId,
}

impl Engine for ThreadEngine {
    type Job = ThreadJob;
    type Init = ThreadInit;

    fn start(config: Config<ThreadInit>) -> Result<Self> {
        let engine = ThreadEngine {
            shared: Arc::new(WorkerThreads {
                queue: JobQueue::new(config.workers),
                initializer: config.initializer,
                max_tasks_per_child: config.max_tasks_per_child,
                spawned: AtomicUsize::new(0),
                pool: config.pool,
            }),
        };
        let (ready_tx, ready_rx) = channel::bounded(config.workers);
        for _ in 0..config.workers {
            spawn_worker(&engine.shared, Some(ready_tx.clone()))?;
        }
        drop(ready_tx);
        if let Err(error) = all_ready(&ready_rx) {
            engine.terminate();
            return Err(error);
        }
        Ok(engine)
    }

    fn submit(&self, job: ThreadJob, action: &'static str) -> Result<(), (ThreadJob, Error)> {
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

impl Drop for ThreadEngine {
    fn drop(&mut self) {
        // Dropping a pool terminates it, as leaving Python's `with Pool() as pool:` block does.
        // Tasks already running finish on their own threads; nothing waits for them here.
        self.terminate();
    }
}

/// Starts one worker thread. `ready` (at start-up only) receives the initializer's outcome.
fn spawn_worker(shared: &Arc<WorkerThreads>, ready: Option<Sender<Result<()>>>) -> Result<()> {
    let number = shared.spawned.fetch_add(1, Ordering::Relaxed);
    shared.queue.worker_started();
    let worker_shared = Arc::clone(shared);
    let name = format!("pool-worker-{number}");
    thread::Builder::new()
        .name(name.clone())
        .spawn(move || worker(worker_shared, ready))
        .map(drop)
        .map_err(|source| {
            shared.queue.worker_exited();
            Error::ThreadSpawn { name, source }
        })
}

fn worker(shared: Arc<WorkerThreads>, ready: Option<Sender<Result<()>>>) {
    // Everything this thread runs — initializer, tasks, callbacks — is this pool's code.
    let _inside = reentry::enter(shared.pool);
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
        None if failed => shared.queue.terminate(|| {}),
        None => {}
    }
    if !failed {
        run_jobs(&shared);
    }
    shared.queue.worker_exited();
}

fn run_jobs(shared: &Arc<WorkerThreads>) {
    let mut tasks_done = 0;
    while let Some(job) = shared.queue.next() {
        job();
        if shared.queue.is_terminated() {
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
