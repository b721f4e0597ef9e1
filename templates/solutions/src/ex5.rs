//! Exercise 5, the reference answer: the library's `random_delays`, and every task awaited
//! together with `join_all`.

use std::time::Duration;

use concurrency_lab::grade::ex5::LabTask;
use concurrency_lab::lab::async_gather;

/// `count` delays drawn uniformly from 0–4 s.
pub fn random_delays(count: usize) -> Vec<Duration> {
    async_gather::random_delays(count, Duration::from_secs(4), rand::random())
        .unwrap_or_default()
}

/// Runs every task at the same time; returns once all have finished.
pub async fn gather(tasks: Vec<LabTask>) {
    futures::future::join_all(tasks.into_iter().map(LabTask::run)).await;
}
