//! The crate's one error type.
//!
//! Every fallible function in the crate returns [`Result<T>`]. Each variant's message says what
//! failed and with which input, so that `eprintln!("{err}")` alone tells a student what to fix.
//!
//! The enum's own documentation holds the promises it keeps to dependents (how it may grow) and
//! which module's errors live in it.

use std::path::PathBuf;

mod flavor;
mod worker_exit;

// Types the variants carry live down here, so the error type depends on no module above it;
// their public paths are `coro::Flavor` and `pool::WorkerExit`.
pub use flavor::Flavor;
pub use worker_exit::WorkerExit;

/// Everything that can go wrong in this crate, as a value.
///
/// # Examples
///
/// ```
/// use concurrency_lab::Error;
///
/// let err = Error::invalid_input("name", "", "it must contain at least one letter");
/// assert_eq!(err.to_string(), r#"invalid name "": it must contain at least one letter"#);
/// ```
///
/// # How it may grow (the semver promise)
///
/// [`Error`] and every one of its struct variants are `#[non_exhaustive]`. Outside this crate you
/// match a variant with `..` and read the fields you need; you cannot build one yourself. In
/// return, a later version may add a variant, or a field to a variant, without breaking your code:
///
/// ```
/// use concurrency_lab::Error;
///
/// fn is_worth_a_retry(err: &Error) -> bool {
///     match err {
///         Error::WorkerDied { exit, .. } => exit.signal().is_some(), // killed from outside
///         Error::Timeout { .. } => true,
///         _ => false, // every variant this code does not know, now or later
///     }
/// }
/// # assert!(!is_worth_a_retry(&Error::PoolNotClosed));
/// ```
///
/// ```compile_fail,E0639
/// // Outside the crate a variant cannot be built: its fields may grow.
/// let err = concurrency_lab::Error::PoolClosed { action: "apply" };
/// ```
///
/// ```compile_fail,E0638
/// // … nor matched without `..`.
/// # let err = concurrency_lab::Error::PoolNotClosed;
/// if let concurrency_lab::Error::PoolClosed { action } = err {}
/// ```
///
/// Errors that carry data do so as values, not as text to search: a dead worker's exit code or
/// signal is a [`WorkerExit`](crate::pool::WorkerExit), a failed (de)serialisation names the
/// Rust type that failed.
///
/// # Which variants live here
///
/// The variants are listed by the module that returns them (general, pool, workers, coro). The
/// library modules' errors are all here, including `coro`'s [`Error::SinkWrite`] and
/// [`Error::Runtime`]: [`coro::Log`](crate::coro::Log) and [`coro::run`](crate::coro::run) are
/// library API a course crate uses, so their failures are the crate's. A pool-only user is not
/// burdened by them: the `_` arm that `#[non_exhaustive]` demands covers them. What belongs to
/// one exercise's *checks* rather than to the library — exercise 3 finding that two ways of
/// counting disagree — is [`lab::LabError`](crate::lab::LabError) instead, so that the
/// exercises can change without touching the library's error type.
///
/// Outside the crate, build an error with [`Error::invalid_input`] or [`Error::io`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be created, written, synced or read.
    #[error("could not {action} {path:?}: {source}")]
    #[non_exhaustive]
    Io {
        /// What was being done: `"create"`, `"write"`, `"read"`, …
        action: &'static str,
        /// The file it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// An argument lies outside what the function accepts (an empty name, a zero repeat count…).
    #[error("invalid {what} {value:?}: {reason}")]
    #[non_exhaustive]
    InvalidInput {
        /// Which argument: `"name"`, `"index"`, `"number"`, …
        what: &'static str,
        /// The value that was given, as text.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    // ----- bench -----

    // ----- pool -----
    /// A task panicked; the message is the panic's payload. The pool goes on.
    ///
    /// Like Python's remote traceback, the error carries where the task panicked and, when
    /// `RUST_BACKTRACE` is set, the backtrace (taken in the worker, thread or process). The
    /// pool does not print such a panic: it is all in this error.
    #[error(
        "task panicked{}: {message}{}",
        .location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default(),
        .backtrace.as_ref().map(|b| format!("\nthe task's backtrace:\n{b}")).unwrap_or_default()
    )]
    #[non_exhaustive]
    TaskPanicked {
        /// The panic message (`panic!("...")`'s text), or a note that it was not text.
        message: String,
        /// Where the task panicked, `file:line:column`, when the pool's panic hook saw it.
        location: Option<String>,
        /// The task's backtrace, only when `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) is set.
        backtrace: Option<String>,
    },

    /// A success or error callback panicked. The pool goes on; the result reports the panic.
    #[error("callback panicked: {message}")]
    #[non_exhaustive]
    CallbackPanicked {
        /// The callback's panic message.
        message: String,
    },

    /// A worker process died while it held the task (killed, aborted, exited).
    ///
    /// ```
    /// use concurrency_lab::Error;
    ///
    /// fn killed_by_sigkill(err: &Error) -> bool {
    ///     matches!(err, Error::WorkerDied { exit, .. } if exit.signal() == Some(9))
    /// }
    /// # assert!(!killed_by_sigkill(&Error::PoolTerminated));
    /// ```
    #[error("worker process {pid} died while running the task: {exit}")]
    #[non_exhaustive]
    WorkerDied {
        /// The worker's process id.
        pid: u32,
        /// How it ended: an exit code or a signal, as values. Its `Display` reads
        /// `was killed by signal 9 (SIGKILL)` or `exited with code 3`.
        exit: WorkerExit,
    },

    /// A worker could not be started or refused to start.
    #[error("could not start a worker: {reason}")]
    #[non_exhaustive]
    WorkerStart {
        /// What went wrong, and what to do about it.
        reason: String,
    },

    /// The pool's initializer panicked in a new worker, so the pool cannot run tasks.
    #[error("the pool's initializer panicked: {message}")]
    #[non_exhaustive]
    InitializerPanicked {
        /// The initializer's panic message.
        message: String,
    },

    /// No result arrived within the time allowed.
    #[error("no result within {waited:?}")]
    #[non_exhaustive]
    Timeout {
        /// How long the caller waited.
        waited: std::time::Duration,
    },

    /// A pool's task or callback waited on that same pool (`apply`, `map`, `get`, `join`…),
    /// which could wait for itself forever: refused instead.
    #[error(
        "{action} was called from inside a task or callback of the same pool, where it could \
         wait for itself forever; wait outside the pool, or use a second pool"
    )]
    #[non_exhaustive]
    PoolReentered {
        /// What was attempted: `"apply"`, `"get"`, `"join"`, …
        action: &'static str,
    },

    /// A task was submitted to a pool after `close()` or `terminate()`.
    #[error("the pool no longer accepts tasks ({action} after close() or terminate())")]
    #[non_exhaustive]
    PoolClosed {
        /// What was attempted: `"apply"`, `"map"`, …
        action: &'static str,
    },

    /// `join()` was called on a pool that still accepts tasks.
    #[error("join() waits for the workers to finish: call close() or terminate() first")]
    PoolNotClosed,

    /// The pool was terminated (or dropped) before the task ran to the end.
    #[error("the pool was terminated before the task finished")]
    PoolTerminated,

    /// An argument or a result could not cross to or from a worker process: its `Serialize`
    /// failed, or the bytes did not decode as its type.
    #[error("could not serialise the task's {what}, of type `{type_name}`: {message}")]
    #[non_exhaustive]
    Serialization {
        /// `"arguments"` or `"result"`.
        what: &'static str,
        /// The Rust type that failed, as [`std::any::type_name`] spells it, e.g.
        /// `(alloc::string::String, u8)` for a task's argument tuple. For reading, not parsing:
        /// the standard library does not promise its exact form.
        type_name: &'static str,
        /// The serializer's own message, as it gave it.
        message: String,
    },

    /// An argument or a result is larger than a process pool can carry: a frame between the
    /// pool and a worker holds at most 1 GiB. Nothing was sent; the worker goes on.
    #[error("the task's {what} take {size} bytes encoded, over the limit of {limit} bytes")]
    #[non_exhaustive]
    TooLarge {
        /// `"arguments"` or `"result"`.
        what: &'static str,
        /// The encoded size, in bytes (at least this much: encoding stops past the limit).
        size: u64,
        /// The most one frame may carry, in bytes.
        limit: u64,
    },

    /// A worker process sent something that is not the pool's protocol.
    #[error("worker protocol error: {message}")]
    #[non_exhaustive]
    Protocol {
        /// What was wrong with the message.
        message: String,
    },
    // ----- mpi -----
    /// The MPI backend cannot run: not started by `mpirun`, no worker ranks, ranks running
    /// different builds, a message too large for MPI, or `init()` not called.
    #[error("MPI: {reason}")]
    #[non_exhaustive]
    Mpi {
        /// What is wrong, and what to do about it.
        reason: String,
    },
    // ----- workers -----
    /// The operating system refused to start a thread (too many threads, out of memory…).
    #[error("could not start thread {name:?}: {source}")]
    #[non_exhaustive]
    ThreadSpawn {
        /// The name the thread was to have, e.g. `"worker-3"`.
        name: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A worker's periodic job returned an error, so the worker stopped.
    #[error("worker {id} stopped because its job failed: {source}")]
    #[non_exhaustive]
    WorkerFailed {
        /// The id the worker was given at construction.
        id: usize,
        /// The error the job returned (for the lab's workers: the sink refused a line).
        #[source]
        source: std::io::Error,
    },

    /// A worker or reader thread panicked; the panic's message is kept as text.
    #[error("worker {id} panicked: {message}")]
    #[non_exhaustive]
    WorkerPanicked {
        /// The id the worker was given at construction.
        id: usize,
        /// The panic's message (`"<non-text panic payload>"` if it was not text).
        message: String,
    },

    /// `task_done` was called while no task was unfinished: more `task_done`s than `put`s.
    #[error("task_done() called with no unfinished task: every item put is already marked done")]
    TaskDoneTooOften,

    /// `join_timeout` gave up before every item put had been marked done.
    #[error("queue join timed out after {waited:?} with {unfinished} unfinished task(s)")]
    #[non_exhaustive]
    QueueJoinTimeout {
        /// How long the caller waited.
        waited: std::time::Duration,
        /// How many items were still not marked done when it gave up.
        unfinished: usize,
    },
    // ----- coro -----
    /// A log line or a report could not be written to the sink the caller chose.
    #[error("could not write {what}: {source}")]
    #[non_exhaustive]
    SinkWrite {
        /// What was being written: the log line itself, or `"the run report"`.
        what: String,
        /// The sink's error.
        #[source]
        source: std::io::Error,
    },

    /// The tokio runtime could not be built (the operating system refused a thread, say).
    #[error("could not start a {flavor} tokio runtime: {source}")]
    #[non_exhaustive]
    Runtime {
        /// Which runtime was asked for.
        flavor: Flavor,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// An async task panicked or was cancelled before it returned.
    #[error("an async task did not complete: {reason}")]
    #[non_exhaustive]
    AsyncTask {
        /// Which task, and its panic message or why it was cancelled.
        reason: String,
    },
}

impl Error {
    /// Builds an [`Error::InvalidInput`] for argument `what` holding `value`, refused for `reason`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::Error;
    ///
    /// let err = Error::invalid_input("repeat", 0, "must be at least 1");
    /// assert!(matches!(err, Error::InvalidInput { what: "repeat", .. }));
    /// ```
    pub fn invalid_input(
        what: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            what,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Builds an [`Error::Io`] for `action` on `path` that failed with `source`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::Error;
    ///
    /// let source = std::io::Error::from(std::io::ErrorKind::NotFound);
    /// let err = Error::io("read", "missing.txt", source);
    /// assert!(err.to_string().starts_with(r#"could not read "missing.txt""#));
    /// ```
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type: `Ok(T)` or one of the [`Error`] variants.
///
/// # Examples
///
/// ```
/// use concurrency_lab::{Error, Result};
///
/// fn workers(n: usize) -> Result<usize> {
///     if n == 0 { Err(Error::invalid_input("workers", n, "at least one")) } else { Ok(n) }
/// }
/// assert!(workers(0).is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
