//! How a worker process ended, as values a program can test.

use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// How a worker process ended: carried by [`Error::WorkerDied`](crate::Error::WorkerDied).
///
/// Python's `Process.exitcode` folds both cases into one number (negative for a signal); here
/// they are two variants. `Display` reads as the end of a sentence: `exited with code 3`,
/// `was killed by signal 9 (SIGKILL)`.
///
/// The enum is `#[non_exhaustive]`: match it with a `_` arm, which also covers a way of ending
/// that a later version may add.
///
/// ```compile_fail,E0004
/// use concurrency_lab::pool::WorkerExit;
///
/// fn describe(exit: WorkerExit) -> &'static str {
///     match exit {
///         WorkerExit::Code(_) => "exited",
///         WorkerExit::Signal(_) => "killed",
///         WorkerExit::Unknown => "unknown",
///     } // error[E0004]: non-exhaustive patterns: `_` not covered
/// }
/// ```
///
/// # Examples
///
/// ```
/// use concurrency_lab::pool::WorkerExit;
///
/// let killed = WorkerExit::Signal(9);
/// assert_eq!(killed.signal(), Some(9));
/// assert_eq!(killed.signal_name(), Some("SIGKILL"));
/// assert_eq!(killed.to_string(), "was killed by signal 9 (SIGKILL)");
///
/// let exited = WorkerExit::Code(3);
/// assert_eq!((exited.code(), exited.signal()), (Some(3), None));
/// assert_eq!(exited.to_string(), "exited with code 3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkerExit {
    /// The process exited by itself (`std::process::exit`, or returning from `main`) with this
    /// code.
    Code(i32),
    /// A signal ended the process: `9` is `SIGKILL` (`kill -9`, the out-of-memory killer), `6`
    /// is `SIGABRT` (`std::process::abort`), `11` is `SIGSEGV`.
    Signal(i32),
    /// The operating system would not say how the process ended.
    Unknown,
}

impl WorkerExit {
    /// The exit code, if the process exited by itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::WorkerExit;
    ///
    /// assert_eq!(WorkerExit::Code(0).code(), Some(0));
    /// assert_eq!(WorkerExit::Signal(9).code(), None);
    /// ```
    #[must_use]
    pub fn code(self) -> Option<i32> {
        match self {
            WorkerExit::Code(code) => Some(code),
            _ => None,
        }
    }

    /// The number of the signal that ended the process, if a signal did.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::WorkerExit;
    ///
    /// assert_eq!(WorkerExit::Signal(6).signal(), Some(6));
    /// assert_eq!(WorkerExit::Code(6).signal(), None);
    /// ```
    #[must_use]
    pub fn signal(self) -> Option<i32> {
        match self {
            WorkerExit::Signal(signal) => Some(signal),
            _ => None,
        }
    }

    /// The signal's name (`"SIGKILL"`, `"SIGSEGV"`, …), if a signal this system knows ended
    /// the process.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::pool::WorkerExit;
    ///
    /// assert_eq!(WorkerExit::Signal(11).signal_name(), Some("SIGSEGV"));
    /// assert_eq!(WorkerExit::Code(11).signal_name(), None);
    /// ```
    #[must_use]
    pub fn signal_name(self) -> Option<&'static str> {
        let signal = self.signal()?;
        nix::sys::signal::Signal::try_from(signal)
            .ok()
            .map(|s| s.as_str())
    }
}

impl From<ExitStatus> for WorkerExit {
    fn from(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(code), _) => WorkerExit::Code(code),
            (None, Some(signal)) => WorkerExit::Signal(signal),
            (None, None) => WorkerExit::Unknown,
        }
    }
}

impl fmt::Display for WorkerExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WorkerExit::Code(code) => write!(f, "exited with code {code}"),
            WorkerExit::Signal(signal) => {
                let name = self.signal_name().unwrap_or("unknown signal");
                write!(f, "was killed by signal {signal} ({name})")
            }
            WorkerExit::Unknown => f.write_str("ended in a way the system did not report"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_status_becomes_a_code_or_a_signal() {
        // A raw wait status: the exit code in bits 8..16, or the signal in bits 0..7.
        assert_eq!(
            WorkerExit::from(ExitStatus::from_raw(3 << 8)),
            WorkerExit::Code(3)
        );
        assert_eq!(
            WorkerExit::from(ExitStatus::from_raw(9)),
            WorkerExit::Signal(9)
        );
    }

    #[test]
    fn an_unknown_signal_still_reads_as_a_sentence() {
        assert_eq!(
            WorkerExit::Signal(200).to_string(),
            "was killed by signal 200 (unknown signal)"
        );
    }
}
