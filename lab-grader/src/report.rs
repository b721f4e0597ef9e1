//! The batch's outputs: `grades.csv` and `grades.json` for the lecturer, and one Markdown
//! feedback file per student, in Polish or English.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use crate::feedback::{Lang, feedback};
use crate::{Exercise, StudentResult};

/// The CSV: a header, then one row per student: the student, each exercise's points and status
/// (see [`Status::code`](crate::Status::code)), the total.
///
/// # Examples
///
/// ```
/// use lab_grader::{StudentResult, csv};
///
/// let text = csv(&[StudentResult::unreadable("Ola, Nowak", "gone".into())]);
/// let mut lines = text.lines();
/// assert_eq!(
///     lines.next(),
///     Some("student,ex1,ex1_status,ex2,ex2_status,ex3,ex3_status,ex4,ex4_status,ex5,ex5_status,total")
/// );
/// assert_eq!(lines.next(), Some(r#""Ola, Nowak",0,unreadable,0,unreadable,0,unreadable,0,unreadable,0,unreadable,0"#));
/// ```
pub fn csv(results: &[StudentResult]) -> String {
    let mut text = String::from("student");
    for exercise in Exercise::ALL {
        let _ = write!(text, ",{exercise},{exercise}_status");
    }
    text.push_str(",total\n");
    for result in results {
        text.push_str(&csv_field(&result.student));
        for exercise in &result.exercises {
            let _ = write!(text, ",{},{}", exercise.points(), exercise.status.code());
        }
        let _ = writeln!(text, ",{}", result.total());
    }
    text
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Writes `grades.csv` at `csv_path`, `grades.json` next to it (same name, `.json`), and the
/// feedback files into `feedback_dir`, one `<student>.md` each.
///
/// # Errors
///
/// When a file or directory cannot be written.
///
/// # Examples
///
/// ```
/// use lab_grader::{Lang, StudentResult, write_outputs};
///
/// let dir = std::env::temp_dir().join(format!("lab-grader-doc-out-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let rows = [StudentResult::unreadable("ola", "gone".into())];
/// write_outputs(&rows, &dir.join("grades.csv"), &dir.join("feedback"), Lang::En)?;
/// assert!(dir.join("grades.json").exists());
/// assert!(std::fs::read_to_string(dir.join("feedback/ola.md"))?.contains("gone"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_outputs(
    results: &[StudentResult],
    csv_path: &Path,
    feedback_dir: &Path,
    lang: Lang,
) -> io::Result<()> {
    if let Some(parent) = csv_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    fs::write(csv_path, csv(results))?;
    let json = serde_json::to_string_pretty(results).map_err(io::Error::other)?;
    fs::write(csv_path.with_extension("json"), json + "\n")?;
    fs::create_dir_all(feedback_dir)?;
    for result in results {
        let name = result.student.replace(['/', '\\', '\0'], "_");
        fs::write(
            feedback_dir.join(format!("{name}.md")),
            feedback(result, lang),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExerciseResult, PartResult, Status};

    #[test]
    fn one_row_per_student_with_points_statuses_and_the_total() {
        let part = |failure: Option<&str>| PartResult {
            name: "p".into(),
            failure: failure.map(str::to_owned),
            polish: None,
        };
        let mut exercises: Vec<ExerciseResult> = Exercise::ALL
            .iter()
            .map(|&e| ExerciseResult::without_parts(e, Status::TimedOut { seconds: 60 }))
            .collect();
        exercises[1] = ExerciseResult {
            exercise: 2,
            status: Status::Graded,
            parts: vec![part(None), part(Some("slow"))],
        };
        let row = StudentResult {
            student: "Jan \"Kowal\", jr".into(),
            unreadable: None,
            exercises,
            ignored: Vec::new(),
        };
        let text = csv(&[row.clone(), StudentResult::unreadable("b", "gone".into())]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[1],
            "\"Jan \"\"Kowal\"\", jr\",0,timeout,1,graded,0,timeout,0,timeout,0,timeout,1"
        );
        assert!(lines[2].starts_with("b,0,unreadable,"), "{}", lines[2]);
        assert!(text.ends_with(",0\n"));
    }

    #[test]
    fn the_csv_the_json_and_one_feedback_file_each_are_written_where_asked() {
        let dir = std::env::temp_dir().join(format!("lab-grader-outputs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let csv_path = dir.join("new/sub/grades.csv");
        let rows = [
            StudentResult::unreadable("a/b", "gone".into()),
            StudentResult::unreadable("ola", "away".into()),
        ];
        write_outputs(&rows, &csv_path, &dir.join("fb"), Lang::En).unwrap();
        assert_eq!(fs::read_to_string(&csv_path).unwrap(), csv(&rows));
        let json = fs::read_to_string(dir.join("new/sub/grades.json")).unwrap();
        assert!(json.contains("\"student\": \"ola\""), "{json}");
        assert!(json.contains("\"status\": \"unreadable\""), "{json}");
        assert_eq!(
            fs::read_to_string(dir.join("fb/ola.md")).unwrap(),
            feedback(&rows[1], Lang::En)
        );
        assert!(dir.join("fb/a_b.md").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("Jan Kowalski"), "Jan Kowalski");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r"), "\"cr\r\"");
    }
}
