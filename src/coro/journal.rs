//! A journal of task starts and finishes, in the order they happened: the run report's evidence.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

use tokio::time::Instant;

/// Whether an [`Entry`] marks a task's start or its finish.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::Step;
///
/// assert_ne!(Step::Started, Step::Finished);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The task began (before it logged "received").
    Started,
    /// The task ended (after it logged "printing").
    Finished,
}

/// One line of a [`Journal`]: which task did what, when, and on which thread.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::{Journal, Step};
///
/// let journal = Journal::new();
/// journal.record(3, Step::Started);
/// let entry = journal.take()[0];
/// assert_eq!((entry.task, entry.step), (3, Step::Started));
/// assert_eq!(entry.thread, std::thread::current().id());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The task's number in the run (its index in the list of delays).
    pub task: usize,
    /// Start or finish.
    pub step: Step,
    /// When, on tokio's clock ([`tokio::time::Instant`]), so a paused test clock works.
    pub at: Instant,
    /// The thread the task was running on.
    pub thread: ThreadId,
}

/// An append-only record of task starts and finishes, shared by all the tasks of a run.
///
/// Tasks call [`record`](Journal::record) as their first and last step; the entries stay in
/// the order they were recorded (the instant is read while the journal is locked, so that
/// order is also the order of the instants, even on a multi-threaded runtime). Each entry is a
/// few dozen bytes; a million tasks make two million entries, so reserve room with
/// [`with_capacity`](Journal::with_capacity) when you know the count.
///
/// Cloning gives another handle to the same journal, like [`super::Log`].
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::{Journal, Step};
///
/// let journal = Journal::with_capacity(4);
/// let handle = journal.clone();
/// handle.record(0, Step::Started);
/// handle.record(0, Step::Finished);
/// let steps: Vec<Step> = journal.take().iter().map(|e| e.step).collect();
/// assert_eq!(steps, [Step::Started, Step::Finished]);
/// assert!(journal.take().is_empty()); // taking empties it
/// ```
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<Entry>>>,
}

impl Journal {
    /// An empty journal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(concurrency_lab::coro::Journal::new().take().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Journal::default()
    }

    /// An empty journal with room for `entries` entries (two per task) before it reallocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let journal = concurrency_lab::coro::Journal::with_capacity(2 * 100);
    /// # drop(journal);
    /// ```
    #[must_use]
    pub fn with_capacity(entries: usize) -> Self {
        Journal {
            entries: Arc::new(Mutex::new(Vec::with_capacity(entries))),
        }
    }

    /// Appends `task`'s `step`, stamped with tokio's clock and the current thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::{Journal, Step};
    ///
    /// let journal = Journal::new();
    /// journal.record(1, Step::Started);
    /// journal.record(1, Step::Finished);
    /// let [start, finish] = journal.take()[..] else { unreachable!() };
    /// assert!(finish.at >= start.at);
    /// ```
    pub fn record(&self, task: usize, step: Step) {
        thread_local! {
            // `thread::current()` clones a shared handle each time; the id never changes.
            static THREAD: ThreadId = std::thread::current().id();
        }
        let thread = THREAD.with(|id| *id);
        // Appending cannot leave the vector half-updated, so a poisoned lock is still sound.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.push(Entry {
            task,
            step,
            at: Instant::now(),
            thread,
        });
    }

    /// Takes every entry recorded so far, in order, leaving the journal empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::{Journal, Step};
    ///
    /// let journal = Journal::new();
    /// journal.record(0, Step::Started);
    /// assert_eq!(journal.take().len(), 1);
    /// ```
    pub fn take(&self) -> Vec<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *entries)
    }
}
