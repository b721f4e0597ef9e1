//! Statistics over a benchmark's samples: location, spread and Tukey's outliers.

use crate::{Error, Result};

/// Summary statistics of a set of samples (in a [`Report`](super::Report): nanoseconds per
/// call).
///
/// Quartiles and the median are interpolated linearly between the two nearest samples (the
/// method of numpy's default and of Python's `statistics.quantiles(method="inclusive")`), so
/// the median of an even count is the mean of the middle two.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::Stats;
///
/// let stats = Stats::from_samples(&[10.0, 12.0, 11.0, 13.0, 40.0])?;
/// assert_eq!((stats.min, stats.median, stats.max), (10.0, 12.0, 40.0));
/// assert_eq!(stats.mean, 17.2);
/// assert_eq!(stats.mad, 1.0);
/// assert_eq!(stats.outliers.high_severe, 1, "40 is far above the others");
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// How many samples.
    pub count: usize,
    /// The smallest sample: the run least disturbed by anything else.
    pub min: f64,
    /// The first quartile: a quarter of the samples are at most this.
    pub q1: f64,
    /// The middle sample: half are faster, half slower.
    pub median: f64,
    /// The third quartile: three quarters of the samples are at most this.
    pub q3: f64,
    /// The largest sample.
    pub max: f64,
    /// The arithmetic mean; pulled up by every slow outlier.
    pub mean: f64,
    /// The sample standard deviation (divisor `count - 1`); 0 for a single sample.
    pub std_dev: f64,
    /// The median absolute deviation: the median of `|sample - median|`, unscaled. Half of the
    /// samples lie within `median ± mad`.
    pub mad: f64,
    /// Samples outside Tukey's fences.
    pub outliers: Outliers,
}

/// Samples that lie far from the middle half, counted by Tukey's rule.
///
/// With `IQR = q3 - q1`, a sample is a *mild* outlier beyond `1.5 × IQR` outside the quartiles
/// and a *severe* one beyond `3 × IQR`. Each sample counts once, in the worse class.
///
/// # Examples
///
/// ```
/// use concurrency_lab::bench::Stats;
///
/// let outliers = Stats::from_samples(&[1.0, 10.0, 10.0, 11.0, 11.0, 12.0, 16.0])?.outliers;
/// assert_eq!((outliers.low_severe, outliers.high_mild), (1, 1));
/// assert_eq!(outliers.total(), 2);
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outliers {
    /// Below `q1 - 3 × IQR`.
    pub low_severe: usize,
    /// Between `q1 - 3 × IQR` and `q1 - 1.5 × IQR`.
    pub low_mild: usize,
    /// Between `q3 + 1.5 × IQR` and `q3 + 3 × IQR`.
    pub high_mild: usize,
    /// Above `q3 + 3 × IQR`.
    pub high_severe: usize,
}

impl Outliers {
    /// All outliers, mild and severe, low and high.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Outliers;
    ///
    /// let outliers = Outliers { high_mild: 2, high_severe: 1, ..Outliers::default() };
    /// assert_eq!(outliers.total(), 3);
    /// ```
    #[must_use]
    pub fn total(&self) -> usize {
        self.low_severe + self.low_mild + self.high_mild + self.high_severe
    }
}

impl Stats {
    /// Computes the statistics of `samples` (in any order).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `samples` is empty or holds a NaN or an infinity.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::bench::Stats;
    ///
    /// assert!(Stats::from_samples(&[]).is_err());
    /// assert!(Stats::from_samples(&[1.0, f64::NAN]).is_err());
    /// let one = Stats::from_samples(&[5.0])?;
    /// assert_eq!((one.median, one.std_dev, one.mad), (5.0, 0.0, 0.0));
    /// # Ok::<(), concurrency_lab::Error>(())
    /// ```
    pub fn from_samples(samples: &[f64]) -> Result<Stats> {
        if samples.is_empty() {
            return Err(Error::invalid_input(
                "samples",
                "[]",
                "statistics need at least one sample",
            ));
        }
        if let Some(bad) = samples.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid_input(
                "samples",
                bad,
                "every sample must be a finite number",
            ));
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        let mean = sorted.iter().sum::<f64>() / count as f64;
        let std_dev = if count > 1 {
            let squares: f64 = sorted.iter().map(|x| (x - mean).powi(2)).sum();
            (squares / (count - 1) as f64).sqrt()
        } else {
            0.0
        };
        let median = quantile(&sorted, 0.5);
        let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let (q1, q3) = (quantile(&sorted, 0.25), quantile(&sorted, 0.75));
        Ok(Stats {
            count,
            min: sorted[0],
            q1,
            median,
            q3,
            max: sorted[count - 1],
            mean,
            std_dev,
            mad: quantile(&deviations, 0.5),
            outliers: tukey(&sorted, q1, q3),
        })
    }
}

/// The `p`-quantile (0 ≤ p ≤ 1) of sorted, non-empty data, interpolated linearly.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (below, above) = (rank.floor() as usize, rank.ceil() as usize);
    let weight = rank - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * weight
}

