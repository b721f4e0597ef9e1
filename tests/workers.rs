//! Reliability tests for `concurrency_lab::workers` and the `some_worker` exercise.
//!
//! Every wait is bounded: a test that would hang fails after `BOUND` instead, saying what hung.
//! Nothing here asserts on elapsed time; sleeps only open a window in which a bug would show.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use concurrency_lab::Error;
use concurrency_lab::lab::some_worker::spawn_some_workers;
use concurrency_lab::workers::{JoinableQueue, ReaderPool, Worker, WorkerGroup};
use crossbeam::channel::{self, RecvTimeoutError, Sender, TryRecvError};

/// Long enough that only a hang reaches it on a loaded two-core machine.
const BOUND: Duration = Duration::from_secs(60);
/// A period no test should ever sit out: a worker that sleeps through it instead of waking on
/// its queue turns into a `BOUND` failure.
const AN_HOUR: Duration = Duration::from_secs(3600);

/// Runs `scenario` on its own thread and waits for it at most `BOUND`.
fn within<T: Send + 'static>(what: &str, scenario: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = channel::bounded(1);
    thread::spawn(move || {
        let _ = done.send(scenario());
    });
    match result.recv_timeout(BOUND) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!("{what} did not finish within {BOUND:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// Polls `condition` every millisecond, for at most `BOUND`: a bound on the wait, not a
/// measurement of it.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let give_up = Instant::now() + BOUND;
    while !condition() {
        if Instant::now() >= give_up {
            panic!("gave up waiting for {what} after {BOUND:?}");
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn recv<T>(from: &channel::Receiver<T>, what: &str) -> T {
    from.recv_timeout(BOUND)
        .unwrap_or_else(|err| panic!("no {what} within {BOUND:?}: {err}"))
}

/// Sends its id when dropped: a job that owns one tells us when its thread let go of it.
struct ExitSignal {
    id: usize,
    exits: Sender<usize>,
}

impl Drop for ExitSignal {
    fn drop(&mut self) {
        let _ = self.exits.send(self.id);
    }
}

/// A job that reports each tick on `ticks` and owns an [`ExitSignal`].
fn signalling_job(
    id: usize,
    ticks: &Sender<usize>,
    exits: &Sender<usize>,
) -> impl FnMut(usize) -> io::Result<()> + Send + 'static {
    let ticks = ticks.clone();
    let signal = ExitSignal {
        id,
        exits: exits.clone(),
    };
    move |id| {
        let _keep = &signal;
        ticks.send(id).map_err(io::Error::other)
    }
}

fn lines_per_id(sink: &Mutex<Vec<u8>>) -> BTreeMap<usize, u64> {
    let text = String::from_utf8(sink.lock().unwrap().clone()).expect("the workers write text");
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let id = line
            .strip_prefix("worker ")
            .expect("only `worker <id>` lines");
        *counts.entry(id.parse().expect("a numeric id")).or_default() += 1;
    }
    counts
}

// ----- workers: stopping -----

#[test]
fn after_stop_returns_no_worker_prints_again() {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let group = spawn_some_workers(3, Duration::from_millis(1), &sink).unwrap();
    wait_until("every worker to print three times", || {
        let counts = lines_per_id(&sink);
        counts.len() == 3 && counts.values().all(|&n| n >= 3)
    });

    let outcomes = within("stopping the group", move || group.stop());
    let at_stop = lines_per_id(&sink);
    // Fifty periods in which a worker still alive would have printed again.
    thread::sleep(Duration::from_millis(50));
    assert_eq!(
        lines_per_id(&sink),
        at_stop,
        "a worker printed after stop returned"
    );

    let reported: BTreeMap<usize, u64> = outcomes
        .into_iter()
        .map(|outcome| outcome.map(|r| (r.id, r.ticks)).unwrap())
        .collect();
    assert_eq!(reported, at_stop, "every tick printed exactly one line");
}

#[test]
fn when_stop_returns_every_job_has_been_dropped() {
    let (ticks, ticked) = channel::unbounded();
    let (exits, exited) = channel::unbounded();
    let group = WorkerGroup::spawn(4, Duration::from_millis(1), |id| {
        signalling_job(id, &ticks, &exits)
    })
    .unwrap();
    drop((ticks, exits)); // from now on, only the workers' jobs hold senders
    for _ in 0..20 {
        recv(&ticked, "tick");
    }

    let reports: Vec<_> = within("stopping the group", move || group.stop())
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();

    let total: u64 = reports.iter().map(|r| r.ticks).sum();
    assert_eq!(20 + ticked.try_iter().count() as u64, total);
    // Disconnected, not merely empty: no job is left anywhere that could send another tick.
    assert_eq!(ticked.try_recv(), Err(TryRecvError::Disconnected));
    let mut gone: Vec<usize> = exited.try_iter().collect();
    gone.sort_unstable();
    assert_eq!(gone, [0, 1, 2, 3]);
}

#[test]
fn stop_wakes_a_worker_in_the_middle_of_its_period() {
    let (ticks, ticked) = channel::unbounded();
    let (exits, _exited) = channel::unbounded();
    let worker = Worker::spawn(5, AN_HOUR, signalling_job(5, &ticks, &exits)).unwrap();
    assert_eq!(recv(&ticked, "first tick"), 5);
    // The worker is now an hour away from its next tick, waiting on its queue.

    let report = within("stopping a worker mid-period", move || worker.stop()).unwrap();
    assert_eq!((report.id, report.ticks), (5, 1));
}

#[test]
fn a_group_in_the_middle_of_its_period_stops_at_once() {
    let (ticks, ticked) = channel::unbounded();
    let (exits, exited) = channel::unbounded();
    let group = WorkerGroup::spawn(3, AN_HOUR, |id| signalling_job(id, &ticks, &exits)).unwrap();
    for _ in 0..3 {
        recv(&ticked, "first tick");
    }

    let outcomes = within("stopping a sleeping group", move || group.stop());
    assert!(
        outcomes
            .iter()
            .all(|o| o.as_ref().is_ok_and(|r| r.ticks == 1))
    );
    assert_eq!(exited.try_iter().count(), 3);
}

// ----- workers: failures -----

#[test]
fn a_panicking_worker_is_reported_and_the_others_carry_on() {
    let (ticks, ticked) = channel::unbounded();
    let group = WorkerGroup::spawn(3, Duration::from_millis(1), |_| {
        let ticks = ticks.clone();
        let mut tick = 0;
        move |id| {
            tick += 1;
            ticks.send((id, tick)).map_err(io::Error::other)?;
            if id == 1 && tick == 2 {
                panic!("worker 1 gives up at tick 2");
            }
            Ok(())
        }
    })
    .unwrap();

    // Wait for worker 1's fatal tick, then for three more ticks of each of the others.
    while recv(&ticked, "tick") != (1, 2) {}
    let mut after = BTreeMap::<usize, u32>::new();
    while after.get(&0).is_none_or(|&n| n < 3) || after.get(&2).is_none_or(|&n| n < 3) {
        let (id, _) = recv(&ticked, "tick of a surviving worker");
        assert_ne!(id, 1, "worker 1 ticked after its panic");
        *after.entry(id).or_default() += 1;
    }

    let outcomes = within("stopping the group", move || group.stop());
    assert_eq!(outcomes.len(), 3);
    match &outcomes[1] {
        Err(Error::WorkerPanicked { id: 1, message, .. }) => {
            assert_eq!(message, "worker 1 gives up at tick 2");
        }
        other => panic!("worker 1: expected its panic, got {other:?}"),
    }
    for id in [0, 2] {
        let report = outcomes[id].as_ref().expect("the others are unaffected");
        assert_eq!(report.id, id);
        assert!(
            report.ticks >= 3,
            "it ticked at least three times after the panic"
        );
    }
}

#[test]
fn a_failing_job_ends_only_its_own_worker() {
    let group = WorkerGroup::spawn(3, Duration::from_millis(1), |id| {
        move |_| {
            if id == 2 {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            } else {
                Ok(())
            }
        }
    })
    .unwrap();

    let outcomes = within("stopping the group", move || group.stop());
    match &outcomes[2] {
        Err(err @ Error::WorkerFailed { id: 2, source, .. }) => {
            assert_eq!(source.kind(), io::ErrorKind::StorageFull);
            assert_eq!(
                err.to_string(),
                "worker 2 stopped because its job failed: disk full"
            );
        }
        other => panic!("worker 2: expected its failure, got {other:?}"),
    }
    assert!(outcomes[0].is_ok() && outcomes[1].is_ok());
}

#[test]
fn a_zero_period_is_refused_and_starts_no_thread() {
    let (exits, exited) = channel::unbounded();
    let (ticks, _ticked) = channel::unbounded();
    let refused = WorkerGroup::spawn(2, Duration::ZERO, |id| signalling_job(id, &ticks, &exits));
    assert!(matches!(
        refused,
        Err(Error::InvalidInput { what: "period", .. })
    ));
    assert_eq!(
        exited.try_iter().collect::<Vec<_>>(),
        [0],
        "its job was dropped unused"
    );
}

// ----- workers: dropping -----

#[test]
fn dropping_a_group_without_stopping_it_ends_every_thread() {
    for period in [Duration::from_millis(1), AN_HOUR] {
        let (ticks, ticked) = channel::unbounded();
        let (exits, exited) = channel::unbounded();
        let group = WorkerGroup::spawn(4, period, |id| signalling_job(id, &ticks, &exits)).unwrap();
        drop((ticks, exits));
        for _ in 0..4 {
            recv(&ticked, "tick");
        }

        within("dropping the group", move || drop(group));
        // No waiting: the drop itself joined every thread, so every job is already gone.
        let mut gone: Vec<usize> = exited.try_iter().collect();
        gone.sort_unstable();
        assert_eq!(gone, [0, 1, 2, 3], "period {period:?}");
        assert_eq!(exited.try_recv(), Err(TryRecvError::Disconnected));
        let _ = ticked.try_iter().count();
        assert_eq!(ticked.try_recv(), Err(TryRecvError::Disconnected));
    }
}

#[test]
fn dropping_a_worker_without_stopping_it_ends_its_thread() {
    let (ticks, ticked) = channel::unbounded();
    let (exits, exited) = channel::unbounded();
    let worker = Worker::spawn(9, AN_HOUR, signalling_job(9, &ticks, &exits)).unwrap();
    recv(&ticked, "first tick");

    within("dropping the worker", move || drop(worker));
    assert_eq!(exited.try_recv(), Ok(9));
}

// ----- JoinableQueue -----

/// 8 producers put 100,000 distinct numbers each; 4 consumers take them. Checks that each
/// number is taken exactly once (a flag per number, plus count and sum) and that `join` returns.
fn every_item_exactly_once(queue: JoinableQueue<Option<u64>>) {
    const PRODUCERS: u64 = 8;
    const PER_PRODUCER: u64 = 100_000;
    const CONSUMERS: usize = 4;
    const ITEMS: u64 = PRODUCERS * PER_PRODUCER;

    let seen: Arc<Vec<AtomicBool>> = Arc::new((0..ITEMS).map(|_| AtomicBool::new(false)).collect());
    let (count, sum, duplicates) = within("8 producers and 4 consumers", {
        let seen = Arc::clone(&seen);
        move || {
            thread::scope(|scope| {
                let consumers: Vec<_> = (0..CONSUMERS)
                    .map(|_| {
                        scope.spawn(|| {
                            let (mut count, mut sum, mut duplicates) = (0_u64, 0_u64, 0_u64);
                            // `None` is the poison pill.
                            while let Some(n) = queue.get() {
                                count += 1;
                                sum += n;
                                if seen[n as usize].swap(true, Ordering::Relaxed) {
                                    duplicates += 1;
                                }
                                queue.task_done().unwrap();
                            }
                            queue.task_done().unwrap();
                            (count, sum, duplicates)
                        })
                    })
                    .collect();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|producer| {
                        let queue = &queue;
                        scope.spawn(move || {
                            for i in 0..PER_PRODUCER {
                                queue.put(Some(producer * PER_PRODUCER + i));
                            }
                        })
                    })
                    .collect();
                producers.into_iter().for_each(|p| p.join().unwrap());
                queue
                    .join_timeout(BOUND)
                    .expect("join returns once all is done");
                assert_eq!(queue.unfinished_tasks(), 0);
                assert!(queue.is_empty());
                for _ in 0..CONSUMERS {
                    queue.put(None);
                }
                consumers
                    .into_iter()
                    .map(|consumer| consumer.join().unwrap())
                    .fold((0, 0, 0), |(c, s, d), (c2, s2, d2)| {
                        (c + c2, s + s2, d + d2)
                    })
            })
        }
    });

    assert_eq!(duplicates, 0);
    assert_eq!(count, ITEMS);
    assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
    assert!(
        seen.iter().all(|flag| flag.load(Ordering::Relaxed)),
        "an item was lost"
    );
}

