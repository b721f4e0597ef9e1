//! Exercise 4: workers that print their ids over and over until the main thread stops them
//! through their queues.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::guard::bounded;
use super::{Outcome, Part};

/// The ids the grader gives its workers: not `0, 1, 2`, so a worker must print the id it got.
const IDS: [usize; 3] = [3, 7, 11];
/// The period of the workers that are watched printing.
const PERIOD: Duration = Duration::from_millis(20);
/// How long they are watched: twenty periods.
const WATCH: Duration = Duration::from_millis(400);
/// The fewest lines each must print in that time (a slow machine still manages many more).
const MIN_LINES: usize = 3;
/// How long the grader listens after the workers were stopped.
const AFTERWARDS: Duration = Duration::from_millis(100);
/// The period of the worker that is stopped mid-period: far longer than any bound.
const LONG_PERIOD: Duration = Duration::from_secs(3_600);
/// The longest starting, or stopping, may take.
const BOUND: Duration = Duration::from_secs(5);

/// What a worker prints with: `printer.print(id)` is the lab's `print(id)`. The grader keeps
/// every line, with the time it was printed.
///
/// Clone it for each worker; every clone writes to the same record.
///
/// # Examples
///
/// ```
/// use concurrency_lab::grade::ex4::Printer;
///
/// let printer = Printer::new();
/// let for_a_thread = printer.clone();
/// std::thread::spawn(move || for_a_thread.print(7)).join().unwrap();
/// assert_eq!(printer.ids(), [7]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Printer {
    lines: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl Printer {
    /// A printer with nothing printed yet.
    ///
    /// # Examples
    ///
    /// See [`Printer`].
    pub fn new() -> Printer {
        Printer::default()
    }

    /// Prints `id`: records it, and when.
    ///
    /// # Examples
    ///
    /// See [`Printer`].
    pub fn print(&self, id: usize) {
        // A push cannot be left half done, so a lock poisoned by a panicking worker is sound.
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines.push((id, Instant::now()));
    }

    /// Every id printed so far, in the order printed.
    ///
    /// # Examples
    ///
    /// See [`Printer`].
    pub fn ids(&self) -> Vec<usize> {
        self.lines().into_iter().map(|(id, _)| id).collect()
    }

    fn lines(&self) -> Vec<(usize, Instant)> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The student's constructor: starts a worker thread that prints `id` with `printer` once
/// every `period`, and returns the student's handle to it.
pub type Start<W> = fn(id: usize, period: Duration, printer: Printer) -> W;

/// The student's stop: tells the worker, through its queue, to stop, and waits until its
/// thread has ended.
pub type Stop<W> = fn(worker: W);

/// Grades exercise 4 on the student's worker type `W`.
///
/// - **prints in turn** (1 point): three workers, ids 3, 7 and 11, period 20 ms, watched for
///   0.4 s: each printed its own id at least 3 times, and nothing else was printed.
/// - **stops through its queue** (1 point): stopping those three returns within 5 s, and
///   nothing is printed after it returned; and a worker with a period of an hour, stopped after
///   its first line, stops within 5 s too — its stop message must wake it, as a message on its
///   queue does and a `sleep` does not.
///
/// A worker that never stops is cut off at the bound, and its thread left behind.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use concurrency_lab::grade::ex4::{self, Printer};
///
/// // Prints once, never again: no loop.
/// fn start(id: usize, _period: Duration, printer: Printer) -> std::thread::JoinHandle<()> {
///     std::thread::spawn(move || printer.print(id))
/// }
/// fn stop(worker: std::thread::JoinHandle<()>) {
///     worker.join().unwrap();
/// }
/// let outcome = ex4::check(start, stop);
/// assert_eq!(outcome.points(), 1);
/// let why = outcome.parts[0].failure.as_deref().unwrap();
/// assert!(why.contains("printed its id 1 time"), "{why}");
/// ```
pub fn check<W: Send + 'static>(start: Start<W>, stop: Stop<W>) -> Outcome {
    let watched = watch(start, stop);
    let prints = watched
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|run| in_turn(&run.before_stop));
    let stops = watched
        .and_then(|run| {
            run.stopped?;
            nothing_after(&run.after_stop)
        })
        .and_then(|()| stops_mid_period(start, stop));
    Outcome {
        exercise: 4,
        title: "workers stopped through their queues",
        parts: vec![
            Part::new("prints in turn", prints),
            Part::new("stops through its queue", stops),
        ],
    }
}

