//! Spinning before the first yield: how an MPI wait starts when each rank has a core.

use std::time::Duration;

use crate::pool::idle::ActiveWait;

/// How many polls [`ActiveWait::for_at_most`] spins through before its first yield, each
/// after two spin-loop pauses: enough for a short task's reply from another MPI rank, which
/// takes 1–3 µs. Six polls after pauses doubling each time saw the reply later: 3.3 µs a round
/// trip instead of 2.7 µs (`mpirun -n 2`, shared memory).
const SPIN_POLLS: u32 = 40;

impl ActiveWait {
    /// Starts waiting now for at most `window`, spinning in place
    /// for the first polls if `spin_first`: for a peer that surely runs on another core, such
    /// as another MPI rank when each has a core, whose reply often comes sooner than a system
    /// call returns.
    pub(crate) fn for_at_most(window: Duration, spin_first: bool) -> Self {
        Self::new(window, if spin_first { SPIN_POLLS } else { 0 })
    }
}
