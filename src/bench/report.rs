//! What a benchmark run found, as data and as a table; several runs side by side.

use std::fmt;
use std::io::{self, Write};

use super::{QuickSource, Stats};
use crate::timing::ClockProbe;
use crate::{Error, Result};

/// Python warns when the slowest run took this many times the fastest.
const SPREAD_WARNING: f64 = 4.0;
/// Below this many times an empty loop's cost per call, a benchmark mostly measures the loop.
const HARNESS_WARNING: f64 = 10.0;
/// A sample should span this many steps of the timer, so rounding to a step costs < 0.1 %.
const TIMER_STEPS_WANTED: f64 = 1_000.0;

/// The result of [`Bench::run`](super::Bench::run): samples, statistics, and what the harness
/// itself costs, so that a reader can judge the figures.
///
/// All times are nanoseconds *per call*. `Display` prints it as a small table; use
/// [`compare`] to set several reports (measured in one [`Group`](super::Group)) side by side.
///
/// The empty loop's cost is reported, not subtracted: it is a fraction of a nanosecond, and
/// subtracting a noisy estimate of it would make fast benchmarks look faster than anything can
/// be. A warning says when a result comes close to it.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{Bench, black_box};
///
/// let report = Bench::new("u64 to string").quick(true).run(|| black_box(144298_u64).to_string())?;
/// assert_eq!(report.samples_ns.len(), report.stats.count);
/// assert!(report.stats.min <= report.stats.median);
/// let mut out = Vec::new();
/// report.write_to(&mut out)?;
/// assert!(String::from_utf8(out).unwrap().starts_with("u64 to string"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The benchmark's name.
    pub name: String,
    /// Calls per sample (Python's `number`), calibrated or fixed.
    pub number: u64,
    /// Each sample's time per call, in the order measured.
    pub samples_ns: Vec<f64>,
    /// Statistics over `samples_ns`.
    pub stats: Stats,
    /// The timer: the monotonic clock as probed on this machine.
    pub timer: ClockProbe,
    /// What one call of an empty closure costs in the timed loop: the harness's own share of
    /// every per-call figure. Not subtracted.
    pub empty_loop_ns: f64,
    /// Whether the run was in quick mode (few, short samples: rough figures), and who asked for
    /// it; `None` for a normal run.
    pub quick: Option<QuickSource>,
}

