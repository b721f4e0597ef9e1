//! Exercise 1: write a file holding the student's name and index, read it back, and time both
//! on the monotonic clock and on the CPU clock, in nanoseconds.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::Rng;

use super::guard::bounded;
use super::{Outcome, Part, Text, text};
use crate::timing::Clock;

/// The longest one call of the student's function may take.
const BOUND: Duration = Duration::from_secs(30);
/// How many pairs of calls (one with a short name, one with a long one) the clocks are checked
/// on: a plausible reading once could be luck, and the fastest of several is what a loaded
/// machine cannot spoil.
const PAIRS: usize = 3;
/// The long name's length, in characters, is drawn (roughly) from this range at grading time:
/// tens of megabytes to write and read, where the short name is a few bytes. Creating a file
/// has a fixed cost (half a millisecond was seen for a 4-byte write on a loaded virtual
/// machine, about what 2 MB more added): the long name must be long enough for its bytes, not
/// that fixed cost, to dominate its time.
const LONG_NAME: std::ops::Range<usize> = 16_000_000..32_000_000;
/// How many times longer the fastest long-name step must take than the fastest short-name one.
/// Writing and reading tens of megabytes takes tens to thousands of times as long as a few
/// bytes (on every machine, since both are measured in the same run); a time that does not
/// grow with the work was not measured around it.
const GROWTH: u64 = 4;
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
///   the whole call (so not a clock's absolute value, nor the wrong clock's span). And the
///   times follow the work: calls with a name of a few letters and calls with a name of
///   16 million or more (its length drawn at grading time) alternate, and on each clock the
///   fastest long write (and read) must take at least 4 times the fastest short one — really
///   it takes hundreds of times as long. Made-up or constant times fail.
///
/// The name and index of the **file** part are drawn at grading time as well.
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
            Part::both(FILE, file_part(write_and_read, &scratch.0)),
            Part::both(CLOCKS, clocks_part(write_and_read, &scratch.0)),
        ],
        Err(err) => {
            let why = text!(
                "sprawdzarka nie mogła utworzyć katalogu: {err}",
                "could not make a directory to grade in: {err}"
            );
            vec![
                Part::both(FILE, Err(why.clone())),
                Part::both(CLOCKS, Err(why)),
            ]
        }
    };
    Outcome {
        exercise: 1,
        title: "a file written and read back, timed",
        parts,
    }
}

/// The parts' names, in Polish and in English.
const FILE: (&str, &str) = ("plik", "file");
const CLOCKS: (&str, &str) = ("zegary", "clocks");

