//! What became of one exercise of one submission: its points, a status a spreadsheet can
//! filter on, and the parts the check reported.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Exercise;

/// Why an exercise got the points it got.
///
/// # Examples
///
/// ```
/// use lab_grader::Status;
///
/// assert_eq!(Status::Graded.code(), "graded");
/// assert_eq!(Status::TimedOut { seconds: 60 }.code(), "timeout");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The check ran to the end: the parts say the rest.
    Graded,
    /// The whole submission could not be read (not a directory, not listable…).
    Unreadable {
        /// Why.
        reason: String,
    },
    /// The exercise's file could not be taken (missing, a link, not text…).
    NotTaken {
        /// Why.
        reason: String,
    },
    /// The file did not compile, or its functions do not fit the check's signatures.
    DidNotCompile {
        /// The compiler's first errors.
        errors: String,
    },
    /// The compiled code calls the library's own answer to the exercise.
    AnswerKey {
        /// The library function it calls.
        function: String,
    },
    /// The compiled code runs something before `main`.
    BeforeMain {
        /// The section.
        section: String,
    },
    /// The program ran past its time bound and was killed.
    TimedOut {
        /// The bound.
        seconds: u64,
    },
    /// The program exited on its own before the check finished (`process::exit`).
    Exited {
        /// Its exit status.
        code: i32,
    },
    /// The program was killed by a signal: an abort, a stack overflow, memory…
    Killed {
        /// The signal's number.
        signal: i32,
        /// What it most likely was, read from the signal and stderr.
        what: Crash,
    },
    /// The program ended without a readable outcome from the check.
    NoOutcome {
        /// What it printed last, or what was wrong with its outcome.
        detail: String,
    },
    /// The grader could not build or run it (the batch's build ran out of time, …).
    GraderTrouble {
        /// What went wrong.
        reason: String,
    },
}

/// What a program killed by a signal most likely did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Crash {
    /// It overflowed a thread's stack.
    StackOverflow,
    /// An allocation failed at the memory bound.
    OutOfMemory,
    /// It aborted (`process::abort`, a panic while panicking…).
    Abort,
    /// It wrote a file past the size bound.
    FileTooLarge,
    /// Another signal (a segmentation fault, a kill…).
    Other,
}

impl Status {
    /// A short code for the spreadsheet: `graded`, `unreadable`, `missing`, `compile_error`, `answer_key`,
    /// `before_main`, `timeout`, `exited`, `crashed`, `no_outcome`, `grader_error`.
    ///
    /// # Examples
    ///
    /// See [`Status`].
    pub fn code(&self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::Unreadable { .. } => "unreadable",
            Status::NotTaken { .. } => "missing",
            Status::DidNotCompile { .. } => "compile_error",
            Status::AnswerKey { .. } => "answer_key",
            Status::BeforeMain { .. } => "before_main",
            Status::TimedOut { .. } => "timeout",
            Status::Exited { .. } => "exited",
            Status::Killed { .. } => "crashed",
            Status::NoOutcome { .. } => "no_outcome",
            Status::GraderTrouble { .. } => "grader_error",
        }
    }
}

/// One part of a check: a point, and why it was lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartResult {
    /// What the part checks.
    pub name: String,
    /// `None` when it passed; otherwise what failed and why (the check's words).
    pub failure: Option<String>,
    /// The name and the failure in Polish, as the check gave them (`grade::Part` serializes
    /// them as `polish`); `None` from a check that gave English only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polish: Option<(String, Option<String>)>,
}

