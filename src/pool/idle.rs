//! Waiting actively for a moment before sleeping — unless the CPU is busy.
//!
//! Tasks often arrive back to back, and waking a sleeping thread or process costs far more
//! than a task as short as `|x| x + 1` — on a virtual machine, tens of microseconds. So a
//! waiting thread first polls for a moment ([`ACTIVE_WAIT`]), yielding its CPU between polls
//! so that the thread it waits for can run (rayon's workers do the same), and only then
//! sleeps until it is woken.
//!
//! On a busy CPU that politeness is a trap. A yield hands the CPU to whatever else is
//! runnable, and a busy loop keeps it for a whole time slice — milliseconds — while the
//! message this thread waits for has long arrived; a thread asleep in the kernel, by
//! contrast, is woken and run at once. Polling with yields made a round trip hundreds of
//! times slower next to four busy loops on two cores (see `docs/PERFORMANCE.md`). So each
//! yield is timed: one that took longer than the whole active wait means another program
//! holds the CPU, and then every waiting thread of this process sleeps at once instead of
//! polling, for a while ([`Busy`]); the while doubles each time polling is tried again too
//! soon and still does not pay, up to a second. Each process learns this for itself: a
//! worker process from its own yields.
//!
//! Sleeping must not yield either: a crossbeam channel's blocking `recv` yields a few times
//! before it parks, so idle workers sleep on a [`Bell`] instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crossbeam::channel::{Receiver, TryRecvError};

/// How long a waiting thread polls before it sleeps.
const ACTIVE_WAIT: Duration = Duration::from_micros(50);

/// A yield this long means another program's thread ran for a time slice (a busy loop keeps
/// the CPU for milliseconds). Shorter stalls — this program's own threads taking their turn, a
/// short task, a virtual machine's hiccup — happen on a quiet machine too: taken for a busy
/// CPU, they sent every wait to sleep and made a quiet round trip ten times slower.
const LONG_YIELD: Duration = Duration::from_micros(500);

/// Polls spent spinning in place before the first yield: a reply often arrives within a
/// microsecond, sooner than a system call returns.
const SPINS: u32 = 6;

/// One active wait: ask [`again`](Self::again) after each unsuccessful poll.
pub(crate) struct ActiveWait {
    started: Instant,
    polls: u32,
    window: Duration,
}

impl ActiveWait {
    /// Starts waiting now, for the pools' usual [`ACTIVE_WAIT`].
    pub(crate) fn start() -> Self {
        Self::for_at_most(ACTIVE_WAIT)
    }

    /// Starts waiting now, polling for at most `window` (a busy CPU cuts it short).
    pub(crate) fn for_at_most(window: Duration) -> Self {
        ActiveWait {
            started: Instant::now(),
            polls: 0,
            window,
        }
    }

    /// After an unsuccessful poll: lets the CPU go briefly and returns `true` if polling
    /// again is worth it, or returns `false` when the caller should sleep until woken.
    pub(crate) fn again(&mut self) -> bool {
        self.polls += 1;
        if self.polls <= SPINS {
            for _ in 0..1 << self.polls {
                std::hint::spin_loop();
            }
            return true;
        }
        let now = Instant::now();
        if now.duration_since(self.started) >= self.window || BUSY.at(now) {
            return false;
        }
        std::thread::yield_now();
        let yielded = now.elapsed();
        if yielded >= LONG_YIELD {
            BUSY.seen(now + yielded);
            return false;
        }
        yielded < self.window
    }
}

/// Where the receivers of a channel sleep when polling did not pay; every send on the
/// channel must be followed by [`ring`](Bell::ring).
pub(crate) struct Bell {
    sleepers: Mutex<usize>,
    rung: Condvar,
}

impl Bell {
    pub(crate) fn new() -> Self {
        Bell {
            sleepers: Mutex::new(0),
            rung: Condvar::new(),
        }
    }

    /// Wakes one receiver asleep in [`next_message`], if any: call it after each send.
    pub(crate) fn ring(&self) {
        // Taken after the send, so a receiver that found the channel empty under this lock
        // is already counted and waiting: it cannot miss the message.
        if *self.lock() > 0 {
            self.rung.notify_one();
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // The count is only ever incremented and decremented: a poisoned lock holds a valid one.
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The next message on `receiver`, or `None` once every sender is gone. Sleeps on `bell`,
/// so every sender must ring it after each send, and a sleeper is not woken by the last
/// sender going away: the channel's owner keeps a sender for as long as anyone receives.
pub(crate) fn next_message<T>(receiver: &Receiver<T>, bell: &Bell) -> Option<T> {
    let mut active = ActiveWait::start();
    loop {
        match receiver.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if active.again() => {}
            Err(TryRecvError::Empty) => break,
        }
    }
    let mut sleepers = bell.lock();
    loop {
        match receiver.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                *sleepers += 1;
                sleepers = bell
                    .rung
                    .wait(sleepers)
                    .unwrap_or_else(PoisonError::into_inner);
                *sleepers -= 1;
            }
        }
    }
}

