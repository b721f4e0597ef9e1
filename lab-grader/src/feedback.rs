//! The feedback file a student gets: the score, then per exercise what passed, what failed and
//! why, and a hint; and which files of the submission were ignored. Polish by default, as the
//! lab's sheet; English on request. The checks' own messages are quoted as they are.

use std::fmt::Write as _;

use crate::verdict::Crash;
use crate::{Exercise, ExerciseResult, Status, StudentResult};

/// The feedback's language.
///
/// # Examples
///
/// ```
/// use lab_grader::Lang;
///
/// assert_eq!("pl".parse::<Lang>(), Ok(Lang::Pl));
/// assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
/// assert!("de".parse::<Lang>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Polish, the lab's language.
    #[default]
    Pl,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(text: &str) -> Result<Lang, String> {
        match text {
            "pl" => Ok(Lang::Pl),
            "en" => Ok(Lang::En),
            other => Err(format!("no feedback in {other:?}: pl or en")),
        }
    }
}

/// Picks the Polish or the English text.
fn tr(lang: Lang, pl: &str, en: &str) -> String {
    match lang {
        Lang::Pl => pl.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The feedback for one student, as Markdown.
///
/// # Examples
///
/// ```
/// use lab_grader::{Lang, StudentResult, feedback};
///
/// let row = StudentResult::unreadable("ola", "it is not a directory".into());
/// let text = feedback(&row, Lang::Pl);
/// assert!(text.contains("0/10"));
/// assert!(text.contains("it is not a directory"));
/// ```
pub fn feedback(result: &StudentResult, lang: Lang) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# {}: {}\n\n{} **{}/10**\n",
        tr(lang, "Informacja zwrotna", "Feedback"),
        result.student,
        tr(lang, "Wynik:", "Score:"),
        result.total()
    );
    if let Some(why) = &result.unreadable {
        let _ = writeln!(
            text,
            "{} {why}\n",
            tr(
                lang,
                "Nie udało się odczytać zgłoszenia:",
                "The submission could not be read:"
            )
        );
        return text;
    }
    for (exercise, outcome) in Exercise::ALL.iter().zip(&result.exercises) {
        exercise_section(&mut text, *exercise, outcome, lang);
    }
    let _ = writeln!(
        text,
        "## {}\n\n{}\n",
        tr(lang, "Co zostało ocenione", "What was graded"),
        tr(
            lang,
            "Ocenie podlegają tylko pliki `src/ex1.rs` … `src/ex5.rs`: każdy zbudowany osobno, w \
             projekcie prowadzącego, z jego testami. Reszta zgłoszenia została pominięta.",
            "Only `src/ex1.rs` … `src/ex5.rs` were graded: each built on its own, in the \
             lecturer's crate, with the lecturer's checks. The rest of the submission was ignored."
        )
    );
    if !result.ignored.is_empty() {
        let _ = writeln!(text, "{}\n", tr(lang, "Pominięte pliki:", "Ignored files:"));
        for file in &result.ignored {
            let _ = writeln!(text, "- `{file}`");
        }
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "{}",
        tr(
            lang,
            "Odpowiedzi na pytania (`ANSWERS.md`) czyta i ocenia prowadzący.",
            "Your answers to the questions (`ANSWERS.md`) are read by your lecturer."
        )
    );
    text
}

fn exercise_section(text: &mut String, exercise: Exercise, result: &ExerciseResult, lang: Lang) {
    let _ = writeln!(
        text,
        "## {} {}: {}/{}\n",
        tr(lang, "Zadanie", "Exercise"),
        exercise.number(),
        result.points(),
        Exercise::MAX_POINTS
    );
    if let Some(why) = status_text(&result.status, lang) {
        let _ = writeln!(text, "{why}\n");
    }
    for part in &result.parts {
        match part.in_lang(lang) {
            (name, None) => {
                let _ = writeln!(text, "- ✓ {name}");
            }
            (name, Some(failure)) => {
                let _ = writeln!(text, "- ✗ {name}: {failure}");
            }
        }
    }
    if !result.parts.is_empty() {
        text.push('\n');
    }
    if result.points() < Exercise::MAX_POINTS {
        let _ = writeln!(
            text,
            "{} {}\n",
            tr(lang, "Wskazówka:", "Hint:"),
            hint(exercise, lang)
        );
    }
}

