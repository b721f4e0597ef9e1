//! Exercise 5: a hundred coroutines with random delays, gathered at once, proven by the run
//! report.

use std::future::Future;
use std::io;
use std::time::Duration;

use rand::Rng;

use super::guard::bounded;
use super::{Outcome, Part, Text, text};
use crate::coro::{Flavor, Journal, Log, RunReport, Step, Verdict, delay_message};
use crate::lab::async_gather::{random_delays, task_message};

/// The lab's number of coroutines.
const TASKS: usize = 100;
/// The lab's longest delay.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// How many delays each of the two calls of the student's `random_delays` is asked for, drawn
/// from here at grading time: over a thousand delays in all, enough to see how they spread.
const DRAWS: std::ops::RangeInclusive<usize> = 500..=700;
/// The delays are sorted into one-second bins (0–1, 1–2, 2–3 and 3–4 s); each bin must hold at
/// least this share of them. Uniform delays put a quarter in each; whole seconds 0–4 put a
/// fifth in each of the first three bins and two fifths in the last.
const LEAST_SHARE: f64 = 0.1;
/// The bins of [`not_too_even`]: tenths of a second over 0–4 s.
const EVEN_BINS: usize = 40;
/// Below this chi-squared statistic over [`EVEN_BINS`] bins, one call's delays are spread too
/// evenly to be random (see [`not_too_even`]).
const TOO_EVEN: f64 = 4.0;
/// The longest the gather may take in real time. Its clock is paused, so 4 s of waiting — or
/// the 200 s of a sequential gather — take milliseconds; only a gather stuck for good reaches
/// this.
const BOUND: Duration = Duration::from_secs(60);

/// One of the coroutines to gather: the lab's `delay_message` with its own delay, recorded in
/// the grader's journal when it starts and when it finishes.
///
/// It is `Send + 'static`, so it can be spawned (`tokio::spawn`, a `JoinSet`) as well as
/// awaited in place (`join_all`).
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex5::LabTask;
///
/// // Runs only the task with the shortest delay, and drops the others unrun: not the
/// // exercise's gather, which runs them all at the same time.
/// async fn shortest_only(tasks: Vec<LabTask>) {
///     if let Some(task) = tasks.into_iter().min_by_key(LabTask::delay) {
///         task.run().await;
///     }
/// }
/// # let _ = shortest_only;
/// ```
#[derive(Debug)]
pub struct LabTask {
    task: usize,
    delay: Duration,
    log: Log<io::Sink>,
    journal: Journal,
}

impl LabTask {
    /// This task's delay.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::ex5::LabTask;
    ///
    /// fn longest(tasks: &[LabTask]) -> Option<std::time::Duration> {
    ///     tasks.iter().map(LabTask::delay).max()
    /// }
    /// # let _ = longest;
    /// ```
    pub fn delay(&self) -> std::time::Duration {
        self.delay
    }

    /// Runs the task: logs that its message arrived, waits its delay without blocking the
    /// thread, logs it again. Await it, or spawn it; run it once (it is consumed).
    ///
    /// # Examples
    ///
    /// See [`LabTask`].
    pub async fn run(self) {
        self.journal.record(self.task, Step::Started);
        let message = task_message(self.task, self.delay);
        // The sink swallows everything, so the log cannot fail; were it to, the missing
        // finish would fail the report.
        if delay_message(self.delay, message, &self.log).await.is_ok() {
            self.journal.record(self.task, Step::Finished);
        }
    }
}

/// The student's delays: `count` delays drawn at random from 0–4 s.
pub type RandomDelays = fn(count: usize) -> Vec<Duration>;

/// The student's gather: runs every task to its end, all at the same time, and returns when
/// all have finished.
pub type Gather<F> = fn(tasks: Vec<LabTask>) -> F;

