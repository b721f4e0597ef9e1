//! [`Variant`]: the rows of the exercise's table, and [`RangeCountBackend`], which runs any of
//! them on either backend with the lab's functions.

use std::fmt;

use super::variants::{
    apply_async_then_get, apply_async_with_callback, apply_in_a_loop, imap, map, map_async,
    sequential, starmap,
};
use super::{Row, howmany_within_range, howmany_within_range_rowonly};
use crate::Result;
use crate::pool::{Backend, Pool, Processes, Runs, Threads};

/// One way of computing the counts: the rows of the exercise's table.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::Variant;
///
/// assert_eq!(Variant::ALL[0], Variant::Sequential);
/// assert!(Variant::Apply.one_task_per_row());
/// assert!(!Variant::Map.one_task_per_row());
/// assert_eq!(Variant::MapAsync.to_string(), "map_async");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// [`sequential`]: a plain loop, the baseline.
    Sequential,
    /// [`apply_in_a_loop`]: one blocking round trip per row.
    Apply,
    /// [`apply_async_with_callback`]: all rows queued, counts collected by callbacks.
    ApplyAsyncCallback,
    /// [`apply_async_then_get`]: all rows queued, handles read in order.
    ApplyAsyncGet,
    /// [`map`]: chunks of rows, results in order.
    Map,
    /// [`map_async`]: `map` through a handle — the student's task.
    MapAsync,
    /// [`starmap`]: `map` over argument tuples.
    Starmap,
    /// [`imap`]: lazy, bounded, ordered.
    Imap,
}

impl Variant {
    /// Every variant, in the order the lab introduces them (the baseline first).
    pub const ALL: [Variant; 8] = [
        Variant::Sequential,
        Variant::Apply,
        Variant::ApplyAsyncCallback,
        Variant::ApplyAsyncGet,
        Variant::Map,
        Variant::MapAsync,
        Variant::Starmap,
        Variant::Imap,
    ];

    /// The variant's name in the table.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::range_count::Variant;
    ///
    /// assert_eq!(Variant::ApplyAsyncCallback.name(), "apply_async + callback");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Variant::Sequential => "sequential loop",
            Variant::Apply => "apply, in a loop",
            Variant::ApplyAsyncCallback => "apply_async + callback",
            Variant::ApplyAsyncGet => "apply_async + get",
            Variant::Map => "map",
            Variant::MapAsync => "map_async",
            Variant::Starmap => "starmap",
            Variant::Imap => "imap",
        }
    }

    /// Whether the variant sends every row to a worker as a task of its own (the `apply`
    /// family), rather than in chunks. Such variants pay a message per row.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::range_count::Variant;
    ///
    /// let per_row: Vec<_> = Variant::ALL.into_iter().filter(|v| v.one_task_per_row()).collect();
    /// assert_eq!(per_row, [Variant::Apply, Variant::ApplyAsyncCallback, Variant::ApplyAsyncGet]);
    /// ```
    #[must_use]
    pub fn one_task_per_row(self) -> bool {
        matches!(
            self,
            Variant::Apply | Variant::ApplyAsyncCallback | Variant::ApplyAsyncGet
        )
    }

    /// Computes the counts of `rows` this way, on `pool` (which [`Variant::Sequential`] does
    /// not use). The rows are moved into the tasks.
    ///
    /// # Errors
    ///
    /// As the variant's function ([`apply_in_a_loop`], [`map`], …).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::range_count::Variant;
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// for variant in Variant::ALL {
    ///     assert_eq!(variant.run(&pool, vec![vec![4, 8, 9], vec![0]])?, [2, 0], "{variant}");
    /// }
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn run<B: RangeCountBackend>(self, pool: &Pool<B>, rows: Vec<Row>) -> Result<Vec<usize>> {
        B::run_variant(pool, self, rows)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A backend that runs this exercise's tasks: [`Threads`] and [`Processes`] (and, with the
/// `mpi` feature, `Mpi`).
///
/// Generic code cannot write "`B` runs `howmany_within_range`" as a bound — a function item's
/// type has no name — so each backend's impl states it once, by handing the lab's functions to
/// the variants, where the compiler checks it for that backend. Code generic over the backend
/// then asks only for `B: RangeCountBackend`, as [`compare`](super::compare) does.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{RangeCountBackend, Variant, random_rows, sequential};
/// use concurrency_lab::pool::{Pool, ThreadPool};
///
/// fn agrees<B: RangeCountBackend>(pool: &Pool<B>) -> concurrency_lab::Result<bool> {
///     let rows = random_rows(100, 1);
///     Ok(B::run_variant(pool, Variant::Map, rows.clone())? == sequential(&rows))
/// }
///
/// assert!(agrees(&ThreadPool::new(2)?)?);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub trait RangeCountBackend: Backend {
    /// Computes the counts of `rows` with `variant` on `pool`, using the lab's functions.
    ///
    /// # Errors
    ///
    /// As the variant's function.
    ///
    /// # Examples
    ///
    /// See the trait.
    fn run_variant(pool: &Pool<Self>, variant: Variant, rows: Vec<Row>) -> Result<Vec<usize>>;
}

