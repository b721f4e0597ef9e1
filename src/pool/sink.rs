//! Where a chunk's per-item outcomes go, wherever the chunk ran.
//!
//! A [`Sink`] is created with the chunk and travels with it: into a worker thread's job, or into
//! the driver thread that talks to a worker process. It is the pool's "nothing is lost"
//! guarantee in one type: a sink that is dropped before it was finished — the job was thrown
//! away by `terminate`, a worker died — fails every item it did not receive, so no caller
//! ever waits for a result that will not come.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::buffer::{Chunk, Output, OutputRange, map_into};
use super::result::ProgressCounter;
use super::slot::Slot;
use super::task::{Task, TaskOnce};
use crate::panic_message::catch;
use crate::{Error, Result};

/// How many finished items a map chunk collects before it publishes them to the progress
/// counter: often enough for a progress bar, rarely enough not to contend on the counter.
const PROGRESS_BATCH: usize = 256;

type Deliver<R> = Box<dyn FnOnce(Vec<Result<R>>) + Send>;

/// Receives, in order, the outcome of each item of one chunk.
pub struct Sink<R>(Option<Target<R>>);

enum Target<R> {
    /// Per-item outcomes handed over in one piece when the chunk is finished: `apply`, `imap`.
    Items {
        expected: usize,
        outcomes: Vec<Result<R>>,
        deliver: Deliver<R>,
    },
    /// Values written straight into the map's output. The first failure fails the map, so
    /// after it nothing more is written and only the failure is kept.
    Map {
        map: Arc<MapState<R>>,
        output: OutputRange<R>,
        failure: Option<(usize, Error)>,
        /// Items already added to the map's progress counter.
        reported: usize,
    },
}

