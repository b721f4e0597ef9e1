//! Where a benchmark's quick mode came from, so that its warning can say so.

use std::fmt;

/// Who switched quick mode on: the environment or the code. Carried by
/// [`Report::quick`](super::Report::quick), and named in the report's warning, so that a student
/// who wrote `.quick(true)` is not told to look for an environment variable.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{Bench, QuickSource};
///
/// let report = Bench::new("nothing").quick(true).run(|| ())?;
/// assert_eq!(report.quick, Some(QuickSource::Code));
/// assert!(report.warnings().iter().any(|w| w.starts_with("quick mode (set in code")));
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuickSource {
    /// `BENCH_QUICK` is set (to anything but `0` or nothing) and the code did not override it.
    Environment,
    /// The code asked for it: [`Bench::quick(true)`](super::Bench::quick).
    Code,
}

impl fmt::Display for QuickSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuickSource::Environment => "BENCH_QUICK is set",
            QuickSource::Code => "set in code with Bench::quick(true)",
        })
    }
}
