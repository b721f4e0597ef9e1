//! Exercise 3 (Zadanie 3, 2 pkt): count, for every row, the numbers between 4 and 8 — with
//! `map_async`, on a pool of threads and on a pool of processes.

use concurrency_lab::lab::range_count::Row;
use concurrency_lab::pool::{ProcessPool, ThreadPool};

/// The lab's `howmany_within_range_rowonly`: how many numbers of `row` lie within 4..=8. Given.
pub fn howmany_within_range_rowonly(row: Row) -> usize {
    row.iter().filter(|&&n| (4..=8).contains(&n)).count()
}

/// Counts every row with `pool.map_async` (not `map`): one count per row, in the rows' order.
pub fn count_on_threads(pool: &ThreadPool, rows: Vec<Row>) -> concurrency_lab::Result<Vec<usize>> {
    todo!()
}

/// The same on worker processes. The code can be the same: what changes is where it runs.
pub fn count_on_processes(
    pool: &ProcessPool,
    rows: Vec<Row>,
) -> concurrency_lab::Result<Vec<usize>> {
    todo!()
}