/// Why the exercise was not graded by its check, in words; `None` when it was.
fn status_text(status: &Status, lang: Lang) -> Option<String> {
    Some(match status {
        Status::Graded => return None,
        Status::Unreadable { reason } => format!(
            "{} {reason}",
            tr(
                lang,
                "Nie udało się odczytać zgłoszenia:",
                "The submission could not be read:"
            )
        ),
        Status::NotTaken { reason } => {
            format!("{} {reason}", tr(lang, "Nie oceniono:", "Not graded:"))
        }
        Status::DidNotCompile { errors } => format!(
            "{}\n\n```text\n{errors}\n```",
            tr(lang, "Nie skompilowało się:", "Did not compile:")
        ),
        Status::AnswerKey { function } => match lang {
            Lang::Pl => format!(
                "0 pkt: kod wywołuje gotowe rozwiązanie z biblioteki (`{function}`) zamiast \
                 własnego."
            ),
            Lang::En => format!(
                "0 points: the code calls the library's own answer (`{function}`) instead of its \
                 own."
            ),
        },
        Status::BeforeMain { section } => match lang {
            Lang::Pl => format!(
                "0 pkt: kod uruchamia funkcję przed `main` (sekcja `{section}`), na co ocenianie \
                 nie pozwala."
            ),
            Lang::En => format!(
                "0 points: the code runs a function before `main` (section `{section}`), which \
                 grading does not allow."
            ),
        },
        Status::TimedOut { seconds } => match lang {
            Lang::Pl => format!(
                "Program przekroczył limit {seconds} s (nieskończona pętla? zakleszczenie?) i \
                 został zatrzymany."
            ),
            Lang::En => {
                format!("It ran past {seconds} s (an endless loop? a deadlock?) and was stopped.")
            }
        },
        Status::Exited { code } => match lang {
            Lang::Pl => format!(
                "Program zakończył się z kodem {code} w trakcie sprawdzania (`process::exit`?), \
                 zanim sprawdzanie dobiegło końca."
            ),
            Lang::En => format!(
                "It exited with status {code} during the check (`process::exit`?), before the \
                 check finished."
            ),
        },
        Status::Killed { signal, what } => crash_text(*signal, *what, lang),
        Status::NoOutcome { detail } => format!(
            "{} {detail}",
            tr(
                lang,
                "Sprawdzanie nie dało wyniku:",
                "The check gave no outcome:"
            )
        ),
        Status::GraderTrouble { reason } => match lang {
            Lang::Pl => format!("Kłopot po stronie oceniającego: {reason}. Zgłoś to prowadzącemu."),
            Lang::En => format!("A problem on the grader's side: {reason}. Tell your lecturer."),
        },
    })
}

fn crash_text(signal: i32, what: Crash, lang: Lang) -> String {
    let (pl, en) = match what {
        Crash::StackOverflow => ("przepełnił stos", "overflowed its stack"),
        Crash::OutOfMemory => ("wyczerpał limit pamięci", "ran out of its memory bound"),
        Crash::Abort => ("został przerwany (abort)", "aborted"),
        Crash::FileTooLarge => ("zapisał za duży plik", "wrote a file past the size bound"),
        Crash::Other => ("został zabity", "was killed"),
    };
    match lang {
        Lang::Pl => format!("Program {pl}: zabity sygnałem {signal}."),
        Lang::En => format!("It {en}: killed by signal {signal}."),
    }
}

