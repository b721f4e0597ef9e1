//! Exercise 3: the range count with `map_async`, on a pool of threads and on a pool of
//! processes, against the sequential loop.

use std::time::Duration;

use rand::Rng;

use super::guard::bounded;
use super::{Outcome, Part, Text, text};
use crate::lab::range_count::{Row, random_rows, sequential};
use crate::pool::{ProcessPool, ThreadPool};

/// The longest one backend's run may take (starting worker processes on a loaded machine
/// takes seconds).
const BOUND: Duration = Duration::from_secs(120);
/// Rows of the grader's dataset, their number drawn at grading time: enough for many chunks,
/// few enough to stay quick. The rows themselves are drawn at grading time too.
const ROWS: std::ops::Range<usize> = 4_000..6_000;
/// Workers in each pool.
const WORKERS: usize = 2;

/// The student's count on a thread pool: one count per row, in the rows' order.
pub type OnThreads = fn(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>>;

/// The student's count on a process pool: one count per row, in the rows' order.
pub type OnProcesses = fn(pool: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>>;

/// Grades exercise 3: each function gets a pool of two workers and a dataset like the lab's
/// (4,000–6,000 random rows drawn at grading time, with rows that hold exactly the bounds 4
/// and 8, and an empty row, in front), and must return what [`sequential`] counts, having
/// handed every row to the pool's workers.
///
/// - **threads** (1 point): `on_threads` on a [`ThreadPool`];
/// - **processes** (1 point): `on_processes` on a [`ProcessPool`]. The program that grades must
///   be able to serve as a process-pool worker: `pool::init()` first in `main`, or
///   [`pool_worker_test!`](crate::pool_worker_test) in a test crate.
///
/// The pool counts the items its workers were handed (one per item of a `map`/`map_async`/
/// `starmap`, one per `apply`/`apply_async`): fewer than the rows fails the part, so a loop
/// on the caller's thread that ignores the pool scores nothing. Whether the code used
/// `map_async` itself, and not `map`, is for the lecturer to read.
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
///     assert!(why.contains("returned 0 counts for"), "{why}");
/// }
/// ```
pub fn check(on_threads: OnThreads, on_processes: OnProcesses) -> Outcome {
    let threads = bounded("count_on_threads", BOUND, move || {
        let pool = ThreadPool::new(WORKERS).map_err(cannot_start)?;
        let rows = dataset(&mut rand::rng());
        let counts = on_threads(&pool, rows.clone()).map_err(returned)?;
        agree(&counts, &rows)?;
        on_the_pool(pool.items_handed(), rows.len())
    });
    let processes = bounded("count_on_processes", BOUND, move || {
        let pool = ProcessPool::new(WORKERS).map_err(cannot_start)?;
        let rows = dataset(&mut rand::rng());
        let counts = on_processes(&pool, rows.clone()).map_err(returned)?;
        agree(&counts, &rows)?;
        on_the_pool(pool.items_handed(), rows.len())
    });
    Outcome {
        exercise: 3,
        title: "counts in a range with map_async",
        parts: vec![
            Part::both(("wątki", "threads"), threads.and_then(|part| part)),
            Part::both(("procesy", "processes"), processes.and_then(|part| part)),
        ],
    }
}

/// The grader's rows: the edge cases first, then random ones, as many as drawn from [`ROWS`].
fn dataset(rng: &mut impl Rng) -> Vec<Row> {
    let mut rows = vec![vec![4, 8], vec![3, 9], Vec::new()];
    rows.extend(random_rows(rng.random_range(ROWS), rng.random()));
    rows
}

fn cannot_start(err: crate::Error) -> Text {
    text!(
        "sprawdzarka nie mogła uruchomić puli: {err}",
        "the grader could not start the pool: {err}"
    )
}

fn returned(err: crate::Error) -> Text {
    text!("zwróciła błąd: {err}", "returned an error: {err}")
}

/// Compares the student's counts with the sequential loop's, naming the first difference.
fn agree(counts: &[usize], rows: &[Row]) -> Result<(), Text> {
    let expected = sequential(rows);
    let (given, wanted) = (counts.len(), rows.len());
    if given != expected.len() {
        return Err(text!(
            "zwróciła {given} liczb dla {wanted} wierszy: jedna liczba na wiersz, po kolei",
            "returned {given} counts for {wanted} rows: one count per row, in order"
        ));
    }
    match (0..rows.len()).find(|&i| counts[i] != expected[i]) {
        None => Ok(()),
        Some(i) => {
            let (row, counted, right) = (&rows[i], counts[i], expected[i]);
            Err(text!(
                "wiersz {i} {row:?}: policzono {counted}, pętla sekwencyjna liczy {right}",
                "row {i} {row:?}: counted {counted}, the sequential loop counts {right}"
            ))
        }
    }
}

/// Whether the pool's workers were handed every row: `handed` items for `rows` rows.
fn on_the_pool(handed: usize, rows: usize) -> Result<(), Text> {
    if handed >= rows {
        return Ok(());
    }
    Err(text!(
        "liczby się zgadzają, ale wątki lub procesy robocze puli dostały {handed} elementów \
         na {rows} wierszy: licz przez pool.map_async w podanej puli, a nie w pętli we własnym \
         wątku",
        "the counts are right, but the pool's workers were handed {handed} items for {rows} \
         rows: count with pool.map_async on the pool given, not in a loop on your own thread"
    ))
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
        assert!(why.contains("counts for") && why.contains("rows"), "{why}");
        let (counts, rows) = (vec![0; 2], vec![Vec::new(); 3]);
        assert_eq!(
            agree(&counts, &rows).unwrap_err().en,
            "returned 2 counts for 3 rows: one count per row, in order"
        );
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
        let why = cannot_start(refused).en;
        assert!(
            why.starts_with("the grader could not start the pool: "),
            "{why}"
        );
        assert!(why.len() > "the grader could not start the pool: ".len());
    }

    #[test]
    fn the_dataset_holds_the_edge_rows_and_is_drawn() {
        let rows = dataset(&mut rand::rng());
        assert!(ROWS.contains(&(rows.len() - 3)), "{}", rows.len());
        assert_eq!(sequential(&rows[..3]), [2, 0, 0]);
        assert!(agree(&sequential(&rows), &rows).is_ok());
        assert_ne!(rows, dataset(&mut rand::rng()));
    }

    #[test]
    fn a_sequential_loop_that_ignores_the_pool_fails_both() {
        fn on_threads(_: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            Ok(rows.into_iter().map(howmany_within_range_rowonly).collect())
        }
        fn on_processes(_: &ProcessPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            Ok(rows.into_iter().map(howmany_within_range_rowonly).collect())
        }
        let outcome = check(on_threads, on_processes);
        assert_eq!(outcome.points(), 0);
        let why = failure(&outcome, "processes").unwrap();
        assert!(why.contains("were handed 0 items for"), "{why}");
    }

    #[test]
    fn a_token_task_on_the_pool_does_not_count_for_the_rows() {
        // One apply on the pool, then the real work in a loop on the caller's thread.
        fn token(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            pool.apply(|| (), ())?;
            Ok(rows.into_iter().map(howmany_within_range_rowonly).collect())
        }
        let outcome = check(token, processes);
        assert!(
            failure(&outcome, "threads")
                .unwrap()
                .contains("handed 1 items")
        );
        assert_eq!(outcome.points(), 1);
    }

    #[test]
    fn one_apply_async_a_row_counts_as_on_the_pool() {
        fn per_row(pool: &ThreadPool, rows: Vec<Row>) -> crate::Result<Vec<usize>> {
            let pending = rows
                .into_iter()
                .map(|row| pool.apply_async(howmany_within_range_rowonly, (row,)))
                .collect::<crate::Result<Vec<_>>>()?;
            pending.into_iter().map(|count| count.get()).collect()
        }
        assert_eq!(check(per_row, processes).points(), 2);
    }

    #[test]
    fn on_the_pool_needs_every_row() {
        assert!(on_the_pool(10, 10).is_ok());
        assert!(on_the_pool(11, 10).is_ok());
        let why = on_the_pool(9, 10).unwrap_err().en;
        assert!(why.contains("handed 9 items for 10 rows"), "{why}");
    }
}
