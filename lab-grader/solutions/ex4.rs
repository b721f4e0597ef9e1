//! Exercise 4, the reference answer: a thread that waits on its queue with the period as the
//! timeout, so that a stop message ends the wait at once.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use concurrency_lab::grade::ex4::Printer;

/// One worker: the sending end of its queue and its thread.
pub struct SomeWorker {
    queue: Sender<()>,
    thread: JoinHandle<()>,
}

impl SomeWorker {
    /// Starts the worker's thread, printing `id` at once and then once a period.
    pub fn start(id: usize, period: Duration, printer: Printer) -> SomeWorker {
        let (queue, inbox) = mpsc::channel();
        let thread = thread::spawn(move || {
            loop {
                printer.print(id);
                match inbox.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    // A stop message, or the sender gone: either way the worker is done.
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        SomeWorker { queue, thread }
    }

    /// Stops the worker through its queue and waits for its thread.
    pub fn stop(self) {
        // The thread may have ended already (the printer panicked): then nobody is listening.
        let _ = self.queue.send(());
        self.thread.join().expect("the worker's thread does not panic");
    }
}
