//! The queue a pool's workers take their jobs from, and the pool's life: running, closed,
//! terminated. Every backend shares it; they differ only in what a worker does with a job.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use crossbeam::channel::{self, Receiver, Sender};

use crate::Result;

use super::idle;
use crate::Error;

pub(super) enum Message<J> {
    Run(J),
    /// A poison pill: the worker that takes it exits. Closing sends one per worker, behind
    /// every job already queued, so the queue drains first.
    Stop,
}

const RUNNING: u8 = 0;
const CLOSED: u8 = 1;
const TERMINATED: u8 = 2;

pub(crate) struct JobQueue<J> {
    sender: Sender<Message<J>>,
    pub(super) receiver: Receiver<Message<J>>,
    /// Rung after every send: idle workers sleep on it (see `pool::idle`).
    pub(super) bell: idle::Bell,
    /// RUNNING, CLOSED or TERMINATED; it only moves forward.
    state: AtomicU8,
    /// Held for reading while submitting and for writing while changing `state`, so that no
    /// job can slip into the queue behind the poison pills.
    submit_gate: RwLock<()>,
    pub(super) workers: usize,
    live: Mutex<usize>,
    all_exited: Condvar,
}

impl<J> JobQueue<J> {
    /// A queue for `workers` workers; each must call [`worker_started`](Self::worker_started).
    pub(crate) fn new(workers: usize) -> Self {
        let (sender, receiver) = channel::unbounded();
        JobQueue {
            sender,
            receiver,
            bell: idle::Bell::new(),
            state: AtomicU8::new(RUNNING),
            submit_gate: RwLock::new(()),
            workers,
            live: Mutex::new(0),
            all_exited: Condvar::new(),
        }
    }

    /// Queues a job, or hands it back with [`Error::PoolClosed`] once the pool is closed.
    pub(crate) fn submit(&self, job: J, action: &'static str) -> Result<(), (J, Error)> {
        let _gate = self
            .submit_gate
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if self.is_closed() {
            return Err((job, Error::PoolClosed { action }));
        }
        self.sender
            .send(Message::Run(job))
            .map_err(|channel::SendError(message)| {
                let Message::Run(job) = message else {
                    unreachable!("only jobs are submitted")
                };
                (job, Error::PoolClosed { action })
            })?;
        self.bell.ring();
        Ok(())
    }

    /// The next job for a worker, or `None` when the worker should exit.
    pub(crate) fn next(&self) -> Option<J> {
        match idle::next_message(&self.receiver, &self.bell)? {
            Message::Run(job) => Some(job),
            Message::Stop => None,
        }
    }

    /// Refuses new jobs; the workers exit once the queue is empty.
    pub(crate) fn close(&self) {
        self.advance(CLOSED, || {});
    }

    /// Refuses new jobs, discards the queued ones (failing them: see `Sink`), and tells every
    /// worker to exit; `also` runs while new submissions are held back.
    pub(crate) fn terminate(&self, also: impl FnOnce()) {
        self.advance(TERMINATED, also);
    }

    fn advance(&self, to: u8, also: impl FnOnce()) {
        let discarded: Vec<Message<J>> = {
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
            also();
            for _ in 0..self.workers {
                let _ = self.sender.send(Message::Stop);
                self.bell.ring();
            }
            discarded
        };
        // A discarded job's sink fails its items and may run callbacks: outside the gate, so
        // that a callback may use the pool.
        drop(discarded);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) != RUNNING
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state.load(Ordering::Acquire) == TERMINATED
    }

    pub(crate) fn worker_started(&self) {
        *self.live() += 1;
    }

    pub(crate) fn worker_exited(&self) {
        let mut live = self.live();
        *live -= 1;
        if *live <= 1 {
            // 1: a worker that dropped its own pool waits for all but itself.
            self.all_exited.notify_all();
        }
    }

    /// Waits until every worker has exited or `deadline` has passed; returns whether they all
    /// have.
    pub(crate) fn join(&self, deadline: Option<Instant>) -> bool {
        self.join_leaving(deadline, 0)
    }

    /// Waits until at most `leaving` workers are left (the caller, when a worker waits for
    /// the others) or `deadline` has passed; returns whether that many are left.
    pub(crate) fn join_leaving(&self, deadline: Option<Instant>, leaving: usize) -> bool {
        let mut live = self.live();
        while *live > leaving {
            live = match deadline {
                None => self
                    .all_exited
                    .wait(live)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.all_exited
                        .wait_timeout(live, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        true
    }

    fn live(&self) -> MutexGuard<'_, usize> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Waits until every new worker has reported whether it is ready (its initializer ran, its
/// process answered the handshake); the first failure fails the pool's start.
pub(crate) fn all_ready(reports: &Receiver<Result<()>>) -> Result<()> {
    reports.iter().find_map(Result::err).map_or(Ok(()), Err)
}
