//! [`IMap`]: a lazy `map` that reads its input only as far as its consumer needs.

use std::collections::BTreeMap;
use std::fmt;
use std::iter::Fuse;
use std::sync::Arc;

use crossbeam::channel::{self, Receiver, Sender};

use super::api::Pool;
use super::backend::{Backend, Runs};
use super::buffer::Chunk;
use super::sink::Sink;
use super::task::Task;
use crate::panic_message::catch;
use crate::{Error, Result};

type Batch<R> = (usize, Vec<Result<R>>);

/// The iterator returned by [`Pool::imap`] and [`Pool::imap_unordered`].
///
/// It submits chunks as the consumer pulls results, never more than
/// [`max_in_flight`](Self::max_in_flight) at a time, so memory stays bounded whatever the
/// length of the input — also for an endless one. Each item is `Ok(result)` or the item's own
/// error; a failed item does not end the iteration. If the pool stops accepting work midway,
/// the results already in flight are yielded, then one [`Error::PoolClosed`], then `None`; if
/// the input iterator panics, the results of the items read before it, then one
/// [`Error::InvalidInput`], then `None` (see [`Pool::imap`] on reading ahead). Inside a task
/// or callback of its own pool, `next` yields [`Error::PoolReentered`], then `None`; where
/// every worker of the pool is blocked in a wait that depends on this one,
/// [`Error::WaitCycle`], then `None` (checked each time `next` is called; a wait that starts
/// inside `next` is not itself registered with the crate's wait-for graph).
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::ThreadPool;
///
/// let pool = ThreadPool::new(2)?;
/// let roots: Vec<u32> = pool
///     .imap(|n: u32| n.isqrt(), (0..).map(|k: u32| k * k))
///     .chunksize(8)
///     .max_in_flight(4)
///     .take(100)
///     .collect::<Result<_, _>>()?;
/// assert_eq!(roots, (0..100).collect::<Vec<_>>());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "an `imap` is lazy: nothing is submitted until you iterate over it"]
pub struct IMap<'p, B, F, I>
where
    B: Backend,
    I: Iterator,
    F: Task<(I::Item,)>,
{
    pool: &'p Pool<B>,
    f: Arc<F>,
    input: Fuse<I>,
    ordered: bool,
    chunksize: usize,
    max_in_flight: usize,
    /// Chunks submitted so far; also the index the next one gets.
    submitted: usize,
    /// Items taken from the input so far; also the index of the next one.
    read: usize,
    /// Chunks submitted whose results have not been moved to `current` yet.
    in_flight: usize,
    /// Ordered mode: the index of the chunk to yield next, and early arrivals.
    next_index: usize,
    early: BTreeMap<usize, Vec<Result<F::Output>>>,
    current: std::vec::IntoIter<Result<F::Output>>,
    /// Why submission stopped early; yielded once everything in flight has been.
    stopped: Option<Error>,
    done: bool,
    sender: Sender<Batch<F::Output>>,
    receiver: Receiver<Batch<F::Output>>,
}

impl<'p, B, F, I> IMap<'p, B, F, I>
where
    B: Backend,
    I: Iterator,
    F: Task<(I::Item,)>,
{
    pub(crate) fn new(pool: &'p Pool<B>, f: F, input: I, ordered: bool) -> Self {
        let (sender, receiver) = channel::unbounded();
        IMap {
            pool,
            f: Arc::new(f),
            input: input.fuse(),
            ordered,
            chunksize: 1,
            max_in_flight: 2 * pool.workers(),
            submitted: 0,
            read: 0,
            in_flight: 0,
            next_index: 0,
            early: BTreeMap::new(),
            current: Vec::new().into_iter(),
            stopped: None,
            done: false,
            sender,
            receiver,
        }
    }

    /// Items per chunk (default 1, as in Python). Larger chunks cost less per item but hold
    /// more input in memory; zero makes the first `next` yield [`Error::InvalidInput`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let total: u64 = pool.imap(|n: u64| n, 1..=100).chunksize(10).map(Result::unwrap).sum();
    /// assert_eq!(total, 5050);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use = "`chunksize` returns the changed iterator"]
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = chunksize;
        self
    }

    /// How many chunks may be submitted and not yet consumed (default: twice the number of
    /// workers, enough to keep every worker busy while you consume). Zero makes the first
    /// `next` yield [`Error::InvalidInput`].
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2)?;
    /// let first = pool.imap(|n: u64| n + 1, 0..).max_in_flight(1).next().unwrap()?;
    /// assert_eq!(first, 1);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use = "`max_in_flight` returns the changed iterator"]
    pub fn max_in_flight(mut self, chunks: usize) -> Self {
        self.max_in_flight = chunks;
        self
    }
}