fn hint(exercise: Exercise, lang: Lang) -> String {
    let (pl, en) = match exercise.number() {
        1 => (
            "odczytaj oba zegary (`Clock::Monotonic`, `Clock::ProcessCpu`) przed i po zapisie \
             oraz przed i po odczycie; czas to różnica dwóch odczytów, w nanosekundach.",
            "read both clocks (`Clock::Monotonic`, `Clock::ProcessCpu`) before and after the \
             write, and before and after the read; a time is the difference of two readings, in \
             nanoseconds.",
        ),
        2 => (
            "licz litery (`char::is_alphabetic`), nie bajty; benchmark mierzy Twoją funkcję \
             `is_name_index` w `bench.run(|| …)`, z `black_box` na argumentach.",
            "count letters (`char::is_alphabetic`), not bytes; the benchmark times your own \
             `is_name_index` inside `bench.run(|| …)`, with `black_box` on its arguments.",
        ),
        3 => (
            "policz wiersze przez `pool.map_async(funkcja, wiersze)?` i `.get()` na puli podanej \
             jako argument, nie w pętli w wątku wywołującym.",
            "count the rows with `pool.map_async(function, rows)?` and `.get()` on the pool you \
             are given, not in a loop on the calling thread.",
        ),
        4 => (
            "wątek roboczy czeka na swojej kolejce z okresem jako limitem czasu \
             (`recv_timeout`); `stop` wysyła komunikat przez kolejkę i czeka na wątek (`join`).",
            "the worker's thread waits on its queue with the period as the timeout \
             (`recv_timeout`); `stop` sends a message through the queue and joins the thread.",
        ),
        _ => (
            "losuj opóźnienia przy każdym wywołaniu, z zakresu 0–4 s; uruchom wszystkie zadania \
             naraz (`join_all`), nie po kolei.",
            "draw the delays at random on every call, from 0–4 s; run every task at once \
             (`join_all`), not one after another.",
        ),
    };
    tr(lang, pl, en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PartResult;

    fn graded(failures: [Option<&str>; 2]) -> ExerciseResult {
        ExerciseResult {
            exercise: 1,
            status: Status::Graded,
            parts: failures
                .iter()
                .zip(["file", "clocks"])
                .map(|(failure, name)| PartResult {
                    name: name.into(),
                    failure: failure.map(str::to_owned),
                    polish: None,
                })
                .collect(),
        }
    }

    fn student(exercises: Vec<ExerciseResult>) -> StudentResult {
        StudentResult {
            student: "Ola".into(),
            unreadable: None,
            exercises,
            ignored: vec!["tests/grade.rs".into(), "build.rs".into()],
        }
    }

    #[test]
    fn every_exercise_its_parts_a_hint_and_the_ignored_files() {
        let mut exercises = vec![graded([None, Some("times are constants")])];
        for exercise in &Exercise::ALL[1..] {
            exercises.push(ExerciseResult::without_parts(
                *exercise,
                Status::TimedOut { seconds: 60 },
            ));
        }
        let result = student(exercises);
        let pl = feedback(&result, Lang::Pl);
        assert!(pl.contains("Wynik: **1/10**"), "{pl}");
        assert!(pl.contains("## Zadanie 1: 1/2"), "{pl}");
        assert!(
            pl.contains("- ✓ file\n- ✗ clocks: times are constants"),
            "{pl}"
        );
        assert!(pl.contains("limit 60 s"), "{pl}");
        assert!(pl.contains("- `tests/grade.rs`\n- `build.rs`"), "{pl}");
        assert_eq!(pl.matches("Wskazówka:").count(), 5, "{pl}");
        let en = feedback(&result, Lang::En);
        assert!(en.contains("## Exercise 5: 0/2"), "{en}");
        assert!(en.contains("ran past 60 s"), "{en}");
        assert!(en.contains("Ignored files:"), "{en}");
    }

    #[test]
    fn parts_speak_polish_when_the_check_gave_polish() {
        let mut exercise = graded([None, Some("times are constants")]);
        exercise.parts[0].polish = Some(("plik".into(), None));
        exercise.parts[1].polish = Some(("zegary".into(), Some("czasy są stałe".into())));
        let result = student(vec![exercise]);
        let pl = feedback(&result, Lang::Pl);
        assert!(pl.contains("- ✓ plik\n- ✗ zegary: czasy są stałe"), "{pl}");
        let en = feedback(&result, Lang::En);
        assert!(
            en.contains("- ✓ file\n- ✗ clocks: times are constants"),
            "{en}"
        );
    }

    #[test]
    fn full_marks_need_no_hint_and_each_status_is_worded() {
        let result = student(vec![graded([None, None])]);
        assert!(!feedback(&result, Lang::En).contains("Hint:"));
        let statuses = [
            (Status::Exited { code: 0 }, "exited with status 0"),
            (
                Status::AnswerKey {
                    function: "concurrency_lab::lab::name_index::is_name_index".into(),
                },
                "library's own answer (`concurrency_lab::lab::name_index::is_name_index`)",
            ),
            (
                Status::Killed {
                    signal: 6,
                    what: Crash::Abort,
                },
                "aborted: killed by signal 6",
            ),
            (
                Status::Killed {
                    signal: 6,
                    what: Crash::StackOverflow,
                },
                "overflowed its stack",
            ),
            (
                Status::DidNotCompile {
                    errors: "error[E0308]".into(),
                },
                "Did not compile:\n\n```text\nerror[E0308]",
            ),
        ];
        for (status, words) in statuses {
            let text = status_text(&status, Lang::En).unwrap();
            assert!(text.contains(words), "{text}");
            assert!(status_text(&status, Lang::Pl).unwrap() != text);
        }
        assert_eq!(status_text(&Status::Graded, Lang::Pl), None);
    }
}
