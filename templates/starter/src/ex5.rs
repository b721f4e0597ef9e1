//! Exercise 5 (Zadanie 5, 2 pkt): a hundred coroutines with random delays, all waiting at
//! the same time.

use std::time::Duration;

use concurrency_lab::grade::ex5::LabTask;

/// `count` delays, each drawn at random from 0 to 4 seconds.
pub fn random_delays(count: usize) -> Vec<Duration> {
    todo!()
}

/// Runs every task (`task.run()` is the lab's `delay_message`) at the same time, and returns
/// once all have finished: Python's `await asyncio.gather(...)`.
pub async fn gather(tasks: Vec<LabTask>) {
    todo!()
}
