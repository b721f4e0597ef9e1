//! Exercise 4: workers that print their ids over and over until the main thread stops them
//! through their queues.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use rand::Rng;

use super::guard::bounded;
use super::{Outcome, Part, Text, text};

/// The ids the grader gives its three workers are drawn from here at grading time: a worker
/// must print the id it got.
const IDS: std::ops::Range<usize> = 1..1_000;
/// The period of the workers that are watched printing is drawn from here at grading time.
const PERIODS_MS: std::ops::RangeInclusive<u64> = 15..=35;
/// How long they are watched, in periods.
const WATCH_PERIODS: u32 = 20;
/// The fewest lines each must print in that time (a slow machine still manages many more).
const MIN_LINES: usize = 5;
/// How long the grader listens after the workers were stopped, at least; and in periods.
const AFTERWARDS: Duration = Duration::from_millis(100);
const AFTERWARDS_PERIODS: u32 = 5;
/// The period of the worker that is stopped mid-period: far longer than any bound.
const LONG_PERIOD: Duration = Duration::from_secs(3_600);
/// The longest starting, or stopping, may take.
const BOUND: Duration = Duration::from_secs(5);

/// One printed line: the id, when, and on which thread.
#[derive(Debug, Clone, Copy)]
struct Line {
    id: usize,
    at: Instant,
    thread: ThreadId,
}

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
    lines: Arc<Mutex<Vec<Line>>>,
    /// Whether each id is also printed on standard output (the student's own run).
    echo: bool,
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

    /// A printer that also prints each id on standard output, with the time since its first line:
    /// for the student's own program (the starter's `cargo run`), where the lines are seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use concurrency_lab::grade::ex4::Printer;
    ///
    /// let printer = Printer::to_stdout();
    /// printer.print(7); // prints "worker 7 at 0.000 s" or so
    /// assert_eq!(printer.ids(), [7]);
    /// ```
    pub fn to_stdout() -> Printer {
        Printer {
            echo: true,
            ..Printer::default()
        }
    }

    /// Prints `id`: records it, when, and on which thread.
    ///
    /// # Examples
    ///
    /// See [`Printer`].
    pub fn print(&self, id: usize) {
        // A push cannot be left half done, so a lock poisoned by a panicking worker is sound.
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let at = Instant::now();
        if self.echo {
            let since = lines.first().map_or(Duration::ZERO, |first| at - first.at);
            println!("worker {id} at {:.3} s", since.as_secs_f64());
        }
        lines.push(Line {
            id,
            at,
            thread: thread::current().id(),
        });
    }

    /// Every id printed so far, in the order printed.
    ///
    /// # Examples
    ///
    /// See [`Printer`].
    pub fn ids(&self) -> Vec<usize> {
        self.lines().into_iter().map(|line| line.id).collect()
    }

    fn lines(&self) -> Vec<Line> {
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
/// Three workers get three ids and one period (15–35 ms), all drawn at grading time, and are
/// watched for 20 periods, then stopped.
///
/// - **prints in turn** (1 point): each printed its own id at least 5 times, on a thread that
///   is neither the one that called `start` nor the one that called `stop`, about once a
///   period (the median gap between two lines of a worker at least half a period), and nothing
///   else was printed.
/// - **stops through its queue** (1 point): each worker was still printing in the second half
///   of the watch (it stops when told, not on its own); stopping the three returns within 5 s,
///   and nothing is printed after it returned (the grader listens 5 periods, 100 ms at least);
///   and a worker with a period of an hour, stopped after its first line, stops within 5 s too
///   — its stop message must wake it, as a message on its queue does and a `sleep` does not.
///
/// A worker that never stops is cut off at the bound, and its thread left behind. A `start`
/// that prints on its caller's thread, and a `stop` that does nothing, score nothing.
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
/// assert_eq!(outcome.points(), 0);
/// let why = outcome.parts[0].failure.as_deref().unwrap();
/// assert!(why.contains("printed its id 1 time"), "{why}");
/// ```
pub fn check<W: Send + 'static>(start: Start<W>, stop: Stop<W>) -> Outcome {
    let mut rng = rand::rng();
    let mut ids = [0; 3];
    for i in 0..ids.len() {
        ids[i] = loop {
            let id = rng.random_range(IDS);
            if !ids[..i].contains(&id) {
                break id;
            }
        };
    }
    let period = Duration::from_millis(rng.random_range(PERIODS_MS));
    let watched = watch(start, stop, ids, period);
    let prints = watched
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|run| in_turn(run, ids, period));
    let stops = watched
        .and_then(|run| {
            kept_printing(&run, ids)?;
            run.stopped?;
            nothing_after(&run.after_stop)
        })
        .and_then(|()| stops_mid_period(start, stop));
    Outcome {
        exercise: 4,
        title: "workers stopped through their queues",
        parts: vec![
            Part::both(("wypisuje po kolei", "prints in turn"), prints),
            Part::both(("kończy przez kolejkę", "stops through its queue"), stops),
        ],
    }
}