#[test]
fn unbounded_queue_delivers_every_item_exactly_once() {
    every_item_exactly_once(JoinableQueue::unbounded());
}

#[test]
fn bounded_queue_delivers_every_item_exactly_once() {
    every_item_exactly_once(JoinableQueue::bounded(64));
}

#[test]
fn task_done_more_often_than_put_is_an_error_that_changes_nothing() {
    let queue = JoinableQueue::unbounded();
    assert!(matches!(queue.task_done(), Err(Error::TaskDoneTooOften)));

    queue.put("a");
    queue.put("b");
    queue.get();
    queue.task_done().unwrap();
    queue.get();
    queue.task_done().unwrap();
    let err = queue.task_done().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("task_done() called with no unfinished task")
    );

    // The refused calls did not push the count below zero: a new item is waited for again.
    queue.put("c");
    assert_eq!(queue.unfinished_tasks(), 1);
    assert!(queue.join_timeout(Duration::from_millis(1)).is_err());
}

#[test]
fn join_waits_for_the_last_task_done() {
    let queue = JoinableQueue::unbounded();
    let (go, gate) = channel::bounded::<()>(0);
    queue.put(1);
    queue.put(2);
    let reader = {
        let queue = queue.clone();
        thread::spawn(move || {
            for _ in 0..2 {
                queue.get();
                recv(&gate, "permission to finish a task");
                queue.task_done().unwrap();
            }
        })
    };

    // Nothing is done yet: join gives up and says how much is left.
    match queue.join_timeout(Duration::from_millis(5)) {
        Err(Error::QueueJoinTimeout { unfinished: 2, .. }) => {}
        other => panic!("expected a timeout with 2 open tasks, got {other:?}"),
    }
    go.send_timeout((), BOUND).unwrap();
    wait_until("the first task_done", || queue.unfinished_tasks() == 1);
    assert!(matches!(
        queue.join_timeout(Duration::from_millis(5)),
        Err(Error::QueueJoinTimeout { unfinished: 1, .. })
    ));
    go.send_timeout((), BOUND).unwrap();
    queue.join_timeout(BOUND).unwrap();
    within("the reader", move || reader.join().unwrap());
}

