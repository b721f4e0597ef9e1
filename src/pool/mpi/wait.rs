//! Waiting for an MPI message without burning a core.
//!
//! A blocking `MPI_Recv` in OpenMPI polls the network in a loop: an idle rank would take a
//! whole CPU from the ranks that work (on a lab machine, `mpirun -n 3` on two cores). So both
//! sides ask with `MPI_Iprobe` whether a message is there: for a moment actively (a polling-only
//! [`ActiveWait`], see `pool::idle`: no futex announces an MPI message), since a
//! reply to a short task comes within microseconds; then asleep between probes, each sleep an
//! eighth of the time waited so far, within [`FIRST_SLEEP`] and [`LONGEST_SLEEP`]. MPI offers
//! no descriptor to sleep on until a message comes, so a sleeping wait sees a message up to one
//! sleep late: at most an eighth late, or half a millisecond. Rank 0's progress engine sleeps
//! this way only while a rank owes it a reply; owing nothing, it sleeps until a pool wakes it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::pool::idle::ActiveWait;

/// How long a wait probes without sleeping. Longer than the thread and process pools' 50 µs
/// (`pool::idle`): a round trip to a rank passes through more hands — the caller, rank 0's
/// engine thread (a driver thread per rank when this was measured), the rank — and on a busy two-core machine a 50 µs window often closed before
/// the next request came, and the round trip took a millisecond of sleeps instead of 40 µs.
pub(crate) const RANK_ACTIVE_WAIT: Duration = Duration::from_micros(200);
/// The longest pause between two probes: the most a long task's result waits unseen.
pub(crate) const LONGEST_SLEEP: Duration = Duration::from_micros(500);
/// The shortest pause between two probes.
const FIRST_SLEEP: Duration = Duration::from_micros(10);
/// Each pause is the time waited so far divided by this, so a reply is seen at most an eighth
/// of its wait late. Sleeps doubling from 10 µs, as before, reached 160 µs a third of a
/// millisecond into a wait.
const PAUSE_DIVISOR: u32 = 8;

/// Whether a wait spins before its first yield: only while every rank on this machine has a
/// core of its own. Spinning where ranks share cores only keeps the awaited one from running:
/// with three ranks on two cores, a round trip took 7.6–8.1 µs instead of 5.9–6.9 µs, and
/// 20,000 one-item chunks 57–132 ms instead of 35–44 ms.
static SPIN_FIRST: AtomicBool = AtomicBool::new(true);

/// This machine runs more ranks than it has cores: waits yield from their first poll.
pub(crate) fn ranks_share_cores() {
    SPIN_FIRST.store(false, Ordering::Relaxed);
}

/// The pauses between probes of one wait.
pub(crate) struct Backoff {
    started: Instant,
    /// `None` once the active part of the wait is over.
    active: Option<ActiveWait>,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            started: Instant::now(),
            active: Some(ActiveWait::for_at_most(
                RANK_ACTIVE_WAIT,
                SPIN_FIRST.load(Ordering::Relaxed),
            )),
        }
    }

    /// Pauses before the next probe.
    pub(crate) fn pause(&mut self) {
        if !self.active() {
            std::thread::sleep(self.sleep());
        }
    }

    /// While the active part of the wait lasts: lets the CPU go briefly and returns `true`.
    /// Then `false`: the caller should sleep for [`sleep`](Self::sleep) before probing again.
    pub(crate) fn active(&mut self) -> bool {
        if let Some(active) = &mut self.active {
            if active.again() {
                return true;
            }
            self.active = None;
        }
        false
    }

    /// How long to sleep before the next probe, once the active part of the wait is over.
    pub(crate) fn sleep(&self) -> Duration {
        pause_after(self.started.elapsed())
    }
}

/// The sleep before the next probe of a wait that has lasted `waited`.
fn pause_after(waited: Duration) -> Duration {
    (waited / PAUSE_DIVISOR).clamp(FIRST_SLEEP, LONGEST_SLEEP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_an_eighth_of_the_wait_within_its_bounds() {
        let us = Duration::from_micros;
        assert_eq!(pause_after(us(0)), FIRST_SLEEP);
        assert_eq!(pause_after(us(79)), FIRST_SLEEP);
        assert_eq!(pause_after(us(800)), us(100));
        assert_eq!(pause_after(us(4000)), LONGEST_SLEEP);
        assert_eq!(pause_after(Duration::from_secs(60)), LONGEST_SLEEP);
    }
}
