//! Knowing when code runs inside a pool, so that the pool can refuse a wait that would hang.
//!
//! A task that calls `apply` on its own pool blocks a worker on a job that needs a worker:
//! with one worker, or with every worker doing the same, nothing ever runs again. So each
//! thread that runs a pool's code — a thread backend's worker, and any thread while it runs a
//! pool's callback (for a process pool: its driver threads) — carries a mark naming the
//! pool, and the pool's blocking calls check for it first. (rayon keeps the same knowledge,
//! to run such work inline instead; here a pool's workers are its only executors, so the
//! honest answer is an error.)

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Which pool: unique among the pools this process creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolId(u64);

impl PoolId {
    /// A name no other pool of this process has.
    pub(crate) fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        PoolId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

thread_local! {
    /// The pools whose code this thread is running, innermost last.
    static INSIDE: RefCell<Vec<PoolId>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as running `pool`'s code until the guard is dropped.
pub(crate) fn enter(pool: PoolId) -> Inside {
    INSIDE.with(|inside| inside.borrow_mut().push(pool));
    Inside {
        pool,
        not_send: PhantomData,
    }
}

/// While it lives, this thread runs a pool's code. Not `Send`: the mark belongs to a thread.
pub(crate) struct Inside {
    pool: PoolId,
    not_send: PhantomData<*const ()>,
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| {
            let mut inside = inside.borrow_mut();
            if let Some(at) = inside.iter().rposition(|&p| p == self.pool) {
                inside.remove(at);
            }
        });
    }
}

/// `Err(PoolReentered)` if this thread runs `pool`'s code, where `action` — a wait on `pool` —
/// could wait for itself.
pub(crate) fn refuse_inside(pool: PoolId, action: &'static str) -> Result<()> {
    if INSIDE.with(|inside| inside.borrow().contains(&pool)) {
        Err(Error::PoolReentered { action })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_lasts_as_long_as_its_guard_and_names_one_pool() {
        let (mine, other) = (PoolId::fresh(), PoolId::fresh());
        assert!(refuse_inside(mine, "get").is_ok());
        {
            let _outer = enter(mine);
            let _inner = enter(other);
            assert!(matches!(
                refuse_inside(mine, "get"),
                Err(Error::PoolReentered { action: "get" })
            ));
            assert!(refuse_inside(other, "join").is_err());
        }
        assert!(refuse_inside(mine, "get").is_ok());
        assert!(refuse_inside(other, "get").is_ok());
    }
}
