use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering, fence};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

/// Long enough that only a lost wake-up (or a machine stalled for that long) reaches it.
const WATCHDOG: Duration = Duration::from_secs(60);

fn watchdog() -> Option<Instant> {
    Some(Instant::now() + WATCHDOG)
}

#[test]
fn a_condition_already_true_returns_without_waiting() {
    let word = WakeWord::<false>::new();
    assert_eq!(word.wait_for(|| Some(7), Some(Instant::now())), Some(7));
    assert!(!word.has_sleepers());
}

#[test]
fn a_wait_gives_up_once_its_deadline_has_passed() {
    let word = WakeWord::<false>::new();
    let deadline = Instant::now() + Duration::from_millis(30);
    let mut polls = 0;
    let found: Option<()> = word.wait_for(
        || {
            polls += 1;
            None
        },
        Some(deadline),
    );
    assert_eq!(found, None);
    assert!(Instant::now() >= deadline, "not before its deadline");
    assert!(
        polls > SPIN_POLLS as usize,
        "spun, then polled again asleep"
    );
    assert!(!word.has_sleepers(), "no longer counted once it gave up");
}

#[test]
fn a_sleeper_is_woken_by_wake_one() {
    let word = Arc::new(WakeWord::<false>::new());
    let flag = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (word, flag) = (Arc::clone(&word), Arc::clone(&flag));
        thread::spawn(move || {
            word.wait_for(|| flag.load(Ordering::Acquire).then_some(()), watchdog())
        })
    };
    // Wait until it sleeps (past its spin), so that the wake must go through the kernel.
    let asleep_by = Instant::now() + WATCHDOG;
    while !word.has_sleepers() {
        assert!(Instant::now() < asleep_by, "the waiter never went to sleep");
        thread::yield_now();
    }
    flag.store(true, Ordering::Release);
    word.wake_one();
    assert_eq!(
        waiter.join().unwrap(),
        Some(()),
        "woken before its watchdog"
    );
    assert!(!word.has_sleepers());
}

/// The waiters wait without a deadline, so only the wake can end their waits; the test's
/// bound is on receiving their answers.
#[test]
fn wake_all_wakes_every_sleeper() {
    const WAITERS: u32 = 4;
    let word = Arc::new(WakeWord::<false>::new());
    let flag = Arc::new(AtomicBool::new(false));
    let (done, finished) = crossbeam::channel::unbounded();
    for _ in 0..WAITERS {
        let (word, flag, done) = (Arc::clone(&word), Arc::clone(&flag), done.clone());
        thread::spawn(move || {
            let woken = word.wait_for(|| flag.load(Ordering::Acquire).then_some(()), None);
            done.send(woken).unwrap();
        });
    }
    let asleep_by = Instant::now() + WATCHDOG;
    while word.sleepers.load(Ordering::SeqCst) < WAITERS {
        assert!(
            Instant::now() < asleep_by,
            "the waiters never went to sleep"
        );
        thread::yield_now();
    }
    flag.store(true, Ordering::Release);
    word.wake_all();
    for _ in 0..WAITERS {
        let woken = finished.recv_timeout(WATCHDOG);
        assert_eq!(woken, Ok(Some(())), "every sleeper woken");
    }
    assert_eq!(word.kernel_wakes(), 1, "one system call woke them all");
}

#[test]
fn a_wake_with_nobody_asleep_makes_no_system_call() {
    let word = WakeWord::<false>::new();
    word.wake_one();
    word.wake_all();
    assert_eq!(word.wait_for(|| Some(()), None), Some(()));
    assert_eq!(word.kernel_wakes(), 0);
}

/// Two threads hand a counter back and forth many times, each waiting for its turn: a lost
/// wake-up would leave one asleep until the watchdog.
#[test]
fn ping_pong_between_threads_loses_no_wake_up() {
    const ROUNDS: u32 = 20_000;
    let turn = Arc::new(AtomicU32::new(0));
    let words = Arc::new([WakeWord::<false>::new(), WakeWord::<false>::new()]);
    let player = |me: u32| {
        let (turn, words) = (Arc::clone(&turn), Arc::clone(&words));
        thread::spawn(move || {
            for round in 0..ROUNDS {
                let mine = 2 * round + me;
                words[me as usize]
                    .wait_for(
                        || (turn.load(Ordering::Acquire) == mine).then_some(()),
                        watchdog(),
                    )
                    .unwrap_or_else(|| panic!("player {me} lost a wake-up in round {round}"));
                turn.store(mine + 1, Ordering::Release);
                words[1 - me as usize].wake_one();
            }
        })
    };
    let (a, b) = (player(0), player(1));
    a.join().unwrap();
    b.join().unwrap();
    assert_eq!(turn.load(Ordering::SeqCst), 2 * ROUNDS);
}

