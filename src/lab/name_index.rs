//! Exercise 2: does the index hold the digit the name's length points to — and how long do
//! the answer and the file round trip of exercise 1 take, measured with [`crate::bench`]?
//!
//! `cargo run --example name_index -- --name Tymoteusz --index 144298` prints the table.

use std::cell::RefCell;
use std::path::Path;

use crate::bench::{Bench, Group, Report, black_box};
use crate::lab::file_timing::{Durability, Student, read_student, write_student};
use crate::{Error, Result};

/// True when the digit `(letters in name) mod 10` appears in the decimal digits of `index`.
///
/// Letters are Unicode letters ([`char::is_alphabetic`]), counted as characters, not bytes:
/// `Łukasz` has 6 letters although it takes 7 bytes, and `Anna-Maria` has 9 (a hyphen or a space
/// is not a letter). A 10-letter name looks for the digit 0, and so does an empty name.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::name_index::is_name_index;
///
/// assert!(is_name_index("Tymoteusz", 144298)); // 9 letters, and 144298 has a 9
/// assert!(!is_name_index("Łukasz", 144298)); // 6 letters, no 6
/// assert!(is_name_index("Maximilian", 105)); // 10 letters → the digit 0
/// ```
#[must_use]
pub fn is_name_index(name: &str, index: u64) -> bool {
    let letters = name.chars().filter(|c| c.is_alphabetic()).count();
    let wanted = (letters % 10) as u64;
    let mut rest = index;
    loop {
        if rest % 10 == wanted {
            return true;
        }
        rest /= 10;
        if rest == 0 {
            return false;
        }
    }
}

/// The lab's linear search: true when `find` is in `list`, looking at each element in turn.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::name_index::linear_search;
///
/// let list: Vec<u32> = (0..10_000).collect();
/// assert!(linear_search(&list, &9_999));
/// assert!(!linear_search(&list, &10_000));
/// ```
pub fn linear_search<T: PartialEq>(list: &[T], find: &T) -> bool {
    for x in list {
        if x == find {
            return true;
        }
    }
    false
}

/// Exercise 2's measurement: benchmarks `is_name_index` on the student's name and index, and
/// the write and the read of exercise 1 on `path`, together in one [`Group`]. Returns three reports, named
/// `"is_name_index"`, `"write"` and `"read"`, ready for [`crate::bench::compare`].
///
/// `quick` forces quick mode (`BENCH_QUICK=1` in the environment does too): rough figures in a
/// fraction of a second.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be written or read; [`Error::InvalidInput`] when a read
/// returns something else than what was written. The first failure stops the measurement.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::compare;
/// use concurrency_lab::lab::file_timing::Student;
/// use concurrency_lab::lab::name_index::benchmark;
///
/// let path = std::env::temp_dir().join("concurrency-lab-doc-name-index.txt");
/// let reports = benchmark(&path, &Student::new("Tymoteusz", 144298)?, true)?;
/// println!("{}", compare(&reports, "is_name_index")?);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn benchmark(path: &Path, student: &Student, quick: bool) -> Result<Vec<Report>> {
    let bench = |name: &str| {
        let bench = Bench::new(name);
        if quick { bench.quick(true) } else { bench }
    };
    // The timed closures cannot return errors to the harness; they note the first one here.
    let failure = RefCell::new(None);
    let note = |result: Result<()>| {
        if let Err(err) = result {
            failure.borrow_mut().get_or_insert(err);
        }
    };
    let reports = Group::new()
        .bench(bench("is_name_index"), || {
            is_name_index(black_box(&student.name), black_box(student.index))
        })
        .bench(bench("write"), || {
            note(write_student(path, student, Durability::PageCache))
        })
        .bench(bench("read"), || note(read_and_check(path, student)))
        .run()?;
    failure.into_inner().map_or(Ok(reports), Err)
}

/// Reads the record back and checks it is the one written.
fn read_and_check(path: &Path, student: &Student) -> Result<()> {
    let got = read_student(path)?;
    if got == *student {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "file content",
            got.to_file_text(),
            format!("expected {:?}", student.to_file_text()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_labs_example() {
        assert!(is_name_index("Tymoteusz", 144298));
        assert!(!is_name_index("Tymoteusz", 144288));
    }

    #[test]
    fn letters_are_counted_as_characters_not_bytes() {
        assert_eq!("Łukasz".len(), 7);
        assert!(is_name_index("Łukasz", 6));
        assert!(!is_name_index("Łukasz", 7));
        assert!(is_name_index("Żaneta", 6));
        assert!(is_name_index("Zoë", 3));
        // "José" with a combining accent: five characters, four letters.
        let decomposed = "Jose\u{301}";
        assert_eq!(decomposed.chars().count(), 5);
        assert!(is_name_index(decomposed, 4) && !is_name_index(decomposed, 5));
        assert!(is_name_index("Дмитрий", 7));
    }

    #[test]
    fn spaces_and_hyphens_are_not_letters() {
        assert!(is_name_index("Anna-Maria", 9));
        assert!(is_name_index("Anna Maria", 9));
        assert!(!is_name_index("Anna-Maria", 10));
        assert!(is_name_index(" Jan ", 3));
    }

    #[test]
    fn ten_and_twenty_letters_look_for_the_digit_zero() {
        assert!(is_name_index("Maximilian", 105));
        assert!(!is_name_index("Maximilian", 123));
        assert!(is_name_index("Maximilian Bartolomeo", 1000));
        assert!(!is_name_index("Maximilian Bartolomeo", 2));
    }

    #[test]
    fn digit_nine_at_either_end_of_the_index() {
        assert!(is_name_index("Tymoteusz", 9));
        assert!(is_name_index("Tymoteusz", 900_000));
        assert!(is_name_index("Tymoteusz", 100_009));
        assert!(
            is_name_index("Tymoteusz", u64::MAX),
            "18446744073709551615 has a 9"
        );
        assert!(!is_name_index("Tymoteusz", 888_888));
    }

    #[test]
    fn index_zero_holds_only_the_digit_zero() {
        assert!(is_name_index("Maximilian", 0));
        assert!(!is_name_index("Anna", 0));
    }

    #[test]
    fn an_empty_name_has_no_letters_and_looks_for_zero() {
        assert!(is_name_index("", 10));
        assert!(!is_name_index("", 123));
        assert!(
            !is_name_index("-- --", 5),
            "no letters at all: digit 0, not 5"
        );
    }

    #[test]
    fn linear_search_finds_first_last_and_missing() {
        let list: Vec<u32> = (0..10_000).collect();
        assert!(linear_search(&list, &0));
        assert!(linear_search(&list, &9_999));
        assert!(!linear_search(&list, &10_000));
        assert!(!linear_search(&[], &1));
        assert!(linear_search(&["Anna", "Łukasz"], &"Łukasz"));
    }

    #[test]
    fn benchmark_reports_all_three_in_order() {
        let path = std::env::temp_dir().join(format!("clab-ni-{}.txt", std::process::id()));
        let student = Student::new("Tymoteusz", 144298).unwrap();
        let reports = benchmark(&path, &student, true).unwrap();
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["is_name_index", "write", "read"]);
        assert!(reports.iter().all(|r| r.quick.is_some()));
        assert_eq!(read_student(&path).unwrap(), student);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn benchmark_stops_at_an_unwritable_path() {
        let student = Student::new("Anna", 4).unwrap();
        let err = benchmark(Path::new("/proc/nope/x.txt"), &student, true).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Io {
                    action: "create",
                    ..
                }
            ),
            "{err}"
        );
    }
}