#[test]
fn put_timeout_on_a_full_queue_gives_the_item_back_and_opens_no_task() {
    let queue = JoinableQueue::bounded(2);
    queue.put(String::from("one"));
    queue.put(String::from("two"));
    let full = queue
        .put_timeout(String::from("three"), Duration::from_millis(5))
        .unwrap_err();
    assert_eq!(full.into_inner(), "three");
    assert_eq!((queue.len(), queue.unfinished_tasks()), (2, 2));

    // Room appears: the same call now succeeds.
    assert_eq!(queue.get(), "one");
    queue.task_done().unwrap();
    queue
        .put_timeout(String::from("three"), Duration::from_millis(5))
        .unwrap();
    assert_eq!(queue.unfinished_tasks(), 2);
}

#[test]
fn a_blocked_put_resumes_when_a_consumer_makes_room() {
    let queue = JoinableQueue::bounded(1);
    let producer = {
        let queue = queue.clone();
        thread::spawn(move || (0..5).for_each(|n| queue.put(n)))
    };
    let taken: Vec<i32> = (0..5)
        .map(|_| {
            let n = queue
                .get_timeout(BOUND)
                .expect("the producer keeps putting");
            queue.task_done().unwrap();
            n
        })
        .collect();
    assert_eq!(taken, [0, 1, 2, 3, 4], "one producer, one consumer: FIFO");
    within("the producer", move || producer.join().unwrap());
    queue.join_timeout(BOUND).unwrap();
}

