//! Running the student's code so that nothing it does can stop the grading: a panic becomes a
//! failure message, and so does a call that does not return within its bound.

use std::cell::RefCell;
use std::sync::{Once, mpsc};
use std::thread;
use std::time::Duration;

use super::{Text, text};
use crate::panic_message::panic_message;

/// What `todo!()` panics with: the student has not written this part yet.
const TODO_MESSAGE: &str = "not yet implemented";
/// The start of the name of every thread that runs the student's code for the grader.
const THREAD_PREFIX: &str = "grade ";

thread_local! {
    /// Where the last panic on this grader thread happened, noted by the panic hook.
    static PANICKED_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that keeps panics on grader threads quiet and notes where they
/// happened, so that the score table says it instead of a backtrace above the table. Panics on
/// every other thread go to the hook that was there before.
fn quiet_grader_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = thread::current().name().map(str::to_owned);
            if name.is_some_and(|name| name.starts_with(THREAD_PREFIX)) {
                let at = info.location().map(ToString::to_string);
                PANICKED_AT.with(|noted| *noted.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f` on a thread of its own and waits at most `bound` for it.
///
/// A panic comes back as `Err` with its message, in Polish and English; `todo!()` as "not
/// written yet". A call still running after `bound` comes back as `Err` too, and its thread is left behind: a thread cannot
/// be killed from outside, and the grading process ends soon after anyway.
pub(crate) fn bounded<T, F>(what: &str, bound: Duration, f: F) -> Result<T, Text>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    quiet_grader_panics();
    let (done, result) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name(format!("{THREAD_PREFIX}{what}"))
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
                    let at = PANICKED_AT.with(|noted| noted.borrow_mut().take());
                    (panic_message(&*payload), at)
                });
            // The receiver is gone only if the grader stopped waiting: nobody is left to tell.
            let _ = done.send(outcome);
        });
    if let Err(err) = spawned {
        return Err(text!(
            "sprawdzarka nie mogła uruchomić wątku dla {what}: {err}",
            "could not start a thread to run {what}: {err}"
        ));
    }
    let secs = bound.as_secs_f64();
    match result.recv_timeout(bound) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err((message, at))) => Err(describe_panic(what, &message, at.as_deref())),
        Err(_) => Err(text!(
            "{what} nie zakończyła się w ciągu {secs} s",
            "{what} did not return within {secs} s"
        )),
    }
}

/// The failure text for a panic in the student's code, and where it happened if known.
fn describe_panic(what: &str, message: &str, at: Option<&str>) -> Text {
    let (w, at) = match at {
        Some(at) => (format!(" w {at}"), format!(" at {at}")),
        None => (String::new(), String::new()),
    };
    if message.starts_with(TODO_MESSAGE) {
        text!(
            "{what} nie jest jeszcze napisana (todo!(){w})",
            "{what} is not written yet (todo!(){at})"
        )
    } else {
        text!(
            "{what} spanikowała{w}: {message}",
            "{what} panicked{at}: {message}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(10);

    #[test]
    fn a_value_comes_back() {
        assert_eq!(bounded("sum", BOUND, || 2 + 2), Ok(4));
    }

    #[test]
    fn todo_says_not_written_yet() {
        let line = line!() + 1;
        let err = bounded("ex9", BOUND, || -> u8 { todo!() }).unwrap_err().en;
        let at = format!("{}:{line}:", file!());
        assert!(
            err.starts_with("ex9 is not written yet (todo!() at "),
            "{err}"
        );
        assert!(err.contains(&at), "{err}");
    }

    #[test]
    fn a_panic_comes_back_with_its_message() {
        let err = bounded("ex9", BOUND, || -> u8 {
            panic!("index {} out of range", 7)
        })
        .unwrap_err();
        assert!(
            err.pl.starts_with("ex9 spanikowała w src/grade/guard.rs:"),
            "{err:?}"
        );
        let err = err.en;
        assert!(
            err.starts_with("ex9 panicked at src/grade/guard.rs:"),
            "{err}"
        );
        assert!(err.ends_with(": index 7 out of range"), "{err}");
    }

    #[test]
    fn describe_panic_without_a_location() {
        assert_eq!(
            describe_panic("f", "boom", None),
            Text::new("f spanikowała: boom", "f panicked: boom")
        );
        assert_eq!(
            describe_panic("f", "not yet implemented: later", None),
            Text::new(
                "f nie jest jeszcze napisana (todo!())",
                "f is not written yet (todo!())"
            )
        );
    }

    #[test]
    fn a_call_that_never_returns_is_cut_off_at_the_bound() {
        let (_keep, hang) = mpsc::channel::<()>();
        let err = bounded("ex9", Duration::from_millis(50), move || hang.recv()).unwrap_err();
        assert_eq!(err.en, "ex9 did not return within 0.05 s");
        assert_eq!(err.pl, "ex9 nie zakończyła się w ciągu 0.05 s");
    }
}
