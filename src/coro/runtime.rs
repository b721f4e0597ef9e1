//! Building the event loop: a tokio runtime on one thread (asyncio's model) or on several.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

use crate::error::Flavor;
use crate::{Error, Result};

impl Flavor {
    /// Builds a runtime of this flavour with its timer enabled — what `#[tokio::main]` writes
    /// for you, chosen at run time instead of compile time.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] when the operating system refuses the runtime's threads or its timer.
    ///
    /// # Examples
    ///
    /// Besides this crate, the example uses `tokio` (in your own crate: `tokio = { version = "1",
    /// features = ["macros", "rt", "time", "test-util"] }`; `test-util` is for the paused clock):
    ///
    /// ```
    /// use concurrency_lab::coro::Flavor;
    ///
    /// let runtime = Flavor::MultiThread.runtime()?;
    /// let workers = runtime.block_on(async {
    ///     tokio::spawn(async { std::thread::current().name().map(String::from) }).await
    /// })?;
    /// assert!(workers.is_some_and(|name| name.starts_with("worker-")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn runtime(self) -> Result<Runtime> {
        let mut builder = match self {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread => {
                // Readable names in the log: `worker-1` says more than `tokio-runtime-worker`.
                let next = Arc::new(AtomicUsize::new(1));
                let mut builder = Builder::new_multi_thread();
                builder.thread_name_fn(move || {
                    format!("worker-{}", next.fetch_add(1, Ordering::Relaxed))
                });
                builder
            }
        };
        builder
            .enable_time()
            .build()
            .map_err(|source| Error::Runtime {
                flavor: self,
                source,
            })
    }
}

impl Flavor {
    /// The flavour of the runtime the caller is running on, or `None` outside any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::{self, Flavor};
    ///
    /// assert_eq!(Flavor::current(), None);
    /// let inside = coro::run(Flavor::MultiThread, async { Flavor::current() })?;
    /// assert_eq!(inside, Some(Flavor::MultiThread));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn current() -> Option<Flavor> {
        let handle = Handle::try_current().ok()?;
        Some(match handle.runtime_flavor() {
            RuntimeFlavor::CurrentThread => Flavor::CurrentThread,
            // The multi-threaded scheduler (or a newer, unstable one): tasks run in parallel.
            _ => Flavor::MultiThread,
        })
    }
}

/// Python's `asyncio.run(main())`: builds a runtime of the given flavour, runs `future` to
/// completion on the calling thread, then shuts the runtime down (tasks still running are
/// cancelled, as asyncio cancels them).
///
/// # Errors
///
/// [`Error::Runtime`] when the runtime cannot be built; the future's own output, errors
/// included, comes back inside `Ok`.
///
/// # Panics
///
/// When called from inside a runtime (tokio refuses to block a thread that drives tasks), and
/// when `future` panics.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::{self, Flavor};
///
/// let answer = coro::run(Flavor::CurrentThread, async { 6 * 7 })?;
/// assert_eq!(answer, 42);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn run<F: Future>(flavor: Flavor, future: F) -> Result<F::Output> {
    Ok(flavor.runtime()?.block_on(future))
}