impl<R: Send + 'static> Sink<R> {
    /// A sink for `len` items whose outcomes go to `deliver`, all at once, when finished.
    pub(crate) fn items(len: usize, deliver: impl FnOnce(Vec<Result<R>>) + Send + 'static) -> Self {
        Sink(Some(Target::Items {
            expected: len,
            outcomes: Vec::with_capacity(len),
            deliver: Box::new(deliver),
        }))
    }

    /// The sink for the chunk of `map` whose results go to `output` (cut by `split_map`).
    pub(crate) fn map_chunk(map: &Arc<MapState<R>>, output: OutputRange<R>) -> Self {
        Sink(Some(Target::Map {
            map: Arc::clone(map),
            output,
            failure: None,
            reported: 0,
        }))
    }

    /// How many items the chunk holds.
    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            Some(Target::Items { expected, .. }) => *expected,
            Some(Target::Map { output, .. }) => output.len(),
            None => 0,
        }
    }

    /// Runs `f` over `items` here, on this thread, and finishes.
    ///
    /// A panicking item fails alone: for `apply` and `imap` the next items still run; a map
    /// has failed as a whole at its first failure, so its chunk stops there.
    pub(crate) fn run<F, Args>(mut self, f: &F, mut items: Chunk<Args>)
    where
        F: Task<Args, Output = R>,
    {
        match &mut self.0 {
            Some(Target::Map {
                map,
                output,
                reported,
                ..
            }) => {
                let progress = &map.progress;
                let ran = catch(|| {
                    let call = |args| f.call_with(args);
                    map_into(&mut items, output, call, PROGRESS_BATCH, |n| {
                        progress.add(n);
                        *reported += n;
                    });
                });
                if let Err(panic) = ran {
                    self.push(Err(panic.into_task_error()));
                }
            }
            Some(Target::Items { .. }) => {
                // One `catch` guards the whole loop, so the happy path pays for it once;
                // after a panic the loop resumes with the next item. The panic is not printed:
                // its message, location and backtrace are in the error (see `panic_message`).
                while let Err(panic) = catch(|| {
                    for args in items.by_ref() {
                        self.push(Ok(f.call_with(args)));
                    }
                }) {
                    self.push(Err(panic.into_task_error()));
                }
            }
            None => {}
        }
        // Items a failed map chunk never reached are dropped now, before the map can complete:
        // once `get` returns, every item has been consumed or dropped.
        drop(items);
        self.finish();
    }

    /// Runs the one-shot `f` on `args` here, on this thread, and finishes: `apply`'s job.
    pub(crate) fn run_once<F, Args>(mut self, f: F, args: Args)
    where
        F: TaskOnce<Args, Output = R>,
    {
        let outcome = catch(|| f.call_once_with(args));
        self.push(outcome.map_err(|panic| panic.into_task_error()));
        self.finish();
    }

    /// Records the next item's outcome (the process backend, decoding a worker's reply).
    pub(crate) fn push(&mut self, outcome: Result<R>) {
        match (&mut self.0, outcome) {
            (Some(Target::Items { outcomes, .. }), outcome) => outcomes.push(outcome),
            (
                Some(Target::Map {
                    output,
                    failure: None,
                    ..
                }),
                Ok(value),
            ) => output.write(value),
            (
                Some(Target::Map {
                    output, failure, ..
                }),
                Err(error),
            ) => {
                let (start, written) = output.extent();
                failure.get_or_insert((start + written, error));
            }
            _ => {}
        }
    }

    /// Fails every item not yet reported with `error()`, then finishes.
    pub(crate) fn fail_rest(mut self, error: impl Fn() -> Error) {
        match &mut self.0 {
            Some(Target::Items {
                expected, outcomes, ..
            }) => {
                let missing = *expected - outcomes.len();
                outcomes.extend((0..missing).map(|_| Err(error())));
            }
            Some(Target::Map { .. }) => self.push(Err(error())), // only the first failure counts
            None => {}
        }
        self.finish();
    }

    /// Hands the outcomes over. Items never reported fail with [`Error::Protocol`].
    pub(crate) fn finish(mut self) {
        let complete = match &self.0 {
            Some(Target::Items {
                expected, outcomes, ..
            }) => outcomes.len() == *expected,
            Some(Target::Map {
                output, failure, ..
            }) => failure.is_some() || output.is_full(),
            None => true,
        };
        if !complete {
            return self.fail_rest(|| Error::Protocol {
                message: "the worker did not report every result of its chunk".to_owned(),
            });
        }
        match self.0.take() {
            Some(Target::Items {
                outcomes, deliver, ..
            }) => deliver(outcomes),
            Some(Target::Map {
                map,
                output,
                failure,
                reported,
            }) => map.chunk_done(output, failure, reported),
            None => {}
        }
    }
}

impl<R> std::fmt::Debug for Sink<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Some(Target::Items { .. }) => "items",
            Some(Target::Map { .. }) => "map chunk",
            None => "finished",
        };
        f.debug_tuple("Sink").field(&kind).finish()
    }
}

impl<R> Drop for Sink<R> {
    fn drop(&mut self) {
        // Dropped unfinished: the job was discarded before it ran to its end.
        match self.0.take() {
            Some(Target::Items {
                expected,
                mut outcomes,
                deliver,
            }) => {
                let missing = expected - outcomes.len();
                outcomes.extend((0..missing).map(|_| Err(Error::PoolTerminated)));
                deliver(outcomes);
            }
            Some(Target::Map {
                map,
                output,
                failure,
                reported,
            }) => {
                let (start, written) = output.extent();
                let failure = failure.or(Some((start + written, Error::PoolTerminated)));
                map.chunk_done(output, failure, reported);
            }
            None => {}
        }
    }
}

/// The shared state of one `map`: its output, how its chunks ended, and the final slot.
pub(crate) struct MapState<R> {
    output: Mutex<Option<Arc<Output<R>>>>,
    /// The failure with the lowest item index: the one `get()` reports.
    first_failure: Mutex<Option<(usize, Error)>>,
    remaining: AtomicUsize,
    pub(crate) progress: Arc<ProgressCounter>,
    slot: Arc<Slot<Vec<R>>>,
}

