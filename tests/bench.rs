//! The `bench` module's reports, warnings and comparisons, on synthetic samples (so the
//! assertions hold on any machine), and its runner end to end in quick mode.

use concurrency_lab::Error;
use concurrency_lab::bench::{Bench, QuickSource, Report, Stats, black_box, compare, format_ns};
use concurrency_lab::timing::{Clock, ClockProbe};

/// A report as `Bench::run` would make it, from samples we choose: a 20 ns timer step, 25 ns
/// per reading, 0.3 ns per empty call.
fn report(name: &str, number: u64, samples_ns: &[f64]) -> Report {
    Report {
        name: name.to_owned(),
        number,
        samples_ns: samples_ns.to_vec(),
        stats: Stats::from_samples(samples_ns).unwrap(),
        timer: ClockProbe {
            info: Clock::Monotonic.info(),
            measured_resolution_ns: Some(20),
            reading_cost_ns: 25.0,
        },
        empty_loop_ns: 0.3,
        quick: None,
    }
}

#[test]
fn a_calm_report_has_no_warnings_and_prints_its_figures() {
    let calm = report("calm", 1_000_000, &[10.0, 10.5, 11.0, 10.2, 10.8]);
    assert!(calm.warnings().is_empty(), "{:?}", calm.warnings());
    let text = calm.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "calm");
    assert!(lines[1].contains("median   10.5 ns") && lines[1].contains("max   11.0 ns"));
    assert!(
        lines[2].contains("outliers 0 of 5 (0 mild, 0 severe)"),
        "{text}"
    );
    assert!(lines[3].starts_with("  5 samples × 1,000,000 calls; timer step 20 ns, 25.0 ns"));
    assert!(lines[3].ends_with("empty loop 0.300 ns a call (not subtracted)"));
}

#[test]
fn spread_warning_follows_pythons_four_times_rule() {
    let just_under = report("a", 1_000_000, &[10.0, 12.0, 39.9]);
    let at_four = report("b", 1_000_000, &[10.0, 12.0, 40.0]);
    assert!(just_under.warnings().is_empty());
    let warnings = at_four.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("the slowest sample (40.0 ns) took 4.0× the fastest (10.0 ns)"));
    assert!(
        at_four
            .to_string()
            .ends_with(&format!("warning: {}", warnings[0]))
    );
    // All-zero samples (a clock too coarse to move) have no spread to warn about; they are
    // flagged as too short for the timer instead.
    let frozen = report("zeros", 1, &[0.0, 0.0, 0.0]);
    let warnings = frozen.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("measures the harness"), "{warnings:?}");
    assert!(
        warnings[1].contains("under 1000 timer steps"),
        "{warnings:?}"
    );
}

#[test]
fn results_near_the_empty_loop_or_the_timer_step_are_flagged() {
    // 2 ns a call is under 10 × 0.3 ns: the loop is a large part of it.
    let tiny = report("tiny", 10_000_000, &[2.0, 2.0, 2.1]);
    assert!(tiny.warnings()[0].contains("measures the harness"));
    // One call of 5 µs per sample is 250 timer steps: too few.
    let short = report("short", 1, &[5_000.0, 5_100.0]);
    assert!(
        short.warnings()[0].contains("under 1000 timer steps"),
        "{:?}",
        short.warnings()
    );
    let quick = Report {
        quick: Some(QuickSource::Environment),
        ..report("quick", 1_000, &[100.0, 101.0])
    };
    assert_eq!(
        quick.warnings(),
        ["quick mode (BENCH_QUICK is set): few, short samples; rough figures"]
    );
    let in_code = Report {
        quick: Some(QuickSource::Code),
        ..quick
    };
    assert_eq!(
        in_code.warnings(),
        ["quick mode (set in code with Bench::quick(true)): few, short samples; rough figures"]
    );
}