/// A word of the messages in Polish: a step, or a clock (as in "na zegarze …").
fn pl(word: &str) -> &str {
    match word {
        "write" => "zapis",
        "read" => "odczyt",
        "monotonic" => "monotonicznym",
        "CPU" => "czasu procesora",
        other => other,
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

fn call(write_and_read: WriteAndRead, path: &Path, name: &str, index: u64) -> Result<Call, Text> {
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
    .map_err(|err| {
        text!(
            "write_and_read zwróciła błąd: {err}",
            "write_and_read returned an error: {err}"
        )
    })
}

fn file_part(write_and_read: WriteAndRead, dir: &Path) -> Result<(), Text> {
    let path = dir.join("test.txt");
    let mut rng = rand::rng();
    let name = format!(
        "{} {}",
        random_name(&mut rng, 3..12),
        random_name(&mut rng, 3..15)
    );
    let index = rng.random_range(100_000..1_000_000);
    let trip = call(write_and_read, &path, &name, index)?.trip;
    let shown = path.display();
    let on_disk = std::fs::read_to_string(&path).map_err(|err| {
        text!(
            "po wywołaniu nie da się odczytać pliku {shown}: {err}",
            "cannot read {shown} after the call: {err}"
        )
    })?;
    if !on_disk.contains(&name) {
        return Err(text!(
            "plik zawiera {on_disk:?}, bez imienia {name:?}",
            "the file holds {on_disk:?}, without the name {name:?}"
        ));
    }
    if !on_disk.contains(&index.to_string()) {
        return Err(text!(
            "plik zawiera {on_disk:?}, bez indeksu {index}",
            "the file holds {on_disk:?}, without the index {index}"
        ));
    }
    let read_back = &trip.read_back;
    if *read_back != on_disk {
        return Err(text!(
            "read_back to {read_back:?}, a plik zawiera {on_disk:?}",
            "read_back is {read_back:?}, but the file holds {on_disk:?}"
        ));
    }
    Ok(())
}

fn clocks_part(write_and_read: WriteAndRead, dir: &Path) -> Result<(), Text> {
    let mut rng = rand::rng();
    // A random word repeated: as long a name as random letters, drawn in a fraction of the time.
    let word = random_name(&mut rng, 20..40);
    let long = word.repeat(rng.random_range(LONG_NAME) / word.chars().count());
    let (mut short_fastest, mut long_fastest) = ([u64::MAX; 4], [u64::MAX; 4]);
    for round in 0..PAIRS {
        for (name, fastest) in [
            ("Anna", &mut short_fastest),
            (long.as_str(), &mut long_fastest),
        ] {
            let path = dir.join(format!("clocks-{round}-{}.txt", name.len()));
            let index = rng.random_range(100_000..1_000_000);
            let Call { trip, around } = call(write_and_read, &path, name, index)?;
            for (step, times) in [("write", trip.write), ("read", trip.read)] {
                plausible(step, "monotonic", times.monotonic_ns, around.monotonic_ns)?;
                plausible(step, "CPU", times.cpu_ns, around.cpu_ns)?;
            }
            let readings = [
                trip.write.monotonic_ns,
                trip.write.cpu_ns,
                trip.read.monotonic_ns,
                trip.read.cpu_ns,
            ];
            for (fast, reading) in fastest.iter_mut().zip(readings) {
                *fast = (*fast).min(reading);
            }
        }
    }
    let steps = [
        ("write", "monotonic"),
        ("write", "CPU"),
        ("read", "monotonic"),
        ("read", "CPU"),
    ];
    for (((step, clock), short), long_ns) in steps.into_iter().zip(short_fastest).zip(long_fastest)
    {
        follows_the_work(step, clock, short, long_ns, long.len())?;
    }
    Ok(())
}

/// Whether a step's time grew with its work: `long` (the fastest time with a name of
/// `long_bytes` bytes) at least [`GROWTH`] times `short` (the fastest with a short name).
fn follows_the_work(
    step: &str,
    clock: &str,
    short: u64,
    long: u64,
    long_bytes: usize,
) -> Result<(), Text> {
    if u128::from(long) >= u128::from(short) * u128::from(GROWTH) {
        return Ok(());
    }
    let (step_pl, clock_pl) = (pl(step), pl(clock));
    Err(text!(
        "{step_pl} imienia długiego na {long_bytes} bajtów trwał {long} ns na zegarze \
         {clock_pl}, a imienia 4-literowego {short} ns: czas zmierzony wokół pracy rośnie razem \
         z nią — odczytaj zegar tuż przed i tuż po operacji ({step_pl})",
        "the {step} of a {long_bytes}-byte name took {long} ns on the {clock} clock, and of a \
         4-letter name {short} ns: a time measured around the work grows with it — read the \
         clock just before and just after the {step}"
    ))
}

/// A name of `letters` random letters (Polish ones among them), its length drawn from the range.
fn random_name(rng: &mut impl Rng, letters: std::ops::Range<usize>) -> String {
    const LETTERS: &[char] = &[
        'a', 'e', 'i', 'k', 'm', 'n', 'o', 'r', 's', 'z', 'ą', 'ę', 'ł', 'ń', 'ó', 'ś', 'ż',
    ];
    let len = rng.random_range(letters);
    let mut name: String = (0..len)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())])
        .collect();
    if let Some(first) = name.chars().next() {
        let upper: String = first.to_uppercase().collect();
        name.replace_range(..first.len_utf8(), &upper);
    }
    name
}

