//! Exercise 4, the reference answer: the library's `workers::Worker`, which waits on its queue
//! with the period as a timeout.

use std::time::Duration;

use concurrency_lab::grade::ex4::Printer;
use concurrency_lab::workers::Worker;

/// One worker.
pub struct SomeWorker {
    worker: Worker,
}

impl SomeWorker {
    /// Starts the worker's thread, printing `id` once a period.
    pub fn start(id: usize, period: Duration, printer: Printer) -> SomeWorker {
        let worker = Worker::spawn(id, period, move |id| {
            printer.print(id);
            Ok(())
        })
        .expect("a thread starts and the period is not zero");
        SomeWorker { worker }
    }

    /// Stops the worker through its queue and waits for its thread.
    pub fn stop(self) {
        self.worker.stop().expect("the job never fails");
    }
}