impl PartResult {
    /// The part's name and failure in `lang`: the Polish ones when the check gave them.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab_grader::{Lang, PartResult};
    ///
    /// let part = PartResult {
    ///     name: "file".into(),
    ///     failure: Some("no file".into()),
    ///     polish: Some(("plik".into(), Some("brak pliku".into()))),
    /// };
    /// assert_eq!(part.in_lang(Lang::Pl), ("plik", Some("brak pliku")));
    /// assert_eq!(part.in_lang(Lang::En), ("file", Some("no file")));
    /// ```
    pub fn in_lang(&self, lang: crate::Lang) -> (&str, Option<&str>) {
        match (&self.polish, lang) {
            (Some((name, failure)), crate::Lang::Pl) => (name, failure.as_deref()),
            _ => (&self.name, self.failure.as_deref()),
        }
    }
}

/// One exercise of one submission, graded.
///
/// # Examples
///
/// ```
/// use lab_grader::{Exercise, ExerciseResult, Status};
///
/// let result = ExerciseResult::without_parts(Exercise::ALL[0], Status::Exited { code: 0 });
/// assert_eq!(result.points(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExerciseResult {
    /// The exercise's number.
    pub exercise: u8,
    /// Why it got its points.
    #[serde(flatten)]
    pub status: Status,
    /// The check's parts, when it ran to the end.
    pub parts: Vec<PartResult>,
}

impl ExerciseResult {
    /// An exercise that earned nothing, for `status`.
    ///
    /// # Examples
    ///
    /// See [`ExerciseResult`].
    pub fn without_parts(exercise: Exercise, status: Status) -> ExerciseResult {
        ExerciseResult {
            exercise: exercise.number(),
            status,
            parts: Vec::new(),
        }
    }

    /// Points earned: the parts that passed, only when the check ran to the end.
    ///
    /// # Examples
    ///
    /// See [`ExerciseResult`].
    pub fn points(&self) -> u32 {
        match self.status {
            Status::Graded => self.parts.iter().filter(|p| p.failure.is_none()).count() as u32,
            _ => 0,
        }
    }
}

#[derive(Deserialize)]
struct OutcomeJson {
    exercise: u8,
    parts: Vec<PartResult>,
}

/// Reads what the harness of `exercise` did: its exit, and the outcome it printed after the
/// `token` on stdout. An outcome printed with another token is not the harness's.
pub(crate) fn judge(
    exercise: Exercise,
    status: Option<ExitStatus>,
    stdout: &str,
    stderr: &str,
    token: &str,
    time: Duration,
) -> ExerciseResult {
    let prefix = format!("{} {token} ", crate::workspace::OUTCOME_MARKER);
    let printed = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(prefix.as_str()));
    if let Some(json) = printed {
        return match serde_json::from_str::<OutcomeJson>(json) {
            Ok(outcome)
                if outcome.exercise == exercise.number()
                    && outcome.parts.len() == Exercise::MAX_POINTS as usize =>
            {
                ExerciseResult {
                    exercise: exercise.number(),
                    status: Status::Graded,
                    parts: outcome.parts,
                }
            }
            _ => ExerciseResult::without_parts(
                exercise,
                Status::NoOutcome {
                    detail: format!("the check's outcome does not read as one: {json}"),
                },
            ),
        };
    }
    let status = match status {
        None => Status::TimedOut {
            seconds: time.as_secs(),
        },
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Status::Exited { code },
            (None, Some(signal)) => Status::Killed {
                signal,
                what: crash(signal, stderr),
            },
            (None, None) => Status::NoOutcome {
                detail: format!("it ended with {status}"),
            },
        },
    };
    ExerciseResult::without_parts(exercise, status)
}

fn crash(signal: i32, stderr: &str) -> Crash {
    if stderr.contains("has overflowed its stack") {
        Crash::StackOverflow
    } else if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
        Crash::OutOfMemory
    } else if signal == libc_signal::SIGXFSZ {
        Crash::FileTooLarge
    } else if signal == libc_signal::SIGABRT {
        Crash::Abort
    } else {
        Crash::Other
    }
}

mod libc_signal {
    pub(super) const SIGABRT: i32 = nix::sys::signal::Signal::SIGABRT as i32;
    pub(super) const SIGXFSZ: i32 = nix::sys::signal::Signal::SIGXFSZ as i32;
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "t0k3n";
    const TIME: Duration = Duration::from_secs(60);