/// What three workers printed while watched, and after they were stopped.
struct Watched {
    /// The lines printed before `stop` was called.
    before_stop: Vec<Line>,
    /// The threads that called `start` and `stop`: the grader's, not the workers'.
    callers: [ThreadId; 2],
    /// Half way through the watch: a worker still at work printed after this.
    half_way: Instant,
    stopped: Result<(), Text>,
    /// The ids printed after `stop` returned.
    after_stop: Vec<usize>,
}

fn watch<W: Send + 'static>(
    start: Start<W>,
    stop: Stop<W>,
    ids: [usize; 3],
    period: Duration,
) -> Result<Watched, Text> {
    let printer = Printer::new();
    let (workers, starter) = {
        let printer = printer.clone();
        bounded("start", BOUND, move || {
            let workers = ids.map(|id| start(id, period, printer.clone()));
            (workers, thread::current().id())
        })?
    };
    let watch = period * WATCH_PERIODS;
    thread::sleep(watch / 2);
    let half_way = Instant::now();
    thread::sleep(watch / 2);
    let stopping = Instant::now();
    let stopped = bounded("stop", BOUND, move || {
        workers.into_iter().for_each(stop);
        thread::current().id()
    });
    let stopped_at = Instant::now();
    thread::sleep(AFTERWARDS.max(period * AFTERWARDS_PERIODS));
    let lines = printer.lines();
    // A line stamped at exactly `stopping` or `stopped_at` (the same nanosecond) could go either
    // way, so `<`/`<=` and `>`/`>=` here are equivalent for grading.
    let after_stop = lines
        .iter()
        .filter(|line| line.at > stopped_at)
        .map(|line| line.id)
        .collect();
    let before_stop = lines
        .into_iter()
        .filter(|line| line.at < stopping)
        .collect();
    let (stopper, stopped) = match stopped {
        Ok(stopper) => (stopper, Ok(())),
        Err(why) => (starter, Err(why)),
    };
    Ok(Watched {
        before_stop,
        callers: [starter, stopper],
        half_way,
        stopped,
        after_stop,
    })
}

/// Every worker printed its own id, on a thread of its own, often enough and about once a
/// period; nobody printed another.
fn in_turn(run: &Watched, ids: [usize; 3], period: Duration) -> Result<(), Text> {
    let lines = &run.before_stop;
    let ms = period.as_millis();
    if let Some(stranger) = lines.iter().find(|line| !ids.contains(&line.id)) {
        let id = stranger.id;
        return Err(text!(
            "wypisano numer {id}, a wątki dostały {ids:?}: wypisuj numer podany w konstruktorze",
            "printed the id {id}, but the workers were given {ids:?}: print the id given to the \
             constructor"
        ));
    }
    if let Some(line) = lines.iter().find(|line| run.callers.contains(&line.thread)) {
        let id = line.id;
        return Err(text!(
            "wątek {id} wypisywał w wątku, który wywołał start (lub stop), a nie we własnym: \
             start musi uruchomić wątek, który wypisuje, i od razu wrócić",
            "worker {id} printed on the thread that called start (or stop), not on a thread of \
             its own: start must start a thread that prints, and return at once"
        ));
    }
    for id in ids {
        let times: Vec<Instant> = lines
            .iter()
            .filter(|line| line.id == id)
            .map(|line| line.at)
            .collect();
        let n = times.len();
        if n < MIN_LINES {
            let s = if n == 1 { "" } else { "s" };
            return Err(text!(
                "wątek {id} wypisał swój numer {n} raz(y) w {WATCH_PERIODS} okresach po {ms} ms: \
                 powinien wypisywać raz na okres, raz po raz",
                "worker {id} printed its id {n} time{s} in {WATCH_PERIODS} periods of {ms} ms: \
                 it should print once a period, over and over"
            ));
        }
        let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        let median = gaps[gaps.len() / 2];
        if median < period / 2 {
            let apart = median.as_micros();
            return Err(text!(
                "wątek {id} wypisał {n} razy, co {apart} µs (mediana), przy okresie {ms} ms: \
                 wypisz raz, potem czekaj okres",
                "worker {id} printed {n} times, {apart} µs apart (median), with a period of \
                 {ms} ms: print once, then wait a period"
            ));
        }
    }
    Ok(())
}

