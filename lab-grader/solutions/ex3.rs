//! Exercise 3, the reference answer: `map_async`, then `get`, on either pool.

use concurrency_lab::lab::range_count::Row;
use concurrency_lab::pool::{ProcessPool, ThreadPool};

/// The lab's `howmany_within_range_rowonly`: how many numbers of `row` lie within 4..=8.
pub fn howmany_within_range_rowonly(row: Row) -> usize {
    row.iter().filter(|&&n| (4..=8).contains(&n)).count()
}

/// Counts every row with `map_async` on threads.
pub fn count_on_threads(pool: &ThreadPool, rows: Vec<Row>) -> concurrency_lab::Result<Vec<usize>> {
    let running = pool.map_async(howmany_within_range_rowonly, rows)?;
    // The caller is free here: `running.progress()` says how far the workers are.
    running.get()
}

/// Counts every row with `map_async` on processes: the same code.
pub fn count_on_processes(
    pool: &ProcessPool,
    rows: Vec<Row>,
) -> concurrency_lab::Result<Vec<usize>> {
    pool.map_async(howmany_within_range_rowonly, rows)?.get()
}
