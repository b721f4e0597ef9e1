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
    ///
    /// A second pool is a way out only if its tasks never wait on this one: pool A's task
    /// waiting on pool B whose task waits on A is a cycle too ([`Error::WaitCycle`]).
    #[error(
        "{action} was called from inside a task or callback of the same pool, where it could \
         wait for itself forever; submit with apply_async/map_async and wait outside the \
         pool's tasks and callbacks (a second pool helps only if its tasks never wait on \
         this one)"
    )]
    #[non_exhaustive]
    PoolReentered {
        /// What was attempted: `"apply"`, `"get"`, `"join"`, …
        action: &'static str,
    },

    /// A wait on a pool that could never end, refused at once: every worker of the pool is
    /// itself blocked in a wait on a pool in the same plight — pool A's task waits on pool B,
    /// whose task waits on A; or a task's bounded wait (`get_timeout`, `join_timeout`) on its
    /// own pool when no other worker is free to ever finish it.
    ///
    /// The crate sees its own pools, the threads that serve them and the waits made through
    /// its API. A worker blocked on anything else — a channel, a lock, `std::thread::scope`
    /// joining its threads — counts as able to finish, so such a deadlock is not found.
    #[error(
        "{action} would wait forever: {cycle}. Submit with apply_async/map_async and collect \
         the results outside the pools' tasks, or give the pool a worker no task waits on"
    )]
    #[non_exhaustive]
    WaitCycle {
        /// What was attempted: `"apply"`, `"get"`, `"get_timeout"`, `"join_timeout"`, …
        action: &'static str,
        /// The waits that can never end: each pool in the cycle (numbered as the process
        /// created them), and what its workers wait on.
        cycle: String,
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
    ///
    /// The message states the whole frame the value would have made — the size compared
    /// with the limit — and how much of it is the frame's own overhead: its header, each
    /// item's length, and, in a reply, the chunk's other outcomes and 64 bytes kept for each
    /// outcome still to come. It names the items (a chunk's index range) and the chunksize,
    /// and says whether a smaller chunksize would help.
    #[error("{}", too_large(what, *size, *limit, *overhead, items, *chunksize))]
    #[non_exhaustive]
    TooLarge {
        /// `"arguments"` or `"result"`.
        what: &'static str,
        /// The size of the frame the value would have made, in bytes, overhead included:
        /// the number compared with `limit` (at least this much: encoding stops past it).
        size: u64,
        /// The most one frame may carry, in bytes.
        limit: u64,
        /// The part of `size` that is not the value itself: the frame's header, the items'
        /// lengths, and in a reply the chunk's other outcomes and the room kept for them.
        overhead: u64,
        /// The indices, in the map's input, of the items whose arguments (the whole chunk) or
        /// result (one item) did not fit; `0..1` for `apply`.
        items: std::ops::Range<usize>,
        /// The chunksize the input was cut with (1 for `apply`).
        chunksize: usize,
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

/// The message of [`Error::TooLarge`]: the compared size, its overhead, the items, the remedy.
fn too_large(
    what: &str,
    size: u64,
    limit: u64,
    overhead: u64,
    items: &std::ops::Range<usize>,
    chunksize: usize,
) -> String {
    let whose = match (what, items.len()) {
        ("result", _) => format!("the result of item {}", items.start),
        (_, 1) => format!("the arguments of item {}", items.start),
        _ => format!(
            "the arguments of items {}..{} (one chunk, chunksize {chunksize})",
            items.start, items.end
        ),
    };
    let frame = if what == "result" { "reply" } else { "request" };
    // A request holds the whole chunk's arguments; a reply's other outcomes are overhead.
    let chunk_is_the_cause = match what {
        "result" => chunksize > 1 && size.saturating_sub(overhead) <= limit,
        _ => items.len() > 1,
    };
    let remedy = if chunk_is_the_cause {
        format!("; a smaller chunksize than {chunksize} puts fewer items in one frame")
    } else {
        "; a value this large cannot cross to or from a worker process: send where to find it \
         (a file's name) instead"
            .to_owned()
    };
    format!(
        "{whose} would make a {frame} frame of at least {size} bytes ({} of {what} encoded, \
         {overhead} of overhead), over the limit of {limit} bytes{remedy}",
        size.saturating_sub(overhead)
    )
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

#[cfg(test)]
mod tests {
    use super::too_large;

    const GIB: u64 = 1 << 30;

    #[test]
    fn a_result_names_its_item_and_whether_the_chunk_is_to_blame() {
        // Over by the overhead alone, alone in its chunk: nothing smaller to cut.
        assert_eq!(
            too_large("result", GIB + 1, GIB, 70, &(0..1), 1),
            "the result of item 0 would make a reply frame of at least 1073741825 bytes \
             (1073741755 of result encoded, 70 of overhead), over the limit of 1073741824 \
             bytes; a value this large cannot cross to or from a worker process: send where \
             to find it (a file's name) instead"
        );
        // The chunk's other outcomes took the room, and the result alone fits (exactly).
        let shared = too_large("result", GIB + 500, GIB, 500, &(7..8), 2);
        assert!(shared.starts_with("the result of item 7 would make a reply frame"));
        assert!(shared.ends_with("; a smaller chunksize than 2 puts fewer items in one frame"));
        // The result alone is over the limit: a smaller chunksize would not help.
        let alone = too_large("result", GIB + 500, GIB, 499, &(7..8), 2);
        assert!(alone.ends_with("(a file's name) instead"), "{alone}");
    }

    #[test]
    fn arguments_name_their_chunk_and_suggest_a_smaller_one_when_it_holds_several() {
        let chunk = too_large("arguments", GIB + 1, GIB, 21, &(4..6), 2);
        assert!(
            chunk.starts_with(
                "the arguments of items 4..6 (one chunk, chunksize 2) would make a request \
                 frame of at least 1073741825 bytes (1073741804 of arguments encoded, 21 of \
                 overhead)"
            ),
            "{chunk}"
        );
        assert!(chunk.ends_with("a smaller chunksize than 2 puts fewer items in one frame"));
        // The last chunk of a map may hold one item although the chunksize is larger.
        let one = too_large("arguments", GIB + 1, GIB, 17, &(6..7), 2);
        assert!(one.starts_with("the arguments of item 6 would make a request frame"));
        assert!(one.ends_with("(a file's name) instead"), "{one}");
    }
}