/// Grades exercise 5.
///
/// - **delays** (1 point): two calls, `random_delays(n)` and `random_delays(m)` with `n`, `m`
///   drawn from 500–700 at grading time, give `n` and `m` delays, none above 4 s, spread over
///   the range (each one-second bin holds at least a tenth of them) but no more evenly than
///   random delays can be (a grid `4000 * i / n` ms fails), and the second call's delays are
///   not the first's again.
/// - **gather** (1 point): `gather`, given 100 [`LabTask`]s with the grader's delays (0–4 s,
///   drawn at grading time), passes the [`RunReport`]: every task started and finished once, none before
///   its delay, in the order they fell due, and the whole run took about the longest delay,
///   not the sum. It runs on one thread with tokio's clock paused (time jumps ahead whenever
///   every task waits), so the proof is exact and takes milliseconds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::grade::ex5::{self, LabTask};
///
/// // Not random: the same two seconds every time.
/// fn two_seconds(count: usize) -> Vec<Duration> {
///     vec![Duration::from_secs(2); count]
/// }
/// // Not at the same time: each task waits for the one before.
/// async fn one_after_another(tasks: Vec<LabTask>) {
///     for task in tasks {
///         task.run().await;
///     }
/// }
/// let outcome = ex5::check(two_seconds, one_after_another);
/// assert_eq!(outcome.points(), 0);
/// let why = outcome.parts[1].failure.as_deref().unwrap();
/// assert!(why.contains("nearer the sum"), "{why}");
/// ```
pub fn check<F: Future<Output = ()> + 'static>(
    random_delays: RandomDelays,
    gather: Gather<F>,
) -> Outcome {
    Outcome {
        exercise: 5,
        title: "a hundred coroutines gathered at once",
        parts: vec![
            Part::both(("opóźnienia", "delays"), delays_part(random_delays)),
            Part::both(("gather", "gather"), gather_part(gather)),
        ],
    }
}

fn delays_part(random_delays: RandomDelays) -> Result<(), Text> {
    let mut rng = rand::rng();
    let counts = [rng.random_range(DRAWS), rng.random_range(DRAWS)];
    let [first, second] = bounded("random_delays", BOUND, move || counts.map(random_delays))?;
    for (count, delays) in counts.iter().zip([&first, &second]) {
        let got = delays.len();
        if got != *count {
            return Err(text!(
                "random_delays({count}) zwróciła {got} opóźnień",
                "random_delays({count}) returned {got} delays"
            ));
        }
    }
    let all: Vec<Duration> = first.iter().chain(&second).copied().collect();
    if let Some(longest) = all.iter().copied().filter(|&delay| delay > MAX_DELAY).max() {
        let secs = longest.as_secs_f64();
        return Err(text!(
            "opóźnienie {secs} s: opóźnienia losuje się z przedziału 0–4 s",
            "a delay of {secs} s: the delays are drawn from 0–4 s"
        ));
    }
    spread(&all)?;
    not_too_even(&first)?;
    not_too_even(&second)?;
    let common = first.len().min(second.len());
    if first[..common] == second[..common] {
        return Err(text!(
            "dwa wywołania wylosowały te same opóźnienia: losuj je naprawdę",
            "two calls drew the same delays: draw them at random"
        ));
    }
    Ok(())
}

/// Whether `delays` (none above 4 s) spread over 0–4 s: at least [`LEAST_SHARE`] of them in
/// each one-second bin.
///
/// For honest random delays (uniform, or whole seconds 0–4), a bin holds a fifth of them or
/// more on average; with over a thousand delays, the chance that it holds less than a tenth is
/// below e⁻³⁶ ≈ 10⁻¹⁶ (Chernoff's bound, n·D(0.1‖0.2) > 36), under 10⁻¹⁵ for the four bins:
/// an honest answer never fails here.
fn spread(delays: &[Duration]) -> Result<(), Text> {
    let mut bins = [0_usize; 4];
    for delay in delays {
        // 4 s itself goes in the last bin.
        bins[(delay.as_secs() as usize).min(3)] += 1;
    }
    let least = (delays.len() as f64 * LEAST_SHARE).ceil() as usize;
    match bins.iter().position(|&held| held < least) {
        None => Ok(()),
        Some(bin) => {
            let (held, all, end) = (bins[bin], delays.len(), bin + 1);
            Err(text!(
                "tylko {held} z {all} opóźnień wypada w przedziale {bin}–{end} s: losuj je \
                 jednostajnie z całego przedziału 0–4 s",
                "only {held} of {all} delays fall in {bin}–{end} s: draw them at random, \
                 uniformly from the whole 0–4 s"
            ))
        }
    }
}