impl Report {
    /// What a careful reader should know before trusting the figures, one sentence each:
    /// a large spread (the slowest sample ≥ 4 × the fastest, Python's rule), a result close to
    /// the empty loop's cost, samples too short for the timer, quick mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("nothing").quick(true).run(|| ())?;
    /// let warnings = report.warnings();
    /// assert!(warnings.iter().any(|w| w.starts_with("quick mode (set in code")), "{warnings:?}");
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let stats = &self.stats;
        let mut warnings = Vec::new();
        // `max > 0`: samples that are all zero (a clock too coarse to move) have no spread.
        if stats.max >= SPREAD_WARNING * stats.min && stats.max > 0.0 {
            warnings.push(format!(
                "unreliable: the slowest sample ({}) took {:.1}× the fastest ({}); \
                 something else was probably running",
                format_ns(stats.max),
                stats.max / stats.min,
                format_ns(stats.min)
            ));
        }
        if stats.median < HARNESS_WARNING * self.empty_loop_ns {
            warnings.push(format!(
                "the median ({}) is under {HARNESS_WARNING}× an empty loop's cost ({}): this \
                 measures the harness as much as the code (are the inputs black_box-ed?)",
                format_ns(stats.median),
                format_ns(self.empty_loop_ns)
            ));
        }
        if let Some(step) = self.timer.measured_resolution_ns {
            let sample_ns = stats.min * self.number as f64;
            if sample_ns < TIMER_STEPS_WANTED * step as f64 {
                warnings.push(format!(
                    "samples as short as {} are under {TIMER_STEPS_WANTED} timer steps ({step} ns \
                     each): raise `number` or `sample_time`",
                    format_ns(sample_ns)
                ));
            }
        }
        if let Some(source) = self.quick {
            warnings.push(format!(
                "quick mode ({source}): few, short samples; rough figures"
            ));
        }
        warnings
    }

    /// True when the two medians differ by no more than the two MADs together: the difference
    /// is within the spread the runs themselves show, so neither is shown to be faster.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{Bench, black_box};
    ///
    /// let a = Bench::new("a").quick(true).run(|| black_box(1) + 1)?;
    /// let b = Bench::new("b").quick(true).run(|| black_box(1) + 1)?;
    /// println!("same code, same speed? {}", a.within_spread_of(&b));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn within_spread_of(&self, other: &Report) -> bool {
        (self.stats.median - other.stats.median).abs() <= self.stats.mad + other.stats.mad
    }

    /// Writes the report's table (its `Display`) and a final newline to `out`.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Bench;
    ///
    /// let report = Bench::new("noop").quick(true).run(|| ())?;
    /// report.write_to(&mut std::io::stdout().lock())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{self}")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        let outliers = &s.outliers;
        writeln!(f, "{}", self.name)?;
        writeln!(
            f,
            "  median {:>9}   mean {:>9}   min {:>9}   max {:>9}",
            format_ns(s.median),
            format_ns(s.mean),
            format_ns(s.min),
            format_ns(s.max)
        )?;
        writeln!(
            f,
            "  std dev {:>8}   MAD {:>10}   outliers {} of {} ({} mild, {} severe)",
            format_ns(s.std_dev),
            format_ns(s.mad),
            outliers.total(),
            s.count,
            outliers.low_mild + outliers.high_mild,
            outliers.low_severe + outliers.high_severe
        )?;
        write!(
            f,
            "  {} samples × {} calls; ",
            s.count,
            group_digits(self.number)
        )?;
        write_harness(f, self)?;
        for warning in self.warnings() {
            write!(f, "\n  warning: {warning}")?;
        }
        Ok(())
    }
}

/// The harness figures every report carries: timer step and cost, empty loop.
fn write_harness(f: &mut fmt::Formatter<'_>, report: &Report) -> fmt::Result {
    let step = report
        .timer
        .measured_resolution_ns
        .map_or_else(|| "coarse".to_owned(), |ns| format!("{ns} ns"));
    write!(
        f,
        "timer step {step}, {} a reading; empty loop {} a call (not subtracted)",
        format_ns(report.timer.reading_cost_ns),
        format_ns(report.empty_loop_ns)
    )
}

/// Several reports side by side, each median as a ratio to a baseline's: made by [`compare`].
///
/// On a shared machine only figures measured together can be compared: measure the
/// benchmarks in one [`Group`](super::Group), which takes their samples in turns.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{compare, Bench, Group, black_box};
///
/// let data: Vec<u64> = (0..10_000).collect();
/// let reports = Group::new()
///     .bench(Bench::new("sum").quick(true), || black_box(&data).iter().sum::<u64>())
///     .bench(Bench::new("sum of squares").quick(true), || {
///         black_box(&data).iter().map(|x| x * x).sum::<u64>()
///     })
///     .run()?;
/// let table = compare(&reports, "sum")?;
/// assert_eq!(table.ratio("sum"), Some(1.0));
/// println!("{table}");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison<'a> {
    reports: &'a [Report],
    baseline: &'a Report,
}

/// Sets `reports` side by side with their medians' ratios to the report named `baseline`.
///
/// # Errors
///
/// [`Error::InvalidInput`] when no report is named `baseline` (the message lists the names).
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::{compare, Bench};
///
/// let reports = [Bench::new("a").quick(true).run(|| ())?];
/// let err = compare(&reports, "b").unwrap_err();
/// assert!(err.to_string().contains(r#"invalid baseline "b""#));
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn compare<'a>(reports: &'a [Report], baseline: &str) -> Result<Comparison<'a>> {
    let Some(base) = reports.iter().find(|r| r.name == baseline) else {
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        return Err(Error::invalid_input(
            "baseline",
            baseline,
            format!("no report has that name (the names are {names:?})"),
        ));
    };
    Ok(Comparison {
        reports,
        baseline: base,
    })
}

