//! The lab's log line, `HH:MM:SS:thread:message`, written to one sink shared by many tasks.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::{self, Display, Write as _};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// A log that many tasks write to at once, in the lab's format `HH:MM:SS:thread:message`.
///
/// It is the counterpart of the Python lab's
/// `logging.basicConfig(format="%(asctime)s:%(threadName)s:%(message)s", datefmt="%H:%M:%S")`.
///
/// **How the sink is shared.** A `Log` is a handle to `Arc<std::sync::Mutex<W>>`: cloning it
/// is cheap and every clone writes to the same sink, so each task (spawned ones included, which
/// need owned, `'static` values) can hold its own handle. Each line is formatted first and then
/// written with a single `write_all` while the lock is held, so lines never interleave. The lock
/// is a plain `std` mutex on purpose: it is held only for that one write, never across an
/// `.await`, which is exactly when tokio's documentation recommends the `std` mutex over its own.
///
/// **Time zone.** `HH:MM:SS` is the UTC time of day from [`SystemTime`], not your clock's: in
/// Poland the wall clock reads one hour later (two in summer). The standard library has no
/// time-zone database, and reading the system's (`/etc/localtime`) would put a parser for its
/// binary format in a teaching crate, so the log stays in UTC and says so: a program that logs
/// should print [`LOG_TIME_NOTE`] first, as `cargo run --example async_gather` does (compare
/// with `date -u`).
///
/// **Buffering** is the sink's business: [`std::io::Stdout`] shows each line as it is written;
/// wrap a file in a [`std::io::BufWriter`] if you log many lines.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::Log;
///
/// let log = Log::new(Vec::new());
/// log.line("Main started")?;
/// let text = String::from_utf8(log.into_inner().expect("no other handle"))?;
/// // e.g. "07:35:32:main:Main started\n" — the thread is the one that wrote the line.
/// assert!(text.ends_with(":Main started\n"));
/// assert_eq!(text.split(':').count(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Log<W> {
    sink: Arc<Mutex<W>>,
}

impl<W: Write> Log<W> {
    /// Wraps `sink` so that any number of tasks can log to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::Log;
    ///
    /// let log = Log::new(std::io::stdout());
    /// let for_a_task = log.clone(); // same sink
    /// # drop((log, for_a_task));
    /// ```
    pub fn new(sink: W) -> Self {
        Log {
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    /// Writes one line, `HH:MM:SS:thread:message`, stamped now and with the calling thread's
    /// name.
    ///
    /// # Errors
    ///
    /// [`Error::SinkWrite`] when the sink refuses the line (a closed pipe, a full disk…).
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::Log;
    ///
    /// let log = Log::new(Vec::new());
    /// std::thread::Builder::new()
    ///     .name("worker".into())
    ///     .spawn({
    ///         let log = log.clone();
    ///         move || log.line("hello")
    ///     })?
    ///     .join()
    ///     .expect("the thread does not panic")?;
    /// let text = String::from_utf8(log.into_inner().expect("the thread is done"))?;
    /// assert!(text.ends_with(":worker:hello\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn line(&self, message: &str) -> Result<()> {
        self.line_of(message)
    }

    /// [`line`](Log::line) for a message that formats itself (`format_args!(…)`, say): the
    /// line is formatted straight into a buffer this thread keeps, so a million tasks logging
    /// twice each allocate nothing per line.
    pub(crate) fn line_of(&self, message: impl Display) -> Result<()> {
        thread_local! {
            static LINE: RefCell<String> = const { RefCell::new(String::new()) };
        }
        let write = |line: &mut String| {
            line.clear();
            let thread = std::thread::current();
            write_line(line, SystemTime::now(), &thread_label(&thread), message);
            self.write(line)
        };
        LINE.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut line) => write(&mut line),
            // A message or a sink that logs in turn, on this thread: the buffer is in use.
            Err(_) => write(&mut String::new()),
        })
    }

    /// Writes one formatted line with a single `write_all`, under the lock.
    fn write(&self, line: &str) -> Result<()> {
        // A task that panicked while writing cannot leave a half-written line behind in a way
        // that matters more than losing the log, so a poisoned lock is simply taken over.
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        sink.write_all(line.as_bytes())
            .map_err(|source| Error::SinkWrite {
                what: format!("log line {:?}", line.trim_end()),
                source,
            })
    }

    /// Gives the sink back, once this is the last handle (like [`Arc::into_inner`]); `None`
    /// while other clones are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::coro::Log;
    ///
    /// let log = Log::new(Vec::new());
    /// let other = log.clone();
    /// assert!(log.into_inner().is_none()); // `other` still shares the sink
    /// assert_eq!(other.into_inner(), Some(Vec::new()));
    /// ```
    pub fn into_inner(self) -> Option<W> {
        let mutex = Arc::into_inner(self.sink)?;
        Some(mutex.into_inner().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<W> Clone for Log<W> {
    fn clone(&self) -> Self {
        Log {
            sink: Arc::clone(&self.sink),
        }
    }
}

impl<W> fmt::Debug for Log<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("handles", &Arc::strong_count(&self.sink))
            .finish_non_exhaustive()
    }
}

