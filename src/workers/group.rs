//! Workers started together and stopped together.

use std::io;
use std::time::Duration;

use super::worker::{Worker, WorkerReport};
use crate::Result;

/// A set of [`Worker`]s stopped together: the stop message goes to every worker first, then the
/// group waits for each one, so stopping `n` workers takes one tick, not `n`.
///
/// Joining returns each worker's own outcome: one worker that failed or panicked does not hide
/// what the others did.
///
/// Dropping a group without stopping it stops it the same way and waits for every thread: when
/// the drop returns, no worker of the group is running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::workers::WorkerGroup;
///
/// let group = WorkerGroup::spawn(3, Duration::from_millis(10), |_id| {
///     |_id| Ok(()) // each worker's job; here it does nothing
/// })?;
/// assert_eq!(group.len(), 3);
///
/// let outcomes = group.stop();
/// let ids: Vec<usize> = outcomes.iter().map(|o| o.as_ref().unwrap().id).collect();
/// assert_eq!(ids, [0, 1, 2]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
///
/// A group can also be collected from workers with ids of your choosing:
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::workers::{Worker, WorkerGroup};
///
/// let group: WorkerGroup = [10, 20]
///     .into_iter()
///     .map(|id| Worker::spawn(id, Duration::from_millis(10), |_| Ok(())))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(group.ids().collect::<Vec<_>>(), [10, 20]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[must_use = "a WorkerGroup that is dropped is stopped at once; keep it, and `.stop()` it to learn how its workers ended"]
#[derive(Debug, Default)]
pub struct WorkerGroup {
    workers: Vec<Worker>,
}

impl WorkerGroup {
    /// Starts `count` workers with ids `0..count`, all with the same `period`; worker `id` runs
    /// the job that `make_job(id)` builds (typically a closure holding its own clone of a sink).
    ///
    /// # Errors
    ///
    /// The first error from [`Worker::spawn`] (a zero `period`, a thread the system refused).
    /// The workers already started are stopped and joined before the error is returned.
    ///
    /// # Examples
    ///
    /// Besides this crate, the example uses `crossbeam`'s channels (in your own crate: `crossbeam =
    /// "0.8"`):
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossbeam::channel;
    /// use concurrency_lab::workers::WorkerGroup;
    ///
    /// let (ids, seen) = channel::unbounded();
    /// let group = WorkerGroup::spawn(2, Duration::from_millis(5), |_id| {
    ///     let ids = ids.clone();
    ///     move |id| ids.send(id).map_err(std::io::Error::other)
    /// })?;
    /// let reports: Vec<_> = group.stop().into_iter().collect::<Result<_, _>>()?;
    ///
    /// let total: u64 = reports.iter().map(|r| r.ticks).sum();
    /// drop(ids);
    /// assert_eq!(seen.iter().count() as u64, total, "one message per tick, none after stop");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn spawn<F, J>(count: usize, period: Duration, mut make_job: F) -> Result<WorkerGroup>
    where
        F: FnMut(usize) -> J,
        J: FnMut(usize) -> io::Result<()> + Send + 'static,
    {
        (0..count)
            .map(|id| Worker::spawn(id, period, make_job(id)))
            .collect()
    }

    /// How many workers the group holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::WorkerGroup;
    ///
    /// assert_eq!(WorkerGroup::default().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the group holds no worker.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::workers::WorkerGroup;
    ///
    /// assert!(WorkerGroup::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// The workers' ids, in the order they were started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::workers::WorkerGroup;
    ///
    /// let group = WorkerGroup::spawn(2, Duration::from_secs(1), |_| |_| Ok(()))?;
    /// assert_eq!(group.ids().collect::<Vec<_>>(), [0, 1]);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.workers.iter().map(Worker::id)
    }

    /// Sends every worker its stop message, then waits for each. Returns one outcome per worker,
    /// in the order they were started: a [`WorkerReport`], or the error that worker ended with
    /// ([`Error::WorkerFailed`](crate::Error::WorkerFailed),
    /// [`Error::WorkerPanicked`](crate::Error::WorkerPanicked)).
    ///
    /// When this returns, every thread of the group has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::{Error, workers::WorkerGroup};
    ///
    /// let group = WorkerGroup::spawn(3, Duration::from_millis(5), |id| {
    ///     move |_| if id == 1 { panic!("worker 1 gives up") } else { Ok(()) }
    /// })?;
    /// let outcomes = group.stop();
    /// assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "the others are unaffected");
    /// assert!(matches!(&outcomes[1], Err(Error::WorkerPanicked { id: 1, message, .. }) if message == "worker 1 gives up"));
    /// # Ok::<(), Error>(())
    /// ```
    #[must_use = "the workers' failures are in the returned reports"]
    pub fn stop(mut self) -> Vec<Result<WorkerReport>> {
        self.request_stop();
        std::mem::take(&mut self.workers)
            .into_iter()
            .map(Worker::stop)
            .collect()
    }

    fn request_stop(&self) {
        self.workers.iter().for_each(Worker::request_stop);
    }
}

impl Drop for WorkerGroup {
    fn drop(&mut self) {
        // Ask everyone first; dropping the workers then joins them one by one.
        self.request_stop();
    }
}

impl FromIterator<Worker> for WorkerGroup {
    fn from_iter<I: IntoIterator<Item = Worker>>(workers: I) -> Self {
        WorkerGroup {
            workers: workers.into_iter().collect(),
        }
    }
}
