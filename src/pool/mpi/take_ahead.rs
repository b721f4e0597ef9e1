//! Taking chunks off a pool's queue without waiting, for MPI's progress engine.
//!
//! The engine serves every rank from one thread, so it must never block on one pool's queue;
//! it sends a rank its next chunk before the reply to the last is in (see `progress`). The
//! queue stays unaware of it.

use crate::pool::queue::{JobQueue, Message};

impl<J> JobQueue<J> {
    /// The next job if one is queued now, without waiting: `Some(None)` when the worker should
    /// exit, `None` when there is nothing to take.
    pub(crate) fn try_next(&self) -> Option<Option<J>> {
        match self.receiver.try_recv().ok()? {
            Message::Run(job) => Some(Some(job)),
            Message::Stop => Some(None),
        }
    }

    /// How many jobs (and poison pills) are queued.
    pub(crate) fn queued(&self) -> usize {
        self.receiver.len()
    }
}
