//! Exercise 3: for every row of a table of small integers, count the numbers that lie within
//! a range — sequentially, then on a pool of workers in each of the ways the lab shows.
//!
//! `cargo run --release --example range_count` prints the table; add
//! `-- --backend processes` to run the same code on worker processes.
//!
//! The pieces, in the order the lab introduces them:
//!
//! - the task: [`howmany_within_range`] (and [`howmany_within_range_rowonly`], its one-argument
//!   form for `map`), over a dataset from [`random_rows`];
//! - the variants: one function each — [`sequential`], [`apply_in_a_loop`],
//!   [`apply_async_with_callback`], [`apply_async_then_get`], [`map`], [`map_async`],
//!   [`starmap`], [`imap`] — written once for both backends;
//! - the comparison: [`compare`] runs every [`Variant`], checks that all of them count what the
//!   sequential loop counts, and returns a [`Report`] that prints as a table.
//!
//! # Why the variant functions take the task as an argument
//!
//! Python passes the function to the pool by name: `pool.apply(howmany_within_range, args=(row,
//! 4, 8))`. Rust does the same — but each `fn` item has a type of its own that no code can
//! write down, so a function generic over the backend cannot state "`B` runs
//! `howmany_within_range`" in its bounds. It can say "`B` runs the task `F` I was given":
//! `B: Runs<F, (Row, u8, u8)>`. Hence `apply_in_a_loop(&pool, howmany_within_range, &rows)`, and
//! the trait [`RangeCountBackend`], which hands the lab's two functions to the variants once per
//! backend so that [`compare`] needs only the pool.

mod report;
mod variant;
mod variants;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub use report::{Entry, Report, compare};
pub use variant::{RangeCountBackend, Variant};
pub use variants::{
    IMAP_CHUNKSIZE, apply_async_then_get, apply_async_with_callback, apply_in_a_loop, imap, map,
    map_async, sequential, starmap,
};

/// One row of the dataset: a few small integers. Owned, because a task's arguments travel to
/// the worker (through a pipe, for a process pool).
pub type Row = Vec<u8>;

/// The lower bound of the lab's range, inclusive: `howmany_within_range(row, 4, 8)`.
pub const MINIMUM: u8 = 4;
/// The upper bound of the lab's range, inclusive.
pub const MAXIMUM: u8 = 8;
/// Numbers per row in the lab's dataset (`np.random.randint(0, 10, size=[200000, 5])`).
pub const COLUMNS: usize = 5;
/// The dataset's numbers are drawn from `0..VALUES_BELOW`.
pub const VALUES_BELOW: u8 = 10;
/// Rows in the lab's dataset.
pub const DEFAULT_ROWS: usize = 200_000;
/// The seed the example uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 2024;

/// How many numbers of `row` lie within `minimum..=maximum`, both ends included. A range whose
/// `minimum` is above its `maximum` holds nothing.
///
/// A plain function of owned, serialisable arguments, so that a process pool can run it too.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::howmany_within_range;
///
/// assert_eq!(howmany_within_range(vec![1, 5, 7, 3, 7, 8, 10, 22, 0], 4, 8), 4);
/// assert_eq!(howmany_within_range(vec![4, 8], 4, 8), 2); // both bounds count
/// assert_eq!(howmany_within_range(vec![5], 8, 4), 0); // an empty range
/// ```
#[must_use]
pub fn howmany_within_range(row: Row, minimum: u8, maximum: u8) -> usize {
    count_within(&row, minimum, maximum)
}

/// The count itself, on a borrowed row: the sequential loop needs no copy of its rows.
fn count_within(row: &[u8], minimum: u8, maximum: u8) -> usize {
    row.iter()
        .filter(|n| (minimum..=maximum).contains(n))
        .count()
}

/// [`howmany_within_range`] over the lab's range, [`MINIMUM`]`..=`[`MAXIMUM`]: the
/// one-argument task `map` needs (the lab's `howmany_within_range_rowonly`, whose bounds are
/// default arguments).
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::howmany_within_range_rowonly;
///
/// assert_eq!(howmany_within_range_rowonly(vec![3, 4, 6, 8, 9]), 3);
/// ```
#[must_use]
pub fn howmany_within_range_rowonly(row: Row) -> usize {
    howmany_within_range(row, MINIMUM, MAXIMUM)
}