/// Whether one call's `delays` (none above 4 s) are spread no more evenly than random ones
/// can be: a grid such as `4000 * i / n` ms, shuffled or rotated, fills every tenth of a second
/// with as many delays as the next — too good to be true.
///
/// The test is Pearson's chi-squared over [`EVEN_BINS`] bins. A grid's statistic is below
/// `EVEN_BINS² / n` (every bin within one of its share), under 3.2 for the 500 or more delays a
/// call gives; random uniform delays follow a chi-squared law of 39 degrees of freedom (mean
/// 39), below [`TOO_EVEN`] with a chance under 10⁻¹² (its CDF at 4 is about
/// 2¹⁹·⁵ e⁻² / Γ(20.5)). Delays on a coarse grid (whole seconds, or tenths) pile up in few
/// bins: their statistic is large, and they pass.
fn not_too_even(delays: &[Duration]) -> Result<(), Text> {
    if delays.is_empty() {
        return Ok(());
    }
    let mut bins = [0_usize; EVEN_BINS];
    let width = MAX_DELAY.as_secs_f64() / EVEN_BINS as f64;
    for delay in delays {
        // 4 s itself goes in the last bin.
        bins[((delay.as_secs_f64() / width) as usize).min(EVEN_BINS - 1)] += 1;
    }
    let expected = delays.len() as f64 / EVEN_BINS as f64;
    let chi_squared: f64 = bins
        .iter()
        .map(|&held| (held as f64 - expected).powi(2) / expected)
        .sum();
    if chi_squared < TOO_EVEN {
        return Err(text!(
            "opóźnienia są rozłożone zbyt równo, by były losowe (χ² = {chi_squared:.2}): \
             losuj je, zamiast rozstawiać co stały krok",
            "the delays are spread too evenly to be random (χ² = {chi_squared:.2}): draw them \
             at random instead of spacing them a fixed step apart"
        ));
    }
    Ok(())
}

fn gather_part<F: Future<Output = ()> + 'static>(gather: Gather<F>) -> Result<(), Text> {
    let report = bounded("gather", BOUND, move || {
        let delays = random_delays(TASKS, MAX_DELAY, rand::random()).map_err(|err| {
            text!(
                "sprawdzarka nie mogła wylosować opóźnień: {err}",
                "the grader could not draw the delays: {err}"
            )
        })?;
        run_gather(gather, delays, true)
    })??;
    // The report's claims and evidence are the coro module's, in English.
    let failed: Vec<(&str, &str)> = report
        .checks()
        .iter()
        .filter(|check| check.verdict == Verdict::Fail)
        .map(|check| (check.kind.claim(), check.evidence.as_str()))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let join = |not_true: &str| {
        failed
            .iter()
            .map(|(claim, evidence)| format!("{not_true} {claim}: {evidence}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Err(Text::new(join("nieprawda, że"), join("not true that")))
}

/// Runs the student's `gather` on tasks with `delays`, on a one-thread runtime whose clock is
/// paused (jumps ahead whenever every task waits) or real, and returns the run's report.
fn run_gather<F: Future<Output = ()> + 'static>(
    gather: Gather<F>,
    delays: Vec<Duration>,
    paused: bool,
) -> Result<RunReport, Text> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(paused)
        .build()
        .map_err(|err| {
            text!(
                "sprawdzarka nie mogła uruchomić środowiska tokio: {err}",
                "the grader could not start a runtime: {err}"
            )
        })?;
    let (log, journal) = (
        Log::new(io::sink()),
        Journal::with_capacity(2 * delays.len()),
    );
    let tasks = delays
        .iter()
        .enumerate()
        .map(|(task, &delay)| LabTask {
            task,
            delay,
            log: log.clone(),
            journal: journal.clone(),
        })
        .collect();
    let total = runtime.block_on(async {
        let start = tokio::time::Instant::now();
        gather(tasks).await;
        start.elapsed()
    });
    Ok(RunReport::new(
        &delays,
        &journal.take(),
        total,
        Flavor::CurrentThread,
    ))
}

