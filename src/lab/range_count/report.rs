//! [`compare`]: every variant on the same rows, checked against the sequential loop and timed.

use std::fmt;
use std::time::Duration;

use super::variant::{RangeCountBackend, Variant};
use super::variants::sequential;
use super::{MAXIMUM, MINIMUM, Row};
use crate::Error;
use crate::bench::format_ns;
use crate::lab::LabError;
use crate::pool::Pool;
use crate::timing::Stopwatch;

/// One line of the table: a variant, the rows it counted, and how long that took.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::lab::range_count::{Entry, Variant};
///
/// let entry = Entry { variant: Variant::Map, rows: 1_000, time: Duration::from_micros(500) };
/// assert_eq!(entry.ns_per_row(), 500.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Which variant.
    pub variant: Variant,
    /// How many rows it counted: all of them, or a prefix for the one-task-per-row variants
    /// (see [`compare`]).
    pub rows: usize,
    /// Wall-clock time on the monotonic clock, from the first row handed over to the last
    /// count in hand.
    pub time: Duration,
}

impl Entry {
    /// Time per row, in nanoseconds: the figure that compares runs over different numbers of
    /// rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use concurrency_lab::lab::range_count::{Entry, Variant};
    ///
    /// let entry = Entry { variant: Variant::Apply, rows: 4, time: Duration::from_nanos(100) };
    /// assert_eq!(entry.ns_per_row(), 25.0);
    /// ```
    #[must_use]
    pub fn ns_per_row(&self) -> f64 {
        self.time.as_nanos() as f64 / self.rows.max(1) as f64
    }
}

/// What [`compare`] found: one [`Entry`] per variant (the sequential loop first), and the counts
/// they all agreed on. Its `Display` is the exercise's table.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{Variant, compare, random_rows};
/// use concurrency_lab::pool::ThreadPool;
///
/// let report = compare(&ThreadPool::new(2)?, &random_rows(1_000, 1), None)?;
/// assert_eq!(report.entries.len(), Variant::ALL.len());
/// assert_eq!(report.speedup(Variant::Sequential), Some(1.0));
/// println!("{report}");
/// # Ok::<(), concurrency_lab::lab::LabError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The pool's backend: `"threads"` or `"processes"`.
    pub backend: &'static str,
    /// The pool's number of workers.
    pub workers: usize,
    /// Rows in the dataset.
    pub rows: usize,
    /// One entry per variant, in [`Variant::ALL`] order.
    pub entries: Vec<Entry>,
    /// The count of every row, as every variant computed it.
    pub counts: Vec<usize>,
}

