//! Exercise 1: write a file holding the student's name and index, read it back, and time both
//! on the monotonic clock and on the CPU clock, in nanoseconds.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::guard::bounded;
use super::{Outcome, Part};
use crate::timing::Clock;

/// The longest one call of the student's function may take.
const BOUND: Duration = Duration::from_secs(30);
/// How many times the clocks are checked: a plausible reading once could be luck.
const CALLS: usize = 5;
/// No file operation (a system call or more) takes less CPU or elapsed time than this: a
/// smaller figure is in another unit than nanoseconds.
const FLOOR_NS: u64 = 200;

/// The two clocks' readings for one operation, in nanoseconds.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex1::Times;
///
/// let times = Times { monotonic_ns: 12_400, cpu_ns: 9_100 };
/// assert!(times.cpu_ns < times.monotonic_ns);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Times {
    /// Elapsed time, on the monotonic clock (`time.perf_counter_ns()`).
    pub monotonic_ns: u64,
    /// CPU time of the process (`time.process_time_ns()`).
    pub cpu_ns: u64,
}

/// What the student's exercise 1 returns: the text it read back, and how long the write and
/// the read took.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex1::{RoundTrip, Times};
///
/// let trip = RoundTrip {
///     read_back: "Tymoteusz\n144298\n".into(),
///     write: Times { monotonic_ns: 30_000, cpu_ns: 25_000 },
///     read: Times { monotonic_ns: 8_000, cpu_ns: 7_500 },
/// };
/// assert!(trip.read_back.contains("144298"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoundTrip {
    /// The file's content, as read back.
    pub read_back: String,
    /// The write's times.
    pub write: Times,
    /// The read's times.
    pub read: Times,
}

