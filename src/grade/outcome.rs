//! What one exercise's check found: its parts, each worth a point, and why a part failed.

/// One point of an exercise: a claim about the student's code, and why it failed if it did.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::Part;
///
/// let part = Part::new("counts on threads", Err("row 3: counted 1, expected 2".into()));
/// assert!(!part.passed());
/// assert_eq!(part.failure.as_deref(), Some("row 3: counted 1, expected 2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Part {
    /// What the part checks, in a few words.
    pub name: &'static str,
    /// `None` when the part passed; otherwise what failed and why.
    pub failure: Option<String>,
}

impl Part {
    /// A part that passed when `result` is `Ok`, failed with its message otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::Part;
    ///
    /// assert!(Part::new("file", Ok(())).passed());
    /// ```
    pub fn new(name: &'static str, result: Result<(), String>) -> Part {
        Part {
            name,
            failure: result.err(),
        }
    }

    /// Whether the part earned its point.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::Part;
    ///
    /// assert!(!Part::new("file", Err("no file".into())).passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The result of grading one exercise: its number, its title and its parts, one point each
/// (two parts per exercise, as the lab gives 2 points per exercise).
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::{Outcome, Part};
///
/// let outcome = Outcome {
///     exercise: 3,
///     title: "map_async",
///     parts: vec![Part::new("threads", Ok(())), Part::new("processes", Err("panicked".into()))],
/// };
/// assert_eq!(outcome.points(), 1);
/// assert_eq!(outcome.max_points(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// The exercise's number, 1–5.
    pub exercise: u8,
    /// What the exercise asks for, in a few words.
    pub title: &'static str,
    /// What was checked, one point per part.
    pub parts: Vec<Part>,
}

impl Outcome {
    /// Points earned: one per part that passed.
    ///
    /// # Examples
    ///
    /// See [`Outcome`].
    pub fn points(&self) -> u32 {
        self.parts.iter().filter(|part| part.passed()).count() as u32
    }

    /// Points available: one per part.
    ///
    /// # Examples
    ///
    /// See [`Outcome`].
    pub fn max_points(&self) -> u32 {
        self.parts.len() as u32
    }
}
