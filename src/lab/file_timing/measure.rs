//! The measurement of exercise 1: write and read timed on two clocks, over many repeats.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Durability, Student, read_student, write_student};
use crate::bench::{Stats, group_digits};
use crate::timing::{Clock, measure};
use crate::{Error, Result};

/// Exercise 1's measurement: `repeat` round trips (write, then read back) of one record, each
/// call timed on the monotonic clock and on the process CPU clock (see [`crate::timing`]).
///
/// Built by [`time_round_trips`]; its `Display` is the table the example prints.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::{time_round_trips, Durability, Student};
///
/// let path = std::env::temp_dir().join("concurrency-lab-doc-timings.txt");
/// let student = Student::new("Tymoteusz", 144298)?;
/// let timings = time_round_trips(&path, &student, Durability::PageCache, 10)?;
/// assert_eq!(timings.read_back, student);
/// assert_eq!(timings.write.monotonic_ns.len(), 10);
/// println!("{timings}");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTimings {
    /// The file written and read.
    pub path: PathBuf,
    /// Whether each write waited for the disk.
    pub durability: Durability,
    /// What the reads returned: checked equal to what was written on every repeat.
    pub read_back: Student,
    /// The writes' times, one per repeat.
    pub write: Samples,
    /// The reads' times, one per repeat.
    pub read: Samples,
}

/// The times of one operation, one entry per repeat, in nanoseconds.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::Samples;
///
/// let samples = Samples { monotonic_ns: vec![30, 10, 20], cpu_ns: vec![9, 7, 8] };
/// assert_eq!(samples.monotonic_ns.iter().min(), Some(&10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Samples {
    /// Elapsed time, on the monotonic clock ([`Clock::Monotonic`]).
    pub monotonic_ns: Vec<u64>,
    /// CPU time of the process ([`Clock::ProcessCpu`]).
    pub cpu_ns: Vec<u64>,
}

impl Samples {
    fn push(&mut self, wall: Duration, cpu: Duration) {
        self.monotonic_ns.push(nanos(wall));
        self.cpu_ns.push(nanos(cpu));
    }
}

/// Writes `student` to `path` and reads it back, `repeat` times, timing each write and each
/// read on the monotonic and the process CPU clock.
///
/// Every read is checked against what was written. The file is left in place, so you can look
/// at it.
///
/// # Errors
///
/// [`Error::InvalidInput`] when `repeat` is 0 or a read returns something else than what was
/// written (another program changed the file); [`Error::Io`] when the file cannot be written
/// or read.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::{time_round_trips, Durability, Student};
///
/// let student = Student::new("Anna", 1)?;
/// let path = std::env::temp_dir().join("concurrency-lab-doc-repeat.txt");
/// assert!(time_round_trips(&path, &student, Durability::PageCache, 0).is_err());
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn time_round_trips(
    path: &Path,
    student: &Student,
    durability: Durability,
    repeat: u32,
) -> Result<FileTimings> {
    if repeat == 0 {
        return Err(Error::invalid_input(
            "repeat",
            repeat,
            "it must be at least 1",
        ));
    }
    let mut write = Samples::default();
    let mut read = Samples::default();
    let mut read_back = round_trip(path, student, durability, &mut write, &mut read)?;
    for _ in 1..repeat {
        read_back = round_trip(path, student, durability, &mut write, &mut read)?;
    }
    Ok(FileTimings {
        path: path.to_owned(),
        durability,
        read_back,
        write,
        read,
    })
}

/// One timed write and one timed read, the read checked against what was written.
fn round_trip(
    path: &Path,
    student: &Student,
    durability: Durability,
    write: &mut Samples,
    read: &mut Samples,
) -> Result<Student> {
    let written = measure(|| write_student(path, student, durability));
    write.push(written.wall, written.cpu);
    written.value?;

    let reading = measure(|| read_student(path));
    read.push(reading.wall, reading.cpu);
    let got = reading.value?;
    if got != *student {
        return Err(Error::invalid_input(
            "file content",
            got.to_file_text(),
            format!(
                "expected {:?}: the file changed under us",
                student.to_file_text()
            ),
        ));
    }
    Ok(got)
}

impl fmt::Display for FileTimings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let repeats = self.write.monotonic_ns.len();
        let durability = match self.durability {
            Durability::PageCache => "page cache only, no sync",
            Durability::Disk => "each write synced to disk",
        };
        writeln!(
            f,
            "{}: {repeats} round trips ({durability})",
            self.path.display()
        )?;
        writeln!(
            f,
            "{:<10} {:<12} {:>12} {:>12}",
            "operation", "clock", "min ns", "median ns"
        )?;
        for (operation, samples) in [("write", &self.write), ("read", &self.read)] {
            for (clock, ns) in [
                (Clock::Monotonic, &samples.monotonic_ns),
                (Clock::ProcessCpu, &samples.cpu_ns),
            ] {
                let (min, median) = match min_and_median(ns) {
                    Some((min, median)) => (group_digits(min), group_digits(median)),
                    None => ("-".to_owned(), "-".to_owned()),
                };
                writeln!(
                    f,
                    "{operation:<10} {:<12} {min:>12} {median:>12}",
                    clock.name()
                )?;
            }
        }
        write!(
            f,
            "read back: {} {} (equal to what was written, every time)",
            self.read_back.name, self.read_back.index
        )
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The smallest and the median of some nanosecond figures, rounded to whole nanoseconds (the
/// median of an even count is the mean of the middle two); `None` for no figures.
fn min_and_median(ns: &[u64]) -> Option<(u64, u64)> {
    let samples: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
    let stats = Stats::from_samples(&samples).ok()?;
    Some((stats.min.round() as u64, stats.median.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_median_round_to_whole_nanoseconds() {
        assert_eq!(min_and_median(&[50, 10, 30]), Some((10, 30)));
        assert_eq!(
            min_and_median(&[40, 10, 31, 20]),
            Some((10, 26)),
            "(20 + 31) / 2 = 25.5"
        );
        assert_eq!(min_and_median(&[]), None);
    }

    #[test]
    fn round_trips_are_timed_on_both_clocks_and_verified() {
        let path = std::env::temp_dir().join(format!("clab-rt-{}.txt", std::process::id()));
        let student = Student::new("Anna-Maria", 42).unwrap();
        let timings = time_round_trips(&path, &student, Durability::PageCache, 7).unwrap();
        assert_eq!(timings.read_back, student);
        for samples in [&timings.write, &timings.read] {
            assert_eq!(samples.monotonic_ns.len(), 7);
            assert_eq!(samples.cpu_ns.len(), 7);
        }
        let table = timings.to_string();
        assert_eq!(table.lines().count(), 7, "{table}");
        assert!(table.contains("7 round trips (page cache only"), "{table}");
        assert!(
            table.ends_with("read back: Anna-Maria 42 (equal to what was written, every time)")
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn zero_repeats_and_unwritable_paths_are_errors() {
        let student = Student::new("Anna", 1).unwrap();
        let err = time_round_trips(Path::new("x.txt"), &student, Durability::Disk, 0).unwrap_err();
        assert!(err.to_string().contains("invalid repeat \"0\""), "{err}");
        let err = time_round_trips(
            Path::new("/proc/no/such.txt"),
            &student,
            Durability::Disk,
            3,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
