//! Turning a panic's payload into text that fits in an [`Error`](crate::Error).

use std::any::Any;

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

#[cfg(test)]
mod tests {
    use super::panic_message;
    use std::panic;

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
}
