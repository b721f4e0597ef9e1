//! Where a chunk's per-item outcomes go, wherever the chunk ran.
//!
//! A [`Sink`] is created with the chunk and travels with it: into a worker thread's job, or into
//! the driver thread that talks to a worker process. It is the pool's "nothing is lost"
//! guarantee in one type: a sink that is dropped before it was finished — the job was thrown
//! away by `terminate`, a worker died — fails every item it did not receive, so no caller
//! ever waits for a result that will not come.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::result::ProgressCounter;
use super::slot::Slot;
use crate::{Error, Result};

/// How many finished items a map chunk collects before it publishes them to the progress
/// counter: often enough for a progress bar, rarely enough not to contend on the counter.
const PROGRESS_BATCH: usize = 256;

type Deliver<R> = Box<dyn FnOnce(Vec<Result<R>>) + Send>;

/// Receives, in order, the outcome of each item of one chunk.
pub(crate) struct Sink<R> {
    expected: usize,
    pushed: usize,
    target: Option<Target<R>>,
}

enum Target<R> {
    /// Per-item outcomes handed over in one piece when the chunk is finished.
    Items {
        outcomes: Vec<Result<R>>,
        deliver: Deliver<R>,
    },
    /// Values written straight into one chunk of a map; only the first failure is kept.
    Map {
        map: Arc<MapState<R>>,
        chunk: usize,
        start: usize,
        values: Vec<R>,
        failure: Option<(usize, Error)>,
        unreported: usize,
    },
}

impl<R: Send + 'static> Sink<R> {
    /// A sink for `len` items whose outcomes go to `deliver`, all at once, when finished.
    pub(crate) fn items(len: usize, deliver: impl FnOnce(Vec<Result<R>>) + Send + 'static) -> Self {
        Sink {
            expected: len,
            pushed: 0,
            target: Some(Target::Items {
                outcomes: Vec::with_capacity(len),
                deliver: Box::new(deliver),
            }),
        }
    }

    /// The sink for chunk number `chunk` of `map`, covering items `start..start + len`.
    pub(crate) fn map_chunk(
        map: &Arc<MapState<R>>,
        chunk: usize,
        start: usize,
        len: usize,
    ) -> Self {
        Sink {
            expected: len,
            pushed: 0,
            target: Some(Target::Map {
                map: Arc::clone(map),
                chunk,
                start,
                values: Vec::with_capacity(len),
                failure: None,
                unreported: 0,
            }),
        }
    }

    /// How many items the chunk holds.
    pub(crate) fn len(&self) -> usize {
        self.expected
    }

    /// Records the next item's outcome.
    #[inline]
    pub(crate) fn push(&mut self, outcome: Result<R>) {
        let index = self.pushed;
        self.pushed += 1;
        match self.target.as_mut() {
            Some(Target::Items { outcomes, .. }) => outcomes.push(outcome),
            Some(Target::Map {
                map,
                start,
                values,
                failure,
                unreported,
                ..
            }) => {
                match outcome {
                    Ok(value) => values.push(value),
                    Err(error) => {
                        failure.get_or_insert((*start + index, error));
                    }
                }
                *unreported += 1;
                if *unreported == PROGRESS_BATCH {
                    map.progress.add(PROGRESS_BATCH);
                    *unreported = 0;
                }
            }
            None => {}
        }
    }

    /// Fails every item not yet pushed with `error()`, then finishes.
    pub(crate) fn fail_rest(mut self, error: impl Fn() -> Error) {
        while self.pushed < self.expected {
            self.push(Err(error()));
        }
        self.finish();
    }

    /// Hands the outcomes over. Every item must have been pushed.
    pub(crate) fn finish(mut self) {
        debug_assert_eq!(self.pushed, self.expected, "a chunk reports every item");
        match self.target.take() {
            Some(Target::Items { outcomes, deliver }) => deliver(outcomes),
            Some(Target::Map {
                map,
                chunk,
                values,
                failure,
                unreported,
                ..
            }) => {
                map.progress.add(unreported);
                map.chunk_done(chunk, values, failure);
            }
            None => {}
        }
    }
}

impl<R> Drop for Sink<R> {
    fn drop(&mut self) {
        if self.target.is_none() {
            return;
        }
        // Dropped unfinished: the job was discarded without running to its end.
        let target = self.target.take();
        let missing = self.expected - self.pushed;
        match target {
            Some(Target::Items {
                mut outcomes,
                deliver,
            }) => {
                outcomes.extend((0..missing).map(|_| Err(Error::PoolTerminated)));
                deliver(outcomes);
            }
            Some(Target::Map {
                map,
                chunk,
                start,
                values,
                failure,
                unreported,
            }) => {
                let first_missing = start + self.pushed;
                let failure = failure.or(Some((first_missing, Error::PoolTerminated)));
                map.progress.add(unreported + missing);
                map.chunk_done(chunk, values, failure);
            }
            None => {}
        }
    }
}

/// The shared state of one `map`: chunk results as they arrive, and the final slot.
pub(crate) struct MapState<R> {
    chunks: Mutex<Chunks<R>>,
    remaining: AtomicUsize,
    pub(crate) progress: Arc<ProgressCounter>,
    slot: Arc<Slot<Vec<R>>>,
    total: usize,
}

struct Chunks<R> {
    values: BTreeMap<usize, Vec<R>>,
    /// The failure with the lowest item index: the one `get()` reports.
    first_failure: Option<(usize, Error)>,
}

impl<R> MapState<R> {
    pub(crate) fn new(chunks: usize, total: usize, slot: Arc<Slot<Vec<R>>>) -> Arc<Self> {
        Arc::new(MapState {
            chunks: Mutex::new(Chunks {
                values: BTreeMap::new(),
                first_failure: None,
            }),
            remaining: AtomicUsize::new(chunks),
            progress: Arc::default(),
            slot,
            total,
        })
    }

    /// Completes a map of no items.
    pub(crate) fn complete_empty(&self) {
        self.slot.complete(Ok(Vec::new()));
    }

    fn chunk_done(&self, chunk: usize, values: Vec<R>, failure: Option<(usize, Error)>) {
        {
            let mut chunks = self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
            match failure {
                Some((item, error)) => {
                    if chunks
                        .first_failure
                        .as_ref()
                        .is_none_or(|(first, _)| item < *first)
                    {
                        chunks.first_failure = Some((item, error));
                    }
                }
                // Once the map has failed, later values are of no use: free them early.
                None if chunks.first_failure.is_none() => {
                    chunks.values.insert(chunk, values);
                }
                None => {}
            }
        }
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.slot.complete(self.assemble());
        }
    }

    /// Joins the chunks in input order, or reports the first failure.
    fn assemble(&self) -> Result<Vec<R>> {
        let mut chunks = self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, error)) = chunks.first_failure.take() {
            return Err(error);
        }
        let mut all = Vec::with_capacity(self.total);
        for (_, values) in std::mem::take(&mut chunks.values) {
            all.extend(values);
        }
        Ok(all)
    }
}
