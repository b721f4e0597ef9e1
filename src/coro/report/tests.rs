use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::coro::Flavor;
use crate::coro::journal::Step;

/// A journal written by hand: `(task, step, milliseconds after the base instant)`.
fn journal(steps: &[(usize, Step, u64)]) -> Vec<Entry> {
    let base = Instant::now();
    steps
        .iter()
        .map(|&(task, step, ms)| Entry {
            task,
            step,
            at: base + Duration::from_millis(ms),
            thread: std::thread::current().id(),
        })
        .collect()
}

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|&v| Duration::from_millis(v)).collect()
}

use Step::{Finished, Started};

#[test]
fn tick_text_matches_the_tick() {
    assert_eq!(TICK_TEXT, format!("{} ms", TIMER_TICK.as_millis()));
}

#[test]
fn a_clean_concurrent_run_passes_every_check() {
    let delays = ms(&[30, 10, 20]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (2, Started, 0),
        (1, Finished, 10),
        (2, Finished, 20),
        (0, Finished, 30),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(30),
        Flavor::CurrentThread,
    );
    assert!(report.passed(), "{report}");
    assert!(
        CheckKind::ALL
            .iter()
            .all(|&k| report.check(k).verdict == Verdict::Pass)
    );
    assert_eq!(report.peak_in_flight(), 3);
    assert_eq!(report.start_spread(), Some(Duration::ZERO));
    assert_eq!(report.threads(), 1);
    assert_eq!(report.sum_of_delays(), Duration::from_millis(60));
    assert_eq!(report.longest_delay(), Duration::from_millis(30));
    let order = &report.check(CheckKind::CompletionOrder).evidence;
    assert!(
        order.contains("so this is the order of their delays"),
        "{order}"
    );
    let text = report.to_string();
    assert_eq!(text.matches("  PASS  ").count(), 5, "{text}");
    assert!(
        text.contains("longest delay   30.000 ms (task 0)"),
        "{text}"
    );
    assert!(text.contains("result: PASS"), "{text}");
}

#[test]
fn missing_repeated_and_stray_tasks_fail_the_counting_checks() {
    let delays = ms(&[10, 10, 10]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (1, Started, 1),
        (9, Started, 1),
        (0, Finished, 10),
        (1, Finished, 11),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(11),
        Flavor::CurrentThread,
    );
    let started = report.check(CheckKind::StartedOnce);
    assert_eq!(started.verdict, Verdict::Fail);
    assert_eq!(
        started.evidence,
        "1 of 3 started once; 1 never (task 2); 1 more than once (task 1); \
         1 started that are not part of the run"
    );
    let finished = report.check(CheckKind::FinishedOnce);
    assert_eq!(finished.verdict, Verdict::Fail);
    assert!(
        finished.evidence.contains("1 never (task 2)"),
        "{}",
        finished.evidence
    );
    // Task 1 has two starts, so only task 0 is timed; the other checks judge what is left.
    assert_eq!(report.check(CheckKind::FullDelay).verdict, Verdict::Pass);
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::NotApplicable
    );
    assert!(
        report
            .to_string()
            .contains("result: FAIL — 2 of 5 checks failed")
    );
}

#[test]
fn a_task_that_woke_early_fails_the_full_delay_check() {
    let delays = ms(&[10, 40]);
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 10),
        (1, Finished, 25),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(25),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::FullDelay);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "1 finished early (task 1); worst: task 1, 15.000 ms too soon"
    );
}

#[test]
fn due_times_closer_than_a_tick_are_ties_and_farther_ones_must_keep_order() {
    let delays = [Duration::from_millis(12), Duration::from_micros(11_500)];
    let tie = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 12),
        (1, Finished, 12),
    ]);
    let report = RunReport::new(
        &delays,
        &tie,
        Duration::from_millis(12),
        Flavor::CurrentThread,
    );
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::Pass
    );

    let delays = ms(&[12, 10]);
    let swapped = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 12),
        (1, Finished, 13),
    ]);
    let report = RunReport::new(
        &delays,
        &swapped,
        Duration::from_millis(13),
        Flavor::CurrentThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::Fail);
    assert_eq!(
        check.evidence,
        "1 finished after a task due 1 ms or more later (task 1); worst: task 1 finished after \
         task 0, which fell due 2.000 ms after it (due = start + delay)"
    );
}

#[test]
fn one_after_another_is_nearer_the_sum_and_fails_only_the_concurrency_check() {
    let delays = ms(&[30, 10, 20]);
    let entries = journal(&[
        (0, Started, 0),
        (0, Finished, 30),
        (1, Started, 30),
        (1, Finished, 40),
        (2, Started, 40),
        (2, Finished, 60),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(60),
        Flavor::CurrentThread,
    );
    let failed: Vec<CheckKind> = report
        .checks()
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.kind)
        .collect();
    assert_eq!(failed, [CheckKind::Concurrent]);
    assert_eq!(report.peak_in_flight(), 1);
    assert_eq!(report.start_spread(), Some(Duration::from_millis(40)));
}

#[test]
fn concurrency_cannot_be_shown_when_only_one_delay_counts() {
    for delays in [
        ms(&[50]),
        vec![Duration::from_millis(50), Duration::from_micros(900)],
    ] {
        let report = RunReport::new(
            &delays,
            &[],
            Duration::from_millis(50),
            Flavor::CurrentThread,
        );
        assert_eq!(
            report.check(CheckKind::Concurrent).verdict,
            Verdict::NotApplicable
        );
    }
}

#[test]
fn huge_delays_do_not_overflow() {
    let delays = [Duration::MAX, Duration::MAX];
    let entries = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 1),
        (1, Finished, 2),
    ]);
    let report = RunReport::new(
        &delays,
        &entries,
        Duration::from_millis(2),
        Flavor::CurrentThread,
    );
    assert_eq!(report.sum_of_delays(), Duration::MAX);
    assert_eq!(report.check(CheckKind::FullDelay).verdict, Verdict::Fail);
    assert_eq!(
        report.check(CheckKind::CompletionOrder).verdict,
        Verdict::Pass
    );
}

#[test]
fn a_multi_thread_runtime_promises_no_order_but_the_evidence_shows_what_was_seen() {
    let delays = ms(&[12, 10]);
    let swapped = journal(&[
        (0, Started, 0),
        (1, Started, 0),
        (0, Finished, 12),
        (1, Finished, 13),
    ]);
    let report = RunReport::new(
        &delays,
        &swapped,
        Duration::from_millis(13),
        Flavor::MultiThread,
    );
    let check = report.check(CheckKind::CompletionOrder);
    assert_eq!(check.verdict, Verdict::NotApplicable);
    assert!(
        check.evidence.contains("seen: 1 finished after"),
        "{}",
        check.evidence
    );
    assert!(report.passed());
    assert!(
        report
            .to_string()
            .starts_with("run report: 2 tasks on 1 thread of a multi-thread runtime")
    );
}