/// What three workers printed while watched, and after they were stopped.
struct Watched {
    before_stop: Vec<usize>,
    stopped: Result<(), String>,
    after_stop: Vec<usize>,
}

fn watch<W: Send + 'static>(start: Start<W>, stop: Stop<W>) -> Result<Watched, String> {
    let printer = Printer::new();
    let workers = {
        let printer = printer.clone();
        bounded("start", BOUND, move || {
            IDS.map(|id| start(id, PERIOD, printer.clone()))
        })?
    };
    thread::sleep(WATCH);
    let stopping = Instant::now();
    let stopped = bounded("stop", BOUND, move || workers.into_iter().for_each(stop));
    let stopped_at = Instant::now();
    thread::sleep(AFTERWARDS);
    let lines = printer.lines();
    let ids_in = |keep: &dyn Fn(Instant) -> bool| {
        lines
            .iter()
            .filter(|(_, at)| keep(*at))
            .map(|&(id, _)| id)
            .collect()
    };
    Ok(Watched {
        before_stop: ids_in(&|at| at < stopping),
        stopped,
        after_stop: ids_in(&|at| at > stopped_at),
    })
}

/// Every worker printed its own id, often enough; nobody printed another.
fn in_turn(ids: &[usize]) -> Result<(), String> {
    if let Some(stranger) = ids.iter().find(|id| !IDS.contains(id)) {
        return Err(format!(
            "printed the id {stranger}, but the workers were given {IDS:?}: print the id \
             given to the constructor"
        ));
    }
    for id in IDS {
        let times = ids.iter().filter(|&&printed| printed == id).count();
        if times < MIN_LINES {
            return Err(format!(
                "worker {id} printed its id {times} time{} in {} s with a period of {} ms: it \
                 should print once a period, over and over",
                if times == 1 { "" } else { "s" },
                WATCH.as_secs_f64(),
                PERIOD.as_millis()
            ));
        }
    }
    Ok(())
}

fn nothing_after(ids: &[usize]) -> Result<(), String> {
    match ids {
        [] => Ok(()),
        [first, ..] => Err(format!(
            "{} line(s) printed after stop returned (the first by worker {first}): stop must \
             wait until the worker's thread has ended",
            ids.len()
        )),
    }
}