impl Report {
    /// The entry of `variant`, if it was run.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::range_count::{Variant, compare, random_rows};
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let report = compare(&ThreadPool::new(2)?, &random_rows(100, 1), Some(10))?;
    /// assert_eq!(report.entry(Variant::Apply).map(|e| e.rows), Some(10));
    /// assert_eq!(report.entry(Variant::Map).map(|e| e.rows), Some(100));
    /// # Ok::<(), concurrency_lab::lab::LabError>(())
    /// ```
    #[must_use]
    pub fn entry(&self, variant: Variant) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.variant == variant)
    }

    /// How many times faster than the sequential loop `variant` counted a row: the sequential
    /// time per row over the variant's. Below 1 means slower. `None` if either was not run, or
    /// if the variant's time read as zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::lab::range_count::{Variant, compare, random_rows};
    /// use concurrency_lab::pool::ThreadPool;
    ///
    /// let report = compare(&ThreadPool::new(2)?, &random_rows(1_000, 1), None)?;
    /// let map = report.speedup(Variant::Map).unwrap();
    /// println!("map is {map:.2}× as fast as the loop");
    /// # Ok::<(), concurrency_lab::lab::LabError>(())
    /// ```
    #[must_use]
    pub fn speedup(&self, variant: Variant) -> Option<f64> {
        let baseline = self.entry(Variant::Sequential)?.ns_per_row();
        let this = self.entry(variant)?.ns_per_row();
        (this > 0.0).then(|| baseline / this)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} row{}, counting the numbers in {MINIMUM}..={MAXIMUM}; a pool of {} worker{} ({})",
            self.rows,
            plural(self.rows),
            self.workers,
            plural(self.workers),
            self.backend
        )?;
        writeln!(
            f,
            "{:<24} {:>8} {:>10} {:>10} {:>10}",
            "variant", "rows", "time", "per row", "speedup"
        )?;
        let mut prefix = None;
        for entry in &self.entries {
            let marked = entry.rows < self.rows;
            if marked {
                prefix = Some(entry.rows);
            }
            let speedup = self
                .speedup(entry.variant)
                .map_or_else(|| "n/a".to_owned(), format_speedup);
            writeln!(
                f,
                "{:<24} {:>8} {:>10} {:>10} {:>10}",
                format!("{}{}", entry.variant, if marked { " *" } else { "" }),
                entry.rows,
                format_ns(entry.time.as_nanos() as f64),
                format_ns(entry.ns_per_row()),
                speedup
            )?;
        }
        if let Some(rows) = prefix {
            writeln!(
                f,
                "* one task per row: run on the first {rows} rows only; the speedup compares \
                 the time per row"
            )?;
        }
        let shown = self.counts.len().min(10);
        write!(
            f,
            "every variant counted the same; the first {shown} counts: {:?}",
            &self.counts[..shown]
        )
    }
}

/// `"s"` unless there is exactly one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A speedup with three significant digits and a `×`: `1.00×`, `12.5×`, `0.0213×`.
fn format_speedup(speedup: f64) -> String {
    let digits = if speedup >= 100.0 {
        0
    } else if speedup > 0.0 {
        // Three significant digits: 2 decimals at 1.xx, 3 at 0.xxx, 4 at 0.0xxx, …
        (2 - speedup.log10().floor() as i32).max(0) as usize
    } else {
        2
    };
    format!("{speedup:.digits$}×")
}

/// Runs every [`Variant`] on `pool` over `rows`, checks that each counted what the sequential
/// loop counted, and times each one.
///
/// Every variant counts within [`MINIMUM`]`..=`[`MAXIMUM`], the lab's 4 and 8. The variants
/// that send a task per row ([`Variant::one_task_per_row`]) run on the first
/// `one_task_per_row_limit` rows when it is `Some` — `apply` in a loop over 200,000 rows on
/// worker processes takes seconds, and one tenth of the rows makes the same point; the table
/// marks them, and their speedup compares time per row. `None` runs them on every row.
///
/// The sequential loop reads the rows in place. A pool variant needs the rows it sends to its
/// workers as owned values; each gets its own copy, made before its stopwatch starts, so the
/// times compare the ways of handing out work, not the copying. (Serialising the rows for a
/// process pool is part of handing them out, and is timed.)
///
/// # Errors
///
/// [`Error::InvalidInput`] for no rows or a limit of zero (nothing to time);
/// [`LabError::CountsDisagree`] when a variant's counts differ from the sequential loop's — a
/// bug, never noise; the pool's errors ([`Error::TaskPanicked`], [`Error::WorkerDied`], …),
/// each inside [`LabError::Library`].
/// The first failure stops the comparison.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::range_count::{Variant, compare, random_rows};
/// use concurrency_lab::pool::ThreadPool;
///
/// let rows = random_rows(2_000, 42);
/// let report = compare(&ThreadPool::new(2)?, &rows, Some(500))?;
/// assert_eq!(report.counts.len(), 2_000);
/// assert_eq!(report.entry(Variant::Apply).unwrap().rows, 500); // one task per row: a prefix
/// assert_eq!(report.entry(Variant::MapAsync).unwrap().rows, 2_000);
/// println!("{report}");
/// # Ok::<(), concurrency_lab::lab::LabError>(())
/// ```
pub fn compare<B: RangeCountBackend>(
    pool: &Pool<B>,
    rows: &[Row],
    one_task_per_row_limit: Option<usize>,
) -> Result<Report, LabError> {
    if rows.is_empty() {
        return Err(
            Error::invalid_input("rows", 0, "there must be at least one row to count").into(),
        );
    }
    if one_task_per_row_limit == Some(0) {
        return Err(Error::invalid_input(
            "one-task-per-row limit",
            0,
            "the apply variants must count at least one row",
        )
        .into());
    }
    let mut watch = Stopwatch::start();
    let counts = sequential(rows);
    let mut entries = vec![Entry {
        variant: Variant::Sequential,
        rows: rows.len(),
        time: watch.lap(),
    }];
    for variant in Variant::ALL.into_iter().skip(1) {
        let limit = match one_task_per_row_limit {
            Some(limit) if variant.one_task_per_row() => limit.min(rows.len()),
            _ => rows.len(),
        };
        let owned = rows[..limit].to_vec();
        watch.restart();
        let got = variant.run(pool, owned)?;
        let time = watch.lap();
        check_agrees(variant, &counts[..limit], &got)?;
        entries.push(Entry {
            variant,
            rows: limit,
            time,
        });
    }
    Ok(Report {
        backend: B::NAME,
        workers: pool.workers(),
        rows: rows.len(),
        entries,
        counts,
    })
}

