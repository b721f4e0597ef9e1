//! The thread backend: worker threads taking jobs from one shared queue; the pool's engine
//! (`pool::engine`) starts, joins and stops them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use super::backend::sealed::{BackendImpl, RunsImpl};
use super::backend::{Backend, Config, Threads};
use super::buffer::Chunk;
use super::engine::{Crew, Driver, PoolEngine, Ready};
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
    type Engine = PoolEngine<ThreadDriver>;
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

/// The thread backend's part of the pool's engine: each of the pool's threads is a worker.
pub struct ThreadDriver {
    initializer: Option<ThreadInit>,
    max_tasks_per_child: Option<usize>,
    /// The pool the workers serve: they carry its mark (see `reentry`).
    pool: PoolId,
}

impl std::fmt::Debug for ThreadDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadDriver")
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .finish_non_exhaustive()
    }
}

impl Driver for ThreadDriver {
    type Job = ThreadJob;
    type Init = ThreadInit;
    const ENGINE: &'static str = "ThreadEngine";
    const THREAD: &'static str = "pool-worker";
    // Tasks already running finish on their own threads; nothing waits for them.
    const DROP_GRACE: Option<Duration> = None;

    fn new(config: Config<ThreadInit>) -> Result<Self> {
        Ok(ThreadDriver {
            initializer: config.initializer,
            max_tasks_per_child: config.max_tasks_per_child,
            pool: config.pool,
        })
    }

    fn run(crew: &Arc<Crew<Self>>, _number: usize, ready: Ready) {
        worker(crew, ready);
    }
}

fn worker(crew: &Arc<Crew<ThreadDriver>>, ready: Ready) {
    // Everything this thread runs — initializer, tasks, callbacks — is this pool's code.
    let _working = reentry::work_for(crew.driver.pool);
    let initialized = match &crew.driver.initializer {
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
        None if failed => crew.terminate(),
        None => {}
    }
    if !failed {
        run_jobs(crew);
    }
}

fn run_jobs(crew: &Arc<Crew<ThreadDriver>>) {
    let mut tasks_done = 0;
    while let Some(job) = crew.queue.next() {
        job();
        if crew.queue.is_terminated() {
            return;
        }
        tasks_done += 1;
        if crew.driver.max_tasks_per_child == Some(tasks_done) {
            // Python's maxtasksperchild: this worker retires and a fresh one takes its place.
            if crew.spawn(None).is_err() {
                continue; // no replacement possible: keep serving rather than shrink the pool
            }
            return;
        }
    }
}
