//! Where a pool's idle workers wait for their next job: a [`Bell`] rung after every send.
//!
//! The waiting itself is `pool::wake`'s: a bounded spin, then a futex wait that a sender's
//! ring ends — and a ring costs no system call while a worker is still spinning (it will
//! take the job) or none sleeps. So a pool fed one task at a time keeps the same worker, the
//! one still spinning, taking every task, and nothing here measures time or guesses load.

use std::sync::atomic::{Ordering, fence};

use crossbeam::channel::{Receiver, TryRecvError};

use super::wake::WakeWord;

/// Where the receivers of a channel wait; every send on the channel must be followed by
/// [`ring`](Bell::ring).
pub(crate) struct Bell(WakeWord);

impl Bell {
    pub(crate) fn new() -> Self {
        Bell(WakeWord::new())
    }

    /// Wakes one receiver asleep in [`next_message`], unless one is still spinning or none
    /// sleeps: call it after each send.
    pub(crate) fn ring(&self) {
        self.0.wake_one();
    }
}

/// The next message on `receiver`, or `None` once every sender is gone. Sleeps on `bell`,
/// so every sender must ring it after each send, and a sleeper is not woken by the last
/// sender going away: the channel's owner keeps a sender for as long as anyone receives.
pub(crate) fn next_message<T>(receiver: &Receiver<T>, bell: &Bell) -> Option<T> {
    let message = bell
        .0
        .wait_for(
            || match receiver.try_recv() {
                Ok(message) => Some(Some(message)),
                Err(TryRecvError::Disconnected) => Some(None),
                Err(TryRecvError::Empty) => None,
            },
            None,
        )
        .expect("a wait without a deadline ends only with a message or the channel's end");
    // A ring skipped because this receiver was spinning may have been meant for a message it
    // did not take: pass it on. The fence orders this look after the wait's last step.
    fence(Ordering::SeqCst);
    if message.is_some() && !receiver.is_empty() {
        bell.ring();
    }
    message
}

/// A wait that can only poll — for an MPI message, which no futex announces (the MPI backend
/// starts it in `mpi::spin`): spins through a number of polls first, then yields between
/// polls until its window has passed.
#[cfg(feature = "mpi")]
pub(crate) struct ActiveWait {
    started: std::time::Instant,
    polls: u32,
    window: std::time::Duration,
    /// Polls spent spinning in place before the first yield.
    spins: u32,
}

#[cfg(feature = "mpi")]
impl ActiveWait {
    /// Starts waiting now for at most `window`, spinning in place for the first `spins` polls.
    pub(super) fn new(window: std::time::Duration, spins: u32) -> Self {
        ActiveWait {
            started: std::time::Instant::now(),
            polls: 0,
            window,
            spins,
        }
    }

    /// After an unsuccessful poll: returns `true` if polling again is worth it, or `false`
    /// when the caller should sleep.
    pub(crate) fn again(&mut self) -> bool {
        self.polls += 1;
        if self.polls <= self.spins {
            std::hint::spin_loop();
            std::hint::spin_loop();
            return true;
        }
        if self.started.elapsed() >= self.window {
            return false;
        }
        std::thread::yield_now();
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use crossbeam::channel;

    use super::*;

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

    #[test]
    fn a_ring_with_nobody_waiting_makes_no_system_call() {
        let (sender, receiver) = channel::unbounded::<u32>();
        let bell = Bell::new();
        for n in 0..100 {
            sender.send(n).unwrap();
            bell.ring();
        }
        assert_eq!(bell.0.kernel_wakes(), 0);
        for n in 0..100 {
            assert_eq!(next_message(&receiver, &bell), Some(n));
        }
        assert_eq!(
            bell.0.kernel_wakes(),
            0,
            "the messages were there: nobody slept"
        );
    }

    /// Bursts of messages to several receivers, each burst sent while they sleep or spin: every
    /// message is taken, so no ring was lost — even those skipped because a receiver spun.
    #[test]
    fn bursts_to_many_receivers_lose_no_message() {
        const RECEIVERS: usize = 4;
        const BURSTS: u32 = 2_000;
        let (sender, receiver) = channel::unbounded::<Option<u32>>();
        let bell = Arc::new(Bell::new());
        let (results, collected) = channel::unbounded();
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let (receiver, bell, results) =
                    (receiver.clone(), Arc::clone(&bell), results.clone());
                thread::spawn(move || {
                    // `None` tells a receiver to stop.
                    while let Some(Some(n)) = next_message(&receiver, &bell) {
                        results.send(n).unwrap();
                    }
                })
            })
            .collect();
        let mut sent = 0;
        for burst in 0..BURSTS {
            for _ in 0..=burst % 3 {
                sender.send(Some(sent)).unwrap();
                bell.ring();
                sent += 1;
            }
            // Wait for the burst to be taken, so that the receivers go back to waiting.
            for _ in 0..=burst % 3 {
                collected
                    .recv_timeout(Duration::from_secs(60))
                    .expect("every message is taken: no ring was lost");
            }
        }
        for _ in 0..RECEIVERS {
            sender.send(None).unwrap();
            bell.ring();
        }
        for receiver in receivers {
            receiver.join().unwrap();
        }
        assert!(collected.is_empty(), "each message taken once");
    }
}
