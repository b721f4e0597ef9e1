//! Waiting for another thread or process: a short spin, then the kernel, woken only if asleep.
//!
//! A waiter polls its condition a fixed number of times ([`SPIN_POLLS`]); if the condition
//! is still false it tells the word it is going to sleep and sleeps in the kernel (a Linux
//! futex on the word's `epoch`) until a waker changes the epoch. A waker, after making the
//! condition true, looks at the word: if nobody sleeps it returns at once — no system call —
//! and otherwise it moves the epoch on and wakes sleepers.
//!
//! ```text
//!  waiter                                      waker
//!  poll ×SPIN_POLLS ──found──▶ done            make the condition true
//!    │ not found                               fence
//!  sleepers += 1, key = epoch, fence           sleepers == 0? ──▶ done (no system call)
//!  poll once more ──found──▶ sleepers -= 1     epoch += 1
//!    │ not found                               futex_wake(epoch)
//!  futex_wait(epoch, key)  ◀───────────────────┘
//!    │ woken, or the epoch had moved
//!  sleepers -= 1, poll again …
//! ```
//!
//! The two fences make a lost wake-up impossible: either the waker's fence comes first, and
//! the waiter's last poll sees the condition, or the waiter's does, and the waker sees it
//! counted among the sleepers and moves the epoch on — so the waiter's `futex_wait` either
//! finds the epoch changed and returns at once, or is already asleep and is woken.
//!
//! No constant here is a duration, and nothing detects load: on a quiet machine the answer
//! usually comes within the spin; on a busy one the waiter sleeps in the kernel after a
//! bounded spin, and the scheduler runs it as soon as it is woken.
//!
//! [`WakeWord::wake_one`] also skips the system call while a waiter is still spinning: that
//! waiter is sure to see the condition, so a queue fed one job at a time keeps handing it to
//! the worker already awake instead of waking another.

use std::sync::atomic::{AtomicU32, Ordering, fence};
use std::time::Instant;

/// How many times a waiter polls before it sleeps, with one [`std::hint::spin_loop`] between
/// polls.
///
/// Spinning pays only while it costs less than what it saves: a kernel wake-up, which takes a
/// system call on each side and a context switch (measured on the course's virtual machine:
/// a two-process ping-pong takes 0.19 µs spinning and 14–16 µs through the futex alone). A
/// spin_loop hint is 10–140 cycles depending on the processor, and a poll of a cache line
/// another core writes about as much, so a few hundred polls last a few microseconds: about
/// one wake-up. A waiter that spins in vain therefore loses at most about what sleeping
/// costs anyway, and one whose answer comes within the spin saves the whole wake-up. It is a
/// count, not a duration, so that no clock is read while spinning and a busy CPU — where
/// the waiter may be descheduled mid-spin — cannot stretch it.
pub(crate) const SPIN_POLLS: u32 = 256;

/// A word that threads (or, with `SHARED`, processes) wait on until a condition they poll
/// becomes true: see the [module](self).
///
/// All-zero bytes are a fresh word, so a word placed in newly mapped shared memory (which
/// the kernel zeroes) needs no initialisation. Between processes use [`SharedWakeWord`]: its
/// futex operations are not `FUTEX_PRIVATE`, so the kernel matches a sleeper and a waker by
/// the physical page rather than the address in one process.
#[repr(C)]
#[derive(Debug, Default)]
pub(crate) struct WakeWord<const SHARED: bool = false> {
    /// Moved on by every wake that found a sleeper: the futex word.
    epoch: AtomicU32,
    /// Waiters that announced they are about to sleep, or sleep.
    sleepers: AtomicU32,
    /// Waiters still polling in their spin: each is sure to see the condition.
    spinners: AtomicU32,
}

/// A [`WakeWord`] that works between processes when placed in memory they share.
pub(crate) type SharedWakeWord = WakeWord<true>;

impl<const SHARED: bool> WakeWord<SHARED> {
    /// A word with nobody waiting.
    pub(crate) const fn new() -> Self {
        WakeWord {
            epoch: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            spinners: AtomicU32::new(0),
        }
    }

    /// Polls `poll` until it returns `Some`, spinning first and then asleep until woken; gives
    /// up with `None` once `deadline` has passed. Each waker must make `poll` succeed *before*
    /// calling [`wake_one`](Self::wake_one) or [`wake_all`](Self::wake_all).
    ///
    /// `poll` may run several times after it first failed, and once more after a wake.
    pub(crate) fn wait_for<T>(
        &self,
        mut poll: impl FnMut() -> Option<T>,
        deadline: Option<Instant>,
    ) -> Option<T> {
        if let Some(found) = poll() {
            return Some(found);
        }
        self.spinners.fetch_add(1, Ordering::SeqCst);
        if let Some(found) = spin(&mut poll) {
            self.spinners.fetch_sub(1, Ordering::SeqCst);
            return Some(found);
        }
        // Counted as a sleeper before it stops counting as a spinner: a waker always sees it
        // as one or the other.
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        self.spinners.fetch_sub(1, Ordering::SeqCst);
        let found = self.sleep(&mut poll, deadline);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        found
    }