impl Comparison<'_> {
    /// The median of the report named `name` divided by the baseline's median: above 1 is
    /// slower, below 1 faster. `None` if no report has that name.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{compare, Bench};
    ///
    /// let reports = [Bench::new("only").quick(true).run(|| ())?];
    /// let table = compare(&reports, "only")?;
    /// assert_eq!(table.ratio("only"), Some(1.0));
    /// assert_eq!(table.ratio("other"), None);
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    #[must_use]
    pub fn ratio(&self, name: &str) -> Option<f64> {
        let report = self.reports.iter().find(|r| r.name == name)?;
        Some(report.stats.median / self.baseline.stats.median)
    }

    /// Writes the comparison table (its `Display`) and a final newline to `out`.
    ///
    /// # Errors
    ///
    /// Whatever `out` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::{compare, Bench};
    ///
    /// let reports = [Bench::new("noop").quick(true).run(|| ())?];
    /// compare(&reports, "noop")?.write_to(&mut std::io::stdout().lock())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{self}")
    }

    /// How the report compares with the baseline, in words.
    fn verdict(&self, report: &Report) -> String {
        let ratio = report.stats.median / self.baseline.stats.median;
        if std::ptr::eq(report, self.baseline) {
            "baseline".to_owned()
        } else if report.within_spread_of(self.baseline) {
            format!("{}× (within spread)", format_ratio(ratio))
        } else if ratio >= 1.0 {
            format!("{}× slower", format_ratio(ratio))
        } else {
            format!("{}× faster", format_ratio(1.0 / ratio))
        }
    }
}

impl fmt::Display for Comparison<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.reports.iter().map(|r| r.name.chars().count()).max();
        let width = width.unwrap_or(0).max("benchmark".len());
        write!(
            f,
            "{:<width$}  {:>9}  {:>9}  {:>9}  {:>8}  vs {}",
            "benchmark", "median", "min", "± MAD", "outliers", self.baseline.name
        )?;
        for report in self.reports {
            let s = &report.stats;
            write!(
                f,
                "\n{:<width$}  {:>9}  {:>9}  {:>9}  {:>8}  {}",
                report.name,
                format_ns(s.median),
                format_ns(s.min),
                format_ns(s.mad),
                format!("{}/{}", s.outliers.total(), s.count),
                self.verdict(report)
            )?;
        }
        writeln!(f)?;
        write_harness(f, self.baseline)?;
        for report in self.reports {
            for warning in report.warnings() {
                write!(f, "\nwarning ({}): {warning}", report.name)?;
            }
        }
        Ok(())
    }
}

/// A time in nanoseconds with three significant digits and a readable unit: `"0.312 ns"`,
/// `"12.3 ns"`, `"1.23 µs"`, `"456 ms"`, `"2.50 s"`.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::format_ns;
///
/// assert_eq!(format_ns(0.3124), "0.312 ns");
/// assert_eq!(format_ns(1_234.0), "1.23 µs");
/// assert_eq!(format_ns(45_600_000.0), "45.6 ms");
/// assert_eq!(format_ns(2.5e9), "2.50 s");
/// ```
#[must_use]
pub fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    // Three significant digits; a value that rounds up to 1000 keeps its unit ("1000 µs"), so
    // that the digits shown never lie about the unit chosen.
    let decimals = match value {
        v if v < 1.0 => 3,
        v if v < 9.995 => 2,
        v if v < 99.95 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {unit}")
}

/// A ratio with three significant digits: `1.33`, `12.5`, `50172`.
fn format_ratio(ratio: f64) -> String {
    match ratio {
        r if r < 9.995 => format!("{r:.2}"),
        r if r < 99.95 => format!("{r:.1}"),
        r => format!("{r:.0}"),
    }
}

/// `1234567` → `"1,234,567"`: long counts read at a glance with grouped digits.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
