//! The score table: every exercise's points, what failed and why, and the total.

use std::io::{self, Write};

use super::{Lang, Outcome};

/// The grades of a whole lab, printed as a table: one line per exercise with its points, under
/// it one line per failed part saying what failed and why, and the total.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::{Outcome, Part, ScoreTable};
///
/// let table = ScoreTable::new(vec![Outcome {
///     exercise: 1,
///     title: "a file written and read back, timed",
///     parts: vec![
///         Part::new("file", Ok(())),
///         Part::new("clocks", Err("write_and_read is not written yet".into())),
///     ],
/// }]);
/// assert_eq!((table.total(), table.max_total()), (1, 2));
///
/// let mut out = Vec::new();
/// table.write_to(&mut out)?;
/// let text = String::from_utf8(out)?;
/// assert!(text.contains("1/2"));
/// assert!(text.contains("clocks: write_and_read is not written yet"));
/// assert!(text.ends_with("total 1/2\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreTable {
    outcomes: Vec<Outcome>,
}

impl ScoreTable {
    /// A table of these outcomes, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::ScoreTable;
    ///
    /// assert_eq!(ScoreTable::new(Vec::new()).total(), 0);
    /// ```
    pub fn new(outcomes: Vec<Outcome>) -> ScoreTable {
        ScoreTable { outcomes }
    }

    /// The outcomes, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::ScoreTable;
    ///
    /// assert!(ScoreTable::new(Vec::new()).outcomes().is_empty());
    /// ```
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Points earned, over all exercises.
    ///
    /// # Examples
    ///
    /// See [`ScoreTable`].
    pub fn total(&self) -> u32 {
        self.outcomes.iter().map(Outcome::points).sum()
    }

    /// Points available, over all exercises (10 for the lab's five).
    ///
    /// # Examples
    ///
    /// See [`ScoreTable`].
    pub fn max_total(&self) -> u32 {
        self.outcomes.iter().map(Outcome::max_points).sum()
    }

    /// Prints the table to `out`, in English.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns when it refuses a write.
    ///
    /// # Examples
    ///
    /// See [`ScoreTable`].
    pub fn write_to<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        self.write_in(out, Lang::English)
    }

    /// Prints the table to `out` in `lang`: the student's `cargo test` prints it in Polish.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns when it refuses a write.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::{Lang, Outcome, Part, ScoreTable};
    ///
    /// let part = Part::new("file", Ok(()));
    /// let table = ScoreTable::new(vec![Outcome { exercise: 1, title: "file", parts: vec![part] }]);
    /// let mut out = Vec::new();
    /// table.write_in(&mut out, Lang::Polish)?;
    /// assert!(String::from_utf8(out)?.ends_with("razem 1/1\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_in<W: Write + ?Sized>(&self, out: &mut W, lang: Lang) -> io::Result<()> {
        let (exercise, points, total) = match lang {
            Lang::Polish => ("zadanie", "punkty", "razem"),
            Lang::English => ("exercise", "points", "total"),
        };
        let width = self
            .outcomes
            .iter()
            .map(|outcome| outcome.title_in(lang).chars().count())
            .max()
            .unwrap_or(0)
            .max(exercise.len());
        writeln!(out, "  # {exercise:<width$}  {points}")?;
        for outcome in &self.outcomes {
            writeln!(
                out,
                "{:>3} {:<width$}  {}/{}",
                outcome.exercise,
                outcome.title_in(lang),
                outcome.points(),
                outcome.max_points()
            )?;
            for part in &outcome.parts {
                if let Some(why) = part.failure_in(lang) {
                    writeln!(out, "      ✗ {}: {why}", part.name_in(lang))?;
                }
            }
        }
        writeln!(out, "{total} {}/{}", self.total(), self.max_total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::Part;

    fn outcome(exercise: u8, title: &'static str, parts: Vec<Part>) -> Outcome {
        Outcome {
            exercise,
            title,
            parts,
        }
    }

    #[test]
    fn prints_every_exercise_every_failure_and_the_total() {
        let table = ScoreTable::new(vec![
            outcome(
                1,
                "file",
                vec![Part::new("a", Ok(())), Part::new("b", Ok(()))],
            ),
            outcome(
                2,
                "a much longer title",
                vec![
                    Part::new("agrees", Err("Ala, 5: said false".into())),
                    Part::new("benchmark", Err("todo".into())),
                ],
            ),
        ]);
        let mut out = Vec::new();
        table.write_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "  # exercise             points\n\
             \x20 1 file                 2/2\n\
             \x20 2 a much longer title  0/2\n\
             \x20     ✗ agrees: Ala, 5: said false\n\
             \x20     ✗ benchmark: todo\n\
             total 2/4\n"
        );
        assert_eq!((table.total(), table.max_total()), (2, 4));
    }

    #[test]
    fn short_titles_still_leave_room_for_the_header() {
        let parts = vec![Part::new("a", Ok(())), Part::new("b", Err("why".into()))];
        let table = ScoreTable::new(vec![outcome(4, "x", parts)]);
        assert_eq!(table.outcomes()[0].exercise, 4);
        let mut out = Vec::new();
        table.write_to(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  # exercise  points\n  4 x         1/2\n      ✗ b: why\ntotal 1/2\n"
        );
    }

    #[test]
    fn a_refused_write_is_returned() {
        let table = ScoreTable::new(vec![outcome(1, "x", vec![Part::new("a", Ok(()))])]);
        let err = table
            .write_to(&mut crate::test_support::BrokenPipe)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