fn tukey(samples: &[f64], q1: f64, q3: f64) -> Outliers {
    let iqr = q3 - q1;
    let mut outliers = Outliers::default();
    for &x in samples {
        if x < q1 - 3.0 * iqr {
            outliers.low_severe += 1;
        } else if x < q1 - 1.5 * iqr {
            outliers.low_mild += 1;
        } else if x > q3 + 3.0 * iqr {
            outliers.high_severe += 1;
        } else if x > q3 + 1.5 * iqr {
            outliers.high_mild += 1;
        }
    }
    outliers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn order_of_samples_does_not_matter() {
        let a = Stats::from_samples(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]).unwrap();
        let b = Stats::from_samples(&[9.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 1.0]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn quartiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) == [1.75, 2.5, 3.25]
        let stats = Stats::from_samples(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((stats.q1, stats.median, stats.q3), (1.75, 2.5, 3.25));
        // statistics.stdev([1, 2, 3, 4]) == 1.2909944487358056
        assert!(close(stats.std_dev, 1.290_994_448_735_805_6));
        assert_eq!(stats.mean, 2.5);
    }

    #[test]
    fn mad_ignores_a_wild_sample_that_std_dev_does_not() {
        let calm = Stats::from_samples(&[10.0, 11.0, 12.0, 13.0, 14.0]).unwrap();
        let wild = Stats::from_samples(&[10.0, 11.0, 12.0, 13.0, 1_000.0]).unwrap();
        assert_eq!(calm.mad, 1.0);
        assert_eq!(wild.mad, 1.0);
        assert_eq!(calm.median, wild.median);
        assert!(wild.std_dev > 100.0 * calm.std_dev);
        assert!(wild.mean > 200.0);
    }

    #[test]
    fn tukey_fences_classify_each_sample_once() {
        // q1 = 10, q3 = 12, IQR = 2: mild beyond 7 / 15, severe beyond 4 / 18.
        let mut samples = vec![3.0, 6.0, 7.0, 15.0, 16.0, 19.0];
        samples.extend([10.0; 4].iter().chain(&[11.0; 2]).chain(&[12.0; 4]));
        let stats = Stats::from_samples(&samples).unwrap();
        assert_eq!((stats.q1, stats.q3), (10.0, 12.0));
        let expected = Outliers {
            low_severe: 1,
            low_mild: 1,
            high_mild: 1,
            high_severe: 1,
        };
        assert_eq!(
            stats.outliers, expected,
            "7 and 15 sit on the fences: not outliers"
        );
    }

    #[test]
    fn samples_just_inside_and_on_each_fence_land_on_the_right_side() {
        // q1 = 10, q3 = 12, IQR = 2: severe below 4 / above 18, mild below 7 / above 15. A
        // sample on a fence stays on its inner side; 4.5 and 17.5 sit between the severe
        // fences and fences at 1 IQR nearer, 6.8 and 15.2 between the mild ones and fences at
        // a quarter IQR farther.
        let low = [3.0, 4.0, 4.5, 6.8, 7.0, 9.0];
        let high = [13.0, 15.0, 15.2, 17.5, 18.0, 19.0];
        let mut samples = [10.0; 20].to_vec();
        samples.extend(
            [11.0; 10]
                .iter()
                .chain(&[12.0; 20])
                .chain(&low)
                .chain(&high),
        );
        let stats = Stats::from_samples(&samples).unwrap();
        assert_eq!((stats.q1, stats.q3), (10.0, 12.0));
        let expected = Outliers {
            low_severe: 1,  // 3
            low_mild: 3,    // 4, 4.5, 6.8
            high_mild: 3,   // 15.2, 17.5, 18
            high_severe: 1, // 19
        };
        assert_eq!(stats.outliers, expected);
    }

    #[test]
    fn total_adds_up_the_four_classes() {
        // 1 + 2 + 3 + 4 = 10. Distinct counts, so dropping, subtracting or multiplying any one
        // class gives another number (1 + 2 + 3 * 4 = 15, 1 * 2 + 3 + 4 = 9, 1 + 2 + 3 - 4 = 2).
        let outliers = Outliers {
            low_severe: 1,
            low_mild: 2,
            high_mild: 3,
            high_severe: 4,
        };
        assert_eq!(outliers.total(), 10);
    }

    #[test]
    fn a_single_sample_is_its_own_summary_with_no_spread() {
        // One sample, 5: every location is 5, and the spread is 0 by definition (the sample
        // standard deviation's divisor n - 1 is 0, so it must not be computed: 0 / 0 is NaN).
        let stats = Stats::from_samples(&[5.0]).unwrap();
        assert_eq!(stats.count, 1);
        assert_eq!(
            (
                stats.min,
                stats.q1,
                stats.median,
                stats.q3,
                stats.max,
                stats.mean
            ),
            (5.0, 5.0, 5.0, 5.0, 5.0, 5.0)
        );
        assert_eq!((stats.std_dev, stats.mad), (0.0, 0.0));
        assert_eq!(stats.outliers, Outliers::default());
    }

    #[test]
    fn identical_samples_have_no_spread_and_no_outliers() {
        let stats = Stats::from_samples(&[2.5; 9]).unwrap();
        assert_eq!(
            (stats.min, stats.max, stats.std_dev, stats.mad),
            (2.5, 2.5, 0.0, 0.0)
        );
        assert_eq!(stats.outliers.total(), 0);
    }

    #[test]
    fn bad_samples_are_refused_with_the_value() {
        let err = Stats::from_samples(&[1.0, f64::INFINITY]).unwrap_err();
        assert!(err.to_string().contains("\"inf\""), "{err}");
        assert!(Stats::from_samples(&[]).is_err());
    }
}
