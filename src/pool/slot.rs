//! A one-shot result cell shared by a pool's worker side and the caller's handle.
//!
//! The worker side calls [`Slot::complete`] exactly once; the caller waits on it. Callbacks
//! given at submission run on the worker side *before* the result becomes visible, as in
//! Python, so that after `get()` returns every callback has run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::callbacks::Callbacks;
use super::reentry::{self, PoolId};
use super::wake::{self, WakeWord};
use crate::Result;

pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    /// Where waiters sleep until `ready` (see `pool::wake`).
    became_ready: WakeWord,
    /// Mirrors `state.value.is_some()` so waiting can spin without taking the lock; shared
    /// with the wait-for graph (see `reentry`), which must not count a waiter whose result
    /// is in as blocked.
    ready: Arc<AtomicBool>,
    /// The pool computing the value: its callbacks run as that pool's code.
    pool: PoolId,
}

struct State<T> {
    value: Option<Result<T>>,
    callbacks: Callbacks<T>,
}

impl<T> Slot<T> {
    pub(crate) fn new(callbacks: Callbacks<T>, pool: PoolId) -> Self {
        Slot {
            state: Mutex::new(State {
                value: None,
                callbacks,
            }),
            became_ready: WakeWord::new(),
            ready: Arc::new(AtomicBool::new(false)),
            pool,
        }
    }

    /// The pool computing the value.
    pub(crate) fn pool(&self) -> PoolId {
        self.pool
    }

    /// Runs the callbacks on `value`, stores it and wakes every waiter.
    pub(crate) fn complete(&self, value: Result<T>) {
        let callbacks = std::mem::take(&mut self.lock().callbacks);
        // Whatever thread completes the slot, a callback is the pool's code while it runs:
        // waiting on the pool from there could wait for itself.
        let value = {
            let _inside = reentry::enter(self.pool);
            callbacks.run(value)
        };
        {
            let mut state = self.lock();
            state.value = Some(value);
            self.ready.store(true, Ordering::Release);
        }
        // A system call only if a waiter sleeps.
        self.became_ready.wake_all();
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Whether the stored value is `Ok`; `None` while the result is not in.
    pub(crate) fn is_ok(&self) -> Option<bool> {
        self.lock().value.as_ref().map(Result::is_ok)
    }

    /// Waits until the value is in or `deadline` passes; returns whether it is in.
    ///
    /// Spins briefly first (see `pool::wake`): a pool's answer often arrives within
    /// microseconds, and sleeping in the kernel would cost more than the wait itself. Before it
    /// sleeps, it registers in the wait-for graph, which refuses — `Err(WaitCycle)` naming
    /// `action` — a wait that could never end.
    pub(crate) fn wait(&self, deadline: Option<Instant>, action: &'static str) -> Result<bool> {
        let mut poll = || self.is_ready().then_some(());
        if poll().is_some() || wake::spin(&mut poll).is_some() {
            return Ok(true);
        }
        let _waiting = reentry::wait_on(self.pool, Some(Arc::clone(&self.ready)), action)?;
        Ok(self.became_ready.sleep_for(poll, deadline).is_some())
    }

    /// Takes the value out; only for the handle's consuming `get`, after `wait` said it is in.
    pub(crate) fn take(&self) -> Result<T> {
        self.lock()
            .value
            .take()
            .expect("a result is taken once, after it arrived")
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Callbacks run outside the lock and tasks never run under it, so a poisoned lock
        // can only come from a panic between two plain field accesses: the state is intact.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