/// Every worker was still printing in the second half of the watch: it prints until stopped.
fn kept_printing(run: &Watched, ids: [usize; 3]) -> Result<(), Text> {
    for id in ids {
        let late = run
            .before_stop
            .iter()
            .any(|line| line.id == id && line.at > run.half_way);
        if !late {
            return Err(text!(
                "wątek {id} nie wypisał nic w drugiej połowie obserwacji, przed zatrzymaniem: \
                 wątek wypisuje, dopóki kolejka nie każe mu skończyć",
                "worker {id} printed nothing in the second half of the watch, before it was \
                 stopped: a worker prints until it is told to stop, through its queue"
            ));
        }
    }
    Ok(())
}

fn nothing_after(ids: &[usize]) -> Result<(), Text> {
    let n = ids.len();
    match ids {
        [] => Ok(()),
        [first, ..] => Err(text!(
            "po powrocie stop wypisano {n} linii (pierwszą wątek {first}): stop musi czekać, aż \
             wątek się zakończy",
            "{n} line(s) printed after stop returned (the first by worker {first}): stop must \
             wait until the worker's thread has ended"
        )),
    }
}

/// A worker in the middle of a long period must still stop at once.
fn stops_mid_period<W: Send + 'static>(start: Start<W>, stop: Stop<W>) -> Result<(), Text> {
    let printer = Printer::new();
    let worker = {
        let printer = printer.clone();
        bounded("start", BOUND, move || start(5, LONG_PERIOD, printer))?
    };
    let deadline = Instant::now() + BOUND;
    while printer.ids().is_empty() {
        if Instant::now() > deadline {
            let secs = BOUND.as_secs_f64();
            return Err(text!(
                "wątek z okresem godziny nie wypisał nic w ciągu {secs} s: najpierw wypisz, \
                 potem czekaj",
                "a worker with a period of an hour printed nothing within {secs} s: print first, \
                 then wait"
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    bounded("stop", BOUND, move || stop(worker)).map_err(|why| {
        let (pl, en) = (why.pl, why.en);
        text!(
            "wątek w połowie godzinnego okresu: {pl}; komunikat „koniec” w kolejce musi go \
             obudzić (czekaj na kolejce z limitem czasu, nie w sleep)",
            "a worker in the middle of a one-hour period: {en}; the stop message on its \
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
    fn printing_three_times_at_once_and_never_stopping_scores_zero() {
        // The cheat: start prints on the caller's thread, stop does nothing.
        fn start_at_once(id: usize, _: Duration, printer: Printer) {
            for _ in 0..3 {
                printer.print(id);
            }
        }
        fn stop_nothing(_: ()) {}
        let outcome = check(start_at_once, stop_nothing);
        assert_eq!(outcome.points(), 0, "{outcome:?}");
        let why = failure(&outcome, "prints in turn").unwrap();
        assert!(why.contains("on the thread that called start"), "{why}");
        let why = failure(&outcome, "stops through its queue").unwrap();
        assert!(why.contains("second half of the watch"), "{why}");
    }

    #[test]
    fn a_burst_on_a_thread_of_its_own_fails_both() {
        // A thread that prints ten lines at once and ends: no period, and no stop needed.
        fn burst(id: usize, _: Duration, printer: Printer) -> JoinHandle<()> {
            thread::spawn(move || (0..10).for_each(|_| printer.print(id)))
        }
        fn join(worker: JoinHandle<()>) {
            worker.join().unwrap();
        }
        let outcome = check(burst, join);
        assert_eq!(outcome.points(), 0, "{outcome:?}");
        let why = failure(&outcome, "prints in turn").unwrap();
        assert!(why.contains("apart (median)"), "{why}");
    }

    #[test]
    fn a_worker_that_ends_on_its_own_fails_the_stop() {
        // Prints six lines a period apart, then ends without being told: it ignores its queue.
        fn six(id: usize, period: Duration, printer: Printer) -> JoinHandle<()> {
            thread::spawn(move || {
                for _ in 0..6 {
                    printer.print(id);
                    thread::sleep(period);
                }
            })
        }
        fn join(worker: JoinHandle<()>) {
            worker.join().unwrap();
        }
        let outcome = check(six, join);
        let why = failure(&outcome, "stops through its queue").unwrap();
        assert!(why.contains("second half of the watch"), "{why}");
        assert_eq!(outcome.points(), 1, "it does print in turn");
    }

    /// A watch of workers 3, 7 and 11 on a thread of their own, with `lines` as (id, ms after
    /// the start) and half way at 200 ms.
    fn watched(lines: &[(usize, u64)]) -> Watched {
        let t0 = Instant::now();
        let worker = thread::spawn(|| thread::current().id()).join().unwrap();
        Watched {
            before_stop: lines
                .iter()
                .map(|&(id, ms)| Line {
                    id,
                    at: t0 + Duration::from_millis(ms),
                    thread: worker,
                })
                .collect(),
            callers: [thread::current().id(); 2],
            half_way: t0 + Duration::from_millis(200),
            stopped: Ok(()),
            after_stop: Vec::new(),
        }
    }

    /// `n` lines of each of 3, 7, 11, `gap` ms apart.
    fn every(gap: u64, n: u64) -> Vec<(usize, u64)> {
        (0..n)
            .flat_map(|k| [3, 7, 11].map(|id| (id, k * gap)))
            .collect()
    }

    #[test]
    fn a_burst_at_first_does_not_fail_a_worker_that_keeps_its_period() {
        const IDS: [usize; 3] = [3, 7, 11];
        // Three lines 1 ms apart, then one a period for twenty periods: the median gap is
        // the period.
        let mut lines = every(20, 20);
        for id in IDS {
            lines.extend([(id, 1), (id, 2)]);
        }
        lines.sort_by_key(|&(_, ms)| ms);
        let run = watched(&lines);
        assert!(in_turn(&run, IDS, Duration::from_millis(20)).is_ok());
        // Six lines: three 1 ms apart, three a period apart: the median gap is 1 ms.
        let mut lines = every(20, 3);
        for id in IDS {
            lines.extend([(id, 1), (id, 2), (id, 3)]);
        }
        lines.sort_by_key(|&(_, ms)| ms);
        let why = in_turn(&watched(&lines), IDS, Duration::from_millis(20)).unwrap_err();
        assert!(why.en.contains("apart (median)"), "{why:?}");
    }

    #[test]
    fn only_the_students_printer_echoes() {
        assert!(Printer::to_stdout().echo);
        assert!(!Printer::new().echo);
    }

    #[test]
    fn the_rules_on_lines() {
        const IDS: [usize; 3] = [3, 7, 11];
        let period = Duration::from_millis(20);
        assert!(in_turn(&watched(&every(20, 20)), IDS, period).is_ok());
        // Half a period apart is still about once a period; less is not.
        assert!(in_turn(&watched(&every(10, 20)), IDS, period).is_ok());
        let why = in_turn(&watched(&every(9, 20)), IDS, period)
            .unwrap_err()
            .en;
        assert!(why.contains("apart (median)"), "{why}");
        // Five lines are enough, four are not.
        assert!(in_turn(&watched(&every(20, 5)), IDS, period).is_ok());
        let why = in_turn(&watched(&every(20, 4)), IDS, period)
            .unwrap_err()
            .en;
        assert!(why.contains("worker 3 printed its id 4 times"), "{why}");
        let mut stranger = every(20, 20);
        stranger.push((12, 5));
        let why = in_turn(&watched(&stranger), IDS, period).unwrap_err().en;
        assert!(why.contains("printed the id 12"), "{why}");
        let mut on_caller = watched(&every(20, 20));
        on_caller.before_stop[4].thread = thread::current().id();
        let why = in_turn(&on_caller, IDS, period).unwrap_err().en;
        assert!(why.contains("worker 7 printed on the thread"), "{why}");
        // Still printing after half way (200 ms), each of them.
        assert!(kept_printing(&watched(&every(20, 20)), IDS).is_ok());
        let mut quit = every(20, 20);
        quit.retain(|&(id, ms)| id != 11 || ms <= 200);
        let why = kept_printing(&watched(&quit), IDS).unwrap_err().en;
        assert!(why.starts_with("worker 11 printed nothing"), "{why}");
        assert!(nothing_after(&[]).is_ok());
        assert!(nothing_after(&[7]).unwrap_err().en.starts_with("1 line(s)"));
    }
}
