//! Exercise 1, the reference answer: each step timed with `timing::measure`, which reads the
//! monotonic clock and the process CPU clock around it.

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use concurrency_lab::grade::ex1::{RoundTrip, Times};
use concurrency_lab::timing::measure;

/// Writes `name` and `index` to `path`, reads the file back, and times both.
pub fn write_and_read(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
    let write = measure(|| fs::write(path, format!("{name}\n{index}\n")));
    write.value?;
    let read = measure(|| fs::read_to_string(path));
    Ok(RoundTrip {
        read_back: read.value?,
        write: times(write.wall, write.cpu),
        read: times(read.wall, read.cpu),
    })
}

fn times(wall: Duration, cpu: Duration) -> Times {
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    Times {
        monotonic_ns: ns(wall),
        cpu_ns: ns(cpu),
    }
}