/// Whether `reported` can be `clock`'s nanoseconds for one step of a call that took `around`.
fn plausible(step: &str, clock: &str, reported: u64, around: u64) -> Result<(), Text> {
    let (step_pl, clock_pl) = (pl(step), pl(clock));
    if reported < FLOOR_NS {
        return Err(text!(
            "{step_pl} trwał {reported} ns na zegarze {clock_pl}: za mało jak na operację na \
             pliku — czy to na pewno nanosekundy?",
            "the {step} took {reported} ns on the {clock} clock: too little for a file \
             operation — is it in nanoseconds?"
        ));
    }
    if reported > around {
        return Err(text!(
            "{step_pl} trwał {reported} ns na zegarze {clock_pl}, dłużej niż całe wywołanie \
             ({around} ns na tym zegarze) — czy to różnica dwóch odczytów tego zegara?",
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
        assert!(why.contains("without the index"), "{why}");
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

    /// The right file, and times made up: `ns` on every clock for every step.
    fn made_up(path: &Path, name: &str, index: u64, ns: u64) -> io::Result<RoundTrip> {
        let trip = right(path, name, index)?;
        let times = Times {
            monotonic_ns: ns,
            cpu_ns: ns,
        };
        Ok(RoundTrip {
            write: times,
            read: times,
            ..trip
        })
    }

    #[test]
    fn constant_times_fail_the_clocks_part() {
        fn constant(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            made_up(path, name, index, 1_000)
        }
        let outcome = check(constant);
        let why = failure(&outcome, "clocks").unwrap();
        assert!(why.contains("grows with it"), "{why}");
        assert_eq!(outcome.points(), 1, "the file is right");
    }

    #[test]
    fn times_that_grow_too_little_fail_the_clocks_part() {
        // Plausible, and even longer for the long name, but not by the work's measure: a
        // fixed cost plus a guess.
        fn guessed(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            made_up(
                path,
                name,
                index,
                if name.len() > 100 { 3_000 } else { 1_000 },
            )
        }
        assert!(failure(&check(guessed), "clocks").is_some());
    }

    #[test]
    fn timing_nothing_fails_the_clocks_part() {
        // The clocks are read, but around nothing, and the file written outside them.
        fn around_nothing(path: &Path, name: &str, index: u64) -> io::Result<RoundTrip> {
            let trip = right(path, name, index)?;
            let nothing = measure(|| ());
            let times = Times {
                monotonic_ns: nothing.wall.as_nanos() as u64 + FLOOR_NS,
                cpu_ns: nothing.cpu.as_nanos() as u64 + FLOOR_NS,
            };
            Ok(RoundTrip {
                write: times,
                read: times,
                ..trip
            })
        }
        assert!(failure(&check(around_nothing), "clocks").is_some());
    }

    #[test]
    fn the_file_part_draws_its_name_and_index() {
        // A function that knows the old fixed name and index, and writes them whatever it is
        // given.
        fn hard_coded(path: &Path, _: &str, _: u64) -> io::Result<RoundTrip> {
            right(path, "Żaneta Łuczyńska", 144_298)
        }
        assert!(failure(&check(hard_coded), "file").is_some());
        let mut rng = rand::rng();
        let (a, b) = (random_name(&mut rng, 12..13), random_name(&mut rng, 12..13));
        assert_eq!(a.chars().count(), 12);
        assert!(a.chars().next().unwrap().is_uppercase(), "{a}");
        assert_ne!(a, b, "17¹² names: a clash has a chance below 10⁻¹⁴");
    }

    #[test]
    fn follows_the_work_needs_the_growth() {
        assert!(follows_the_work("write", "CPU", 1_000, GROWTH * 1_000, 10).is_ok());
        let why = follows_the_work("read", "CPU", 1_000, GROWTH * 1_000 - 1, 10)
            .unwrap_err()
            .en;
        assert!(why.contains("read of a 10-byte name took"), "{why}");
        assert!(follows_the_work("write", "CPU", u64::MAX, u64::MAX, 10).is_err());
    }

    #[test]
    fn plausible_accepts_its_bounds_and_refuses_beyond() {
        assert!(plausible("write", "CPU", FLOOR_NS, FLOOR_NS).is_ok());
        assert!(plausible("write", "CPU", FLOOR_NS - 1, 10_000).is_err());
        assert!(plausible("write", "CPU", 10_001, 10_000).is_err());
    }
}