/// Whether other programs want this process's CPUs: seen by a yield that took longer than
/// a whole active wait, because something else ran for a time slice meanwhile.
static BUSY: Busy = Busy::new();

/// How long waiting threads sleep without polling after a long yield, at first and at most.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Until when waiting threads sleep at once, and how long that was last time.
struct Busy {
    /// The end of the busy period, in nanoseconds since [`nanos_since_epoch`]'s epoch; read
    /// by every wait, so kept outside the lock.
    until_ns: AtomicU64,
    /// The current period's length; locked only when a long yield is seen.
    length: Mutex<Duration>,
}

impl Busy {
    const fn new() -> Self {
        Busy {
            until_ns: AtomicU64::new(0),
            length: Mutex::new(Duration::ZERO),
        }
    }

    /// Whether a wait at `now` should sleep at once.
    fn at(&self, now: Instant) -> bool {
        nanos_since_epoch(now) < self.until_ns.load(Ordering::Relaxed)
    }

    /// A yield that ended at `at` took longer than an active wait: sleep at once for a while,
    /// twice as long as the last time if that ended less than its own length ago (polling
    /// was tried again and still did not pay), else [`MIN_BACKOFF`].
    fn seen(&self, at: Instant) {
        let at = nanos_since_epoch(at);
        let mut length = self.length.lock().unwrap_or_else(PoisonError::into_inner);
        let until = self.until_ns.load(Ordering::Relaxed);
        if at < until {
            return; // another thread saw it first
        }
        *length = if at - until < duration_ns(*length) {
            (*length * 2).min(MAX_BACKOFF)
        } else {
            MIN_BACKOFF
        };
        self.until_ns
            .store(at + duration_ns(*length), Ordering::Relaxed);
    }
}

/// `at` in nanoseconds since an epoch fixed the first time the process asks.
fn nanos_since_epoch(at: Instant) -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    duration_ns(at.saturating_duration_since(epoch))
}

fn duration_ns(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use crossbeam::channel;

    use super::*;

    #[test]
    fn a_long_yield_makes_waits_sleep_for_a_while_and_longer_when_seen_again_soon() {
        let busy = Busy::new();
        let t = Instant::now();
        let ms = Duration::from_millis;
        assert!(!busy.at(t), "calm until a long yield is seen");

        busy.seen(t);
        assert!(busy.at(t + ms(9)));
        assert!(!busy.at(t + ms(11)), "the first period is MIN_BACKOFF");

        busy.seen(t + ms(5));
        assert!(!busy.at(t + ms(11)), "seen within the period: not extended");

        busy.seen(t + ms(12)); // 2 ms after the period ended: polling did not pay again
        assert!(busy.at(t + ms(31)));
        assert!(!busy.at(t + ms(33)), "the second period is twice as long");

        let mut at = t + ms(12);
        for _ in 0..20 {
            at += *busy.length.lock().unwrap(); // each time just as the period ends
            busy.seen(at);
        }
        assert_eq!(*busy.length.lock().unwrap(), MAX_BACKOFF, "capped");

        let later = t + Duration::from_secs(60);
        busy.seen(later); // long after: a new episode
        assert!(busy.at(later + ms(9)));
        assert!(!busy.at(later + ms(11)), "back to MIN_BACKOFF");
    }

    #[test]
    fn a_receiver_asleep_on_the_bell_wakes_for_each_message() {
        let (sender, receiver) = channel::unbounded::<u32>();
        let bell = Arc::new(Bell::new());
        let (results, collected) = channel::unbounded();
        let sleepers: Vec<_> = (0..3)
            .map(|_| {
                let (receiver, bell, results) =
                    (receiver.clone(), Arc::clone(&bell), results.clone());
                thread::spawn(move || {
                    let message = next_message(&receiver, &bell);
                    results.send(message).unwrap();
                })
            })
            .collect();
        // Let them fall asleep (not required for correctness: either way each gets one).
        thread::sleep(Duration::from_millis(20));
        for n in 0..3 {
            sender.send(n).unwrap();
            bell.ring();
        }
        let mut got: Vec<_> = (0..3)
            .map(|_| {
                collected
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a rung bell wakes a sleeper")
            })
            .collect();
        got.sort();
        assert_eq!(got, [Some(0), Some(1), Some(2)]);
        for sleeper in sleepers {
            sleeper.join().unwrap();
        }
    }

    #[test]
    fn a_disconnected_channel_ends_the_wait() {
        let (sender, receiver) = channel::unbounded::<u32>();
        drop(sender);
        assert_eq!(next_message(&receiver, &Bell::new()), None);
    }
}