impl<B, F, A, R, I> IMap<'_, B, F, I>
where
    B: Backend + Runs<F, (A,)>,
    I: Iterator<Item = A>,
    F: Fn(A) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    /// Submits chunks until the in-flight bound is reached or the input ends.
    fn top_up(&mut self) {
        while self.stopped.is_none() && self.in_flight < self.max_in_flight {
            let chunk = self.read_chunk();
            if chunk.is_empty() {
                return;
            }
            let index = self.submitted;
            let first = self.read - chunk.len();
            let sender = self.sender.clone();
            let sink = Sink::items(chunk.len(), move |outcomes| {
                // The receiver lives in this iterator; if it is gone, nobody wants the results.
                let _ = sender.send((index, outcomes));
            });
            match self.pool.submit(
                B::job(
                    &self.f,
                    Chunk::whole(chunk).placed_at(first, self.chunksize),
                    sink,
                ),
                "imap",
            ) {
                Ok(()) => {
                    self.submitted += 1;
                    self.in_flight += 1;
                }
                // An input that panicked while this chunk was read keeps its own report.
                Err(error) => {
                    self.stopped.get_or_insert(error);
                }
            }
        }
    }

    /// Reads up to one chunk of input. A panic in the input is caught and recorded in
    /// `stopped`; the items read before it still form a chunk, and the input is not read again.
    fn read_chunk(&mut self) -> Vec<(A,)> {
        let mut chunk = Vec::new();
        while chunk.len() < self.chunksize {
            match catch(|| self.input.next()) {
                Ok(Some(item)) => chunk.push((item,)),
                Ok(None) => break,
                Err(panic) => {
                    self.stopped = Some(Error::invalid_input(
                        "imap input item",
                        self.read,
                        format!(
                            "the input iterator panicked instead of producing it: {}",
                            panic.message_with_location()
                        ),
                    ));
                    break;
                }
            }
            self.read += 1;
        }
        chunk
    }

    /// Waits for the next batch to yield: the next chunk in order, or whichever finishes.
    fn next_batch(&mut self) -> Vec<Result<R>> {
        loop {
            if self.ordered
                && let Some(batch) = self.early.remove(&self.next_index)
            {
                self.next_index += 1;
                return batch;
            }
            // Every submitted chunk's sink sends exactly once, even when its job is discarded,
            // and this iterator holds a sender: receiving cannot fail.
            let (index, batch) = self.receiver.recv().expect("a sender is alive");
            if !self.ordered {
                return batch;
            }
            self.early.insert(index, batch);
        }
    }
}

impl<B, F, A, R, I> Iterator for IMap<'_, B, F, I>
where
    B: Backend + Runs<F, (A,)>,
    I: Iterator<Item = A>,
    F: Fn(A) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        if self.done {
            return None;
        }
        if let Err(error) = self.pool.refuse_inside("imap") {
            self.done = true;
            return Some(Err(error));
        }
        if self.chunksize == 0 || self.max_in_flight == 0 {
            self.done = true;
            let (what, reason) = if self.chunksize == 0 {
                ("chunksize", "a chunk holds at least one item")
            } else {
                ("max_in_flight", "at least one chunk must be in flight")
            };
            return Some(Err(Error::invalid_input(what, 0, reason)));
        }
        loop {
            if let Some(outcome) = self.current.next() {
                return Some(outcome);
            }
            self.top_up();
            if self.in_flight == 0 {
                self.done = true;
                return self.stopped.take().map(Err);
            }
            let batch = self.next_batch();
            self.in_flight -= 1;
            self.current = batch.into_iter();
        }
    }
}

impl<B, F, I> fmt::Debug for IMap<'_, B, F, I>
where
    B: Backend,
    I: Iterator,
    F: Task<(I::Item,)>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMap")
            .field("ordered", &self.ordered)
            .field("chunksize", &self.chunksize)
            .field("max_in_flight", &self.max_in_flight)
            .field("submitted", &self.submitted)
            .field("in_flight", &self.in_flight)
            .finish()
    }
}
