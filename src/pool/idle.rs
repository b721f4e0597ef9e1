//! Waiting actively for a moment before sleeping — unless the CPU is busy.
//!
//! Tasks often arrive back to back, and waking a sleeping thread or process costs far more
//! than a task as short as `|x| x + 1` — on a virtual machine, tens of microseconds. So a
//! waiting thread first polls for a moment ([`LOCAL_ACTIVE_WAIT`]), yielding its CPU between
//! polls so that the thread it waits for can run (rayon's workers do the same), and only then
//! sleeps until it is woken.
//!
//! On a busy CPU that politeness is a trap. A yield hands the CPU to whatever else is
//! runnable, and a busy loop keeps it for a whole time slice — milliseconds — while the
//! message this thread waits for has long arrived; a thread asleep in the kernel, by
//! contrast, is woken and run at once. Polling with yields made a round trip hundreds of
//! times slower next to four busy loops on two cores (see `docs/PERFORMANCE.md`). So each
//! yield is timed: two long ones in a row ([`LONG_YIELD`], [`CONFIRM`]) mean another program
//! holds the CPU, and then every waiting thread of this process sleeps at once instead of
//! polling, for a while ([`Busy`]); the while doubles each time polling is tried again too
//! soon and still does not pay, up to a second. Each process learns this for itself: a
//! worker process from its own yields.
//!
//! Sleeping must not yield either: a crossbeam channel's blocking `recv` yields a few times
//! before it parks, so idle workers sleep on a [`Bell`] instead. And a sender wakes a sleeper
//! only when no receiver is polling: waking one costs the sender a system call, and the woken
//! worker competes for a core with the one that takes the job anyway. For a pool fed one task
//! at a time, that keeps the same worker — the one still polling — taking every task.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crossbeam::channel::{Receiver, TryRecvError};

/// How long a thread waiting for a peer on this machine (a pool's thread, a worker process)
/// polls before it sleeps. An MPI wait has its own, longer window (`mpi::wait`).
const LOCAL_ACTIVE_WAIT: Duration = Duration::from_micros(50);

/// A yield this long means another program's thread ran for a time slice (a busy loop keeps
/// the CPU for milliseconds). Shorter stalls — this program's own threads taking their turn, a
/// short task, a virtual machine's hiccup — happen on a quiet machine too: taken for a busy
/// CPU, they sent every wait to sleep and made a quiet round trip ten times slower.
const LONG_YIELD: Duration = Duration::from_micros(500);

/// One active wait: ask [`again`](Self::again) after each unsuccessful poll.
pub(crate) struct ActiveWait {
    started: Instant,
    polls: u32,
    window: Duration,
    /// Polls spent spinning in place before the first yield.
    spins: u32,
}

impl ActiveWait {
    /// Starts waiting now, for the pools' usual [`LOCAL_ACTIVE_WAIT`], yielding from the first
    /// poll: the thread or process this one waits for may share its core, and spinning would only
    /// keep it from running (on two cores, the caller, a pool's thread and a worker process
    /// often do). Spinning first made quiet round trips slower and unsteady — threads 1.4–29 µs
    /// instead of 1.4 µs, processes 7–35 µs instead of 6–8 µs (`cargo bench --bench
    /// contention`), MPI over two ranks 5.8 µs instead of 3.3 µs.
    pub(crate) fn start() -> Self {
        Self::new(LOCAL_ACTIVE_WAIT, 0)
    }

    /// Starts waiting now for at most `window`, spinning in place for the first `spins` polls.
    pub(super) fn new(window: Duration, spins: u32) -> Self {
        ActiveWait {
            started: Instant::now(),
            polls: 0,
            window,
            spins,
        }
    }

