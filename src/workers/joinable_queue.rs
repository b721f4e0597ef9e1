//! Python's `queue.Queue`, task tracking included, over a crossbeam channel.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crossbeam::channel::{self, Receiver, Sender};

use crate::{Error, Result};

/// A thread-safe FIFO queue with Python's `queue.Queue` semantics: `put`, `get`, and task
/// tracking with `task_done` and `join`.
///
/// Every `put` opens a task; every `task_done` closes one; `join` blocks until none is open —
/// i.e. until every item ever put has been taken *and* processed. It is how the lab's main thread
/// waits for a pool of readers to finish their jobs without knowing who did what.
///
/// The items travel through a crossbeam channel, which does the hard part (blocking, waking,
/// bounded capacity, timeouts, many producers and many consumers). The queue adds the counter of
/// open tasks, guarded by a mutex, and a condition variable that `join` sleeps on.
///
/// Clones are handles to the same queue, like passing one Python `Queue` to several threads.
/// The queue holds both ends of its channel, so it is never disconnected: `get` waits forever
/// on an empty queue. Prefer the `_timeout` methods wherever a wait must end.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use concurrency_lab::workers::JoinableQueue;
///
/// let queue = JoinableQueue::unbounded();
/// for line in ["alpha", "beta", "gamma"] {
///     queue.put(line);
/// }
/// assert_eq!(queue.unfinished_tasks(), 3);
///
/// let reader = {
///     let queue = queue.clone();
///     thread::spawn(move || {
///         for _ in 0..3 {
///             let line = queue.get();
///             assert!(!line.is_empty()); // the "job"
///             queue.task_done().expect("one task_done per item taken");
///         }
///     })
/// };
/// queue.join(); // returns once the reader has marked all three done
/// assert_eq!(queue.unfinished_tasks(), 0);
/// reader.join().unwrap();
/// ```
pub struct JoinableQueue<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    sender: Sender<T>,
    receiver: Receiver<T>,
    /// Items put and not yet marked done.
    unfinished: Mutex<usize>,
    /// Notified when `unfinished` drops to zero.
    all_done: Condvar,
}

/// The error of [`JoinableQueue::put_timeout`]: the queue stayed full for the whole timeout.
/// The item comes back to you, like Python's `queue.Full` but without losing it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::workers::JoinableQueue;
///
/// let queue = JoinableQueue::bounded(1);
/// queue.put("first");
/// let full = queue.put_timeout("second", Duration::from_millis(1)).unwrap_err();
/// assert_eq!(full.to_string(), "the queue stayed full for the whole timeout");
/// assert_eq!(full.into_inner(), "second");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// The item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::Full;
    ///
    /// assert_eq!(Full(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No `T: Debug` bound: the item is often a job that cannot print itself.
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue stayed full for the whole timeout")
    }
}

impl<T> std::error::Error for Full<T> {}

impl<T> JoinableQueue<T> {
    /// A queue without a size limit — Python's `Queue()`. `put` never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::<u32>::unbounded();
    /// assert_eq!(queue.capacity(), None);
    /// ```
    #[must_use]
    pub fn unbounded() -> Self {
        Self::from_channel(channel::unbounded())
    }

    /// A queue holding at most `capacity` items — Python's `Queue(maxsize=capacity)`. `put` waits
    /// while the queue is full, which slows fast producers down to the consumers' pace.
    ///
    /// `bounded(0)` is a *rendezvous*: every `put` waits until a `get` takes the item. (Careful:
    /// Python's `Queue(0)` means the opposite, an unbounded queue.)
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::<u32>::bounded(8);
    /// assert_eq!(queue.capacity(), Some(8));
    /// ```
    #[must_use]
    pub fn bounded(capacity: usize) -> Self {
        Self::from_channel(channel::bounded(capacity))
    }

    fn from_channel((sender, receiver): (Sender<T>, Receiver<T>)) -> Self {
        JoinableQueue {
            shared: Arc::new(Shared {
                sender,
                receiver,
                unfinished: Mutex::new(0),
                all_done: Condvar::new(),
            }),
        }
    }

