//! Exercise 5: a hundred coroutines with random delays, gathered at once, proven by the run
//! report.

use std::future::Future;
use std::io;
use std::time::Duration;

use super::guard::bounded;
use super::{Outcome, Part};
use crate::coro::{Flavor, Journal, Log, RunReport, Step, Verdict, delay_message};
use crate::lab::async_gather::{random_delays, task_message};

/// The lab's number of coroutines.
const TASKS: usize = 100;
/// The lab's longest delay.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// The seed of the grader's own delays.
const SEED: u64 = 5;
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
/// async fn gather(tasks: Vec<LabTask>) {
///     futures::future::join_all(tasks.into_iter().map(LabTask::run)).await;
/// }
/// # let _ = gather;
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
/// - **delays** (1 point): `random_delays(100)` gives 100 delays, none above 4 s, spread over
///   the range (the shortest at most 1 s, the longest at least 3 s: 100 uniform draws miss
///   that with a chance of about 10⁻¹²), and a second call gives other delays.
/// - **gather** (1 point): `gather`, given 100 [`LabTask`]s with the grader's delays (0–4 s,
///   fixed seed), passes the [`RunReport`]: every task started and finished once, none before
///   its delay, in the order they fell due, and the whole run took about the longest delay,
///   not the sum. It runs on one thread with tokio's clock paused (time jumps ahead whenever
///   every task waits), so the proof is exact and takes milliseconds.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex5::{self, LabTask};
///
/// fn lab_delays(count: usize) -> Vec<std::time::Duration> {
///     concurrency_lab::lab::async_gather::random_delays(count, std::time::Duration::from_secs(4), rand::random())
///         .unwrap_or_default()
/// }
/// async fn one_after_another(tasks: Vec<LabTask>) {
///     for task in tasks {
///         task.run().await;
///     }
/// }
/// let outcome = ex5::check(lab_delays, one_after_another);
/// assert_eq!(outcome.points(), 1);
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
            Part::new("delays", delays_part(random_delays)),
            Part::new("gather", gather_part(gather)),
        ],
    }
}

fn delays_part(random_delays: RandomDelays) -> Result<(), String> {
    let (first, second) = bounded("random_delays", BOUND, move || {
        (random_delays(TASKS), random_delays(TASKS))
    })?;
    if first.len() != TASKS {
        return Err(format!(
            "random_delays({TASKS}) returned {} delays",
            first.len()
        ));
    }
    // Not empty: there are TASKS of them.
    let shortest = first.iter().min().copied().unwrap_or_default();
    let longest = first.iter().max().copied().unwrap_or_default();
    if longest > MAX_DELAY {
        return Err(format!(
            "a delay of {} s: the delays are drawn from 0–4 s",
            longest.as_secs_f64()
        ));
    }
    if shortest > Duration::from_secs(1) || longest < Duration::from_secs(3) {
        return Err(format!(
            "the delays span only {}–{} s: draw them uniformly from the whole 0–4 s",
            shortest.as_secs_f64(),
            longest.as_secs_f64()
        ));
    }
    if first == second {
        return Err("two calls drew the same delays: draw them at random".into());
    }
    Ok(())
}

fn gather_part<F: Future<Output = ()> + 'static>(gather: Gather<F>) -> Result<(), String> {
    let report = bounded("gather", BOUND, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .map_err(|err| format!("the grader could not start a runtime: {err}"))?;
        let delays = random_delays(TASKS, MAX_DELAY, SEED).map_err(|err| err.to_string())?;
        let (log, journal) = (Log::new(io::sink()), Journal::with_capacity(2 * TASKS));
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
        let report = RunReport::new(&delays, &journal.take(), total, Flavor::CurrentThread);
        Ok::<RunReport, String>(report)
    })??;
    let failed: Vec<String> = report
        .checks()
        .iter()
        .filter(|check| check.verdict == Verdict::Fail)
        .map(|check| format!("not true that {}: {}", check.kind.claim(), check.evidence))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
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
        let cases: [(RandomDelays, &str); 5] = [
            (too_few, "returned 99 delays"),
            (too_long, "drawn from 0–4 s"),
            (milliseconds, "span only"),
            (seeded, "same delays"),
            (constant, "span only"),
        ];
        for (delays, expected) in cases {
            let why = failure(&check(delays, together), "delays").unwrap();
            assert!(why.contains(expected), "{expected}: {why}");
        }
    }

    #[test]
    fn delays_at_the_edges_of_the_range_pass() {
        fn edges(count: usize) -> Vec<Duration> {
            let mut delays = vec![Duration::from_secs(2); count];
            delays[0] = Duration::from_secs(1);
            delays[1] = Duration::from_secs(3);
            delays[2] = Duration::from_nanos(rand::random::<u16>().into());
            delays
        }
        fn widest(count: usize) -> Vec<Duration> {
            let mut delays = edges(count);
            delays[0] = Duration::ZERO;
            delays[1] = MAX_DELAY;
            delays
        }
        assert_eq!(delays_part(edges), Ok(()));
        assert_eq!(delays_part(widest), Ok(()));
    }
}
