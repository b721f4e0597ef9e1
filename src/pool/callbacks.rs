//! Python's `callback=` and `error_callback=`: code that runs when a result arrives.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::panic_message::panic_message;
use crate::{Error, Result};

type OnSuccess<T> = Box<dyn FnOnce(&T) + Send>;
type OnError = Box<dyn FnOnce(&Error) + Send>;

/// What to run when an asynchronous result arrives: Python's `callback` / `error_callback`.
///
/// Give it to [`Pool::apply_async_with`] or [`Pool::map_async_with`]. The callback runs on a
/// pool thread as soon as the task is done and *before* the result becomes ready, so once
/// `get()` (or `join()`) returns, every callback has run. Keep callbacks short: the pool
/// thread running one does nothing else meanwhile.
///
/// A callback that panics does not take the pool down (it does in Python, gh-83371): the
/// panic is caught and the result becomes [`Error::CallbackPanicked`].
///
/// [`Pool::apply_async_with`]: crate::pool::Pool::apply_async_with
/// [`Pool::map_async_with`]: crate::pool::Pool::map_async_with
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use concurrency_lab::pool::{Callbacks, ThreadPool};
///
/// fn cube(n: u64) -> u64 { n * n * n }
///
/// let pool = ThreadPool::new(2)?;
/// let collected = Arc::new(Mutex::new(Vec::new()));
/// for n in 1..=3 {
///     let sink = Arc::clone(&collected);
///     let on_done = Callbacks::new().on_success(move |c: &u64| sink.lock().unwrap().push(*c));
///     pool.apply_async_with(cube, (n,), on_done)?;
/// }
/// pool.close();
/// pool.join()?;
/// let mut cubes = collected.lock().unwrap().clone();
/// cubes.sort();
/// assert_eq!(cubes, [1, 8, 27]);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub struct Callbacks<T> {
    on_success: Option<OnSuccess<T>>,
    on_error: Option<OnError>,
}

impl<T> Callbacks<T> {
    /// No callbacks yet; add them with [`on_success`](Self::on_success) and
    /// [`on_error`](Self::on_error).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::Callbacks;
    ///
    /// let callbacks: Callbacks<u64> = Callbacks::new();
    /// # drop(callbacks);
    /// ```
    pub fn new() -> Self {
        Callbacks {
            on_success: None,
            on_error: None,
        }
    }

    /// Runs `callback` with the result when the task succeeds (Python's `callback=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::Callbacks;
    ///
    /// let callbacks = Callbacks::new().on_success(|n: &u64| assert!(*n > 0));
    /// # drop(callbacks);
    /// ```
    #[must_use = "`Callbacks` methods return the changed callbacks"]
    pub fn on_success(mut self, callback: impl FnOnce(&T) + Send + 'static) -> Self {
        self.on_success = Some(Box::new(callback));
        self
    }

    /// Runs `callback` with the error when the task fails (Python's `error_callback=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::Callbacks;
    ///
    /// let callbacks: Callbacks<u64> = Callbacks::new().on_error(|e| eprintln!("failed: {e}"));
    /// # drop(callbacks);
    /// ```
    #[must_use = "`Callbacks` methods return the changed callbacks"]
    pub fn on_error(mut self, callback: impl FnOnce(&Error) + Send + 'static) -> Self {
        self.on_error = Some(Box::new(callback));
        self
    }

    /// Runs the callback that matches `value`; a panic in it turns the value into
    /// [`Error::CallbackPanicked`].
    pub(crate) fn run(self, value: Result<T>) -> Result<T> {
        let outcome = match (&value, self.on_success, self.on_error) {
            (Ok(v), Some(callback), _) => catch_unwind(AssertUnwindSafe(|| callback(v))),
            (Err(e), _, Some(callback)) => catch_unwind(AssertUnwindSafe(|| callback(e))),
            _ => Ok(()),
        };
        match (outcome, value) {
            (Ok(()), value) => value,
            (Err(payload), Ok(_)) => Err(Error::CallbackPanicked {
                message: panic_message(payload.as_ref()),
            }),
            (Err(payload), Err(task_error)) => Err(Error::CallbackPanicked {
                message: format!(
                    "{} (while handling: {task_error})",
                    panic_message(payload.as_ref())
                ),
            }),
        }
    }
}

impl<T> Default for Callbacks<T> {
    fn default() -> Self {
        Callbacks::new()
    }
}

impl<T> std::fmt::Debug for Callbacks<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks")
            .field("on_success", &self.on_success.is_some())
            .field("on_error", &self.on_error.is_some())
            .finish()
    }
}
