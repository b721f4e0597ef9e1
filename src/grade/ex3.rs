//! Exercise 3: the range count with `map_async`, on a pool of threads and on a pool of
//! processes, against the sequential loop.

use std::time::Duration;

use super::guard::bounded;
use super::{Outcome, Part};
use crate::lab::range_count::{Row, random_rows, sequential};
use crate::pool::{ProcessPool, ThreadPool};

/// The longest one backend's run may take (starting worker processes on a loaded machine
/// takes seconds).
const BOUND: Duration = Duration::from_secs(120);
/// Rows of the grader's dataset: enough for many chunks, few enough to stay quick.
const ROWS: usize = 5_000;
/// The dataset's seed, fixed so that a failure can be repeated.
const SEED: u64 = 2_024;
/// Workers in each pool.
const WORKERS: usize = 2;

/// The student's count on a thread pool: one count per row, in the rows' order.
pub type OnThreads = fn(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>>;

/// The student's count on a process pool: one count per row, in the rows' order.
pub type OnProcesses = fn(pool: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>>;

/// Grades exercise 3: each function gets a pool of two workers and the lab's dataset (5,000
/// seeded rows, with rows that hold exactly the bounds 4 and 8, and an empty row, in front), and
/// must return what [`sequential`] counts.
///
/// - **threads** (1 point): `on_threads` on a [`ThreadPool`];
/// - **processes** (1 point): `on_processes` on a [`ProcessPool`]. The program that grades must
///   be able to serve as a process-pool worker: `pool::init()` first in `main`, or
///   [`pool_worker_test!`](crate::pool_worker_test) in a test crate.
///
/// Whether the code used `map_async` (and not `map`, or a loop) is for the lecturer to read.
///
/// # Examples
///
/// A program that grades uses a process pool, so it calls `pool::init()` first:
///
/// ```rust,standalone_crate
/// use concurrency_lab::grade::ex3;
/// use concurrency_lab::lab::range_count::Row;
/// use concurrency_lab::pool::{self, ProcessPool, ThreadPool};
///
/// fn nothing(_: &ThreadPool, _: Vec<Row>) -> concurrency_lab::Result<Vec<usize>> {
///     Ok(Vec::new())
/// }
/// fn nothing_either(_: &ProcessPool, _: Vec<Row>) -> concurrency_lab::Result<Vec<usize>> {
///     Ok(Vec::new())
/// }
///
/// fn main() {
///     pool::init();
///     let outcome = ex3::check(nothing, nothing_either);
///     assert_eq!(outcome.points(), 0);
///     let why = outcome.parts[0].failure.as_deref().unwrap();
///     assert!(why.contains("0 counts for 5003 rows"), "{why}");
/// }
/// ```
pub fn check(on_threads: OnThreads, on_processes: OnProcesses) -> Outcome {
    let threads = bounded("the count on threads", BOUND, move || {
        let pool = ThreadPool::new(WORKERS).map_err(cannot_start)?;
        on_threads(&pool, dataset()).map_err(returned)
    });
    let processes = bounded("the count on processes", BOUND, move || {
        let pool = ProcessPool::new(WORKERS).map_err(cannot_start)?;
        on_processes(&pool, dataset()).map_err(returned)
    });
    Outcome {
        exercise: 3,
        title: "counts in a range with map_async",
        parts: vec![
            Part::new("threads", threads.and_then(|counts| counts.and_then(agree))),
            Part::new(
                "processes",
                processes.and_then(|counts| counts.and_then(agree)),
            ),
        ],
    }
}

/// The grader's rows: the edge cases first, then the seeded ones.
fn dataset() -> Vec<Row> {
    let mut rows = vec![vec![4, 8], vec![3, 9], Vec::new()];
    rows.extend(random_rows(ROWS, SEED));
    rows
}

fn cannot_start(err: crate::Error) -> String {
    format!("the grader could not start the pool: {err}")
}

fn returned(err: crate::Error) -> String {
    format!("returned an error: {err}")
}

/// Compares the student's counts with the sequential loop's, naming the first difference.
fn agree(counts: Vec<usize>) -> Result<(), String> {
    let rows = dataset();
    let expected = sequential(&rows);
    if counts.len() != expected.len() {
        return Err(format!(
            "returned {} counts for {} rows: one count per row, in order",
            counts.len(),
            rows.len()
        ));
    }
    match (0..rows.len()).find(|&i| counts[i] != expected[i]) {
        None => Ok(()),
        Some(i) => Err(format!(
            "row {i} {:?}: counted {}, the sequential loop counts {}",
            rows[i], counts[i], expected[i]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::range_count::{howmany_within_range, howmany_within_range_rowonly};

    crate::pool_worker_test!();

    fn threads(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
        pool.map_async(howmany_within_range_rowonly, rows)?.get()
    }

    fn processes(pool: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
        pool.map_async(howmany_within_range_rowonly, rows)?.get()
    }

    fn failure(outcome: &Outcome, part: &str) -> Option<String> {
        let found = outcome.parts.iter().find(|p| p.name == part).unwrap();
        found.failure.clone()
    }

    #[test]
    fn the_reference_scores_two() {
        let outcome = check(threads, processes);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        assert_eq!(outcome.exercise, 3);
    }

    /// An exclusive upper bound: `minimum <= n < maximum`.
    fn exclusive(row: Row) -> usize {
        row.iter().filter(|&&n| (4..8).contains(&n)).count()
    }

    #[test]
    fn an_off_by_one_bound_fails_on_both_backends() {
        fn on_threads(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            pool.map_async(exclusive, rows)?.get()
        }
        fn on_processes(pool: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            pool.map_async(exclusive, rows)?.get()
        }
        let outcome = check(on_threads, on_processes);
        assert_eq!(outcome.points(), 0);
        let why = failure(&outcome, "processes").unwrap();
        assert!(
            why.contains("row 0 [4, 8]: counted 1, the sequential loop counts 2"),
            "{why}"
        );
    }

    #[test]
    fn a_lost_row_fails() {
        fn drops_last(pool: &ThreadPool, mut rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            rows.pop();
            threads(pool, rows)
        }
        let why = failure(&check(drops_last, processes), "threads").unwrap();
        assert!(why.contains("returned 5002 counts for 5003 rows"), "{why}");
    }

    #[test]
    fn counts_out_of_order_fail() {
        fn reversed(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            let mut counts = threads(pool, rows)?;
            counts.reverse();
            Ok(counts)
        }
        let outcome = check(reversed, processes);
        assert!(failure(&outcome, "threads").unwrap().starts_with("row "));
        assert_eq!(outcome.points(), 1);
    }

    #[test]
    fn an_error_and_a_todo_fail() {
        fn errs(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            pool.close();
            threads(pool, rows)
        }
        fn todo(_: &ProcessPool, _: Vec<Row>) -> crate::Result<Vec<usize>> {
            todo!()
        }
        let outcome = check(errs, todo);
        assert!(
            failure(&outcome, "threads")
                .unwrap()
                .contains("returned an error")
        );
        assert!(
            failure(&outcome, "processes")
                .unwrap()
                .contains("not written yet")
        );
    }

    #[test]
    fn a_task_that_panics_in_a_worker_process_fails() {
        fn panics(row: Row) -> usize {
            assert!(row.len() < 5, "a row of five");
            howmany_within_range(row, 4, 8)
        }
        fn on_processes(pool: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            pool.map_async(panics, rows)?.get()
        }
        let why = failure(&check(threads, on_processes), "processes").unwrap();
        assert!(why.contains("returned an error"), "{why}");
    }

    #[test]
    fn a_pool_that_cannot_start_is_said_to_be_the_graders_failure() {
        let refused = ThreadPool::new(0).unwrap_err();
        let why = cannot_start(refused);
        assert!(
            why.starts_with("the grader could not start the pool: "),
            "{why}"
        );
        assert!(why.len() > "the grader could not start the pool: ".len());
    }

    #[test]
    fn the_dataset_holds_the_edge_rows() {
        let rows = dataset();
        assert_eq!(rows.len(), ROWS + 3);
        assert_eq!(sequential(&rows[..3]), [2, 0, 0]);
        assert!(agree(sequential(&rows)).is_ok());
    }
}
