//! asyncio's `Event`: a flag that tasks can wait for, built on a tokio `watch` channel.

use tokio::sync::watch;

/// The counterpart of `asyncio.Event`: a flag, initially clear, that tasks can wait on.
///
/// Tokio has no type with exactly these semantics, which is why this thin wrapper exists.
/// [`tokio::sync::Notify`] looks close but *is not a flag*: `notify_waiters()` wakes only the
/// tasks already waiting, so one that arrives a moment later waits forever. An `Event`, like
/// asyncio's, remembers that it was set: [`wait`](Event::wait) returns at once until someone
/// calls [`clear`](Event::clear). Underneath is a [`tokio::sync::watch`] channel holding a
/// `bool`, which keeps the latest value and wakes every waiting receiver when it changes.
///
/// Cloning gives another handle to the same flag (asyncio passes the one object around).
///
/// # Examples
///
/// Besides this crate, the example uses `tokio` (in your own crate: `tokio = { version = "1",
/// features = ["macros", "rt", "time", "test-util"] }`; `test-util` is for the paused clock):
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::Event;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let ready = Event::new();
/// let waiter = tokio::spawn({
///     let ready = ready.clone();
///     async move {
///         ready.wait().await; // `await event.wait()`
///         "went"
///     }
/// });
/// tokio::time::sleep(Duration::from_secs(1)).await;
/// assert!(!waiter.is_finished()); // still waiting: nobody set the flag
/// ready.set();
/// assert_eq!(waiter.await.unwrap(), "went");
/// ready.wait().await; // set stays set: no wait at all
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    flag: watch::Sender<bool>,
}

impl Event {
    /// A new, clear event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!concurrency_lab::coro::Event::new().is_set());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Event {
            flag: watch::Sender::new(false),
        }
    }

    /// Sets the flag and wakes every task waiting for it (`event.set()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = concurrency_lab::coro::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        // `send_replace` stores the value even when no task is waiting right now.
        self.flag.send_replace(true);
    }

    /// Clears the flag: later calls to [`wait`](Event::wait) wait again (`event.clear()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = concurrency_lab::coro::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.flag.send_replace(false);
    }

    /// Whether the flag is set (`event.is_set()`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!concurrency_lab::coro::Event::new().is_set());
    /// ```
    #[must_use]
    pub fn is_set(&self) -> bool {
        *self.flag.borrow()
    }

    /// Waits until the flag is set; returns at once if it already is (`await event.wait()`).
    ///
    /// Cancel-safe: dropping the future (a timeout, say) leaves the event as it was.
    ///
    /// # Examples
    ///
    /// Besides this crate, the example uses `tokio` (in your own crate: `tokio = { version = "1",
    /// features = ["macros", "rt", "time", "test-util"] }`; `test-util` is for the paused clock):
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::coro::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let event = Event::new();
    /// // Nobody sets it: give up after a second, as `asyncio.wait_for(event.wait(), 1)` would.
    /// let waited = tokio::time::timeout(Duration::from_secs(1), event.wait()).await;
    /// assert!(waited.is_err());
    /// # }
    /// ```
    pub async fn wait(&self) {
        let mut flag = self.flag.subscribe();
        // `wait_for` fails only once every sender is gone, and `self` holds one: it cannot fail
        // here, and there is nothing to report if it did.
        let _ = flag.wait_for(|&set| set).await;
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}
