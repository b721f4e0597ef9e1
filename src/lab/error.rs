//! The exercises' own error: the library's errors, plus what an exercise's checks find.

/// What an exercise can report: any of the library's [`Error`](crate::Error)s, or a finding of
/// the exercise's own checks.
///
/// The exercises' checks live here rather than in [`crate::Error`] so that a course crate that
/// uses only the library (pools, benches, workers) never sees them, and so that an exercise can
/// change without changing the library's error type. `?` turns a library [`Error`](crate::Error)
/// into a `LabError`; `LabError` and its struct variants are `#[non_exhaustive]`.
///
/// # Examples
///
/// ```
/// use concurrency_lab::{Error, lab::LabError};
///
/// fn workers(n: usize) -> Result<usize, LabError> {
///     if n == 0 {
///         Err(Error::invalid_input("workers", n, "at least one"))?;
///     }
///     Ok(n)
/// }
/// let err = workers(0).unwrap_err();
/// assert!(matches!(err, LabError::Library(Error::InvalidInput { .. })));
/// assert_eq!(err.to_string(), r#"invalid workers "0": at least one"#);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// One of the library's errors (a pool's, a bench's…), unchanged.
    #[error(transparent)]
    Library(#[from] crate::Error),

    // ----- range_count -----
    /// A variant of exercise 3 counted differently from the sequential loop: a bug, not noise.
    #[error("{variant} disagrees with the sequential loop: {difference}")]
    #[non_exhaustive]
    CountsDisagree {
        /// The variant's name in the table, e.g. `"map_async"`.
        variant: &'static str,
        /// The first difference, e.g. `row 17 counted 3 instead of 2`.
        difference: String,
    },
}