    /// Adds `item` at the back, waiting while a bounded queue is full, and opens one task.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put(1);
    /// queue.put(2);
    /// assert_eq!((queue.get(), queue.get()), (1, 2));
    /// ```
    pub fn put(&self, item: T) {
        // Count first: a fast consumer may take the item and call task_done before `send` has
        // even returned, and that task_done must find its task already counted.
        self.open_task();
        self.shared
            .sender
            .send(item)
            .expect("the queue holds its own receiver, so its channel is never disconnected");
    }

    /// Like [`put`](Self::put), but gives up after `timeout` if the queue stays full.
    ///
    /// # Errors
    ///
    /// [`Full`], holding the item, when no room appeared in time. No task is opened then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::bounded(1);
    /// assert!(queue.put_timeout('a', Duration::ZERO).is_ok());
    /// assert_eq!(queue.put_timeout('b', Duration::from_millis(5)).unwrap_err().into_inner(), 'b');
    /// assert_eq!(queue.unfinished_tasks(), 1);
    /// ```
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), Full<T>> {
        self.open_task();
        self.shared
            .sender
            .send_timeout(item, timeout)
            .map_err(|refused| {
                // The item never entered the queue: take back the task opened for it.
                self.close_task();
                Full(refused.into_inner())
            })
    }

    /// Takes the item at the front, waiting as long as it takes for one to arrive.
    ///
    /// Call [`task_done`](Self::task_done) once you have finished with it, or `join` will wait
    /// forever. To wait with a bound, use [`get_timeout`](Self::get_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put("job");
    /// assert_eq!(queue.get(), "job");
    /// queue.task_done()?;
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn get(&self) -> T {
        self.shared
            .receiver
            .recv()
            .expect("the queue holds its own sender, so its channel is never disconnected")
    }

    /// Like [`get`](Self::get), but returns `None` if nothing arrives within `timeout`.
    /// `get_timeout(Duration::ZERO)` is Python's `get_nowait()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::<u8>::unbounded();
    /// assert_eq!(queue.get_timeout(Duration::from_millis(1)), None);
    /// queue.put(9);
    /// assert_eq!(queue.get_timeout(Duration::ZERO), Some(9));
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Option<T> {
        // The channel cannot be disconnected (see `get`), so the only error is the timeout.
        self.shared.receiver.recv_timeout(timeout).ok()
    }

    /// Marks one task as done: call it once for every item you took, after processing it.
    ///
    /// # Errors
    ///
    /// [`Error::TaskDoneTooOften`] when no task is open — more `task_done`s than `put`s. Python
    /// raises `ValueError` here; the count is left unchanged, so the mistake cannot make a later
    /// `join` return early.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::{Error, workers::JoinableQueue};
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put(());
    /// queue.get();
    /// assert!(queue.task_done().is_ok());
    /// assert!(matches!(queue.task_done(), Err(Error::TaskDoneTooOften)));
    /// ```
    pub fn task_done(&self) -> Result<()> {
        let mut unfinished = self.lock_unfinished();
        if *unfinished == 0 {
            return Err(Error::TaskDoneTooOften);
        }
        *unfinished -= 1;
        if *unfinished == 0 {
            self.shared.all_done.notify_all();
        }
        Ok(())
    }

    /// Blocks until every item put so far has been marked done with
    /// [`task_done`](Self::task_done). Returns at once if none is open.
    ///
    /// Like Python's `Queue.join`, it waits forever if some taken item is never marked done;
    /// [`join_timeout`](Self::join_timeout) puts a bound on that.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::<()>::unbounded();
    /// queue.join(); // nothing was put: nothing to wait for
    /// ```
    pub fn join(&self) {
        let unfinished = self.lock_unfinished();
        let _all_done = self
            .shared
            .all_done
            .wait_while(unfinished, |open| *open > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Like [`join`](Self::join), but gives up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::QueueJoinTimeout`], with the number of tasks still open, when they were not all
    /// marked done in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, workers::JoinableQueue};
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put("nobody will process this");
    /// let err = queue.join_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(err, Error::QueueJoinTimeout { unfinished: 1, .. }));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<()> {
        let unfinished = self.lock_unfinished();
        let (unfinished, wait) = self
            .shared
            .all_done
            .wait_timeout_while(unfinished, timeout, |open| *open > 0)
            .unwrap_or_else(PoisonError::into_inner);
        if wait.timed_out() {
            return Err(Error::QueueJoinTimeout {
                waited: timeout,
                unfinished: *unfinished,
            });
        }
        Ok(())
    }

    /// How many items are waiting in the queue right now — Python's `qsize()`. Other threads
    /// may change it the moment after you read it: use it for reports, not for decisions.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put('x');
    /// assert_eq!(queue.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared.receiver.len()
    }

    /// Whether no item is waiting right now — Python's `empty()`, with the same caveat as
    /// [`len`](Self::len).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// assert!(JoinableQueue::<char>::unbounded().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.shared.receiver.is_empty()
    }

    /// The most items the queue holds, or `None` for an unbounded queue — Python's `maxsize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// assert_eq!(JoinableQueue::<char>::bounded(3).capacity(), Some(3));
    /// ```
    #[must_use]
    pub fn capacity(&self) -> Option<usize> {
        self.shared.sender.capacity()
    }

    /// Items put and not yet marked done — waiting in the queue, being processed, or (in a full
    /// bounded queue) still waiting for room — Python's `unfinished_tasks`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::JoinableQueue;
    ///
    /// let queue = JoinableQueue::unbounded();
    /// queue.put(1);
    /// let _taken = queue.get();
    /// assert_eq!(queue.len(), 0);
    /// assert_eq!(queue.unfinished_tasks(), 1, "taken, but not marked done yet");
    /// ```
    #[must_use]
    pub fn unfinished_tasks(&self) -> usize {
        *self.lock_unfinished()
    }

    fn open_task(&self) {
        *self.lock_unfinished() += 1;
    }

    /// Takes back a task opened for an item that never made it into the queue.
    fn close_task(&self) {
        let mut unfinished = self.lock_unfinished();
        // Saturating: a stray task_done from another thread may already have closed it.
        *unfinished = unfinished.saturating_sub(1);
        if *unfinished == 0 {
            self.shared.all_done.notify_all();
        }
    }

    fn lock_unfinished(&self) -> MutexGuard<'_, usize> {
        // The lock only ever guards a few lines of arithmetic that cannot panic, so a poisoned
        // lock still holds a correct count.
        self.shared
            .unfinished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Clone for JoinableQueue<T> {
    fn clone(&self) -> Self {
        JoinableQueue {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinableQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("unfinished_tasks", &self.unfinished_tasks())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_prints_without_its_item() {
        // `Full` has no `T: Debug` bound, so neither format may show the item.
        let full = Full(vec![1, 2, 3]);
        assert_eq!(format!("{full:?}"), "Full(..)");
        assert_eq!(
            full.to_string(),
            "the queue stayed full for the whole timeout"
        );
    }

    #[test]
    fn capacity_is_the_bound_given_or_none() {
        // Bounds 0, 1 and 7 and no bound give four different answers.
        assert_eq!(JoinableQueue::<u8>::unbounded().capacity(), None);
        assert_eq!(JoinableQueue::<u8>::bounded(0).capacity(), Some(0));
        assert_eq!(JoinableQueue::<u8>::bounded(1).capacity(), Some(1));
        assert_eq!(JoinableQueue::<u8>::bounded(7).capacity(), Some(7));
    }

    #[test]
    fn debug_shows_len_capacity_and_open_tasks() {
        // Two puts into a queue of 5, one taken (not yet done): 1 waiting, 2 tasks open.
        let queue = JoinableQueue::bounded(5);
        queue.put('a');
        queue.put('b');
        assert_eq!(queue.get(), 'a');
        assert_eq!(
            format!("{queue:?}"),
            "JoinableQueue { len: 1, capacity: Some(5), unfinished_tasks: 2 }"
        );
    }
}
