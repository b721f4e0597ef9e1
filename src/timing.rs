//! Chapter 1 — measuring once: clocks, resolution, wall time and CPU time. (Being written.)
