//! Grading a batch: read every submission, write one package per student and exercise, build
//! them all at once, scan each student's code for the library's answers, and run each
//! exercise's program on its own, several at a time.

use std::collections::HashMap;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::answer_key::{Finding, scan_rlib};
use crate::child::{self, Bounds};
use crate::compile::{self, BatchBuild, BuildSettings, Built};
use crate::verdict::{ExerciseResult, Status, judge};
use crate::workspace::{Library, Package, write_workspace};
use crate::{Exercise, Submission};

/// Bytes of each of a program's stdout and stderr kept.
const OUTPUT_CAP: usize = 64 << 10;
/// Characters of compiler errors kept in the feedback.
const ERRORS_CAP: usize = 4000;

/// How to grade a batch.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The directory of submissions: one subdirectory per student, named after the student.
    pub submissions: PathBuf,
    /// Where the grader builds (the batch's crate and its target directory, kept between runs
    /// so that the library is compiled once).
    pub work: PathBuf,
    /// The library the students' code is built against.
    pub library: Library,
    /// How many exercise programs run at a time.
    pub jobs: usize,
    /// Each exercise program's wall-clock bound.
    pub time: Duration,
    /// Each exercise process's address-space bound, in bytes.
    pub memory: Option<u64>,
    /// The whole build's wall-clock bound.
    pub build_time: Duration,
    /// Build without network (`cargo --offline`).
    pub offline: bool,
    /// The compiler wrapper that bounds the compiler on students' code: the grader's own
    /// program (see [`rustc_wrapper`](crate::rustc_wrapper)).
    pub wrapper: Option<PathBuf>,
}

/// One student's grades.
///
/// # Examples
///
/// ```
/// use lab_grader::StudentResult;
///
/// let row = StudentResult::unreadable("ola", "it is not a directory".into());
/// assert_eq!((row.total(), row.exercises.len()), (0, 5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentResult {
    /// The student: the submission's directory name.
    pub student: String,
    /// Why the submission could not be read at all, if so.
    pub unreadable: Option<String>,
    /// The five exercises, in order.
    pub exercises: Vec<ExerciseResult>,
    /// The submission's files that were ignored: everything but `src/ex1.rs` … `src/ex5.rs`.
    pub ignored: Vec<String>,
}

impl StudentResult {
    /// The row of a submission that could not be read: 0 points, and why.
    ///
    /// # Examples
    ///
    /// See [`StudentResult`].
    pub fn unreadable(student: &str, why: String) -> StudentResult {
        let status = Status::Unreadable {
            reason: why.clone(),
        };
        StudentResult {
            student: student.to_owned(),
            unreadable: Some(why),
            exercises: Exercise::ALL
                .iter()
                .map(|&e| ExerciseResult::without_parts(e, status.clone()))
                .collect(),
            ignored: Vec::new(),
        }
    }

    /// Points over the five exercises, out of 10.
    ///
    /// # Examples
    ///
    /// See [`StudentResult`].
    pub fn total(&self) -> u32 {
        self.exercises.iter().map(ExerciseResult::points).sum()
    }
}

/// A graded batch: the grades, and how long building and running took.
#[derive(Debug, Clone)]
pub struct Graded {
    /// One row per submission, in the order of their names.
    pub results: Vec<StudentResult>,
    /// The build of every package (the library included, when not already built).
    pub build_time: Duration,
    /// The runs of every exercise program.
    pub run_time: Duration,
    /// How many exercise programs ran.
    pub programs: usize,
}

/// Grades every submission in `settings.submissions`, in the order of their names.
///
/// # Errors
///
/// When the submissions directory cannot be listed, the work directory cannot be written, or
/// cargo cannot be started. Anything a submission does is a grade, not an error.
pub fn grade(settings: &Settings) -> io::Result<Graded> {
    let submissions = read_submissions(&settings.submissions)?;
    let crate_dir = settings.work.join("batch");
    if crate_dir.exists() {
        fs::remove_dir_all(&crate_dir)?;
    }
    fs::create_dir_all(&crate_dir)?;
    let mut packages = Vec::new();
    for submission in submissions.iter().flatten() {
        for (exercise, answer) in Exercise::ALL.iter().zip(&submission.answers) {
            if let Ok(text) = answer {
                let package = Package::new(&submission.student, *exercise);
                package.write(&crate_dir, &settings.library, text)?;
                packages.push(package);
            }
        }
    }
    let started = Instant::now();
    let build = if packages.is_empty() {
        BatchBuild {
            packages: HashMap::new(),
            cargo_stderr: String::new(),
            timed_out: false,
        }
    } else {
        write_workspace(&crate_dir, &settings.library, &packages)?;
        compile::build(&BuildSettings {
            workspace: crate_dir.clone(),
            target_dir: settings.work.join("target"),
            offline: settings.offline,
            time: settings.build_time,
            wrapper: settings.wrapper.clone(),
        })?
    };

    let build_time = started.elapsed();
    // Every exercise's result, filled in by the runs; the runs themselves, several at a time.
    let mut results: HashMap<String, ExerciseResult> = HashMap::new();
    let mut runs = Vec::new();
    for package in &packages {
        let built = build
            .packages
            .get(&package.name)
            .cloned()
            .unwrap_or_default();
        match before_running(package, &built, &build, settings) {
            Some(result) => {
                results.insert(package.name.clone(), result);
            }
            None => runs.push((package.clone(), built.program.unwrap_or_default())),
        }
    }
    let run_dir = settings.work.join("runs");
    let started = Instant::now();
    let ran = run_all(&runs, &run_dir, settings);
    let run_time = started.elapsed();
    results.extend(ran);

    let results = submissions
        .into_iter()
        .map(|submission| match submission {
            Err((student, why)) => StudentResult::unreadable(&student, why),
            Ok(submission) => StudentResult {
                exercises: Exercise::ALL
                    .iter()
                    .zip(&submission.answers)
                    .map(|(&exercise, answer)| match answer {
                        Err(reason) => ExerciseResult::without_parts(
                            exercise,
                            Status::NotTaken {
                                reason: format!("{}: {reason}", exercise.file()),
                            },
                        ),
                        Ok(_) => {
                            let name = Package::new(&submission.student, exercise).name;
                            results.remove(&name).unwrap_or_else(|| {
                                ExerciseResult::without_parts(
                                    exercise,
                                    Status::GraderTrouble {
                                        reason: "no result came back".into(),
                                    },
                                )
                            })
                        }
                    })
                    .collect(),
                student: submission.student,
                unreadable: None,
                ignored: submission.ignored,
            },
        })
        .collect();
    Ok(Graded {
        results,
        build_time,
        run_time,
        programs: runs.len(),
    })
}

