//! Waiting actively for a moment before sleeping.
//!
//! Tasks often arrive back to back, and waking a sleeping thread or process costs far more
//! than a task as short as `|x| x + 1` — on a virtual machine, tens of microseconds. So an
//! idle worker first polls for its next message for a moment, yielding its CPU between polls
//! (rayon's workers do the same), and only then sleeps until the message comes.

use std::time::{Duration, Instant};

use crossbeam::channel::{Receiver, TryRecvError};

/// How long an idle worker polls before it sleeps.
pub(crate) const ACTIVE_WAIT: Duration = Duration::from_micros(50);

/// The next message on `receiver`, or `None` once every sender is gone.
pub(crate) fn next_message<T>(receiver: &Receiver<T>) -> Option<T> {
    let polling_until = Instant::now() + ACTIVE_WAIT;
    loop {
        match receiver.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if Instant::now() < polling_until => {
                std::thread::yield_now();
            }
            Err(TryRecvError::Empty) => return receiver.recv().ok(),
        }
    }
}