    /// The sleeping half of [`wait_for`](Self::wait_for), without its spin: for a caller that
    /// spun already (with [`spin`]) and had something to do before sleeping.
    pub(crate) fn sleep_for<T>(
        &self,
        mut poll: impl FnMut() -> Option<T>,
        deadline: Option<Instant>,
    ) -> Option<T> {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let found = self.sleep(&mut poll, deadline);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        found
    }

    /// The sleeping part of [`wait_for`](Self::wait_for), counted among the sleepers.
    fn sleep<T>(
        &self,
        poll: &mut impl FnMut() -> Option<T>,
        deadline: Option<Instant>,
    ) -> Option<T> {
        loop {
            // A read-modify-write, not a load: the waker's increment of the epoch then comes
            // after it in the epoch's order (both sides fence between), so `futex_wait` sees
            // the key change.
            let key = self.epoch.fetch_add(0, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if let Some(found) = poll() {
                return Some(found);
            }
            let left = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
            };
            futex::wait(&self.epoch, key, left, SHARED);
        }
    }

    /// Wakes one sleeping waiter, unless a waiter is still spinning (it will see the
    /// condition) or none sleeps; call it after making one waiter's condition true.
    ///
    /// The spinner that made this skip the wake may find *another* condition true (another
    /// job on a queue) and leave this one for nobody. So a waiter that takes something and
    /// sees more left must pass the wake on: fence, look, and call `wake_one` again (as
    /// `pool::idle::next_message` does).
    pub(crate) fn wake_one(&self) {
        fence(Ordering::SeqCst);
        if self.spinners.load(Ordering::SeqCst) == 0 {
            self.wake(1);
        }
    }

    /// Wakes every sleeping waiter; call it after making their condition true.
    pub(crate) fn wake_all(&self) {
        fence(Ordering::SeqCst);
        // The kernel reads the count as a signed int: `u32::MAX` would be -1, and wake one.
        self.wake(i32::MAX.unsigned_abs());
    }

    /// Whether any waiter has gone past its spin and sleeps, or is about to, now.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn has_sleepers(&self) -> bool {
        self.sleepers.load(Ordering::SeqCst) > 0
    }

    /// How many times a waker has gone to the kernel on this word: the system calls made.
    #[cfg(test)]
    pub(crate) fn kernel_wakes(&self) -> u32 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn wake(&self, count: u32) {
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            futex::wake(&self.epoch, count, SHARED);
        }
    }
}

/// How many times a waiter polls by a system call (a non-blocking read of a socket) before it
/// sleeps in the kernel. Each such poll costs a system call, about a tenth of a wake-up (two
/// system calls and a context switch), so about ten of them cost what one wake-up does — the
/// same bound as [`SPIN_POLLS`], counted in system calls.
pub(crate) const SYSCALL_POLLS: u32 = 10;

/// Polls `poll` up to [`SPIN_POLLS`] times, with a spin-loop hint between polls.
pub(crate) fn spin<T>(poll: &mut impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..SPIN_POLLS {
        std::hint::spin_loop();
        if let Some(found) = poll() {
            return Some(found);
        }
    }
    None
}

#[cfg(target_os = "linux")]
mod futex {
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    use rustix::thread::futex::{self, Flags, Timespec};

    fn flags(shared: bool) -> Flags {
        if shared {
            Flags::empty()
        } else {
            Flags::PRIVATE
        }
    }

    /// Sleeps while `word` holds `key`, for at most `timeout`. Returns early on a wake, a
    /// signal or a changed word: the caller polls its condition again either way.
    pub(super) fn wait(word: &AtomicU32, key: u32, timeout: Option<Duration>, shared: bool) {
        let timeout = timeout.map(|left| Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: left.subsec_nanos().into(),
        });
        // EAGAIN (the word changed), EINTR and ETIMEDOUT all send the caller back to polling.
        let _ = futex::wait(word, flags(shared), key, timeout.as_ref());
    }

    /// Wakes up to `count` threads asleep in [`wait`] on `word`.
    pub(super) fn wake(word: &AtomicU32, count: u32, shared: bool) {
        // Fails only for a bad address or flags, which a reference and constant flags rule out.
        let _ = futex::wake(word, flags(shared), count);
    }
}

/// Elsewhere than Linux, no futex: a sleeper wakes every so often to poll again. Only Linux
/// is measured and supported for speed.
#[cfg(not(target_os = "linux"))]
mod futex {
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    const NAP: Duration = Duration::from_micros(100);

    pub(super) fn wait(_word: &AtomicU32, _key: u32, timeout: Option<Duration>, _shared: bool) {
        std::thread::sleep(timeout.map_or(NAP, |left| left.min(NAP)));
    }

    pub(super) fn wake(_word: &AtomicU32, _count: u32, _shared: bool) {}
}

#[cfg(test)]
mod tests;
