//! The exercise's variants: the same counts, computed in each of the ways the lab shows, each
//! written once for both backends.

use std::sync::mpsc;

use super::{MAXIMUM, MINIMUM, Row, count_within};
use crate::Result;
use crate::pool::{AsyncResult, Callbacks, Pool, Runs};

/// Rows per chunk in the [`imap`] variant.
///
/// Python's `imap` sends one item per message by default; for a task as small as counting five
/// numbers, the messages would then cost far more than the work. A thousand rows per chunk
/// keeps the input lazy (a few chunks in flight at a time) and the messages few.
pub const IMAP_CHUNKSIZE: usize = 1_000;

/// The sequential loop: every row counted in turn on the calling thread — the baseline.
///
/// It borrows the rows: nothing needs to move anywhere.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::sequential;
///
/// assert_eq!(sequential(&[vec![4, 8, 9], vec![0, 1, 2]]), [2, 0]);
/// ```
#[must_use]
pub fn sequential(rows: &[Row]) -> Vec<usize> {
    rows.iter()
        .map(|row| count_within(row, MINIMUM, MAXIMUM))
        .collect()
}

/// `apply` in a loop (Python's `[pool.apply(f, args=(row, 4, 8)) for row in data]`): each row
/// is sent to a worker, and the loop waits for its answer before sending the next one.
///
/// One worker is busy at a time, the others idle, and every row pays a full round trip to a
/// worker and back: this variant is slower than the sequential loop, not faster. That is the
/// lab's point about `apply`.
///
/// # Errors
///
/// The pool's: [`Error::PoolClosed`](crate::Error::PoolClosed), or a task's failure
/// ([`Error::TaskPanicked`](crate::Error::TaskPanicked),
/// [`Error::WorkerDied`](crate::Error::WorkerDied), …). The first failure stops the loop.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{apply_in_a_loop, howmany_within_range};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// let counts = apply_in_a_loop(&pool, howmany_within_range, vec![vec![4, 8, 9], vec![0]])?;
/// assert_eq!(counts, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn apply_in_a_loop<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row, u8, u8) -> usize + Copy + Send + Sync + 'static,
    B: Runs<F, (Row, u8, u8)>,
{
    rows.into_iter()
        .map(|row| pool.apply(task, (row, MINIMUM, MAXIMUM)))
        .collect()
}

/// `apply_async` with a callback (Python's `apply_async(f, args, callback=collect_result)`):
/// every row is queued at once, and each count reaches a callback as soon as its task is done.
///
/// Tasks finish in whatever order the workers get to them, so the callbacks see the counts out
/// of order: each callback records its row's index with the count, and the counts are put back
/// in row order at the end. Python waits for the callbacks with `pool.close(); pool.join()`;
/// this function must leave the pool open for its caller, so it waits on each task's handle
/// instead — a task's callback has run by the time its handle is ready.
///
/// # Errors
///
/// As [`apply_in_a_loop`]: the pool's refusal, or the first failed task in row order.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{apply_async_with_callback, howmany_within_range};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// let rows = vec![vec![4, 8, 9], vec![0], vec![5, 5]];
/// assert_eq!(apply_async_with_callback(&pool, howmany_within_range, rows)?, [2, 0, 2]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn apply_async_with_callback<B, F>(
    pool: &Pool<B>,
    task: F,
    rows: Vec<Row>,
) -> Result<Vec<usize>>
where
    F: Fn(Row, u8, u8) -> usize + Copy + Send + Sync + 'static,
    B: Runs<F, (Row, u8, u8)>,
{
    let total = rows.len();
    let (collect, collected) = mpsc::channel();
    let pending = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let collect = collect.clone();
            let callbacks = Callbacks::new().on_success(move |count: &usize| {
                // The receiver outlives every task: it is read after all handles are ready.
                let _ = collect.send((index, *count));
            });
            pool.apply_async_with(task, (row, MINIMUM, MAXIMUM), callbacks)
        })
        .collect::<Result<Vec<_>>>()?;
    for handle in pending {
        handle.get()?; // its count went to the callback; this waits for it and reports failures
    }
    drop(collect);
    let mut counts = vec![None; total];
    for (index, count) in collected.try_iter() {
        counts[index] = Some(count);
    }
    let counts = counts
        .into_iter()
        .map(|count| count.expect("the pool runs a task's callback before its handle is ready"))
        .collect();
    Ok(counts)
}

/// `apply_async` then `get` (Python's `[pool.apply_async(f, args) for row in data]`, then
/// `[r.get() for r in result_objects]`): every row is queued at once, then the handles are read
/// in row order, so the counts come out in order with no bookkeeping.
///
/// # Errors
///
/// As [`apply_in_a_loop`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{apply_async_then_get, howmany_within_range};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// let counts = apply_async_then_get(&pool, howmany_within_range, vec![vec![4, 8, 9], vec![0]])?;
/// assert_eq!(counts, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn apply_async_then_get<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row, u8, u8) -> usize + Copy + Send + Sync + 'static,
    B: Runs<F, (Row, u8, u8)>,
{
    let pending = rows
        .into_iter()
        .map(|row| pool.apply_async(task, (row, MINIMUM, MAXIMUM)))
        .collect::<Result<Vec<_>>>()?;
    pending.into_iter().map(AsyncResult::get).collect()
}