/// The student's function: writes `name` and `index` to the file at `path`, reads it back,
/// and times both steps.
pub type WriteAndRead = fn(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip>;

/// Grades exercise 1 by running `write_and_read` for real in a directory of its own.
///
/// - **file** (1 point): after the call the file exists, holds the name and the index, and
///   `read_back` is exactly what the file holds.
/// - **clocks** (1 point): over several calls, every reading is a time in nanoseconds taken
///   around the operation: at least 200 ns (nothing touching a file is faster, so a smaller
///   figure is in µs or ms) and no more than the grader's own reading of the same clock around
///   the whole call (so not a clock's absolute value, nor the wrong clock's span).
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex1::{self, RoundTrip};
///
/// fn unwritten(_: &std::path::Path, _: &str, _: u64) -> std::io::Result<RoundTrip> {
///     Err(std::io::Error::other("not done"))
/// }
/// assert_eq!(ex1::check(unwritten).points(), 0);
/// ```
pub fn check(write_and_read: WriteAndRead) -> Outcome {
    let parts = match Scratch::new() {
        Ok(scratch) => vec![
            Part::new("file", file_part(write_and_read, &scratch.0)),
            Part::new("clocks", clocks_part(write_and_read, &scratch.0)),
        ],
        Err(err) => {
            let why = format!("could not make a directory to grade in: {err}");
            vec![
                Part::new("file", Err(why.clone())),
                Part::new("clocks", Err(why)),
            ]
        }
    };
    Outcome {
        exercise: 1,
        title: "a file written and read back, timed",
        parts,
    }
}

/// A directory of the grader's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> io::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "concurrency-lab-grade-ex1-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover directory in /tmp harms nobody.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One call of the student's function, bounded, with the grader's own readings around it.
struct Call {
    trip: RoundTrip,
    /// The grader's monotonic and process-CPU spans of the whole call.
    around: Times,
}

fn call(write_and_read: WriteAndRead, path: &Path, name: &str, index: u64) -> Result<Call, String> {
    let (path, name) = (path.to_owned(), name.to_owned());
    bounded("write_and_read", BOUND, move || {
        let (wall, cpu) = (Clock::Monotonic.now_ns(), Clock::ProcessCpu.now_ns());
        let trip = write_and_read(&path, &name, index);
        let around = Times {
            monotonic_ns: Clock::Monotonic.now_ns() - wall,
            cpu_ns: Clock::ProcessCpu.now_ns() - cpu,
        };
        trip.map(|trip| Call { trip, around })
    })?
    .map_err(|err| format!("write_and_read returned an error: {err}"))
}

fn file_part(write_and_read: WriteAndRead, dir: &Path) -> Result<(), String> {
    let path = dir.join("test.txt");
    let (name, index) = ("Żaneta Łuczyńska", 144_298);
    let trip = call(write_and_read, &path, name, index)?.trip;
    let on_disk = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {} after the call: {err}", path.display()))?;
    if !on_disk.contains(name) {
        return Err(format!(
            "the file holds {on_disk:?}, without the name {name:?}"
        ));
    }
    if !on_disk.contains(&index.to_string()) {
        return Err(format!(
            "the file holds {on_disk:?}, without the index {index}"
        ));
    }
    if trip.read_back != on_disk {
        return Err(format!(
            "read_back is {:?}, but the file holds {on_disk:?}",
            trip.read_back
        ));
    }
    Ok(())
}

fn clocks_part(write_and_read: WriteAndRead, dir: &Path) -> Result<(), String> {
    for round in 0..CALLS {
        let path = dir.join(format!("clocks-{round}.txt"));
        let Call { trip, around } = call(write_and_read, &path, "Anna", 1_000)?;
        for (step, times) in [("write", trip.write), ("read", trip.read)] {
            plausible(step, "monotonic", times.monotonic_ns, around.monotonic_ns)?;
            plausible(step, "CPU", times.cpu_ns, around.cpu_ns)?;
        }
    }
    Ok(())
}

/// Whether `reported` can be `clock`'s nanoseconds for one step of a call that took `around`.
fn plausible(step: &str, clock: &str, reported: u64, around: u64) -> Result<(), String> {
    if reported < FLOOR_NS {
        return Err(format!(
            "the {step} took {reported} ns on the {clock} clock: too little for a file \
             operation — is it in nanoseconds?"
        ));
    }
    if reported > around {
        return Err(format!(
            "the {step} took {reported} ns on the {clock} clock, more than the whole call \
             ({around} ns on that clock) — is it a difference of two readings of that clock?"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::timing::measure;

    /// The reference: each step timed with `timing::measure` (monotonic and process CPU).
    fn right(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
        let write = measure(|| fs::write(path, format!("{name}\n{index}\n")));
        write.value?;
        let read = measure(|| fs::read_to_string(path));
        Ok(RoundTrip {
            read_back: read.value?,
            write: Times {
                monotonic_ns: write.wall.as_nanos() as u64,
                cpu_ns: write.cpu.as_nanos() as u64,
            },
            read: Times {
                monotonic_ns: read.wall.as_nanos() as u64,
                cpu_ns: read.cpu.as_nanos() as u64,
            },
        })
    }

    fn failure(outcome: &Outcome, part: &str) -> Option<String> {
        let found = outcome.parts.iter().find(|p| p.name == part).unwrap();
        found.failure.clone()
    }

    #[test]
    fn the_reference_scores_two() {
        let outcome = check(right);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        assert_eq!((outcome.exercise, outcome.max_points()), (1, 2));
    }

    #[test]
    fn todo_scores_zero() {
        fn todo(_: &Path, _: &str, _: u64) -> io::Result<RoundTrip> {
            todo!()
        }
        let outcome = check(todo);
        assert_eq!(outcome.points(), 0);
        assert!(
            failure(&outcome, "file")
                .unwrap()
                .contains("not written yet")
        );
    }

    #[test]
    fn a_file_without_the_index_fails_the_file_part() {
        fn no_index(path: &Path, name: &str, _: u64) -> io::Result<RoundTrip> {
            right(path, name, 0)
        }
        let why = failure(&check(no_index), "file").unwrap();
        assert!(why.contains("without the index 144298"), "{why}");
    }

    #[test]
    fn a_file_without_the_name_fails_the_file_part() {
        fn no_name(path: &Path, _: &str, index: u64) -> io::Result<RoundTrip> {
            right(path, "Anonim", index)
        }
        let why = failure(&check(no_name), "file").unwrap();
        assert!(why.contains("without the name"), "{why}");
    }

    #[test]
    fn a_read_back_that_is_not_the_file_fails_the_file_part() {
        fn wrote_but_did_not_read(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            let trip = right(path, name, index)?;
            Ok(RoundTrip {
                read_back: format!("{name} {index}"),
                ..trip
            })
        }
        let outcome = check(wrote_but_did_not_read);
        let why = failure(&outcome, "file").unwrap();
        assert!(why.contains("read_back is"), "{why}");
        assert_eq!(outcome.points(), 1, "the clocks are right");
    }

    #[test]
    fn no_file_at_all_fails_the_file_part() {
        fn elsewhere(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            right(&path.with_extension("bak"), name, index)
        }
        let why = failure(&check(elsewhere), "file").unwrap();
        assert!(why.contains("cannot read"), "{why}");
    }

    #[test]
    fn an_error_fails_both_parts() {
        fn refuses(_: &Path, _: &str, _: u64) -> io::Result<RoundTrip> {
            Err(io::Error::other("disk full"))
        }
        let outcome = check(refuses);
        assert_eq!(outcome.points(), 0);
        assert!(failure(&outcome, "clocks").unwrap().contains("disk full"));
    }

    #[test]
    fn microseconds_fail_the_clocks_part() {
        fn in_micros(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            let trip = right(path, name, index)?;
            let micros = |t: Times| Times {
                monotonic_ns: t.monotonic_ns / 1_000,
                cpu_ns: t.cpu_ns / 1_000,
            };
            Ok(RoundTrip {
                write: micros(trip.write),
                read: micros(trip.read),
                ..trip
            })
        }
        let outcome = check(in_micros);
        let why = failure(&outcome, "clocks").unwrap();
        assert!(why.contains("is it in nanoseconds?"), "{why}");
        assert_eq!(outcome.points(), 1, "the file is right");
    }

    #[test]
    fn a_clock_reading_instead_of_a_difference_fails_the_clocks_part() {
        fn absolute(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            let trip = right(path, name, index)?;
            Ok(RoundTrip {
                read: Times {
                    monotonic_ns: trip.read.monotonic_ns,
                    cpu_ns: Clock::ProcessCpu.now_ns(),
                },
                ..trip
            })
        }
        let why = failure(&check(absolute), "clocks").unwrap();
        assert!(
            why.contains("read took") && why.contains("CPU clock"),
            "{why}"
        );
        assert!(why.contains("more than the whole call"), "{why}");
    }

    #[test]
    fn a_monotonic_reading_instead_of_a_difference_fails_the_clocks_part() {
        fn absolute(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            let trip = right(path, name, index)?;
            Ok(RoundTrip {
                write: Times {
                    monotonic_ns: Clock::Monotonic.now_ns(),
                    cpu_ns: trip.write.cpu_ns,
                },
                ..trip
            })
        }
        let why = failure(&check(absolute), "clocks").unwrap();
        assert!(
            why.contains("write took") && why.contains("monotonic clock"),
            "{why}"
        );
    }

    #[test]
    fn plausible_accepts_its_bounds_and_refuses_beyond() {
        assert!(plausible("write", "CPU", FLOOR_NS, FLOOR_NS).is_ok());
        assert!(plausible("write", "CPU", FLOOR_NS - 1, 10_000).is_err());
        assert!(plausible("write", "CPU", 10_001, 10_000).is_err());
    }
}
