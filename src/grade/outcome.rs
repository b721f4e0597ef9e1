//! What one exercise's check found: its parts, each worth a point, and why a part failed — in
//! Polish (the students' language, the default) and in English.

/// A language the checks speak: Polish, the lab's (the default), or English.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::Lang;
///
/// assert_eq!(Lang::default(), Lang::Polish);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Polski: what students read by default.
    #[default]
    Polish,
    /// English.
    English,
}

/// A message in both languages.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::{Lang, Text};
///
/// let text = Text::new("nie ma pliku", "no file");
/// assert_eq!(text.get(Lang::Polish), "nie ma pliku");
/// assert_eq!(text.get(Lang::English), "no file");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// In Polish.
    pub pl: String,
    /// In English.
    pub en: String,
}

impl Text {
    /// A message from its Polish and English forms.
    ///
    /// # Examples
    ///
    /// See [`Text`].
    pub fn new(pl: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            pl: pl.into(),
            en: en.into(),
        }
    }

    /// The message in `lang`.
    ///
    /// # Examples
    ///
    /// See [`Text`].
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Polish => &self.pl,
            Lang::English => &self.en,
        }
    }

    /// Whether either form contains `needle`.
    #[cfg(test)]
    pub(crate) fn contains(&self, needle: &str) -> bool {
        self.pl.contains(needle) || self.en.contains(needle)
    }
}

/// A [`Text`] from a Polish and an English format string, both formatted with the names in
/// scope (`text!("{n} plików", "{n} files")`).
macro_rules! text {
    ($pl:literal, $en:literal $(,)?) => {
        $crate::grade::Text {
            pl: format!($pl),
            en: format!($en),
        }
    };
}
pub(crate) use text;

/// One point of an exercise: a claim about the student's code, and why it failed if it did.
///
/// `name` and `failure` are in English; [`name_in`](Part::name_in) and
/// [`failure_in`](Part::failure_in) give them in either language (the checks of this crate
/// give both; a part made with [`Part::new`] has its English text in both).
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
    /// The name and the failure in Polish.
    polish: (&'static str, Option<String>),
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
        let failure = result.err();
        Part {
            name,
            polish: (name, failure.clone()),
            failure,
        }
    }

    /// A part named in Polish and in English (`names`: Polish first), passed when `result` is
    /// `Ok`, failed with its message in both languages otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::{Lang, Part, Text};
    ///
    /// let part = Part::both(("plik", "file"), Err(Text::new("nie ma pliku", "no file")));
    /// assert_eq!(part.name, "file");
    /// assert_eq!(part.failure.as_deref(), Some("no file"));
    /// assert_eq!(part.name_in(Lang::Polish), "plik");
    /// assert_eq!(part.failure_in(Lang::Polish), Some("nie ma pliku"));
    /// ```
    pub fn both(names: (&'static str, &'static str), result: Result<(), Text>) -> Part {
        let (pl, en) = names;
        let failure = result.err();
        Part {
            name: en,
            failure: failure.as_ref().map(|text| text.en.clone()),
            polish: (pl, failure.map(|text| text.pl)),
        }
    }

    /// The part's name in `lang`.
    ///
    /// # Examples
    ///
    /// See [`Part::both`].
    pub fn name_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::Polish => self.polish.0,
            Lang::English => self.name,
        }
    }

    /// What failed and why, in `lang`; `None` when the part passed.
    ///
    /// # Examples
    ///
    /// See [`Part::both`].
    pub fn failure_in(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::Polish => self.polish.1.as_deref(),
            Lang::English => self.failure.as_deref(),
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

    /// The exercise's title in `lang`: the lab's five have a Polish title; any other keeps
    /// `title`.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::{Lang, Outcome};
    ///
    /// let outcome = Outcome { exercise: 3, title: "counts in a range with map_async", parts: vec![] };
    /// assert_eq!(outcome.title_in(Lang::Polish), "zliczanie w zakresie przez map_async");
    /// assert_eq!(outcome.title_in(Lang::English), "counts in a range with map_async");
    /// ```
    pub fn title_in(&self, lang: Lang) -> &'static str {
        let polish = match self.exercise {
            1 => "zapis i odczyt pliku, zmierzone",
            2 => "is_name_index, sprawdzona i zmierzona",
            3 => "zliczanie w zakresie przez map_async",
            4 => "wątki zatrzymywane przez kolejkę",
            5 => "sto korutyn naraz",
            _ => self.title,
        };
        match lang {
            Lang::Polish => polish,
            Lang::English => self.title,
        }
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
