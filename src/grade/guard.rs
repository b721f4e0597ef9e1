//! Running the student's code so that nothing it does can stop the grading: a panic becomes a
//! failure message, and so does a call that does not return within its bound.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::panic_message::panic_message;

/// What `todo!()` panics with: the student has not written this part yet.
const TODO_MESSAGE: &str = "not yet implemented";

/// Runs `f` on a thread of its own and waits at most `bound` for it.
///
/// A panic comes back as `Err` with its message; `todo!()` as "not written yet". A call still
/// running after `bound` comes back as `Err` too, and its thread is left behind: a thread cannot
/// be killed from outside, and the grading process ends soon after anyway.
pub(crate) fn bounded<T, F>(what: &str, bound: Duration, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (done, result) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name(format!("grade {what}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            // The receiver is gone only if the grader stopped waiting: nobody is left to tell.
            let _ = done.send(outcome);
        });
    if let Err(err) = spawned {
        return Err(format!("could not start a thread to run {what}: {err}"));
    }
    match result.recv_timeout(bound) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(describe_panic(what, &panic_message(&*payload))),
        Err(_) => Err(format!(
            "{what} did not return within {} s",
            bound.as_secs_f64()
        )),
    }
}

/// The failure text for a panic in the student's code.
fn describe_panic(what: &str, message: &str) -> String {
    if message.starts_with(TODO_MESSAGE) {
        format!("{what} is not written yet (it still says todo!())")
    } else {
        format!("{what} panicked: {message}")
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
        let err = bounded("ex9", BOUND, || -> u8 { todo!() }).unwrap_err();
        assert_eq!(err, "ex9 is not written yet (it still says todo!())");
    }

    #[test]
    fn a_panic_comes_back_with_its_message() {
        let err = bounded("ex9", BOUND, || -> u8 {
            panic!("index {} out of range", 7)
        })
        .unwrap_err();
        assert_eq!(err, "ex9 panicked: index 7 out of range");
    }

    #[test]
    fn a_call_that_never_returns_is_cut_off_at_the_bound() {
        let (_keep, hang) = mpsc::channel::<()>();
        let err = bounded("ex9", Duration::from_millis(50), move || hang.recv()).unwrap_err();
        assert_eq!(err, "ex9 did not return within 0.05 s");
    }
}
