//! [`Flavor`]: which kind of tokio runtime runs a program's tasks.
//!
//! Defined beside [`Error`](crate::Error), which names it in `Error::Runtime`, so that the error
//! type depends on no module above it; building a runtime of a flavour is `coro`'s business
//! (`coro::runtime`).

use std::fmt;

/// Which kind of tokio runtime runs the tasks.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::Flavor;
///
/// assert_eq!(Flavor::default(), Flavor::CurrentThread);
/// assert_eq!(Flavor::MultiThread.to_string(), "multi-thread");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Every task runs on the thread that calls [`run`](crate::coro::run): asyncio's
    /// single-threaded event loop. No two tasks ever run at the same instant; they take turns
    /// at their `.await`s.
    #[default]
    CurrentThread,
    /// Spawned tasks run on a pool of worker threads (one per CPU), named `worker-1`,
    /// `worker-2`, …; the future given to [`run`](crate::coro::run) itself stays on the
    /// calling thread. Spawned tasks must be `Send`, and two of them may run at the same
    /// instant.
    MultiThread,
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread",
        })
    }
}
