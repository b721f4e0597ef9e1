//! Exercise 1 (Zadanie 1, 2 pkt): write your first name and index number to a file, read the
//! file back, and time the write and the read in nanoseconds on two clocks: the monotonic clock
//! (elapsed time) and the CPU clock (the processor's time spent on this program).

use std::io;
use std::path::Path;

use concurrency_lab::grade::ex1::RoundTrip;

/// Writes `name` and `index` to the file at `path` (creating or replacing it), reads the file
/// back, and returns what was read with the write's and the read's times.
///
/// The clocks: `concurrency_lab::timing::Clock::Monotonic.now_ns()` and
/// `Clock::ProcessCpu.now_ns()` (Python's `time.perf_counter_ns()` and
/// `time.process_time_ns()`), or `concurrency_lab::timing::measure`. A time is the difference
/// of two readings of one clock.
pub fn write_and_read(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
    todo!()
}
