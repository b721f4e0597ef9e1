//! Exercise 1: write a student's first name and index number to a file and read it back.
//!
//! The record, its validation and its file format come first; then [`time_round_trips`], the
//! measurement the exercise asks for: write and read timed on the monotonic clock and on the
//! process CPU clock, over many repeats. `cargo run --example file_timing` prints it.

mod measure;

pub use measure::{FileTimings, Samples, time_round_trips};

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use crate::{Error, Result};

/// A student's first name and index number: what exercise 1 writes to `test.txt`.
///
/// The file holds two lines, the name then the index, so a name may contain spaces.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::Student;
///
/// let student = Student::parse("Tymoteusz", "144298")?;
/// assert_eq!(student.index, 144298);
/// assert_eq!(student.to_file_text(), "Tymoteusz\n144298\n");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// First name; never empty, never spans lines.
    pub name: String,
    /// Student index number.
    pub index: u64,
}

impl Student {
    /// Checks `name` and builds the record.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the name is empty (or only white space) or holds a line
    /// break, which the two-line file format cannot store.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::file_timing::Student;
    ///
    /// assert!(Student::new("Łukasz", 7).is_ok());
    /// assert!(Student::new("  ", 7).is_err());
    /// ```
    pub fn new(name: &str, index: u64) -> Result<Self> {
        if name.trim().is_empty() {
            return Err(Error::invalid_input("name", name, "it must not be empty"));
        }
        if name.contains(['\n', '\r']) {
            return Err(Error::invalid_input(
                "name",
                name,
                "it must fit on one line (no line breaks)",
            ));
        }
        Ok(Student {
            name: name.to_owned(),
            index,
        })
    }

    /// Builds the record from text as typed on a command line: the index must be a
    /// non-negative whole number.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad name (see [`Student::new`]) or an index that is not a
    /// non-negative whole number that fits in a `u64`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::file_timing::Student;
    ///
    /// assert!(Student::parse("Anna", "-5").is_err());
    /// assert!(Student::parse("Anna", "12a").is_err());
    /// assert_eq!(Student::parse("Anna", " 42 ")?.index, 42);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn parse(name: &str, index: &str) -> Result<Self> {
        let digits = index.trim();
        let index = digits.parse::<u64>().map_err(|_| {
            Error::invalid_input("index", index, "it must be a non-negative whole number")
        })?;
        Student::new(name, index)
    }

    /// The file's content: the name on the first line, the index on the second.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::file_timing::Student;
    ///
    /// let text = Student::new("Anna Maria", 1)?.to_file_text();
    /// assert_eq!(text, "Anna Maria\n1\n");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn to_file_text(&self) -> String {
        format!("{}\n{}\n", self.name, self.index)
    }

    /// Parses what [`Student::to_file_text`] wrote.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `text` is not two lines holding a valid name and index.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::file_timing::Student;
    ///
    /// let student = Student::from_file_text("Tymoteusz\n144298\n")?;
    /// assert_eq!(student, Student::new("Tymoteusz", 144298)?);
    /// assert!(Student::from_file_text("just one line").is_err());
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn from_file_text(text: &str) -> Result<Self> {
        let mut lines = text.lines();
        match (lines.next(), lines.next(), lines.next()) {
            (Some(name), Some(index), None) => Student::parse(name, index),
            _ => Err(Error::invalid_input(
                "file content",
                text,
                "expected two lines: the name, then the index",
            )),
        }
    }
}

/// Whether [`write_student`] waits for the data to reach the disk.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::Durability;
///
/// assert_ne!(Durability::PageCache, Durability::Disk);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Return once the kernel holds the data in its page cache (fast; what `write` does).
    #[default]
    PageCache,
    /// Also call [`File::sync_all`], returning only once the device reports the data stored.
    Disk,
}

/// Creates (or truncates) `path` and writes `student` to it.
///
/// # Errors
///
/// [`Error::Io`] naming the path and the step (create, write, sync) that failed.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::{read_student, write_student, Durability, Student};
///
/// let path = std::env::temp_dir().join("concurrency-lab-doc-write.txt");
/// let student = Student::new("Tymoteusz", 144298)?;
/// write_student(&path, &student, Durability::PageCache)?;
/// assert_eq!(read_student(&path)?, student);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn write_student(path: &Path, student: &Student, durability: Durability) -> Result<()> {
    let mut file = File::create(path).map_err(|e| Error::io("create", path, e))?;
    file.write_all(student.to_file_text().as_bytes())
        .map_err(|e| Error::io("write", path, e))?;
    if durability == Durability::Disk {
        file.sync_all().map_err(|e| Error::io("sync", path, e))?;
    }
    Ok(())
}

/// Reads back the record [`write_student`] wrote to `path`.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened or read; [`Error::InvalidInput`] when its
/// content is not a record.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::file_timing::read_student;
///
/// let err = read_student("no/such/dir/test.txt".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("no/such/dir/test.txt"));
/// ```
pub fn read_student(path: &Path) -> Result<Student> {
    let mut text = String::new();
    File::open(path)
        .map_err(|e| Error::io("open", path, e))?
        .read_to_string(&mut text)
        .map_err(|e| Error::io("read", path, e))?;
    Student::from_file_text(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_file() {
        let dir = std::env::temp_dir().join(format!("clab-ft-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.txt");
        for durability in [Durability::PageCache, Durability::Disk] {
            let student = Student::new("Łukasz Żółć", 12).unwrap();
            write_student(&path, &student, durability).unwrap();
            assert_eq!(read_student(&path).unwrap(), student);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_bad_input_with_the_value_in_the_message() {
        let err = Student::parse("", "1").unwrap_err();
        assert!(err.to_string().contains("invalid name \"\""), "{err}");
        let err = Student::parse("Anna", "-3").unwrap_err();
        assert!(err.to_string().contains("\"-3\""), "{err}");
        assert!(Student::parse("Anna", "99999999999999999999999").is_err());
        assert!(Student::new("two\nlines", 1).is_err());
    }

    #[test]
    fn unwritable_path_is_an_io_error_naming_the_path() {
        let path = Path::new("/proc/definitely/not/writable.txt");
        let err =
            write_student(path, &Student::new("A", 1).unwrap(), Durability::PageCache).unwrap_err();
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
        assert!(err.to_string().contains("writable.txt"), "{err}");
    }

    #[test]
    fn corrupt_file_content_is_refused() {
        assert!(Student::from_file_text("").is_err());
        assert!(Student::from_file_text("Anna\nxyz\n").is_err());
        assert!(Student::from_file_text("Anna\n1\nextra\n").is_err());
    }
}