    /// After an unsuccessful poll: lets the CPU go briefly and returns `true` if polling
    /// again is worth it, or returns `false` when the caller should sleep until woken.
    pub(crate) fn again(&mut self) -> bool {
        self.polls += 1;
        if self.polls <= self.spins {
            std::hint::spin_loop();
            std::hint::spin_loop();
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
    /// Receivers in their active wait: each will see a message sent now without a ring.
    pub(super) polling: AtomicUsize,
    sleepers: Mutex<usize>,
    rung: Condvar,
}

impl Bell {
    pub(crate) fn new() -> Self {
        Bell {
            polling: AtomicUsize::new(0),
            sleepers: Mutex::new(0),
            rung: Condvar::new(),
        }
    }

    /// Wakes one receiver asleep in [`next_message`] if none is polling: call it after each
    /// send.
    pub(crate) fn ring(&self) {
        // Pairs with the fence in `next_message` after a receiver stops polling: either this
        // load sees it still polling (and it then finds the message before it sleeps), or it
        // sees it stopped (and this ring wakes a sleeper).
        fence(Ordering::SeqCst);
        if self.polling.load(Ordering::Relaxed) > 0 {
            return;
        }
        // Taken after the send, so a receiver that found the channel empty under this lock
        // is already counted and waiting: it cannot miss the message.
        if *self.lock() > 0 {
            self.rung.notify_one();
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, usize> {
        // The count is only ever incremented and decremented: a poisoned lock holds a valid one.
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The next message on `receiver`, or `None` once every sender is gone. Sleeps on `bell`,
/// so every sender must ring it after each send, and a sleeper is not woken by the last
/// sender going away: the channel's owner keeps a sender for as long as anyone receives.
pub(crate) fn next_message<T>(receiver: &Receiver<T>, bell: &Bell) -> Option<T> {
    let polled = poll(receiver, bell);
    // Stopped polling before looking again under the lock: see `Bell::ring`.
    fence(Ordering::SeqCst);
    let message = match polled {
        Some(polled) => polled,
        None => sleep(receiver, bell),
    };
    if message.is_some() && !receiver.is_empty() {
        // More were sent while this receiver polled, perhaps without a ring: pass it on.
        bell.ring();
    }
    message
}

/// Polls `receiver` for an active wait: `Some` if that found a message or the channel's end,
/// counted among the bell's polling receivers meanwhile.
fn poll<T>(receiver: &Receiver<T>, bell: &Bell) -> Option<Option<T>> {
    bell.polling.fetch_add(1, Ordering::SeqCst);
    let mut active = ActiveWait::start();
    let polled = loop {
        match receiver.try_recv() {
            Ok(message) => break Some(Some(message)),
            Err(TryRecvError::Disconnected) => break Some(None),
            Err(TryRecvError::Empty) if active.again() => {}
            Err(TryRecvError::Empty) => break None,
        }
    };
    bell.polling.fetch_sub(1, Ordering::SeqCst);
    polled
}

/// Sleeps on `bell` until `receiver` has a message or ends.
fn sleep<T>(receiver: &Receiver<T>, bell: &Bell) -> Option<T> {
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

/// Whether other programs want this process's CPUs: seen by long yields, because something
/// else ran for a time slice meanwhile.
static BUSY: Busy = Busy::new();

/// How long waiting threads sleep without polling once the CPU is busy, at first and at most.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A long yield means a busy CPU only if another came less than this before it. A lone one
/// is a hiccup: on the course's virtual machine, with nothing else running, the host takes a
/// core away for 2–7 ms about once a second, and taking each for a busy CPU kept a quiet MPI
/// round trip asleep at 180 µs instead of 6 µs for seconds at a time. Next to a busy loop,
/// every yield is long, so the second comes within milliseconds of the first.
const CONFIRM: Duration = Duration::from_millis(20);

/// Until when waiting threads sleep at once, and what the long yields so far say.
struct Busy {
    /// The end of the busy period, in nanoseconds since [`nanos_since_epoch`]'s epoch; read
    /// by every wait, so kept outside the lock.
    until_ns: AtomicU64,
    /// Locked only when a long yield is seen.
    seen: Mutex<Seen>,
}

struct Seen {
    /// The current busy period's length.
    length: Duration,
    /// When the last long yield ended, in nanoseconds as `until_ns`.
    last_ns: Option<u64>,
}

impl Busy {
    const fn new() -> Self {
        Busy {
            until_ns: AtomicU64::new(0),
            seen: Mutex::new(Seen {
                length: Duration::ZERO,
                last_ns: None,
            }),
        }
    }

    /// Whether a wait at `now` should sleep at once.
    fn at(&self, now: Instant) -> bool {
        nanos_since_epoch(now) < self.until_ns.load(Ordering::Relaxed)
    }

    /// A yield that ended at `at` took longer than [`LONG_YIELD`]. If another did within
    /// [`CONFIRM`] before, the CPU is busy: waits sleep at once for a while, twice as long as
    /// the last time if that ended less than its own length ago (polling was tried again and
    /// still did not pay), else [`MIN_BACKOFF`].
    fn seen(&self, at: Instant) {
        let at = nanos_since_epoch(at);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let until = self.until_ns.load(Ordering::Relaxed);
        if at < until {
            return; // another thread saw it first
        }
        let confirmed = seen
            .last_ns
            .is_some_and(|last| at.saturating_sub(last) < duration_ns(CONFIRM));
        seen.last_ns = Some(at);
        if !confirmed {
            return;
        }
        seen.length = if at - until < duration_ns(seen.length) {
            (seen.length * 2).min(MAX_BACKOFF)
        } else {
            MIN_BACKOFF
        };
        self.until_ns
            .store(at + duration_ns(seen.length), Ordering::Relaxed);
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
    fn a_lone_long_yield_is_a_hiccup_and_a_second_soon_after_a_busy_cpu() {
        let busy = Busy::new();
        let t = Instant::now();
        let ms = Duration::from_millis;
        assert!(!busy.at(t), "calm until long yields are seen");

        busy.seen(t);
        assert!(!busy.at(t + ms(1)), "a lone long yield is a hiccup");
        busy.seen(t + ms(25));
        assert!(
            !busy.at(t + ms(26)),
            "one CONFIRM after the last: a hiccup again"
        );

        busy.seen(t + ms(30)); // 5 ms after the last: busy
        assert!(busy.at(t + ms(39)));
        assert!(!busy.at(t + ms(41)), "the first period is MIN_BACKOFF");
    }

    #[test]
    fn busy_periods_double_while_polling_does_not_pay_and_reset_when_it_does() {
        let busy = Busy::new();
        let t = Instant::now();
        let ms = Duration::from_millis;
        busy.seen(t);
        busy.seen(t + ms(1)); // busy until t + 11 ms
        assert!(busy.at(t + ms(10)));

        busy.seen(t + ms(5));
        assert!(!busy.at(t + ms(12)), "seen within the period: not extended");

        busy.seen(t + ms(13)); // 2 ms after the period ended: polling did not pay again
        assert!(busy.at(t + ms(32)));
        assert!(!busy.at(t + ms(34)), "the second period is twice as long");

        let mut at = t + ms(13);
        for _ in 0..20 {
            // Each time just as the period ends, two long yields in a row, as a busy loop makes.
            at += busy.seen.lock().unwrap().length;
            busy.seen(at);
            at += Duration::from_millis(1);
            busy.seen(at);
        }
        assert_eq!(busy.seen.lock().unwrap().length, MAX_BACKOFF, "capped");

        let later = t + Duration::from_secs(60);
        busy.seen(later); // long after: a hiccup, until a second confirms it
        assert!(!busy.at(later + ms(1)));
        busy.seen(later + ms(2));
        assert!(busy.at(later + ms(11)));
        assert!(!busy.at(later + ms(13)), "back to MIN_BACKOFF");
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
