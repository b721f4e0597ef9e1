//! Exercise 4 (Zadanie 4, 2 pkt): the lab's `SomeWorker`: a thread that prints its id (set in
//! the constructor) over and over, until the main thread stops it through a queue.

use std::time::Duration;

use concurrency_lab::grade::ex4::Printer;

/// One worker: add the fields it needs (the thread's handle, the sending end of its queue…).
pub struct SomeWorker {}

impl SomeWorker {
    /// Starts the worker's thread: it prints `id` with `printer.print(id)` at once, then once
    /// every `period`, until it receives a stop message on its queue.
    pub fn start(id: usize, period: Duration, printer: Printer) -> SomeWorker {
        todo!()
    }

    /// Sends the stop message through the queue and waits for the thread to end. A worker in
    /// the middle of a long period must stop at once.
    pub fn stop(self) {
        todo!()
    }
}