/// `Ok` when `got` is `expected`; otherwise an error naming the first difference.
fn check_agrees(variant: Variant, expected: &[usize], got: &[usize]) -> Result<(), LabError> {
    let disagree = |difference| {
        Err(LabError::CountsDisagree {
            variant: variant.name(),
            difference,
        })
    };
    if let Some(row) = (0..expected.len().min(got.len())).find(|&i| expected[i] != got[i]) {
        return disagree(format!(
            "row {row} counted {} instead of {}",
            got[row], expected[row]
        ));
    }
    if got.len() != expected.len() {
        return disagree(format!("{} counts for {} rows", got.len(), expected.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::range_count::{bounded, random_rows};
    use crate::pool::ThreadPool;

    #[test]
    fn agreeing_counts_pass_and_every_kind_of_difference_is_an_error() {
        assert!(check_agrees(Variant::Map, &[1, 2, 3], &[1, 2, 3]).is_ok());
        assert!(check_agrees(Variant::Map, &[], &[]).is_ok());
        let cases: [(&[usize], &str); 3] = [
            (&[1, 5, 3], "row 1 counted 5 instead of 2"),
            (&[1, 2], "2 counts for 3 rows"),
            (&[1, 2, 3, 4], "4 counts for 3 rows"),
        ];
        for (got, difference) in cases {
            let err = check_agrees(Variant::Imap, &[1, 2, 3], got).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("imap disagrees with the sequential loop: {difference}")
            );
        }
    }

    #[test]
    fn compare_runs_every_variant_over_the_right_rows() {
        let rows = random_rows(2_000, 17);
        let expected = sequential(&rows);
        let report = bounded(move || compare(&ThreadPool::new(2).unwrap(), &rows, Some(300)));
        let report = report.unwrap();
        assert_eq!(report.counts, expected);
        assert_eq!(
            (report.backend, report.workers, report.rows),
            ("threads", 2, 2_000)
        );
        let run: Vec<(Variant, usize)> =
            report.entries.iter().map(|e| (e.variant, e.rows)).collect();
        let expected: Vec<(Variant, usize)> = Variant::ALL
            .into_iter()
            .map(|v| (v, if v.one_task_per_row() { 300 } else { 2_000 }))
            .collect();
        assert_eq!(run, expected);
    }

    #[test]
    fn a_limit_above_the_row_count_runs_every_row() {
        let rows = random_rows(50, 1);
        let report = bounded(move || compare(&ThreadPool::new(1).unwrap(), &rows, Some(1_000)));
        let report = report.unwrap();
        assert!(report.entries.iter().all(|e| e.rows == 50));
        assert!(
            !report.to_string().contains('*'),
            "no variant ran on a prefix"
        );
    }

    #[test]
    fn no_rows_and_a_zero_limit_are_refused() {
        let pool = ThreadPool::new(1).unwrap();
        let err = compare(&pool, &[], None).unwrap_err();
        assert!(
            matches!(
                err,
                LabError::Library(Error::InvalidInput { what: "rows", .. })
            ),
            "{err}"
        );
        let err = compare(&pool, &random_rows(5, 1), Some(0)).unwrap_err();
        assert!(
            matches!(err, LabError::Library(Error::InvalidInput { .. })),
            "{err}"
        );
    }

    #[test]
    fn a_failing_pool_stops_the_comparison_with_its_error() {
        let pool = ThreadPool::new(1).unwrap();
        pool.close();
        let err = compare(&pool, &random_rows(5, 1), None).unwrap_err();
        assert!(
            matches!(err, LabError::Library(Error::PoolClosed { .. })),
            "{err}"
        );
    }

    fn report_with(entries: &[(Variant, usize, u64)], rows: usize) -> Report {
        Report {
            backend: "threads",
            workers: 2,
            rows,
            entries: entries
                .iter()
                .map(|&(variant, rows, micros)| Entry {
                    variant,
                    rows,
                    time: Duration::from_micros(micros),
                })
                .collect(),
            counts: vec![3; rows],
        }
    }

    #[test]
    fn speedup_compares_time_per_row() {
        let report = report_with(
            &[
                (Variant::Sequential, 1_000, 100),
                (Variant::Apply, 100, 1_000),
                (Variant::Map, 1_000, 50),
            ],
            1_000,
        );
        assert_eq!(report.speedup(Variant::Sequential), Some(1.0));
        assert_eq!(report.speedup(Variant::Apply), Some(0.01)); // 100 ns vs 10 µs per row
        assert_eq!(report.speedup(Variant::Map), Some(2.0));
        assert_eq!(report.speedup(Variant::Imap), None, "not run");
        let zero = report_with(&[(Variant::Sequential, 10, 5), (Variant::Map, 10, 0)], 10);
        assert_eq!(
            zero.speedup(Variant::Map),
            None,
            "a zero time has no speedup"
        );
    }

    #[test]
    fn the_table_aligns_its_columns_and_marks_prefix_runs() {
        let report = report_with(
            &[
                (Variant::Sequential, 1_000, 100),
                (Variant::Apply, 100, 1_000),
                (Variant::ApplyAsyncCallback, 100, 800),
                (Variant::Map, 1_000, 50),
            ],
            1_000,
        );
        let table = report.to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "1000 rows, counting the numbers in 4..=8; a pool of 2 workers (threads)"
        );
        // Header and rows share the column layout: every row is as wide as the header.
        let width = lines[1].chars().count();
        for line in &lines[1..6] {
            assert_eq!(line.chars().count(), width, "{line:?}");
        }
        assert!(lines[2].starts_with("sequential loop ") && lines[2].ends_with(" 1.00×"));
        assert!(lines[3].starts_with("apply, in a loop * ") && lines[3].ends_with(" 0.0100×"));
        assert!(lines[4].starts_with("apply_async + callback *"));
        assert!(lines[5].starts_with("map ") && lines[5].ends_with(" 2.00×"));
        assert!(lines[6].starts_with("* one task per row: run on the first 100 rows"));
        assert_eq!(
            lines[7],
            "every variant counted the same; the first 10 counts: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]"
        );
    }

    #[test]
    fn speedups_keep_three_significant_digits() {
        assert_eq!(format_speedup(1.0), "1.00×");
        assert_eq!(format_speedup(12.345), "12.3×");
        assert_eq!(format_speedup(0.0213), "0.0213×");
        assert_eq!(format_speedup(0.5), "0.500×");
        assert_eq!(format_speedup(250.4), "250×");
    }
}
