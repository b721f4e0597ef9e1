//! Exercise 5, the reference answer: delays drawn uniformly from 0–4 s, and every task awaited
//! together with `join_all`.

use std::time::Duration;

use concurrency_lab::grade::ex5::LabTask;

/// `count` delays drawn uniformly from 0–4 s.
pub fn random_delays(count: usize) -> Vec<Duration> {
    (0..count)
        .map(|_| Duration::from_secs_f64(4.0 * rand::random::<f64>()))
        .collect()
}

/// Runs every task at the same time; returns once all have finished.
pub async fn gather(tasks: Vec<LabTask>) {
    futures::future::join_all(tasks.into_iter().map(LabTask::run)).await;
}