/// `map` with the one-argument task (Python's `pool.map(howmany_within_range_rowonly, data)`):
/// the rows are cut into chunks, about four per worker, and each chunk travels as one message.
///
/// # Errors
///
/// The pool's refusal, or the first failed row in row order.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, map};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// assert_eq!(map(&pool, howmany_within_range_rowonly, vec![vec![4, 8, 9], vec![0]])?, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn map<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row) -> usize + Send + Sync + 'static,
    B: Runs<F, (Row,)>,
{
    pool.map(task, rows)
}

/// `map_async`, the student's task (Python's `pool.map_async(f, data).get()`): the same chunks
/// as [`map`], but the call returns at once with a handle, so the caller could show progress or
/// do other work before it asks for the counts.
///
/// # Errors
///
/// As [`map`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, map_async};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// let counts = map_async(&pool, howmany_within_range_rowonly, vec![vec![4, 8, 9], vec![0]])?;
/// assert_eq!(counts, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn map_async<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row) -> usize + Send + Sync + 'static,
    B: Runs<F, (Row,)>,
{
    let running = pool.map_async(task, rows)?;
    // Here the caller is free: `running.progress()` says how far the workers are.
    running.get()
}

/// `starmap` with the three-argument task (Python's `pool.starmap(f, [(row, 4, 8) for row in
/// data])`): `map`'s chunks, with every item an argument tuple.
///
/// # Errors
///
/// As [`map`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{howmany_within_range, starmap};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// assert_eq!(starmap(&pool, howmany_within_range, vec![vec![4, 8, 9], vec![0]])?, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn starmap<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row, u8, u8) -> usize + Send + Sync + 'static,
    B: Runs<F, (Row, u8, u8)>,
{
    pool.starmap(task, rows.into_iter().map(|row| (row, MINIMUM, MAXIMUM)))
}

/// `imap` with the one-argument task, [`IMAP_CHUNKSIZE`] rows per chunk: the rows are read
/// lazily, a few chunks in flight at a time, and the counts come out in order as they are
/// ready.
///
/// # Errors
///
/// As [`map`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, imap};
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// assert_eq!(imap(&pool, howmany_within_range_rowonly, vec![vec![4, 8, 9], vec![0]])?, [2, 0]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn imap<B, F>(pool: &Pool<B>, task: F, rows: Vec<Row>) -> Result<Vec<usize>>
where
    F: Fn(Row) -> usize + Send + Sync + 'static,
    B: Runs<F, (Row,)>,
{
    pool.imap(task, rows).chunksize(IMAP_CHUNKSIZE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::lab::range_count::{
        bounded, howmany_within_range, howmany_within_range_rowonly, random_rows,
    };
    use crate::pool::ThreadPool;

    fn pool() -> ThreadPool {
        ThreadPool::new(2).unwrap()
    }

    #[test]
    fn sequential_counts_each_row_with_the_labs_function() {
        let rows = random_rows(1_000, 5);
        let expected: Vec<usize> = rows
            .iter()
            .map(|row| howmany_within_range(row.clone(), MINIMUM, MAXIMUM))
            .collect();
        assert_eq!(sequential(&rows), expected);
    }

    #[test]
    fn imap_spans_several_chunks_in_order() {
        bounded(|| {
            let rows = random_rows(IMAP_CHUNKSIZE * 3 + 7, 2);
            assert_eq!(
                imap(&pool(), howmany_within_range_rowonly, rows.clone()).unwrap(),
                sequential(&rows)
            );
        });
    }

    #[test]
    fn callbacks_restore_row_order() {
        // Rows starting with 0 are slow, so the rows after them finish first and their
        // callbacks arrive out of order; the counts must come back in row order all the same.
        fn slow_on_zeros(row: Row, minimum: u8, maximum: u8) -> usize {
            if row.first() == Some(&0) {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            howmany_within_range(row, minimum, maximum)
        }
        bounded(|| {
            let rows: Vec<Row> = (0..20u8).map(|n| vec![n % 10, 5]).collect();
            let counts = apply_async_with_callback(&pool(), slow_on_zeros, rows.clone()).unwrap();
            assert_eq!(counts, sequential(&rows));
        });
    }

    #[test]
    fn a_closed_pool_is_an_error_from_every_pool_variant() {
        bounded(|| {
            let pool = pool();
            pool.close();
            let rows = || vec![vec![5]];
            let errors = [
                apply_in_a_loop(&pool, howmany_within_range, rows()),
                apply_async_with_callback(&pool, howmany_within_range, rows()),
                apply_async_then_get(&pool, howmany_within_range, rows()),
                map(&pool, howmany_within_range_rowonly, rows()),
                map_async(&pool, howmany_within_range_rowonly, rows()),
                starmap(&pool, howmany_within_range, rows()),
                imap(&pool, howmany_within_range_rowonly, rows()),
            ];
            for (index, result) in errors.into_iter().enumerate() {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::PoolClosed { .. }), "#{index}: {err}");
            }
            pool.join_timeout(std::time::Duration::from_secs(30))
                .unwrap();
        });
    }
}