/// The lab's dataset: `rows` rows of [`COLUMNS`] numbers drawn uniformly from
/// `0..`[`VALUES_BELOW`], from a generator seeded with `seed`.
///
/// The same seed gives the same rows on every run of the same build, so a slow variant can be
/// run again on exactly the data it was slow on. (rand's `StdRng` may change its algorithm
/// between rand versions; the rows are reproducible per build, not forever.)
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{COLUMNS, random_rows};
///
/// let rows = random_rows(3, 7);
/// assert_eq!(rows.len(), 3);
/// assert!(rows.iter().all(|row| row.len() == COLUMNS && row.iter().all(|&n| n < 10)));
/// assert_eq!(rows, random_rows(3, 7));
/// ```
#[must_use]
pub fn random_rows(rows: usize, seed: u64) -> Vec<Row> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..rows)
        .map(|_| {
            (0..COLUMNS)
                .map(|_| rng.random_range(0..VALUES_BELOW))
                .collect()
        })
        .collect()
}

/// Runs a test's `scenario` on a thread of its own and fails the test if it has not finished
/// within a minute: a pool that hangs fails the test instead of hanging the test run.
#[cfg(test)]
fn bounded<T: Send + 'static>(scenario: impl FnOnce() -> T + Send + 'static) -> T {
    use std::sync::mpsc::{self, RecvTimeoutError};
    const BOUND: std::time::Duration = std::time::Duration::from_secs(60);

    let (finished, done) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let value = scenario();
        let _ = finished.send(());
        value
    });
    if let Err(RecvTimeoutError::Timeout) = done.recv_timeout(BOUND) {
        panic!("the test did not finish within {BOUND:?}");
    }
    // Finished, or panicked (the sender dropped unsent): join returns the value or the panic.
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_labs_example_row() {
        // 5, 7, 7, 8 lie within 4..=8; 1, 3, 10, 22, 0 do not.
        assert_eq!(
            howmany_within_range(vec![1, 5, 7, 3, 7, 8, 10, 22, 0], 4, 8),
            4
        );
    }

    #[test]
    fn an_empty_row_counts_nothing() {
        assert_eq!(howmany_within_range(Vec::new(), 0, u8::MAX), 0);
        assert_eq!(howmany_within_range_rowonly(Vec::new()), 0);
    }

    #[test]
    fn both_bounds_are_inclusive() {
        assert_eq!(howmany_within_range(vec![3, 4, 8, 9], 4, 8), 2);
        assert_eq!(howmany_within_range(vec![4, 4, 4], 4, 4), 3);
        assert_eq!(howmany_within_range(vec![0, 255], 0, 255), 2);
    }

    #[test]
    fn a_minimum_above_the_maximum_is_an_empty_range() {
        assert_eq!(howmany_within_range(vec![4, 5, 6, 7, 8], 8, 4), 0);
        assert_eq!(howmany_within_range(vec![5], 6, 5), 0);
    }

    #[test]
    fn rowonly_uses_the_labs_bounds() {
        let row = vec![3, 4, 5, 8, 9, 0];
        assert_eq!(
            howmany_within_range_rowonly(row.clone()),
            howmany_within_range(row, MINIMUM, MAXIMUM)
        );
    }

    #[test]
    fn rows_have_the_labs_shape_and_range() {
        let rows = random_rows(2_000, 11);
        assert_eq!(rows.len(), 2_000);
        assert!(rows.iter().all(|row| row.len() == COLUMNS));
        assert!(rows.iter().flatten().all(|&n| n < VALUES_BELOW));
        // 10,000 uniform draws: every value shows up, the lowest and the highest included.
        for value in 0..VALUES_BELOW {
            assert!(
                rows.iter().flatten().any(|&n| n == value),
                "value {value} never drawn"
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        assert_eq!(random_rows(500, 3), random_rows(500, 3));
        assert_ne!(random_rows(500, 3), random_rows(500, 4));
        // A shorter run is a prefix of a longer one with the same seed.
        assert_eq!(random_rows(100, 3)[..], random_rows(500, 3)[..100]);
    }

    #[test]
    fn zero_rows_is_an_empty_dataset() {
        assert!(random_rows(0, 1).is_empty());
    }
}
