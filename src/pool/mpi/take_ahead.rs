//! Taking a chunk off the pool's queue ahead of time, for a rank that still runs one.
//!
//! Only the MPI engine sends a rank its next chunk before the reply to the last is in (see
//! `engine`); the queue and its bell stay unaware of it.

use crate::pool::idle::Bell;
use crate::pool::queue::{JobQueue, Message};

impl Bell {
    /// Whether a receiver spins or sleeps in [`next_message`](crate::pool::idle::next_message)
    /// now.
    fn has_waiters(&self) -> bool {
        self.0.has_waiters()
    }
}

impl<J> JobQueue<J> {
    /// The next job if one is queued now, no other worker waits for one (it should have it),
    /// and enough stay queued for every other worker to take one when it is free; without
    /// waiting: `Some(None)` when the worker should exit, `None` when there is nothing to take.
    pub(crate) fn try_next(&self) -> Option<Option<J>> {
        if self.bell.has_waiters() || self.receiver.len() < self.workers {
            return None;
        }
        match self.receiver.try_recv().ok()? {
            Message::Run(job) => Some(Some(job)),
            Message::Stop => Some(None),
        }
    }
}
