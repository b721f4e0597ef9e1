//! Amdahl's law, and the serial fraction that fits measured speedups best.
//!
//! If a fraction `f` of a job cannot be shared out, `p` processors finish it at best in
//! `f + (1 - f) / p` of one processor's time: the speedup tends to `1 / f`, however many
//! processors there are.

/// The speedup Amdahl's law predicts on `processors` processors for a serial fraction `serial`.
pub(crate) fn speedup(serial: f64, processors: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / processors)
}

/// Amdahl's law with a cost per extra worker, fitted to measured points:
/// `scale / (serial + (1 - serial) / processors + overhead * (workers - 1))`.
///
/// Amdahl's law alone never falls as workers are added, so it cannot pass through points that
/// do — a job whose cost is moving data to the workers gets slower with each one. The
/// overhead term (the time each extra worker adds, as a fraction of one processor's time)
/// lets the curve fall; where adding workers costs nothing, the fit finds it zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    /// The fraction of the work that does not run in parallel, in `0..=1`.
    pub serial: f64,
    /// The time each worker past the first adds, as a fraction of one processor's time.
    pub overhead: f64,
    /// The speedup on one processor: below 1 when using the workers at all costs time.
    pub scale: f64,
}

impl Fit {
    /// The fitted speedup of `workers` workers on `processors` processors.
    pub(crate) fn at(&self, processors: f64, workers: f64) -> f64 {
        self.scale * shape(self.serial, self.overhead, processors, workers)
    }
}

/// The model's speedup at scale 1.
fn shape(serial: f64, overhead: f64, processors: f64, workers: f64) -> f64 {
    1.0 / (1.0 / speedup(serial, processors) + overhead * (workers - 1.0))
}

/// One measured point: on how many processors, with how many workers, and the speedup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub processors: f64,
    pub workers: f64,
    pub speedup: f64,
}

/// The [`Fit`] closest to `points` in least squares.
///
/// For a given serial fraction and overhead the best scale has a closed form (a linear
/// least-squares problem in one unknown), so only those two are searched: the overhead over 0
/// and 61 steps from 10⁻⁴ to 10 (a geometric scale), the serial fraction in steps of a
/// thousandth, then the best serial fraction refined by a golden-section search. Bounded
/// ranges: exact enough, and it cannot diverge.
pub(crate) fn fit(points: &[Point]) -> Fit {
    let with_best_scale = |serial: f64, overhead: f64| -> Fit {
        let model = |p: &Point| shape(serial, overhead, p.processors, p.workers);
        let along: f64 = points.iter().map(|p| p.speedup * model(p)).sum();
        let norm: f64 = points.iter().map(|p| model(p).powi(2)).sum();
        Fit {
            serial,
            overhead,
            scale: if norm > 0.0 { along / norm } else { 0.0 },
        }
    };
    let squares = |serial: f64, overhead: f64| -> f64 {
        let fit = with_best_scale(serial, overhead);
        points
            .iter()
            .map(|p| (p.speedup - fit.at(p.processors, p.workers)).powi(2))
            .sum()
    };
    const STEPS: u32 = 1000;
    let overheads =
        std::iter::once(0.0).chain((0..=60).map(|k| 10f64.powf(-4.0 + 5.0 * f64::from(k) / 60.0)));
    let (best_step, overhead) = overheads
        .flat_map(|overhead| {
            (0..=STEPS).map(move |step| (f64::from(step) / f64::from(STEPS), overhead))
        })
        .min_by(|a, b| squares(a.0, a.1).total_cmp(&squares(b.0, b.1)))
        .expect("the scan has points");
    let step = 1.0 / f64::from(STEPS);
    let (mut low, mut high) = ((best_step - step).max(0.0), (best_step + step).min(1.0));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    while high - low > 1e-9 {
        let (a, b) = (high - ratio * (high - low), low + ratio * (high - low));
        if squares(a, overhead) <= squares(b, overhead) {
            high = b;
        } else {
            low = a;
        }
    }
    with_best_scale((low + high) / 2.0, overhead)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(p: f64, speedup: f64) -> Point {
        Point {
            processors: p,
            workers: p,
            speedup,
        }
    }

    fn curve(serial: f64) -> Vec<Point> {
        (1..=4)
            .map(|p| point(f64::from(p), speedup(serial, f64::from(p))))
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
                    .map(|p| point(p.processors, scale * p.speedup))
                    .collect();
                let fitted = fit(&points);
                assert_eq!(fitted.overhead, 0.0, "{fitted:?}");
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
            .map(|(p, noise)| point(p.processors, p.speedup * noise))
            .collect();
        let fitted = fit(&noisy);
        assert!((fitted.serial - 0.2).abs() < 0.03, "{fitted:?}");
        assert!((fitted.scale - 1.0).abs() < 0.03, "{fitted:?}");
    }

    #[test]
    fn a_slowdown_is_fitted_through_its_points() {
        // More workers made it slower, as moving data to each costs time: Amdahl's law alone
        // would draw a flat line through none of these; the overhead term bends it down.
        let slower = [
            point(1.0, 0.14),
            point(2.0, 0.11),
            point(3.0, 0.095),
            point(4.0, 0.08),
        ];
        let fitted = fit(&slower);
        assert!(fitted.overhead > 0.0, "{fitted:?}");
        for p in slower {
            let off = (fitted.at(p.processors, p.workers) - p.speedup).abs();
            assert!(off < 0.01 * 0.14 * 10.0, "{p:?}: {fitted:?}");
        }
    }
}
