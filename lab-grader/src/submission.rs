//! Reading a submission: the student's five exercise files, and a list of everything else in
//! it, which the grader ignores.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Exercise;

/// The largest exercise file read: more than any answer needs, little enough to keep a batch
/// small.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// How many ignored files the feedback lists by name.
const MAX_IGNORED_LISTED: usize = 50;

/// One student's submission as the grader takes it.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lab-grader-doc-sub-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("src"))?;
/// std::fs::write(dir.join("src/ex1.rs"), "pub fn write_and_read() {}")?;
/// std::fs::write(dir.join("build.rs"), "fn main() {}")?;
/// let submission = lab_grader::Submission::read(&dir)?;
/// assert!(submission.answers[0].is_ok());
/// assert!(submission.answers[1].is_err()); // src/ex2.rs is missing
/// assert_eq!(submission.ignored, ["build.rs"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The student: the submission directory's name.
    pub student: String,
    /// The directory it was read from.
    pub dir: PathBuf,
    /// Each exercise's file (`src/ex1.rs` … `src/ex5.rs`), or why it could not be taken.
    pub answers: [Result<String, String>; 5],
    /// Every other file of the submission, relative to it, in order, at most 50 names; the last
    /// line says how many more there were. `target/` and `.git/` are left out.
    pub ignored: Vec<String>,
}

impl Submission {
    /// Reads the submission in `dir`.
    ///
    /// # Errors
    ///
    /// When `dir` is not a directory that can be listed: the message says why. A missing or
    /// unreadable exercise file is not an error of the submission but of that exercise (see
    /// [`Submission::answers`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab_grader::Submission::read("/no/such/submission".as_ref()).is_err());
    /// ```
    pub fn read(dir: &Path) -> Result<Submission, String> {
        let student = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{} names no directory", dir.display()))?;
        let meta = fs::symlink_metadata(dir).map_err(|err| format!("cannot read it: {err}"))?;
        if !meta.is_dir() {
            return Err("it is not a directory (an archive must be unpacked first)".into());
        }
        let answers = Exercise::ALL.map(|exercise| read_answer(&dir.join(exercise.file())));
        let mut files = Vec::new();
        list_files(dir, Path::new(""), &mut files)
            .map_err(|err| format!("cannot list its files: {err}"))?;
        files.sort();
        let answer_files: Vec<String> = Exercise::ALL.iter().map(|e| e.file()).collect();
        let mut ignored: Vec<String> = files
            .into_iter()
            .filter(|file| !answer_files.contains(file))
            .collect();
        if ignored.len() > MAX_IGNORED_LISTED {
            let more = ignored.len() - MAX_IGNORED_LISTED;
            ignored.truncate(MAX_IGNORED_LISTED);
            ignored.push(format!("… and {more} more"));
        }
        Ok(Submission {
            student,
            dir: dir.to_owned(),
            answers,
            ignored,
        })
    }
}

/// One exercise file: a regular file (not a link, which could point at anything, the key
/// included), UTF-8, at most [`MAX_FILE_BYTES`].
fn read_answer(path: &Path) -> Result<String, String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err("the file is missing".into());
        }
        Err(err) => return Err(format!("the file cannot be read: {err}")),
    };
    if meta.file_type().is_symlink() {
        return Err("the file is a symbolic link, not a file".into());
    }
    if !meta.is_file() {
        return Err("it is not a file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than the {MAX_FILE_BYTES} taken",
            meta.len()
        ));
    }
    let bytes = fs::read(path).map_err(|err| format!("the file cannot be read: {err}"))?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".into())
}

/// Lists the files under `dir/rel`, as paths relative to `dir` with `/` between parts, without
/// following links and without `target/` and `.git/` at the top.
fn list_files(dir: &Path, rel: &Path, files: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir.join(rel))? {
        let entry = entry?;
        let rel = rel.join(entry.file_name());
        let shown = rel.to_string_lossy().replace('\\', "/");
        if entry.file_type()?.is_dir() {
            if shown != "target" && shown != ".git" {
                list_files(dir, &rel, files)?;
            }
        } else {
            files.push(shown);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "lab-grader-submission-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        dir
    }

    #[test]
    fn takes_the_five_files_and_lists_the_rest() {
        let dir = scratch("Jan Kowalski");
        for n in 1..=5 {
            fs::write(dir.join(format!("src/ex{n}.rs")), format!("// {n}")).unwrap();
        }
        fs::create_dir_all(dir.join("tests")).unwrap();
        fs::create_dir_all(dir.join("target/debug")).unwrap();
        fs::write(dir.join("tests/grade.rs"), "fn main() {}").unwrap();
        fs::write(dir.join("Cargo.toml"), "[package]").unwrap();
        fs::write(dir.join("target/debug/x"), "binary").unwrap();
        let submission = Submission::read(&dir).unwrap();
        assert!(
            submission
                .student
                .starts_with("lab-grader-submission-Jan Kowalski")
        );
        for (n, answer) in submission.answers.iter().enumerate() {
            assert_eq!(answer.as_deref(), Ok(format!("// {}", n + 1).as_str()));
        }
        assert_eq!(submission.ignored, ["Cargo.toml", "tests/grade.rs"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_link_a_directory_a_large_or_a_binary_file_is_not_taken() {
        let dir = scratch("odd");
        std::os::unix::fs::symlink("/etc/hostname", dir.join("src/ex1.rs")).unwrap();
        fs::create_dir_all(dir.join("src/ex2.rs")).unwrap();
        fs::write(
            dir.join("src/ex3.rs"),
            vec![b'/'; MAX_FILE_BYTES as usize + 1],
        )
        .unwrap();
        fs::write(dir.join("src/ex4.rs"), [0xff, 0xfe, 0x00]).unwrap();
        let submission = Submission::read(&dir).unwrap();
        let why = |n: usize| submission.answers[n].clone().unwrap_err();
        assert!(why(0).contains("symbolic link"), "{}", why(0));
        assert!(why(1).contains("not a file"), "{}", why(1));
        assert!(why(2).contains("more than"), "{}", why(2));
        assert!(why(3).contains("UTF-8"), "{}", why(3));
        assert!(why(4).contains("missing"), "{}", why(4));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_is_no_submission_and_long_lists_are_cut() {
        let dir = scratch("many");
        for n in 0..60 {
            fs::write(dir.join(format!("f{n:02}")), "").unwrap();
        }
        let submission = Submission::read(&dir).unwrap();
        assert_eq!(submission.ignored.len(), MAX_IGNORED_LISTED + 1);
        assert_eq!(submission.ignored.last().unwrap(), "… and 10 more");
        let err = Submission::read(&dir.join("f00")).unwrap_err();
        assert!(err.contains("not a directory"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
