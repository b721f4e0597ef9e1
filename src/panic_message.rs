//! Turning a panic into text that fits in an [`Error`](crate::Error).
//!
//! [`panic_message`] reads a caught panic's payload. [`catch`] runs user code the pool called —
//! a task, a serde impl — and, should it panic, keeps what the payload does not carry: where
//! the panic happened and, when `RUST_BACKTRACE` asks for one, the backtrace. A panic hook
//! records both, because only the hook sees them; the pool installs it once, chained in front
//! of the hook that was there before.
//!
//! A panic caught this way is *not* printed: its message, location and backtrace travel in the
//! error the caller gets, so the worker's stderr would only repeat them (and a test expecting
//! the panic would print a backtrace). Every other panic — outside pool code, or on a thread
//! that is not running user code for the pool — goes to the previous hook unchanged.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

/// The message a thread panicked with.
///
/// `panic!("text")` carries a `&'static str`, `panic!("{x}")` a `String`; anything else (from
/// `std::panic::panic_any`) has no text we could show.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<non-text panic payload>".to_owned()
    }
}

/// A panic caught by [`catch`]: its message, where it happened, and its backtrace if wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caught {
    pub(crate) message: String,
    /// `file:line:column`, when the hook saw the panic.
    pub(crate) location: Option<String>,
    /// Only when `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) asks for backtraces.
    pub(crate) backtrace: Option<String>,
}

impl Caught {
    /// The error a panicking task becomes.
    pub(crate) fn into_task_error(self) -> crate::Error {
        crate::Error::TaskPanicked {
            message: self.message,
            location: self.location,
            backtrace: self.backtrace,
        }
    }

    /// `message`, then ` (at file:line:col)` when the location is known: for errors that
    /// have no field of their own for the location.
    pub(crate) fn message_with_location(&self) -> String {
        match &self.location {
            Some(location) => format!("{} (at {location})", self.message),
            None => self.message.clone(),
        }
    }
}

thread_local! {
    /// Whether this thread is running user code inside [`catch`] right now.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// What the hook saw of the last panic on this thread while `CATCHING`.
    static SEEN: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `f`; if it panics, returns the panic, with its location and backtrace, instead.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    install_hook();
    let was = CATCHING.with(|c| c.replace(true));
    let ran = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    ran.map_err(|payload| {
        let seen = SEEN.with(|s| s.borrow_mut().take());
        let (location, backtrace) = match seen {
            Some((location, backtrace)) => (Some(location), backtrace),
            None => (None, None), // someone replaced our hook since
        };
        Caught {
            message: panic_message(payload.as_ref()),
            location,
            backtrace,
        }
    })
}

fn install_hook() {
    if std::thread::panicking() {
        return; // `take_hook` would panic; the next `catch` installs it
    }
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) {
                record(info);
            } else {
                previous(info);
            }
        }));
    });
}

fn record(info: &PanicHookInfo<'_>) {
    let location = info.location().map_or_else(
        || "<unknown location>".to_owned(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let backtrace = Backtrace::capture();
    let backtrace =
        (backtrace.status() == BacktraceStatus::Captured).then(|| backtrace.to_string());
    SEEN.with(|s| *s.borrow_mut() = Some((location, backtrace)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_of(f: impl FnOnce() + panic::UnwindSafe) -> Box<dyn std::any::Any + Send> {
        panic::catch_unwind(f).expect_err("the closure panics")
    }

    #[test]
    fn reads_static_and_formatted_messages() {
        assert_eq!(panic_message(&*payload_of(|| panic!("plain"))), "plain");
        let n = 7;
        assert_eq!(
            panic_message(&*payload_of(move || panic!("n = {n}"))),
            "n = 7"
        );
    }

    #[test]
    fn names_payloads_without_text() {
        let payload = payload_of(|| panic::panic_any(42_u8));
        assert_eq!(panic_message(&*payload), "<non-text panic payload>");
    }

    #[test]
    fn catch_keeps_the_location_of_the_panic() {
        let line = line!() + 1;
        let caught = catch(|| -> u8 { panic!("here") }).unwrap_err();
        assert_eq!(caught.message, "here");
        let location = caught.location.expect("the hook saw the panic");
        assert!(
            location.starts_with(&format!("{}:{line}:", file!())),
            "{location}"
        );
        assert_eq!(catch(|| 5), Ok(5));
    }
}