/// One producer hands out tokens, waking one consumer per token; consumers that take one and
/// see more pass the wake on, as `wake_one` asks. Every token must be taken.
#[test]
fn many_consumers_with_wake_one_take_every_token() {
    const TOKENS: u32 = 50_000;
    const CONSUMERS: u32 = 4;
    let tokens = Arc::new(AtomicU32::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let word = Arc::new(WakeWord::<false>::new());
    let take = |tokens: &AtomicU32| {
        tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    };
    let (done_with, counts) = crossbeam::channel::unbounded();
    for _ in 0..CONSUMERS {
        let (tokens, done, word) = (Arc::clone(&tokens), Arc::clone(&done), Arc::clone(&word));
        let done_with = done_with.clone();
        thread::spawn(move || {
            let mut taken = 0u32;
            loop {
                let got = word.wait_for(
                    || {
                        if take(&tokens) {
                            Some(true)
                        } else {
                            done.load(Ordering::Acquire).then_some(false)
                        }
                    },
                    None,
                );
                match got {
                    Some(true) => taken += 1,
                    Some(false) => return done_with.send(taken).unwrap(),
                    None => unreachable!("a wait without a deadline ends found"),
                }
                fence(Ordering::SeqCst);
                if tokens.load(Ordering::Relaxed) > 0 {
                    word.wake_one();
                }
            }
        });
    }
    for n in 0..TOKENS {
        tokens.fetch_add(1, Ordering::AcqRel);
        word.wake_one();
        if n % 64 == 0 {
            thread::yield_now(); // let consumers fall asleep now and then
        }
    }
    // Consumers finish once every token is taken and `done` is set.
    let drained_by = Instant::now() + WATCHDOG;
    while tokens.load(Ordering::Acquire) > 0 {
        assert!(
            Instant::now() < drained_by,
            "tokens left untaken: a lost wake-up"
        );
        thread::yield_now();
    }
    done.store(true, Ordering::Release);
    word.wake_all();
    let mut taken = 0;
    for _ in 0..CONSUMERS {
        taken += counts
            .recv_timeout(WATCHDOG)
            .expect("every consumer woken by the last wake_all");
    }
    assert_eq!(taken, TOKENS);
}

/// The same ping-pong between two processes, through a word in a shared mapping: the futex
/// operations must not be private to one process.
#[test]
#[cfg(target_os = "linux")]
fn ping_pong_between_processes_through_shared_memory() {
    use std::num::NonZeroUsize;

    use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, fork};

    #[repr(C)]
    struct Table {
        turn: AtomicU32,
        words: [SharedWakeWord; 2],
    }
    const ROUNDS: u32 = 5_000;

    /// Plays `me`'s half of the game; the number of the round it lost a wake-up in, if any.
    fn play(table: &Table, me: u32) -> Result<(), u32> {
        for round in 0..ROUNDS {
            let mine = 2 * round + me;
            table.words[me as usize]
                .wait_for(
                    || (table.turn.load(Ordering::Acquire) == mine).then_some(()),
                    watchdog(),
                )
                .ok_or(round)?;
            table.turn.store(mine + 1, Ordering::Release);
            table.words[1 - me as usize].wake_one();
        }
        Ok(())
    }

    let length = NonZeroUsize::new(std::mem::size_of::<Table>()).unwrap();
    // SAFETY: a new anonymous mapping, placed by the kernel, overlaps nothing of ours.
    let mapping = unsafe {
        mmap_anonymous(
            None,
            length,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
    .expect("a shared mapping");
    // SAFETY: the mapping is page-aligned, at least `size_of::<Table>()` long, zeroed by the
    // kernel (all-zero bytes are a valid `Table`: atomics and fresh wake words), and stays
    // mapped until the `munmap` below, after both players are done with it. Only atomics are
    // accessed through the shared reference.
    let table = unsafe { mapping.cast::<Table>().as_ref() };
    // SAFETY: the child runs only `play` (atomics, futex system calls, the clock: no
    // allocation, no lock) and leaves with `_exit`, which is async-signal-safe.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let code = if play(table, 1).is_ok() { 0 } else { 1 };
            // SAFETY: ends the child at once, running nothing of the parent's copied state.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            let played = play(table, 0);
            if played.is_err() {
                let _ = kill(child, Signal::SIGKILL);
            }
            let status = waitpid(child, None).expect("waitpid");
            // SAFETY: both players are done: the child has exited, and `table` is not used
            // past this point.
            unsafe { munmap(mapping, length.get()) }.expect("munmap");
            assert_eq!(played, Ok(()), "the parent lost a wake-up");
            assert_eq!(
                status,
                WaitStatus::Exited(child, 0),
                "the child lost a wake-up"
            );
        }
    }
}