#[test]
fn get_timeout_returns_none_on_an_empty_queue() {
    let queue = JoinableQueue::<u8>::bounded(0);
    assert_eq!(queue.get_timeout(Duration::from_millis(1)), None);
    assert_eq!(queue.unfinished_tasks(), 0);
}

// ----- ReaderPool -----

#[test]
fn reader_pool_runs_every_job_once_for_many_producers() {
    const PRODUCERS: u64 = 8;
    const PER_PRODUCER: u64 = 10_000;
    const JOBS: u64 = PRODUCERS * PER_PRODUCER;

    let seen: Arc<Vec<AtomicBool>> = Arc::new((0..JOBS).map(|_| AtomicBool::new(false)).collect());
    let sum = Arc::new(AtomicU64::new(0));
    let pool = {
        let (seen, sum) = (Arc::clone(&seen), Arc::clone(&sum));
        ReaderPool::spawn_bounded(4, 32, move |n: u64| {
            assert!(
                !seen[n as usize].swap(true, Ordering::Relaxed),
                "job {n} ran twice"
            );
            sum.fetch_add(n, Ordering::Relaxed);
        })
        .unwrap()
    };

    let reports = within("producing into the pool", move || {
        thread::scope(|scope| {
            for producer in 0..PRODUCERS {
                let pool = &pool;
                scope.spawn(move || {
                    for i in 0..PER_PRODUCER {
                        pool.put(producer * PER_PRODUCER + i);
                    }
                });
            }
        });
        pool.join_timeout(BOUND).unwrap();
        pool.shutdown()
    });

    assert!(seen.iter().all(|flag| flag.load(Ordering::Relaxed)));
    assert_eq!(sum.load(Ordering::Relaxed), JOBS * (JOBS - 1) / 2);
    let reports: Vec<_> = reports.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        reports.iter().map(|r| r.id).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(reports.iter().map(|r| r.jobs).sum::<u64>(), JOBS);
    assert!(
        reports.iter().all(|r| r.panics.is_empty()),
        "the assert never fired"
    );
}

