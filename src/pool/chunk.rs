//! How `map` cuts its input into chunks, and how one chunk runs in a worker.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::sink::Sink;
use super::{Task, panic_message};
use crate::Error;

/// Python's default chunk size for `map`: about four chunks per worker, rounded up.
///
/// Fewer, larger chunks mean less overhead per item; more, smaller chunks balance uneven work
/// better and make progress visible sooner. Four per worker is Python's compromise.
pub(crate) fn default_chunksize(items: usize, workers: usize) -> usize {
    items.div_ceil(workers.max(1) * 4).max(1)
}

/// Cuts `items` into chunks of `chunksize` (the last one may be shorter).
pub(crate) fn split<T>(items: impl IntoIterator<Item = T>, chunksize: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunksize).collect());
    }
    chunks
}

/// Runs `f` on every item of `chunk` in order, pushing each outcome into `sink`.
///
/// One `catch_unwind` guards the whole loop, so the happy path pays for it once per chunk;
/// after a panic the loop resumes with the next item, so every item still gets its own outcome.
pub(crate) fn run_chunk<F: Task<Args>, Args>(f: &F, chunk: Vec<Args>, mut sink: Sink<F::Output>) {
    let mut items = chunk.into_iter();
    while let Err(payload) = catch_unwind(AssertUnwindSafe(|| {
        for args in items.by_ref() {
            sink.push(Ok(f.call_with(args)));
        }
    })) {
        sink.push(Err(Error::TaskPanicked {
            message: panic_message(payload.as_ref()),
        }));
    }
    sink.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_chunksize_follows_python() {
        // Python: chunksize, extra = divmod(len, workers * 4); if extra: chunksize += 1
        assert_eq!(default_chunksize(200_000, 2), 25_000);
        assert_eq!(default_chunksize(10, 2), 2);
        assert_eq!(default_chunksize(3, 8), 1);
        assert_eq!(default_chunksize(0, 4), 1);
    }

    #[test]
    fn split_keeps_order_and_sizes() {
        let chunks = split(0..10, 4);
        assert_eq!(chunks, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        assert!(split(0..0, 4).is_empty());
    }

    #[test]
    fn a_panicking_item_fails_alone() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Sink::items(4, move |outcomes| tx.send(outcomes).unwrap());
        let halve = |n: u32| {
            assert!(n % 2 == 0, "odd: {n}");
            n / 2
        };
        run_chunk(&halve, vec![(2,), (3,), (4,), (5,)], sink);
        let outcomes = rx.recv().unwrap();
        assert_eq!(outcomes.len(), 4);
        assert_eq!(*outcomes[0].as_ref().unwrap(), 1);
        assert!(
            matches!(&outcomes[1], Err(Error::TaskPanicked { message }) if message == "odd: 3")
        );
        assert_eq!(*outcomes[2].as_ref().unwrap(), 2);
        assert!(outcomes[3].is_err());
    }
}
