//! Spinning before the first yield: how an MPI wait starts when each rank has a core.

use std::time::Duration;

use crate::pool::idle::ActiveWait;
use crate::pool::wake::SPIN_POLLS;

impl ActiveWait {
    /// Starts waiting now for at most `window`, spinning in place for the first
    /// [`SPIN_POLLS`] polls if `spin_first`: for a peer that surely runs on another core, such
    /// as another MPI rank when each has a core, whose reply often comes sooner than a system
    /// call returns.
    pub(crate) fn for_at_most(window: Duration, spin_first: bool) -> Self {
        Self::new(window, if spin_first { SPIN_POLLS } else { 0 })
    }
}