impl RangeCountBackend for Threads {
    fn run_variant(pool: &Pool<Self>, variant: Variant, rows: Vec<Row>) -> Result<Vec<usize>> {
        run_with(
            pool,
            variant,
            rows,
            howmany_within_range,
            howmany_within_range_rowonly,
        )
    }
}

impl RangeCountBackend for Processes {
    fn run_variant(pool: &Pool<Self>, variant: Variant, rows: Vec<Row>) -> Result<Vec<usize>> {
        run_with(
            pool,
            variant,
            rows,
            howmany_within_range,
            howmany_within_range_rowonly,
        )
    }
}

#[cfg(feature = "mpi")]
impl RangeCountBackend for crate::pool::Mpi {
    fn run_variant(pool: &Pool<Self>, variant: Variant, rows: Vec<Row>) -> Result<Vec<usize>> {
        run_with(
            pool,
            variant,
            rows,
            howmany_within_range,
            howmany_within_range_rowonly,
        )
    }
}

/// Runs `variant` with the three-argument task `within` and the one-argument task `rowonly`.
fn run_with<B, F, G>(
    pool: &Pool<B>,
    variant: Variant,
    rows: Vec<Row>,
    within: F,
    rowonly: G,
) -> Result<Vec<usize>>
where
    F: Fn(Row, u8, u8) -> usize + Copy + Send + Sync + 'static,
    G: Fn(Row) -> usize + Send + Sync + 'static,
    B: Runs<F, (Row, u8, u8)> + Runs<G, (Row,)>,
{
    match variant {
        Variant::Sequential => Ok(sequential(&rows)),
        Variant::Apply => apply_in_a_loop(pool, within, rows),
        Variant::ApplyAsyncCallback => apply_async_with_callback(pool, within, rows),
        Variant::ApplyAsyncGet => apply_async_then_get(pool, within, rows),
        Variant::Map => map(pool, rowonly, rows),
        Variant::MapAsync => map_async(pool, rowonly, rows),
        Variant::Starmap => starmap(pool, within, rows),
        Variant::Imap => imap(pool, rowonly, rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::lab::range_count::{MAXIMUM, MINIMUM, bounded, random_rows};
    use crate::pool::ThreadPool;

    #[test]
    fn every_variant_agrees_with_the_sequential_loop_on_threads() {
        bounded(|| {
            let pool = ThreadPool::new(2).unwrap();
            let rows = random_rows(3_000, 9);
            let expected = sequential(&rows);
            for variant in Variant::ALL.into_iter().skip(1) {
                let counts = variant.run(&pool, rows.clone()).unwrap();
                assert_eq!(counts, expected, "{variant}");
            }
        });
    }

    #[test]
    fn every_variant_handles_no_rows_and_one_row() {
        bounded(|| {
            let pool = ThreadPool::new(2).unwrap();
            for variant in Variant::ALL {
                let none = variant.run(&pool, Vec::new()).unwrap();
                assert!(none.is_empty(), "{variant}");
                let one = variant.run(&pool, vec![vec![4, 9, 8]]).unwrap();
                assert_eq!(one, [2], "{variant}");
            }
        });
    }

    #[test]
    fn a_panicking_task_is_an_error_from_every_pool_variant() {
        fn refuses_sevens(row: Row, minimum: u8, maximum: u8) -> usize {
            assert!(!row.contains(&7), "a seven in {row:?}");
            howmany_within_range(row, minimum, maximum)
        }
        fn refuses_sevens_rowonly(row: Row) -> usize {
            refuses_sevens(row, MINIMUM, MAXIMUM)
        }
        bounded(|| {
            let pool = ThreadPool::new(2).unwrap();
            let rows = vec![vec![1, 2], vec![7, 7], vec![4]];
            for variant in Variant::ALL.into_iter().skip(1) {
                let err = run_with(
                    &pool,
                    variant,
                    rows.clone(),
                    refuses_sevens,
                    refuses_sevens_rowonly,
                )
                .unwrap_err();
                assert!(
                    matches!(err, Error::TaskPanicked { ref message, .. } if message == "a seven in [7, 7]"),
                    "{variant}: {err}"
                );
            }
            // The pool survived every panic.
            assert_eq!(Variant::Map.run(&pool, rows).unwrap(), [0, 2, 1]);
        });
    }

    #[test]
    fn names_are_distinct_and_pad_in_tables() {
        let mut names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Variant::ALL.len());
        assert_eq!(format!("[{:<6}]", Variant::Map), "[map   ]");
    }
}