/// The line a program prints before its log, so that nobody reads the UTC times of [`Log`] as
/// their local time.
///
/// # Examples
///
/// ```
/// use concurrency_lab::coro::LOG_TIME_NOTE;
///
/// println!("{LOG_TIME_NOTE}");
/// assert!(LOG_TIME_NOTE.contains("UTC"));
/// ```
pub const LOG_TIME_NOTE: &str = "log lines: HH:MM:SS:thread:message; the times are UTC \
     (`date -u`), not local: in Poland add 1 h, or 2 h in summer";

/// Formats one log line, `HH:MM:SS:thread:message` and a newline, with `at` shown as the UTC
/// time of day (a time before 1970 shows as `00:00:00`).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use concurrency_lab::coro::format_line;
///
/// let at = UNIX_EPOCH + Duration::from_secs(7 * 3600 + 35 * 60 + 32);
/// assert_eq!(format_line(at, "main", "Main started"), "07:35:32:main:Main started\n");
/// ```
#[must_use]
pub fn format_line(at: SystemTime, thread: &str, message: &str) -> String {
    let mut line = String::new();
    write_line(&mut line, at, thread, message);
    line
}

/// Appends the line [`format_line`] makes to `line`.
fn write_line(line: &mut String, at: SystemTime, thread: &str, message: impl Display) {
    let seconds_today = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() % 86_400);
    // `HH:MM:SS:` digit by digit: `{:02}` through the formatting machinery cost more than the
    // rest of a line, at two lines a task.
    for field in [
        seconds_today / 3600,
        seconds_today / 60 % 60,
        seconds_today % 60,
    ] {
        line.push(char::from(b'0' + (field / 10) as u8));
        line.push(char::from(b'0' + (field % 10) as u8));
        line.push(':');
    }
    line.push_str(thread);
    line.push(':');
    // Writing to a `String` cannot fail; only a `Display` impl that errs could, and then the
    // line keeps what it wrote so far, where `format!` would have panicked.
    let _ = write!(line, "{message}");
    line.push('\n');
}

/// The thread's name, or its id for a thread that has none.
fn thread_label(thread: &std::thread::Thread) -> Cow<'_, str> {
    match thread.name() {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("{:?}", thread.id())),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::BrokenPipe;
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_of_day_wrap_at_midnight_utc() {
        let day = 86_400;
        let cases = [
            (0, "00:00:00"),
            (day - 1, "23:59:59"),
            (day, "00:00:00"),
            (3 * day + 13 * 3600 + 5 * 60 + 9, "13:05:09"),
        ];
        for (secs, expected) in cases {
            let at = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(format_line(at, "t", "m"), format!("{expected}:t:m\n"));
        }
    }

    #[test]
    fn a_time_before_1970_shows_midnight() {
        let at = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(format_line(at, "main", "x"), "00:00:00:main:x\n");
    }

    #[test]
    fn an_unnamed_thread_is_shown_by_its_id() {
        let log = Log::new(Vec::new());
        let handle = std::thread::spawn({
            let log = log.clone();
            move || log.line("from a nameless thread")
        });
        handle
            .join()
            .expect("no panic")
            .expect("a Vec accepts writes");
        let text = String::from_utf8(log.into_inner().expect("last handle")).expect("utf-8");
        assert!(text.contains(":ThreadId("), "{text}");
    }

    #[test]
    fn lines_from_many_threads_never_interleave() {
        let log = Log::new(Vec::new());
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        log.line(&format!("writer {t} line {i}"))?;
                    }
                    Ok::<(), Error>(())
                })
            })
            .collect();
        for writer in writers {
            writer
                .join()
                .expect("no panic")
                .expect("a Vec accepts writes");
        }
        let text = String::from_utf8(log.into_inner().expect("last handle")).expect("utf-8");
        assert_eq!(text.lines().count(), 800);
        for line in text.lines() {
            let fields: Vec<&str> = line.splitn(5, ':').collect();
            assert_eq!(fields.len(), 5, "{line}");
            assert!(fields[4].starts_with("writer "), "{line}");
        }
    }

    #[test]
    fn a_refused_line_is_an_error_that_names_it() {
        let err = Log::new(BrokenPipe)
            .line("lost")
            .expect_err("the sink refuses");
        assert!(matches!(err, Error::SinkWrite { .. }));
        let message = err.to_string();
        assert!(message.contains(":lost"), "{message}");
        assert!(message.contains("pipe"), "{message}");
    }
}