#[test]
fn a_panicking_job_neither_kills_its_reader_nor_hangs_join() {
    let done = Arc::new(AtomicU64::new(0));
    let pool = {
        let done = Arc::clone(&done);
        ReaderPool::spawn(2, move |n: u32| {
            if n.is_multiple_of(10) {
                panic!("job {n} refuses");
            }
            done.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap()
    };
    for n in 1..=100 {
        pool.put(n);
    }
    let reports = within("joining a pool with panicking jobs", move || {
        pool.join_timeout(BOUND).unwrap();
        pool.shutdown()
    });

    assert_eq!(done.load(Ordering::Relaxed), 90);
    let reports: Vec<_> = reports.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(reports.iter().map(|r| r.jobs).sum::<u64>(), 100);
    let mut panics: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.panics.iter().map(String::as_str))
        .collect();
    panics.sort_unstable();
    let mut expected: Vec<String> = (1..=10)
        .map(|k| format!("job {} refuses", k * 10))
        .collect();
    expected.sort_unstable();
    assert_eq!(panics, expected);
}

#[test]
fn dropping_a_reader_pool_finishes_queued_jobs_and_ends_its_readers() {
    let (exits, exited) = channel::unbounded();
    let done = Arc::new(AtomicU64::new(0));
    let pool = {
        let done = Arc::clone(&done);
        let signal = ExitSignal { id: 0, exits };
        ReaderPool::spawn(3, move |_: u8| {
            let _keep = &signal;
            done.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap()
    };
    for n in 0..200 {
        pool.put(n as u8);
    }

    within("dropping the pool", move || drop(pool));
    assert_eq!(
        done.load(Ordering::Relaxed),
        200,
        "queued jobs ran before the readers left"
    );
    // The job is shared by the readers; it is dropped when the last reader has ended.
    assert_eq!(exited.try_recv(), Ok(0));
}

#[test]
fn a_reader_pool_needs_a_reader() {
    let refused = ReaderPool::spawn(0, |_: ()| ());
    match refused {
        Err(err @ Error::InvalidInput { .. }) => {
            assert_eq!(
                err.to_string(),
                r#"invalid readers "0": a pool needs at least one reader to take its jobs"#
            );
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}