impl<R> MapState<R> {
    /// The state of a map of `chunks` chunks writing into `output`.
    pub(crate) fn new(output: Arc<Output<R>>, chunks: usize, slot: Arc<Slot<Vec<R>>>) -> Arc<Self> {
        Arc::new(MapState {
            output: Mutex::new(Some(output)),
            first_failure: Mutex::new(None),
            remaining: AtomicUsize::new(chunks),
            progress: Arc::default(),
            slot,
        })
    }

    /// Completes a map of no items.
    pub(crate) fn complete_empty(&self) {
        self.slot.complete(Ok(Vec::new()));
    }

    /// Records a finished chunk; the last one completes the map.
    fn chunk_done(&self, output: OutputRange<R>, failure: Option<(usize, Error)>, reported: usize) {
        if let Some((item, error)) = failure {
            let mut first = self
                .first_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if first.as_ref().is_none_or(|(earliest, _)| item < *earliest) {
                *first = Some((item, error));
            }
        }
        // A finished chunk counts in full, failed and unrun items too: done means done.
        self.progress.add(output.len() - reported);
        drop(output); // tells the output what it wrote; the last chunk finds no writer left
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.slot.complete(self.assemble());
        }
    }

    /// The output in input order, or the first failure (dropping what was written).
    fn assemble(&self) -> Result<Vec<R>> {
        let output = self
            .output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("a map is assembled once");
        let failure = self
            .first_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match failure {
            Some((_, error)) => Err(error), // dropping `output` drops what was written
            None => output.into_vec().ok_or_else(|| Error::Protocol {
                message: "a map finished without a failure but with results missing".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::buffer::split_map;
    use crate::pool::reentry::PoolId;

    #[test]
    fn a_panicking_item_fails_alone() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Sink::items(4, move |outcomes| tx.send(outcomes).unwrap());
        let halve = |n: u32| {
            assert!(n.is_multiple_of(2), "odd: {n}");
            n / 2
        };
        sink.run(&halve, Chunk::whole(vec![(2,), (3,), (4,), (5,)]));
        let outcomes = rx.recv().unwrap();
        assert_eq!(outcomes.len(), 4);
        assert_eq!(*outcomes[0].as_ref().unwrap(), 1);
        let Err(Error::TaskPanicked {
            message, location, ..
        }) = &outcomes[1]
        else {
            panic!("{:?}", outcomes[1]);
        };
        assert_eq!(message, "odd: 3");
        assert!(location.as_ref().is_some_and(|l| l.contains("sink.rs")));
        assert_eq!(*outcomes[2].as_ref().unwrap(), 2);
        assert!(outcomes[3].is_err());
    }

    #[test]
    fn a_dropped_sink_fails_what_it_did_not_receive() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut sink = Sink::items(3, move |outcomes| tx.send(outcomes).unwrap());
        sink.push(Ok(1));
        drop(sink);
        let outcomes = rx.recv().unwrap();
        assert_eq!(*outcomes[0].as_ref().unwrap(), 1);
        assert!(matches!(outcomes[1], Err(Error::PoolTerminated)));
        assert!(matches!(outcomes[2], Err(Error::PoolTerminated)));
    }

    #[test]
    fn a_map_completes_with_its_first_failure_and_counts_every_item() {
        let slot = Arc::new(Slot::new(Default::default(), PoolId::fresh()));
        let (output, mut pieces) = split_map::<(), String>(vec![(); 4], 2);
        let map = MapState::new(output, pieces.len(), Arc::clone(&slot));
        let second = Sink::map_chunk(&map, pieces.pop().unwrap().1);
        let mut first = Sink::map_chunk(&map, pieces.pop().unwrap().1);
        first.push(Ok(String::from("kept, then dropped")));
        first.push(Err(Error::TaskPanicked {
            message: "item 1".into(),
            location: None,
            backtrace: None,
        }));
        first.finish();
        second.fail_rest(|| Error::PoolTerminated);
        assert!(slot.wait(None, "get").unwrap());
        assert!(
            matches!(slot.take(), Err(Error::TaskPanicked { message, .. }) if message == "item 1")
        );
        assert_eq!(map.progress.done(), 4);
    }
}
