//! Amdahl's law, and the serial fraction that fits measured speedups best.
//!
//! If a fraction `f` of a job cannot be shared out, `p` processors finish it at best in
//! `f + (1 - f) / p` of one processor's time: the speedup tends to `1 / f`, however many
//! processors there are.

/// The speedup Amdahl's law predicts on `processors` processors for a serial fraction `serial`.
pub(crate) fn speedup(serial: f64, processors: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / processors)
}

/// Amdahl's law fitted to measured points: `scale * speedup(serial, p)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    /// The fraction of the work that does not run in parallel, in `0..=1`.
    pub serial: f64,
    /// The speedup on one processor: below 1 when using the workers at all costs time.
    pub scale: f64,
}

impl Fit {
    /// The fitted speedup on `processors` processors.
    pub(crate) fn at(&self, processors: f64) -> f64 {
        self.scale * speedup(self.serial, processors)
    }
}

/// The [`Fit`] closest to `points` — (processors, measured speedup) — in least squares.
///
/// For a given serial fraction the best scale has a closed form (a linear least-squares
/// problem in one unknown), so only the serial fraction is searched: scanned in steps of a
/// thousandth, then the best step refined by a golden-section search. With one parameter in
/// a bounded range, that is exact enough and cannot diverge.
pub(crate) fn fit(points: &[(f64, f64)]) -> Fit {
    let with_best_scale = |serial: f64| -> Fit {
        let shape = |p: f64| speedup(serial, p);
        let along: f64 = points.iter().map(|&(p, s)| s * shape(p)).sum();
        let norm: f64 = points.iter().map(|&(p, _)| shape(p).powi(2)).sum();
        Fit {
            serial,
            scale: if norm > 0.0 { along / norm } else { 0.0 },
        }
    };
    let squares = |serial: f64| -> f64 {
        let fit = with_best_scale(serial);
        points.iter().map(|&(p, s)| (s - fit.at(p)).powi(2)).sum()
    };
    const STEPS: u32 = 1000;
    let best_step = (0..=STEPS)
        .map(|step| f64::from(step) / f64::from(STEPS))
        .min_by(|a, b| squares(*a).total_cmp(&squares(*b)))
        .expect("the scan has points");
    let step = 1.0 / f64::from(STEPS);
    let (mut low, mut high) = ((best_step - step).max(0.0), (best_step + step).min(1.0));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    while high - low > 1e-9 {
        let (a, b) = (high - ratio * (high - low), low + ratio * (high - low));
        if squares(a) <= squares(b) {
            high = b;
        } else {
            low = a;
        }
    }
    with_best_scale((low + high) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(serial: f64) -> Vec<(f64, f64)> {
        (1..=4)
            .map(|p| (f64::from(p), speedup(serial, f64::from(p))))
            .collect()
    }

    #[test]
    fn the_law_at_its_limits() {
        assert_eq!(speedup(0.0, 4.0), 4.0, "nothing serial: linear");
        assert_eq!(speedup(1.0, 4.0), 1.0, "all serial: no gain");
        assert_eq!(speedup(0.25, 1.0), 1.0, "one processor is the reference");
        assert!((speedup(0.1, 1e12) - 10.0).abs() < 1e-6, "tends to 1 / f");
    }

    #[test]
    fn recovers_the_serial_fraction_and_scale_of_exact_points() {
        for serial in [0.0, 0.05, 0.3, 0.777, 1.0] {
            for scale in [1.0, 0.8] {
                let points: Vec<_> = curve(serial)
                    .into_iter()
                    .map(|(p, s)| (p, scale * s))
                    .collect();
                let fitted = fit(&points);
                assert!(
                    (fitted.serial - serial).abs() < 1e-6,
                    "{serial}: {fitted:?}"
                );
                assert!((fitted.scale - scale).abs() < 1e-6, "{scale}: {fitted:?}");
            }
        }
    }

    #[test]
    fn fits_noisy_points_near_the_truth() {
        let noisy: Vec<_> = curve(0.2)
            .into_iter()
            .zip([1.0, 1.02, 0.97, 1.01])
            .map(|((p, s), noise)| (p, s * noise))
            .collect();
        let fitted = fit(&noisy);
        assert!((fitted.serial - 0.2).abs() < 0.03, "{fitted:?}");
        assert!((fitted.scale - 1.0).abs() < 0.03, "{fitted:?}");
    }

    #[test]
    fn a_slowdown_fits_as_all_serial() {
        // More workers made it slower: no fraction in 0..=1 explains that better than 1, and
        // the flat line then sits at the points' mean.
        let slower = [(1.0, 1.0), (2.0, 0.8), (3.0, 0.6)];
        let fitted = fit(&slower);
        assert!(fitted.serial > 1.0 - 1e-6, "{fitted:?}");
        assert!((fitted.scale - 0.8).abs() < 1e-6, "{fitted:?}");
    }
}