/// The submissions in `dir`, by name; hidden entries (`.DS_Store`, `.git`) are skipped.
fn read_submissions(dir: &Path) -> io::Result<Vec<Result<Submission, (String, String)>>> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    Ok(entries
        .into_iter()
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .map(|path| {
            Submission::read(&path).map_err(|why| {
                let student = path.file_name().unwrap_or_default().to_string_lossy();
                (student.into_owned(), why)
            })
        })
        .collect())
}

/// The result of an exercise that is not to be run: it did not build, or its code calls the
/// library's answer. `None` when it is to be run.
fn before_running(
    package: &Package,
    built: &Built,
    build: &BatchBuild,
    settings: &Settings,
) -> Option<ExerciseResult> {
    let exercise = package.exercise;
    let fail = |status| Some(ExerciseResult::without_parts(exercise, status));
    let (Some(rlib), Some(_)) = (&built.rlib, &built.program) else {
        if !built.errors.is_empty() {
            let mut errors = as_submitted(&built.errors.join("\n"), package);
            if errors.chars().count() > ERRORS_CAP {
                errors = errors.chars().take(ERRORS_CAP).collect::<String>() + "\n…";
            }
            return fail(Status::DidNotCompile { errors });
        }
        if build.timed_out {
            return fail(Status::GraderTrouble {
                reason: format!(
                    "the batch's build ran past {} s before reaching this exercise",
                    settings.build_time.as_secs()
                ),
            });
        }
        let said: Vec<&str> = build
            .cargo_stderr
            .lines()
            .filter(|line| line.contains(&package.name) || line.contains("signal"))
            .collect();
        return fail(Status::DidNotCompile {
            errors: format!(
                "the compiler stopped without a message (it may have run past its bound): {}",
                said.join("\n")
            ),
        });
    };
    let scanned = fs::read(rlib)
        .map_err(|err| err.to_string())
        .and_then(|bytes| scan_rlib(&bytes, exercise.answer_key()));
    match scanned {
        Ok(None) => None,
        Ok(Some(Finding::AnswerKey(function))) => fail(Status::AnswerKey { function }),
        Ok(Some(Finding::BeforeMain(section))) => fail(Status::BeforeMain { section }),
        Err(reason) => fail(Status::GraderTrouble {
            reason: format!("the compiled code could not be read: {reason}"),
        }),
    }
}

/// Runs every program, `settings.jobs` at a time; the result per package name.
fn run_all(
    runs: &[(Package, PathBuf)],
    run_dir: &Path,
    settings: &Settings,
) -> HashMap<String, ExerciseResult> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(HashMap::new());
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            scope.spawn(|| {
                while let Some((package, program)) = runs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = run_one(package, program, run_dir, settings);
                    let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
                    results.insert(package.name.clone(), result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Runs one exercise's program in a fresh directory of its own, within the bounds.
fn run_one(
    package: &Package,
    program: &Path,
    run_dir: &Path,
    settings: &Settings,
) -> ExerciseResult {
    let exercise = package.exercise;
    let trouble =
        |reason: String| ExerciseResult::without_parts(exercise, Status::GraderTrouble { reason });
    let dir = run_dir.join(&package.name);
    let _ = fs::remove_dir_all(&dir);
    if let Err(err) = fs::create_dir_all(&dir) {
        return trouble(format!("cannot make {}: {err}", dir.display()));
    }
    let token = token();
    let mut command = Command::new(program);
    command
        .current_dir(&dir)
        .env("TMPDIR", &dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove(compile::WRAPPER_ENV);
    let bounds = Bounds {
        time: settings.time,
        memory: settings.memory,
        output: OUTPUT_CAP,
    };
    let mut result = match child::run(command, format!("{token}\n").as_bytes(), bounds) {
        Ok(done) => judge(
            exercise,
            done.status,
            &done.stdout,
            &done.stderr,
            &token,
            settings.time,
        ),
        Err(err) => trouble(format!("cannot start {}: {err}", program.display())),
    };
    let _ = fs::remove_dir_all(&dir);
    for part in &mut result.parts {
        if let Some(failure) = &mut part.failure {
            *failure = as_submitted(failure, package);
        }
    }
    result
}

/// `text` with the package's paths (`s-ola-…-ex1/src/ex1.rs`) as the student knows them
/// (`src/ex1.rs`).
fn as_submitted(text: &str, package: &Package) -> String {
    text.replace(&format!("{}/", package.name), "")
}

/// 128 random bits as hex: the standard library's hasher keys are drawn from the system's
/// random source.
fn token() -> String {
    let half = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
