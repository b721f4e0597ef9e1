//! Sleeping on a word of shared memory until the other process wakes us: Linux's futex, in
//! its shared (not process-private) form, so that it works across processes.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// Sleeps while `word` holds `expected`, until [`wake`] is called on it, `timeout` passes or a
/// signal arrives — whichever is first. Returns at once if `word` no longer holds `expected`.
/// The caller re-checks its condition in every case: a futex may also wake spuriously.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    use nix::libc;
    let timeout = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a valid, aligned 32-bit atomic for the duration of the call; the
    // kernel only reads it. Errors (EAGAIN: the value changed; ETIMEDOUT; EINTR) all mean
    // "look again", which the caller does.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &timeout as *const libc::timespec,
        );
    }
}

/// Wakes every process sleeping in [`wait`] on `word`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn wake(word: &AtomicU32) {
    use nix::libc;
    // SAFETY: `word` is a valid, aligned 32-bit atomic; FUTEX_WAKE does not touch memory.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// Without futexes (no shared memory is set up there, see `mapping`): a short sleep.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn wait(_word: &AtomicU32, _expected: u32, timeout: Duration) {
    std::thread::sleep(timeout.min(Duration::from_micros(100)));
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn wake(_word: &AtomicU32) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    #[test]
    fn a_sleeper_is_woken_and_a_changed_word_does_not_sleep() {
        let word = Arc::new(AtomicU32::new(1));
        let sleeper = {
            let word = Arc::clone(&word);
            std::thread::spawn(move || {
                while word.load(Ordering::SeqCst) == 1 {
                    wait(&word, 1, Duration::from_secs(10));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(5));
        word.store(0, Ordering::SeqCst);
        wake(&word);
        sleeper.join().unwrap();
        // The value differs from the expected one: no sleep at all (a 10 s timeout would show).
        let started = Instant::now();
        wait(&word, 1, Duration::from_secs(10));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