/// A worker in the middle of a long period must still stop at once.
fn stops_mid_period<W: Send + 'static>(start: Start<W>, stop: Stop<W>) -> Result<(), String> {
    let printer = Printer::new();
    let worker = {
        let printer = printer.clone();
        bounded("start", BOUND, move || start(5, LONG_PERIOD, printer))?
    };
    let deadline = Instant::now() + BOUND;
    while printer.ids().is_empty() {
        if Instant::now() > deadline {
            return Err(format!(
                "a worker with a period of an hour printed nothing within {} s: print first, \
                 then wait",
                BOUND.as_secs_f64()
            ));
        }
        thread::sleep(PERIOD);
    }
    bounded("stop", BOUND, move || stop(worker)).map_err(|why| {
        format!(
            "a worker in the middle of a one-hour period: {why}; the stop message on its \
             queue must wake it (wait on the queue with a timeout, not in sleep)"
        )
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{self, RecvTimeoutError, Sender};
    use std::thread::JoinHandle;

    use super::*;

    /// The reference: the period is a timeout on the queue, so a stop wakes the worker at once.
    struct Worker {
        queue: Sender<()>,
        thread: JoinHandle<()>,
    }

    fn start(id: usize, period: Duration, printer: Printer) -> Worker {
        let (queue, inbox) = mpsc::channel();
        let thread = thread::spawn(move || {
            loop {
                printer.print(id);
                match inbox.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        Worker { queue, thread }
    }

    fn stop(worker: Worker) {
        let _ = worker.queue.send(());
        worker.thread.join().unwrap();
    }

    fn failure(outcome: &Outcome, part: &str) -> Option<String> {
        let found = outcome.parts.iter().find(|p| p.name == part).unwrap();
        found.failure.clone()
    }

    #[test]
    fn the_reference_scores_two() {
        let outcome = check(start, stop);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
        assert_eq!(outcome.exercise, 4);
    }

    #[test]
    fn todo_scores_zero() {
        fn todo(_: usize, _: Duration, _: Printer) -> Worker {
            todo!()
        }
        let outcome = check(todo, stop);
        assert_eq!(outcome.points(), 0);
        assert!(
            failure(&outcome, "prints in turn")
                .unwrap()
                .contains("not written yet")
        );
    }

    #[test]
    fn a_worker_printing_the_wrong_id_fails() {
        fn zero(_: usize, period: Duration, printer: Printer) -> Worker {
            start(0, period, printer)
        }
        let why = failure(&check(zero, stop), "prints in turn").unwrap();
        assert!(why.contains("printed the id 0"), "{why}");
    }

    #[test]
    fn a_start_that_runs_the_loop_itself_fails_both() {
        fn inline(id: usize, period: Duration, printer: Printer) -> Worker {
            loop {
                printer.print(id);
                thread::sleep(period);
            }
        }
        let outcome = check(inline, stop);
        assert_eq!(outcome.points(), 0);
        assert!(
            failure(&outcome, "prints in turn")
                .unwrap()
                .contains("start did not return")
        );
    }

    /// Ignores its queue: prints until the test process ends.
    fn start_deaf(id: usize, period: Duration, printer: Printer) -> Worker {
        let (queue, _inbox) = mpsc::channel();
        let thread = thread::spawn(move || {
            loop {
                printer.print(id);
                thread::sleep(period);
            }
        });
        Worker { queue, thread }
    }

    #[test]
    fn a_worker_that_never_stops_fails_at_the_bound() {
        let outcome = check(start_deaf, stop);
        let why = failure(&outcome, "stops through its queue").unwrap();
        assert!(why.contains("stop did not return within 5 s"), "{why}");
        assert_eq!(outcome.points(), 1, "it does print in turn");
    }

    #[test]
    fn a_stop_that_does_not_wait_lets_lines_through() {
        fn stop_without_join(worker: Worker) {
            drop(worker);
        }
        let why = failure(
            &check(start_deaf, stop_without_join),
            "stops through its queue",
        );
        let why = why.unwrap();
        assert!(why.contains("printed after stop returned"), "{why}");
    }

    /// Sleeps its period and polls a flag: stops, but only once the period is over.
    struct Sleeper {
        stop: Arc<AtomicBool>,
        thread: JoinHandle<()>,
    }

    fn start_sleeper(id: usize, period: Duration, printer: Printer) -> Sleeper {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                printer.print(id);
                thread::sleep(period);
            }
        });
        Sleeper { stop, thread }
    }

    fn stop_sleeper(worker: Sleeper) {
        worker.stop.store(true, Ordering::Relaxed);
        worker.thread.join().unwrap();
    }

    #[test]
    fn a_worker_asleep_for_its_period_fails_the_stop() {
        let outcome = check(start_sleeper, stop_sleeper);
        let why = failure(&outcome, "stops through its queue").unwrap();
        assert!(why.contains("one-hour period"), "{why}");
        assert_eq!(outcome.points(), 1);
    }

    #[test]
    fn a_worker_that_waits_before_its_first_line_fails_the_stop() {
        fn late(id: usize, period: Duration, printer: Printer) -> Worker {
            let (queue, inbox) = mpsc::channel();
            let thread = thread::spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = inbox.recv_timeout(period) {
                    printer.print(id);
                }
            });
            Worker { queue, thread }
        }
        let why = failure(&check(late, stop), "stops through its queue").unwrap();
        assert!(why.contains("printed nothing within 5 s"), "{why}");
    }

    #[test]
    fn a_worker_slow_to_start_still_scores_two() {
        // Its first line comes 200 ms after start: late, but well within the 5 s the grader
        // waits for it before stopping the one-hour worker.
        fn slow(id: usize, period: Duration, printer: Printer) -> Worker {
            let (queue, inbox) = mpsc::channel();
            let thread = thread::spawn(move || {
                thread::sleep(Duration::from_millis(200));
                loop {
                    printer.print(id);
                    match inbox.recv_timeout(period) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
            Worker { queue, thread }
        }
        let outcome = check(slow, stop);
        assert_eq!(outcome.points(), 2, "{outcome:?}");
    }

    #[test]
    fn the_rules_on_lines() {
        assert!(in_turn(&[3, 7, 11, 3, 7, 11, 3, 7, 11]).is_ok());
        let why = in_turn(&[3, 7, 11, 3, 7, 11, 3, 11]).unwrap_err();
        assert!(why.contains("worker 7 printed its id 2 times"), "{why}");
        assert!(in_turn(&[3, 7, 11, 3, 7, 11, 3, 7, 11, 12]).is_err());
        assert!(nothing_after(&[]).is_ok());
        assert!(nothing_after(&[7]).unwrap_err().starts_with("1 line(s)"));
    }
}
