//! The lab's coroutine: log that a message arrived, wait without blocking, log it again.

use std::fmt::Display;
use std::io::Write;
use std::time::Duration;

use super::Log;
use crate::Result;

/// The lab's `delay_message`: logs `"{message} received"`, waits `delay` **without blocking the
/// thread**, then logs `"printing {message}"`.
///
/// The Python original:
///
/// ```python
/// async def delay_message(delay, message):
///     logging.info(f"{message} received")
///     await asyncio.sleep(delay)
///     logging.info(f"Printing {message}")
/// ```
///
/// `message` is anything printable: a `&str` as in the lab, or a small value that formats itself
/// (the exercise passes the task's number and delay, so that a million waiting tasks do not
/// each hold a `String`).
///
/// The wait is [`tokio::time::sleep`]: at the `.await` the task hands its thread back to the
/// runtime, which runs other tasks until the timer is due. (`std::thread::sleep` here would
/// freeze every task on the thread — the chapter shows the difference.) The timer has a
/// resolution of one millisecond and never fires early: the task resumes at the first
/// millisecond tick at or after `delay`.
///
/// # Errors
///
/// [`Error::SinkWrite`](crate::Error::SinkWrite) when the log's sink refuses a line.
///
/// # Panics
///
/// Like every tokio timer, when it is polled outside a tokio runtime or on a runtime built
/// without the time driver ([`super::run`] always enables it).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::coro::{self, delay_message, Flavor, Log};
///
/// let log = Log::new(Vec::new());
/// coro::run(Flavor::CurrentThread, delay_message(Duration::from_millis(20), "TWO", &log))??;
///
/// let text = String::from_utf8(log.into_inner().expect("the task is done"))?;
/// let messages: Vec<&str> = text.lines().map(|l| l.splitn(5, ':').nth(4).unwrap()).collect();
/// assert_eq!(messages, ["TWO received", "printing TWO"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn delay_message<W: Write>(
    delay: Duration,
    message: impl Display,
    log: &Log<W>,
) -> Result<()> {
    log.line_of(format_args!("{message} received"))?;
    tokio::time::sleep(delay).await;
    log.line_of(format_args!("printing {message}"))
}