    fn exit(code: i32) -> Option<ExitStatus> {
        Some(ExitStatus::from_raw(code << 8))
    }

    fn signal(signal: i32) -> Option<ExitStatus> {
        Some(ExitStatus::from_raw(signal))
    }

    fn outcome_line(token: &str, exercise: u8, failures: [Option<&str>; 2]) -> String {
        let parts: Vec<String> = failures
            .iter()
            .map(|f| match f {
                None => r#"{"name":"p","failure":null}"#.to_owned(),
                Some(why) => format!(r#"{{"name":"p","failure":"{why}"}}"#),
            })
            .collect();
        format!(
            "{} {token} {{\"exercise\":{exercise},\"title\":\"t\",\"parts\":[{}]}}",
            crate::workspace::OUTCOME_MARKER,
            parts.join(",")
        )
    }

    #[test]
    fn the_outcome_after_the_token_gives_the_points() {
        let ex = Exercise::ALL[2];
        let stdout = format!("noise\n{}\n", outcome_line(TOKEN, 3, [None, Some("slow")]));
        let result = judge(ex, exit(0), &stdout, "", TOKEN, TIME);
        assert_eq!(result.status, Status::Graded);
        assert_eq!(result.points(), 1);
        assert_eq!(result.parts[1].failure.as_deref(), Some("slow"));
    }

    #[test]
    fn a_forged_outcome_is_not_taken() {
        let ex = Exercise::ALL[0];
        let forged = outcome_line("guess", 1, [None, None]);
        let result = judge(ex, exit(0), &forged, "", TOKEN, TIME);
        assert_eq!(result.status, Status::Exited { code: 0 });
        assert_eq!(result.points(), 0);
        let wrong_exercise = outcome_line(TOKEN, 2, [None, None]);
        let result = judge(ex, exit(0), &wrong_exercise, "", TOKEN, TIME);
        assert_eq!(result.status.code(), "no_outcome");
        let three_parts = format!(
            "{} {TOKEN} {{\"exercise\":1,\"parts\":[{{\"name\":\"a\",\"failure\":null}},{{\"name\":\"b\",\"failure\":null}},{{\"name\":\"c\",\"failure\":null}}]}}",
            crate::workspace::OUTCOME_MARKER
        );
        let result = judge(ex, exit(0), &three_parts, "", TOKEN, TIME);
        assert_eq!((result.status.code(), result.points()), ("no_outcome", 0));
    }

    #[test]
    fn exits_signals_and_timeouts_are_named() {
        let ex = Exercise::ALL[3];
        let judged = |status, stderr| judge(ex, status, "", stderr, TOKEN, TIME).status;
        assert_eq!(judged(exit(3), ""), Status::Exited { code: 3 });
        assert_eq!(judged(None, ""), Status::TimedOut { seconds: 60 });
        let killed = |signal, what| Status::Killed { signal, what };
        assert_eq!(judged(signal(6), ""), killed(6, Crash::Abort));
        assert_eq!(
            judged(signal(6), "thread 'x' has overflowed its stack\n"),
            killed(6, Crash::StackOverflow)
        );
        assert_eq!(
            judged(signal(6), "memory allocation of 8 bytes failed\n"),
            killed(6, Crash::OutOfMemory)
        );
        assert_eq!(judged(signal(25), ""), killed(25, Crash::FileTooLarge));
        assert_eq!(judged(signal(11), ""), killed(11, Crash::Other));
    }

    #[test]
    fn only_a_graded_exercise_has_points() {
        let mut result = judge(
            Exercise::ALL[0],
            exit(0),
            &outcome_line(TOKEN, 1, [None, None]),
            "",
            TOKEN,
            TIME,
        );
        assert_eq!(result.points(), 2);
        result.status = Status::Exited { code: 0 };
        assert_eq!(result.points(), 0);
    }
}
