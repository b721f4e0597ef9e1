//! Waiting for an MPI message without burning a core.
//!
//! A blocking `MPI_Recv` in OpenMPI polls the network in a loop: an idle rank would take a
//! whole CPU from the ranks that work (on a lab machine, `mpirun -n 3` on two cores). So both
//! sides ask with `MPI_Iprobe` whether a message is there: for a moment actively (the pools'
//! [`ActiveWait`], which gives up at once when the CPU is busy — see `pool::idle`), since a
//! reply to a short task comes within microseconds; then asleep between probes, each sleep
//! twice the last, up to [`LONGEST_SLEEP`]. MPI offers no descriptor to sleep on until a
//! message comes, so a sleeping wait sees a message up to one sleep late.

use std::time::Duration;

use crate::pool::idle::ActiveWait;

/// How long a wait probes without sleeping. Longer than the thread and process pools' 50 µs
/// (`pool::idle`): a round trip to a rank passes through more hands — the caller, the rank's
/// driver thread, the rank — and on a busy two-core machine a 50 µs window often closed before
/// the next request came, and the round trip took a millisecond of sleeps instead of 40 µs.
pub(crate) const ACTIVE_WAIT: Duration = Duration::from_micros(200);
/// The longest pause between two probes: the most a long task's result waits unseen.
pub(crate) const LONGEST_SLEEP: Duration = Duration::from_micros(500);
const FIRST_SLEEP: Duration = Duration::from_micros(10);

/// The pauses between probes of one wait.
pub(crate) struct Backoff {
    /// `None` once the active part of the wait is over.
    active: Option<ActiveWait>,
    sleep: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            active: Some(ActiveWait::spinning_first(ACTIVE_WAIT)),
            sleep: FIRST_SLEEP,
        }
    }

    /// Pauses before the next probe.
    pub(crate) fn pause(&mut self) {
        if let Some(active) = &mut self.active {
            if active.again() {
                return;
            }
            self.active = None;
        }
        std::thread::sleep(self.sleep);
        self.sleep = (self.sleep * 2).min(LONGEST_SLEEP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_the_longest_sleep_and_stay_there() {
        let mut backoff = Backoff::new();
        while backoff.active.is_some() {
            backoff.pause();
        }
        for _ in 0..12 {
            backoff.pause();
        }
        assert_eq!(backoff.sleep, LONGEST_SLEEP);
    }
}
