//! The five exercises as the grader sees them: the student's file, the call that checks it, and
//! the library's own answers that a submission may not call.

use std::fmt;

/// One of the lab's five exercises.
///
/// # Examples
///
/// ```
/// use lab_grader::Exercise;
///
/// let ex2 = Exercise::ALL[1];
/// assert_eq!(ex2.number(), 2);
/// assert_eq!(ex2.file(), "src/ex2.rs");
/// assert!(ex2.answer_key().contains(&"concurrency_lab::lab::name_index::"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Exercise(u8);

impl Exercise {
    /// The five exercises, in order.
    pub const ALL: [Exercise; 5] = [
        Exercise(1),
        Exercise(2),
        Exercise(3),
        Exercise(4),
        Exercise(5),
    ];

    /// Points available per exercise: the checks give two parts of one point each.
    pub const MAX_POINTS: u32 = 2;

    /// The exercise's number, 1–5.
    ///
    /// # Examples
    ///
    /// See [`Exercise`].
    pub fn number(self) -> u8 {
        self.0
    }

    /// The module name of the student's file: `ex1` … `ex5`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab_grader::Exercise::ALL[4].module(), "ex5");
    /// ```
    pub fn module(self) -> String {
        format!("ex{}", self.0)
    }

    /// The student's file, relative to the submission: `src/ex1.rs` … `src/ex5.rs`.
    ///
    /// # Examples
    ///
    /// See [`Exercise`].
    pub fn file(self) -> String {
        format!("src/ex{}.rs", self.0)
    }

    /// The harness's call of the exercise's check on the student's module `student`, with
    /// exactly the arguments the starter's `tests/grade.rs` passes.
    ///
    /// # Examples
    ///
    /// ```
    /// let call = lab_grader::Exercise::ALL[0].check_call();
    /// assert_eq!(call, "concurrency_lab::grade::ex1::check(student::write_and_read)");
    /// ```
    pub fn check_call(self) -> &'static str {
        match self.0 {
            1 => "concurrency_lab::grade::ex1::check(student::write_and_read)",
            2 => "concurrency_lab::grade::ex2::check(student::is_name_index, student::benchmark)",
            3 => {
                "concurrency_lab::grade::ex3::check(student::count_on_threads, student::count_on_processes)"
            }
            4 => {
                "concurrency_lab::grade::ex4::check(student::SomeWorker::start, student::SomeWorker::stop)"
            }
            _ => "concurrency_lab::grade::ex5::check(student::random_delays, student::gather)",
        }
    }

    /// The library's own answers to this exercise: the functions of `concurrency_lab::lab` that
    /// solve it. An entry ending in `::` is a whole module; any other entry is one function (or
    /// type), with what is inside it (its closures, its generic instances). A submission whose
    /// compiled code refers to any of them scores 0 for the exercise.
    ///
    /// Only the answers: what the starter gives (`range_count::Row`,
    /// `howmany_within_range_rowonly`) and what the check's own types use inside (a `LabTask`
    /// formats its message with `async_gather::task_message`) stay allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex3 = lab_grader::Exercise::ALL[2];
    /// assert!(ex3.answer_key().contains(&"concurrency_lab::lab::range_count::variants::"));
    /// ```
    pub fn answer_key(self) -> &'static [&'static str] {
        match self.0 {
            1 => &["concurrency_lab::lab::file_timing::"],
            2 => &["concurrency_lab::lab::name_index::"],
            // Not the whole module: its `Row` and `howmany_within_range_rowonly` are given.
            3 => &[
                "concurrency_lab::lab::range_count::variants::",
                "concurrency_lab::lab::range_count::variant::",
                "concurrency_lab::lab::range_count::report::",
            ],
            4 => &["concurrency_lab::lab::some_worker::"],
            _ => &[
                "concurrency_lab::lab::async_gather::random_delays",
                "concurrency_lab::lab::async_gather::run::",
                "concurrency_lab::lab::async_gather::Settings",
                "concurrency_lab::lab::async_gather::Gather",
            ],
        }
    }
}

impl fmt::Display for Exercise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ex{}", self.0)
    }
}