#[test]
fn comparison_gives_ratios_to_the_baseline_and_says_when_it_is_noise() {
    let reports = [
        report("rayon", 1, &[1.00e6, 1.02e6, 0.98e6, 1.01e6, 0.99e6]),
        report("our pool", 1, &[1.50e6, 1.52e6, 1.48e6, 1.51e6, 1.49e6]),
        report("sequential", 1, &[2.00e6, 2.04e6, 1.96e6, 2.02e6, 1.98e6]),
        report("rayon again", 1, &[1.01e6, 1.03e6, 0.99e6, 1.02e6, 1.00e6]),
    ];
    let table = compare(&reports, "our pool").unwrap();
    assert_eq!(table.ratio("our pool"), Some(1.0));
    assert_eq!(table.ratio("sequential"), Some(2.0e6 / 1.5e6));
    assert_eq!(table.ratio("nobody"), None);

    let text = table.to_string();
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_owned()
    };
    assert!(text.starts_with("benchmark  "), "{text}");
    assert!(
        text.lines().next().unwrap().ends_with("vs our pool"),
        "{text}"
    );
    assert!(row("our pool").ends_with("baseline"), "{text}");
    assert!(row("sequential").ends_with("1.33× slower"), "{text}");
    assert!(row("rayon ").ends_with("1.50× faster"), "{text}");
    assert!(
        row("rayon ").contains("1.00 ms") && row("rayon ").contains("0/5"),
        "{text}"
    );

    // The same code measured twice: 1.00 vs 1.01 ms with MADs of 0.01 ms each.
    assert!(reports[0].within_spread_of(&reports[3]));
    assert!(!reports[0].within_spread_of(&reports[1]));
    let table = compare(&reports, "rayon").unwrap();
    assert!(
        table.to_string().contains("1.01× (within spread)"),
        "{table}"
    );
}

#[test]
fn comparison_with_an_unknown_baseline_names_the_candidates() {
    let reports = [report("a", 1, &[1.0]), report("b", 1, &[2.0])];
    let err = compare(&reports, "c").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            what: "baseline",
            ..
        }
    ));
    assert!(err.to_string().contains(r#"["a", "b"]"#), "{err}");
    assert!(compare(&[], "a").is_err());
}

#[test]
fn units_switch_at_each_thousand_with_three_significant_digits() {
    let cases = [
        (0.0, "0.000 ns"),
        (0.31, "0.310 ns"),
        (9.994, "9.99 ns"),
        (9.996, "10.0 ns"),
        (123.4, "123 ns"),
        (999.0, "999 ns"),
        (1_000.0, "1.00 µs"),
        (56_780.0, "56.8 µs"),
        (1.0e6, "1.00 ms"),
        (3.6e12, "3600 s"),
    ];
    for (ns, text) in cases {
        assert_eq!(format_ns(ns), text, "{ns} ns");
    }
}

#[test]
fn a_quick_run_end_to_end_measures_what_it_is_given() {
    let mut inputs_made = 0_u64;
    let report = Bench::new("sort 100")
        .quick(true)
        .number(10)
        .run_with_setup(
            || {
                inputs_made += 1;
                (0..100_u32).rev().collect::<Vec<_>>()
            },
            |mut v| {
                v.sort_unstable();
                assert_eq!(v[0], 0);
                v
            },
        )
        .unwrap();
    assert_eq!(report.number, 10);
    assert_eq!(report.stats.count, 5);
    assert!(
        inputs_made >= 50,
        "one fresh input per timed call, plus warm-up"
    );
    assert!(report.samples_ns.iter().all(|&ns| ns > 0.0));
    assert!(report.timer.reading_cost_ns > 0.0 && report.empty_loop_ns >= 0.0);

    let plain = Bench::new("add")
        .quick(true)
        .run(|| black_box(2) + 2)
        .unwrap();
    let reports = [report, plain];
    let mut out = Vec::new();
    compare(&reports, "add")
        .unwrap()
        .write_to(&mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().count() >= 4, "{text}");
    assert!(text.contains("warning (add): quick mode"), "{text}");
}

#[test]
fn large_ratios_keep_three_significant_digits() {
    let reports = [
        report("slow", 1, &[5.0e6]),
        report("fast", 1_000_000, &[100.0]),
    ];
    let text = compare(&reports, "slow").unwrap().to_string();
    assert!(text.contains("50000× faster"), "{text}");
    let text = compare(&reports, "fast").unwrap().to_string();
    assert!(text.contains("50000× slower"), "{text}");
}