/// Runs the student's `gather` on tasks with `delays`, in real time, and returns the run's
/// report: the proof the lab asks for, with the student's own figures (what the starter's
/// `cargo run` prints). Unlike the check, the clock is not paused, so it takes as long as
/// the longest delay.
///
/// # Errors
///
/// When `gather` panics, or has not returned a minute after the longest delay.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::grade::ex5::{self, LabTask};
///
/// // Runs only the first task: the report says what is missing.
/// async fn first_only(tasks: Vec<LabTask>) {
///     if let Some(task) = tasks.into_iter().next() {
///         task.run().await;
///     }
/// }
/// let delays = vec![Duration::from_millis(20), Duration::from_millis(10)];
/// let report = ex5::prove(delays, first_only).unwrap();
/// assert!(!report.passed());
/// report.write_to(&mut std::io::stdout())?;
/// # Ok::<(), concurrency_lab::Error>(())
/// ```
pub fn prove<F: Future<Output = ()> + 'static>(
    delays: Vec<Duration>,
    gather: Gather<F>,
) -> Result<RunReport, Text> {
    let longest = delays.iter().max().copied().unwrap_or_default();
    bounded("gather", longest + BOUND, move || {
        run_gather(gather, delays, false)
    })?
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;

    use super::*;

    fn lab_delays(count: usize) -> Vec<Duration> {
        random_delays(count, MAX_DELAY, rand::random()).unwrap_or_default()
    }

    async fn together(tasks: Vec<LabTask>) {
        join_all(tasks.into_iter().map(LabTask::run)).await;
    }

    fn failure(outcome: &Outcome, part: &str) -> Option<String> {
        let found = outcome.parts.iter().find(|p| p.name == part).unwrap();
        found.failure.clone()
    }

    #[test]
    fn the_reference_scores_two() {
        let outcome = check(lab_delays, together);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        assert_eq!(outcome.exercise, 5);
    }

    #[test]
    fn spawned_tasks_awaited_in_a_join_set_score_two() {
        async fn join_set(tasks: Vec<LabTask>) {
            let mut set = tokio::task::JoinSet::new();
            for task in tasks {
                set.spawn(task.run());
            }
            while set.join_next().await.is_some() {}
        }
        assert_eq!(check(lab_delays, join_set).points(), 2);
    }

    #[test]
    fn todo_scores_zero() {
        fn todo_delays(_: usize) -> Vec<Duration> {
            todo!()
        }
        async fn todo_gather(_: Vec<LabTask>) {
            todo!()
        }
        let outcome = check(todo_delays, todo_gather);
        assert_eq!(outcome.points(), 0);
        assert!(
            failure(&outcome, "gather")
                .unwrap()
                .contains("not written yet")
        );
    }

    #[test]
    fn a_sequential_gather_fails_the_concurrency_check() {
        async fn sequential(tasks: Vec<LabTask>) {
            for task in tasks {
                task.run().await;
            }
        }
        let why = failure(&check(lab_delays, sequential), "gather").unwrap();
        assert!(why.contains("nearer the sum"), "{why}");
    }

    #[test]
    fn a_forgotten_task_fails_the_once_checks() {
        async fn all_but_one(mut tasks: Vec<LabTask>) {
            tasks.pop();
            together(tasks).await;
        }
        let why = failure(&check(lab_delays, all_but_one), "gather").unwrap();
        assert!(why.contains("every task started exactly once"), "{why}");
    }

    #[test]
    fn returning_before_the_tasks_finish_fails() {
        async fn fire_and_forget(tasks: Vec<LabTask>) {
            for task in tasks {
                tokio::spawn(task.run());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let why = failure(&check(lab_delays, fire_and_forget), "gather").unwrap();
        assert!(why.contains("finished exactly once"), "{why}");
    }

    #[test]
    fn cutting_the_wait_short_fails() {
        async fn impatient(tasks: Vec<LabTask>) {
            let _ = tokio::time::timeout(Duration::from_secs(2), together(tasks)).await;
        }
        assert!(failure(&check(lab_delays, impatient), "gather").is_some());
    }

    #[test]
    fn a_task_knows_its_delay() {
        // Sorting by delay, then gathering, is still a gather: and needs `delay` to be right.
        async fn longest_first(mut tasks: Vec<LabTask>) {
            tasks.sort_by_key(|task| std::cmp::Reverse(task.delay()));
            let delays: Vec<Duration> = tasks.iter().map(LabTask::delay).collect();
            assert!(delays.windows(2).all(|pair| pair[0] >= pair[1]));
            assert!(delays[0] > Duration::from_secs(3), "{delays:?}");
            together(tasks).await;
        }
        assert_eq!(check(lab_delays, longest_first).points(), 2);
    }

    #[test]
    fn prove_runs_in_real_time() {
        let delays = vec![Duration::from_millis(30), Duration::from_millis(10)];
        let started = std::time::Instant::now();
        let report = prove(delays, together).unwrap();
        assert_eq!(report.tasks(), 2);
        assert!(
            report.total() >= Duration::from_millis(30),
            "{:?}",
            report.total()
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
        async fn panics(_: Vec<LabTask>) {
            panic!("no gather")
        }
        assert!(
            prove(vec![Duration::ZERO], panics)
                .unwrap_err()
                .contains("no gather")
        );
    }

    #[test]
    fn wrong_delays_fail_the_delays_part() {
        fn too_few(count: usize) -> Vec<Duration> {
            lab_delays(count - 1)
        }
        fn too_long(count: usize) -> Vec<Duration> {
            random_delays(count, Duration::from_secs(5), rand::random()).unwrap()
        }
        fn milliseconds(count: usize) -> Vec<Duration> {
            random_delays(count, Duration::from_millis(4), rand::random()).unwrap()
        }
        fn seeded(count: usize) -> Vec<Duration> {
            random_delays(count, MAX_DELAY, 7).unwrap()
        }
        fn constant(count: usize) -> Vec<Duration> {
            vec![Duration::from_secs(2); count]
        }
        // Whole seconds 0–4 in turn: spread, but the same every call.
        fn cycle(count: usize) -> Vec<Duration> {
            (0..count)
                .map(|i| Duration::from_secs(i as u64 % 5))
                .collect()
        }
        // Random, but only from 1–4 s.
        fn from_one(count: usize) -> Vec<Duration> {
            lab_delays(count)
                .into_iter()
                .map(|delay| delay.max(Duration::from_secs(1)))
                .collect()
        }
        let cases: [(RandomDelays, &str); 7] = [
            (too_few, "delays"),
            (too_long, "drawn from 0–4 s"),
            (milliseconds, "only 0 of"),
            (seeded, "same delays"),
            (constant, "uniformly"),
            (cycle, "same delays"),
            (from_one, "fall in 0–1 s"),
        ];
        for (delays, expected) in cases {
            let why = failure(&check(delays, together), "delays").unwrap();
            assert!(why.contains(expected), "{expected}: {why}");
        }
        let why = failure(&check(too_few, together), "delays").unwrap();
        assert!(why.starts_with("random_delays("), "{why}");
    }

    #[test]
    fn honest_random_delays_pass_in_every_form() {
        fn whole_seconds(count: usize) -> Vec<Duration> {
            let mut rng = rand::rng();
            (0..count)
                .map(|_| Duration::from_secs(rng.random_range(0..=4)))
                .collect()
        }
        fn whole_seconds_below_four(count: usize) -> Vec<Duration> {
            let mut rng = rand::rng();
            (0..count)
                .map(|_| Duration::from_secs(rng.random_range(0..4)))
                .collect()
        }
        fn float_seconds(count: usize) -> Vec<Duration> {
            let mut rng = rand::rng();
            (0..count)
                .map(|_| Duration::from_secs_f64(rng.random_range(0.0..4.0)))
                .collect()
        }
        for delays in [
            lab_delays,
            whole_seconds,
            whole_seconds_below_four,
            float_seconds,
        ] {
            assert_eq!(delays_part(delays), Ok(()));
        }
    }

    #[test]
    fn delays_on_an_even_grid_fail_even_when_rotated_between_calls() {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        fn grid(count: usize) -> Vec<Duration> {
            let mut delays: Vec<Duration> = (0..count as u64)
                .map(|i| Duration::from_millis(4_000 * i / count as u64))
                .collect();
            let turn = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            delays.rotate_left(turn % count);
            delays
        }
        async fn together(tasks: Vec<LabTask>) {
            futures::future::join_all(tasks.into_iter().map(LabTask::run)).await;
        }
        let why = failure(&check(grid, together), "delays").unwrap();
        assert!(why.contains("too evenly"), "{why}");
    }

    #[test]
    fn not_too_even_draws_the_line_at_its_bound() {
        let ms = |ms: &[u64]| -> Vec<Duration> {
            ms.iter().map(|&ms| Duration::from_millis(ms)).collect()
        };
        // Forty delays, one in each tenth of a second: χ² = 0.
        let one_each: Vec<u64> = (0..40).map(|i| i * 100 + 50).collect();
        assert!(not_too_even(&ms(&one_each)).is_err());
        // Move three of them into the first bin: expected 1 a bin, so χ² = 3·1 + (4−1)² = 12.
        let mut crowded = one_each.clone();
        for moved in &mut crowded[1..4] {
            *moved = 10;
        }
        assert_eq!(not_too_even(&ms(&crowded)), Ok(()));
        // Move one: χ² = 1 + (2−1)² = 2, still too even; two: 2 + (3−1)² = 6, not.
        let mut one_moved = one_each.clone();
        one_moved[1] = 10;
        assert!(not_too_even(&ms(&one_moved)).is_err());
        let mut two_moved = one_each.clone();
        two_moved[1] = 10;
        two_moved[2] = 10;
        assert_eq!(not_too_even(&ms(&two_moved)), Ok(()));
        // 4 s itself counts in the last bin; nothing at all is not judged here.
        let mut at_four = one_each.clone();
        at_four[39] = 4_000;
        assert!(not_too_even(&ms(&at_four)).is_err());
        assert_eq!(not_too_even(&[]), Ok(()));
    }

    #[test]
    fn spread_needs_a_tenth_in_every_bin() {
        let secs =
            |s: &[u64]| -> Vec<Duration> { s.iter().map(|&s| Duration::from_secs(s)).collect() };
        // 4 s counts in the last bin.
        assert_eq!(spread(&secs(&[0, 1, 2, 4])), Ok(()));
        // Ten delays: each bin needs one.
        assert_eq!(spread(&secs(&[0, 1, 2, 3, 3, 3, 3, 3, 3, 3])), Ok(()));
        let why = spread(&secs(&[0, 1, 3, 3, 3, 3, 3, 3, 3, 3]))
            .unwrap_err()
            .en;
        assert_eq!(
            why,
            "only 0 of 10 delays fall in 2–3 s: draw them at random, uniformly from the whole \
             0–4 s"
        );
        // Twenty delays: each bin needs two, and one is not enough.
        let mut twenty = secs(&[0, 0, 1, 1, 2, 2, 3, 3]);
        twenty.extend(secs(&[1; 12]));
        assert_eq!(spread(&twenty), Ok(()));
        twenty[7] = Duration::from_secs(1);
        let why = spread(&twenty).unwrap_err().en;
        assert!(
            why.starts_with("only 1 of 20 delays fall in 3–4 s"),
            "{why}"
        );
    }
}
