//! The thread backend's promises, provoked for real: panics, panicking callbacks, timeouts,
//! use after close, termination, worker recycling, and `imap`'s laziness. Every wait is bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concurrency_lab::Error;
use concurrency_lab::pool::{Callbacks, MapOptions, ThreadPool};
use crossbeam::channel;

/// Long enough never to trip on a loaded machine; it only bounds a wait that should not hang.
const BOUND: Duration = Duration::from_secs(60);

#[test]
fn a_panicking_task_is_an_error_and_the_pool_goes_on() {
    let pool = ThreadPool::new(2).unwrap();
    let err = pool
        .apply(|| -> u32 { panic!("task {} failed", 7) }, ())
        .unwrap_err();
    assert!(
        matches!(&err, Error::TaskPanicked { message, .. } if message == "task 7 failed"),
        "{err}"
    );
    assert_eq!(pool.apply(|a: u32, b: u32| a + b, (40, 2)).unwrap(), 42);
}

#[test]
fn a_map_reports_its_first_failing_item_and_the_pool_goes_on() {
    let pool = ThreadPool::new(2).unwrap();
    let options = MapOptions::new().chunksize(3);
    let divide = |n: u32| {
        assert!(n % 10 != 5, "item {n}");
        100 / n
    };
    let err = pool
        .map_async_with(divide, 1..=20, options)
        .unwrap()
        .get_timeout(BOUND)
        .unwrap_err();
    assert!(
        matches!(&err, Error::TaskPanicked { message, .. } if message == "item 5"),
        "{err}"
    );
    assert_eq!(pool.map(|n: u32| n * 2, 0..5).unwrap(), [0, 2, 4, 6, 8]);
}

#[test]
fn a_panicking_callback_neither_kills_nor_hangs_the_pool() {
    let pool = ThreadPool::new(1).unwrap();
    let boom = Callbacks::new().on_success(|_: &u32| panic!("callback exploded"));
    let result = pool.apply_async_with(|| 1_u32, (), boom).unwrap();
    let err = result.get_timeout(BOUND).unwrap_err();
    assert!(
        matches!(&err, Error::CallbackPanicked { message, .. } if message == "callback exploded")
    );

    let boom_on_error = Callbacks::new().on_error(|_| panic!("error callback exploded"));
    let failing = pool
        .apply_async_with(|| -> u32 { panic!("task") }, (), boom_on_error)
        .unwrap();
    let err = failing.get_timeout(BOUND).unwrap_err();
    assert!(err.to_string().contains("error callback exploded"), "{err}");
    assert!(
        err.to_string().contains("task"),
        "the task's own error is kept: {err}"
    );

    // The single worker survived both.
    assert_eq!(pool.apply(|| 5_u32, ()).unwrap(), 5);
}

#[test]
fn callbacks_have_run_by_the_time_get_returns() {
    let pool = ThreadPool::new(2).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut pending = Vec::new();
    for n in 0..50_u64 {
        let seen = Arc::clone(&seen);
        let callbacks = Callbacks::new().on_success(move |sq: &u64| seen.lock().unwrap().push(*sq));
        pending.push(
            pool.apply_async_with(|n: u64| n * n, (n,), callbacks)
                .unwrap(),
        );
    }
    for p in pending {
        p.get_timeout(BOUND).unwrap();
    }
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, (0..50).map(|n| n * n).collect::<Vec<_>>());
}

#[test]
fn get_timeout_gives_up_and_the_result_still_arrives() {
    let pool = ThreadPool::new(1).unwrap();
    let (blocked, release) = occupy(&pool);
    assert!(
        !blocked.wait_timeout(Duration::from_millis(20)),
        "the task is still blocked"
    );
    assert_eq!(blocked.successful(), None);
    let again = pool.apply_async(|| 9, ()).unwrap();
    let err = again.get_timeout(Duration::from_millis(20)).unwrap_err();
    assert!(matches!(err, Error::Timeout { waited, .. } if waited == Duration::from_millis(20)));
    release.send(()).unwrap();
    assert!(
        blocked.get_timeout(BOUND).unwrap(),
        "the blocked task saw the release"
    );
}

#[test]
fn a_closed_pool_refuses_work_but_finishes_what_it_has() {
    let pool = ThreadPool::new(2).unwrap();
    assert!(matches!(pool.join(), Err(Error::PoolNotClosed)));
    let queued: Vec<_> = (0..20_u64)
        .map(|n| pool.apply_async(move || n + 1, ()).unwrap())
        .collect();
    pool.close();
    pool.close(); // twice is fine
    assert!(matches!(
        pool.apply(|| 1, ()),
        Err(Error::PoolClosed {
            action: "apply",
            ..
        })
    ));
    assert!(matches!(
        pool.map(|n: u8| n, [1]),
        Err(Error::PoolClosed { action: "map", .. })
    ));
    let first = pool.imap(|n: u8| n, [1]).next().unwrap();
    assert!(matches!(
        first,
        Err(Error::PoolClosed { action: "imap", .. })
    ));
    pool.join_timeout(BOUND).unwrap();
    let total: u64 = queued
        .into_iter()
        .map(|r| r.get_timeout(BOUND).unwrap())
        .sum();
    assert_eq!(total, (1..=20).sum());
}

/// Starts a task that reports it is running and then waits (bounded) for `release`.
fn occupy(
    pool: &ThreadPool,
) -> (
    concurrency_lab::pool::AsyncResult<bool>,
    channel::Sender<()>,
) {
    let (started_tx, started) = channel::bounded(1);
    let (release, released) = channel::bounded::<()>(1);
    let busy = pool
        .apply_async(
            move || {
                started_tx.send(()).unwrap();
                released.recv_timeout(BOUND).is_ok()
            },
            (),
        )
        .unwrap();
    started.recv_timeout(BOUND).expect("the task starts");
    (busy, release)
}

#[test]
fn terminate_fails_queued_tasks_and_join_returns() {
    let pool = ThreadPool::new(1).unwrap();
    let (running, release) = occupy(&pool);
    let queued: Vec<_> = (0..10)
        .map(|n| pool.apply_async(move || n, ()).unwrap())
        .collect();
    let mapped = pool.map_async(|n: u32| n, 0..100).unwrap();
    pool.terminate();
    for q in queued {
        assert!(matches!(q.get_timeout(BOUND), Err(Error::PoolTerminated)));
    }
    assert!(matches!(
        mapped.get_timeout(BOUND),
        Err(Error::PoolTerminated)
    ));
    release.send(()).unwrap();
    assert!(
        running.get_timeout(BOUND).unwrap(),
        "a task already running finishes"
    );
    pool.join_timeout(BOUND).unwrap();
}

#[test]
fn dropping_the_pool_resolves_every_pending_result() {
    let pool = ThreadPool::new(1).unwrap();
    let (busy, release) = occupy(&pool);
    let queued: Vec<_> = (0..5)
        .map(|n| pool.apply_async(move || n, ()).unwrap())
        .collect();
    drop(pool);
    for q in queued {
        assert!(matches!(q.get_timeout(BOUND), Err(Error::PoolTerminated)));
    }
    release.send(()).unwrap();
    assert!(busy.get_timeout(BOUND).unwrap());
}

#[test]
fn submitting_while_another_thread_closes_never_strands_a_result() {
    for _ in 0..20 {
        let pool = Arc::new(ThreadPool::new(2).unwrap());
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    (0..200)
                        .map_while(|n: u32| pool.apply_async(move || n, ()).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        pool.close();
        for submitter in submitters {
            for result in submitter.join().unwrap() {
                result.get_timeout(BOUND).unwrap(); // accepted means run
            }
        }
        pool.join_timeout(BOUND).unwrap();
    }
}

#[test]
fn max_tasks_per_child_recycles_workers_and_reruns_the_initializer() {
    static INITIALIZED: AtomicUsize = AtomicUsize::new(0);
    let pool = ThreadPool::builder()
        .workers(1)
        .max_tasks_per_child(2)
        .initializer(|| {
            INITIALIZED.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let threads: Vec<_> = (0..6)
        .map(|_| pool.apply(|| std::thread::current().id(), ()).unwrap())
        .collect();
    // Two tasks per worker: three different workers, each initialized.
    assert_eq!(threads[0], threads[1]);
    assert_ne!(threads[1], threads[2]);
    assert_eq!(threads[2], threads[3]);
    assert_ne!(threads[3], threads[4]);
    assert!(INITIALIZED.load(Ordering::SeqCst) >= 3);
}

#[test]
fn an_initializer_that_panics_later_terminates_the_pool_instead_of_hanging() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let pool = ThreadPool::builder()
        .workers(1)
        .max_tasks_per_child(1)
        .initializer(|| {
            if CALLS.fetch_add(1, Ordering::SeqCst) > 0 {
                panic!("the replacement cannot connect");
            }
        })
        .build()
        .unwrap();
    assert_eq!(pool.apply(|| 1, ()).unwrap(), 1);
    // The only worker retired; its replacement's initializer panics.
    let next = pool.apply_async(|| 2, ());
    let outcome = next.and_then(|r| r.get_timeout(BOUND));
    assert!(
        matches!(
            outcome,
            Err(Error::PoolTerminated | Error::PoolClosed { .. })
        ),
        "{outcome:?}"
    );
    pool.join_timeout(BOUND).unwrap();
}

#[test]
fn an_initializer_that_panics_at_start_fails_the_build() {
    let built = ThreadPool::builder()
        .workers(3)
        .initializer(|| panic!("no config"))
        .build();
    assert!(
        matches!(built, Err(Error::InitializerPanicked { message, .. }) if message == "no config")
    );
}

#[test]
fn imap_reads_its_input_only_as_far_as_needed() {
    let pool = ThreadPool::new(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let endless = (0_u64..).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let (chunksize, in_flight) = (10, 4);
    let first: Vec<u64> = pool
        .imap(|n: u64| n * 3, endless)
        .chunksize(chunksize)
        .max_in_flight(in_flight)
        .take(25)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(first, (0..25).map(|n| n * 3).collect::<Vec<_>>());
    let ahead = pulled.load(Ordering::SeqCst) - 25;
    assert!(
        ahead <= chunksize * in_flight,
        "pulled {ahead} items ahead of the consumer"
    );
}

#[test]
fn imap_over_ten_million_items_stays_within_its_bound() {
    let pool = ThreadPool::new(2).unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let items = (0_u64..10_000_000).inspect(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let (chunksize, in_flight) = (50_000, 4);
    let bound = chunksize * in_flight;
    let mut consumed = 0;
    let mut sum = 0_u64;
    let mut worst_ahead = 0;
    for value in pool
        .imap_unordered(|n: u64| n & 1, items)
        .chunksize(chunksize)
        .max_in_flight(in_flight)
    {
        sum += value.unwrap();
        consumed += 1;
        worst_ahead = worst_ahead.max(pulled.load(Ordering::Relaxed) - consumed);
    }
    assert_eq!((consumed, sum), (10_000_000, 5_000_000));
    assert!(
        worst_ahead <= bound,
        "the input ran {worst_ahead} items ahead (bound {bound})"
    );
}

#[test]
fn imap_keeps_going_after_a_failed_item() {
    let pool = ThreadPool::new(2).unwrap();
    let outcomes: Vec<_> = pool
        .imap(|n: u32| if n == 2 { panic!("two") } else { n }, 0..5)
        .collect();
    assert_eq!(outcomes.len(), 5);
    assert!(matches!(&outcomes[2], Err(Error::TaskPanicked { message, .. }) if message == "two"));
    let fine: Vec<u32> = outcomes.into_iter().filter_map(Result::ok).collect();
    assert_eq!(fine, [0, 1, 3, 4]);
}

#[test]
fn progress_counts_every_item_including_failures() {
    let pool = ThreadPool::new(2).unwrap();
    let running = pool
        .map_async_with(
            |n: u32| if n == 999 { panic!("last") } else { n },
            0..1000,
            MapOptions::new().chunksize(100),
        )
        .unwrap();
    assert!(running.wait_timeout(BOUND));
    assert_eq!(running.progress().done, 1000);
    assert_eq!(running.successful(), Some(false));
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    assert!(matches!(
        ThreadPool::new(0),
        Err(Error::InvalidInput {
            what: "workers",
            ..
        })
    ));
    let pool = ThreadPool::new(1).unwrap();
    let zero = pool.map_async_with(|n: u8| n, [1], MapOptions::new().chunksize(0));
    assert!(matches!(
        zero,
        Err(Error::InvalidInput {
            what: "chunksize",
            ..
        })
    ));
    let first = pool.imap(|n: u8| n, [1]).chunksize(0).next().unwrap();
    assert!(matches!(
        first,
        Err(Error::InvalidInput {
            what: "chunksize",
            ..
        })
    ));
    assert!(pool.map(|n: u8| n, Vec::<u8>::new()).unwrap().is_empty());
}

#[test]
fn results_own_their_values_and_nothing_leaks_or_drops_twice() {
    // Values with destructors through the in-place buffers: success, failure and termination.
    let drops = Arc::new(AtomicUsize::new(0));
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let pool = ThreadPool::new(2).unwrap();
    let make = |n: usize| {
        (0..n)
            .map(|_| Counted(Arc::clone(&drops)))
            .collect::<Vec<_>>()
    };

    let kept = pool.map(|c: Counted| c, make(1000)).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(kept);
    assert_eq!(drops.load(Ordering::SeqCst), 1000);

    drops.store(0, Ordering::SeqCst);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let failed = pool.map_async_with(
        move |c: Counted| {
            if counter.fetch_add(1, Ordering::SeqCst) == 500 {
                panic!("half way");
            }
            c
        },
        make(1000),
        MapOptions::new().chunksize(64),
    );
    assert!(failed.unwrap().get_timeout(BOUND).is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1000,
        "every item dropped exactly once"
    );
}

/// Runs `work` on its own thread and waits at most [`BOUND`] for its value: a hang fails the
/// test instead of stalling it.
fn within<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel::bounded(1);
    std::thread::spawn(move || tx.send(work()).unwrap());
    rx.recv_timeout(BOUND)
        .expect("the work finishes in time, without panicking")
}

/// The input `0..10` whose item 3 panics, as issue 10 found it.
fn input_panicking_at_3() -> impl Iterator<Item = u32> {
    (0..10).inspect(|n| assert!(*n != 3, "input item {n} is broken"))
}

/// The values before the error, and the error's text; checks that the error comes last.
fn split_at_error(outcomes: Vec<Result<u32, Error>>) -> (Vec<u32>, String) {
    let (last, before) = outcomes.split_last().expect("at least the error");
    let values = before.iter().map(|o| *o.as_ref().unwrap()).collect();
    let error = last.as_ref().expect_err("the failure comes last");
    assert!(
        matches!(error, Error::InvalidInput { .. }),
        "an input error: {error}"
    );
    (values, error.to_string())
}

#[test]
fn imap_yields_what_precedes_a_panicking_input_then_the_error() {
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    // Default read-ahead (4 chunks of 1), one chunk in flight, and a chunk cut by the panic.
    for (chunksize, max_in_flight) in [(1, 4), (1, 1), (4, 4)] {
        let pool = Arc::clone(&pool);
        let outcomes = within(move || {
            let imap = pool.imap(|n: u32| n * 10, input_panicking_at_3());
            let imap = if max_in_flight == 4 {
                imap // the default: twice the workers
            } else {
                imap.max_in_flight(max_in_flight)
            };
            imap.chunksize(chunksize).collect::<Vec<_>>()
        });
        let (values, error) = split_at_error(outcomes);
        assert_eq!(
            values,
            [0, 10, 20],
            "chunksize {chunksize}, in flight {max_in_flight}"
        );
        assert!(error.contains("input item 3 is broken"), "{error}");
        assert!(error.contains("\"3\""), "names the failing item: {error}");
    }
    let unordered = Arc::clone(&pool);
    let outcomes = within(move || {
        unordered
            .imap_unordered(|n: u32| n * 10, input_panicking_at_3())
            .collect::<Vec<_>>()
    });
    let (mut values, error) = split_at_error(outcomes);
    values.sort_unstable();
    assert_eq!(values, [0, 10, 20]);
    assert!(error.contains("input item 3 is broken"), "{error}");
    assert_eq!(pool.map(|n: u32| n + 1, 0..3).unwrap(), [1, 2, 3]);
}

#[test]
fn one_shot_tasks_may_capture_a_receiver_and_move_what_they_own() {
    let pool = ThreadPool::new(2).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<u32>(); // a Receiver is Send but not Sync
    let listener = pool
        .apply_async(move || rx.recv_timeout(BOUND).map(|n| n * 2), ())
        .unwrap();
    tx.send(21).unwrap();
    assert_eq!(listener.get_timeout(BOUND).unwrap(), Ok(42));

    let words = vec![String::from("one"), String::from("shot")];
    let joined = pool
        .apply(move || words.into_iter().collect::<Vec<_>>().join("-"), ())
        .unwrap(); // `into_iter` moves `words` out: the closure is FnOnce
    assert_eq!(joined, "one-shot");

    let owned = String::from("moved");
    let (done_tx, done_rx) = channel::bounded(1);
    let callbacks = Callbacks::new().on_success(move |s: &String| done_tx.send(s.len()).unwrap());
    let moved = pool
        .apply_async_with(
            move |suffix: &'static str| owned + suffix,
            ("!",),
            callbacks,
        )
        .unwrap();
    assert_eq!(moved.get_timeout(BOUND).unwrap(), "moved!");
    assert_eq!(done_rx.recv_timeout(BOUND).unwrap(), 6);
}

/// The action named by each error, which must all be `PoolReentered`.
fn reentered(errors: Vec<Option<Error>>) -> Vec<&'static str> {
    errors
        .into_iter()
        .map(|error| match error {
            Some(Error::PoolReentered { action, .. }) => action,
            other => panic!("expected PoolReentered, got {other:?}"),
        })
        .collect()
}

#[test]
fn a_task_that_waits_on_its_own_pool_gets_an_error_instead_of_hanging() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let outcome = pool
        .apply_async(
            move || {
                let pending = inner.apply_async(|| 1_u32, ()).unwrap(); // submitting is fine
                let mapping = inner.map_async(|n: u32| n, 0..3).unwrap();
                let errors = vec![
                    inner.apply(|| 1_u32, ()).err(),
                    inner.map(|n: u32| n, 0..3).err(),
                    inner.starmap(|a: u32, b: u32| a + b, [(1, 2)]).err(),
                    inner.imap(|n: u32| n, 0..3).next().and_then(Result::err),
                    pending.wait().err(),
                    mapping.wait().err(),
                    mapping.get().err(),
                    pending.get().err(),
                    inner.join().err(),
                ];
                // Another pool is no problem.
                let other = ThreadPool::new(1).unwrap();
                (reentered(errors), other.apply(|| 7_u32, ()).unwrap())
            },
            (),
        )
        .unwrap();
    let (actions, from_other_pool) = outcome.get_timeout(BOUND).unwrap();
    assert_eq!(
        actions,
        [
            "apply", "map", "starmap", "imap", "wait", "wait", "get", "get", "join"
        ]
    );
    assert_eq!(from_other_pool, 7);
    assert_eq!(pool.apply(|| 5_u32, ()).unwrap(), 5, "the pool goes on");
}

#[test]
fn a_saturated_pool_whose_tasks_call_it_does_not_hang() {
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let pending: Vec<_> = (0..6)
        .map(|n| {
            let inner = Arc::clone(&pool);
            pool.apply_async(move || inner.map(move |x: u32| x + n, 0..10), ())
                .unwrap()
        })
        .collect();
    for result in pending {
        let nested = result.get_timeout(BOUND).unwrap();
        assert!(
            matches!(nested, Err(Error::PoolReentered { action: "map", .. })),
            "{nested:?}"
        );
    }
}

#[test]
fn a_callback_that_waits_on_its_own_pool_gets_an_error_instead_of_hanging() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let (tx, rx) = channel::bounded(1);
    let callbacks = Callbacks::new().on_success(move |_: &u32| {
        let queued = inner.apply_async(|| 2_u32, ()).unwrap(); // submitting is fine
        tx.send([inner.apply(|| 3_u32, ()).err(), queued.get().err()])
            .unwrap();
    });
    let first = pool.apply_async_with(|| 1_u32, (), callbacks).unwrap();
    let errors = rx.recv_timeout(BOUND).expect("the callback returns");
    assert_eq!(reentered(errors.into()), ["apply", "get"]);
    assert_eq!(first.get_timeout(BOUND).unwrap(), 1);
}

/// Records, per id, how often a value was created and dropped.
#[derive(Debug, Default)]
struct Ledger {
    created: Mutex<Vec<usize>>,
    dropped: Mutex<Vec<usize>>,
}

#[derive(Debug)]
struct Tracked {
    id: usize,
    #[allow(dead_code)] // read only by `Drop`
    ledger: Arc<Ledger>,
}

impl Tracked {
    fn new(id: usize, ledger: &Arc<Ledger>) -> Self {
        let mut created = ledger.created.lock().unwrap();
        if created.len() <= id {
            created.resize(id + 1, 0);
        }
        created[id] += 1;
        Tracked {
            id,
            ledger: Arc::clone(ledger),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut dropped = self.ledger.dropped.lock().unwrap();
        if dropped.len() <= self.id {
            dropped.resize(self.id + 1, 0);
        }
        dropped[self.id] += 1;
    }
}

impl Ledger {
    /// Every value created was dropped exactly once.
    fn assert_balanced(&self) {
        let created = self.created.lock().unwrap().clone();
        let mut dropped = self.dropped.lock().unwrap().clone();
        dropped.resize(created.len(), 0);
        assert!(created.iter().all(|&n| n <= 1), "ids are unique");
        assert_eq!(created, dropped, "per id: created vs dropped");
    }
}

/// Results get ids from here on, items below.
const RESULT_IDS: usize = 1000;

#[test]
fn terminate_drops_every_item_and_result_of_a_map_exactly_once() {
    let ledger = Arc::new(Ledger::default());
    let pool = ThreadPool::new(1).unwrap();
    let (started_tx, started) = channel::bounded(1);
    let (release, released) = channel::bounded::<()>(1);
    let task_ledger = Arc::clone(&ledger);
    let items: Vec<Tracked> = (0..8).map(|id| Tracked::new(id, &ledger)).collect();
    let mapped = pool
        .map_async_with(
            move |item: Tracked| {
                if item.id == 0 {
                    started_tx.send(()).unwrap();
                    released.recv_timeout(BOUND).unwrap();
                }
                Tracked::new(RESULT_IDS + item.id, &task_ledger)
            },
            items,
            MapOptions::new().chunksize(2),
        )
        .unwrap();
    started.recv_timeout(BOUND).expect("the first chunk starts");
    pool.terminate(); // chunks 1..=3 are discarded; chunk 0 is running
    release.send(()).unwrap();
    let outcome = mapped.get_timeout(BOUND);
    assert!(matches!(outcome, Err(Error::PoolTerminated)), "{outcome:?}");
    ledger.assert_balanced();
    assert_eq!(
        ledger.created.lock().unwrap()[RESULT_IDS..]
            .iter()
            .sum::<usize>(),
        2,
        "the running chunk wrote its two results before they were discarded"
    );
    pool.join_timeout(BOUND).unwrap();
}

#[test]
fn a_refused_map_drops_every_item_exactly_once() {
    let ledger = Arc::new(Ledger::default());
    let pool = ThreadPool::new(2).unwrap();
    let task_ledger = Arc::clone(&ledger);
    // The input closes the pool while the map reads it: the first chunk is refused.
    let items = (0..8).map(|id| {
        if id == 4 {
            pool.close();
        }
        Tracked::new(id, &ledger)
    });
    let refused = pool.map_async_with(
        move |item: Tracked| Tracked::new(RESULT_IDS + item.id, &task_ledger),
        items,
        MapOptions::new().chunksize(2),
    );
    assert!(
        matches!(refused, Err(Error::PoolClosed { .. })),
        "{refused:?}"
    );
    pool.join_timeout(BOUND).unwrap();
    ledger.assert_balanced();
    assert_eq!(
        ledger.created.lock().unwrap().len(),
        8,
        "no result was made"
    );

    // Closing from inside the map's own task while it is still being submitted: whether the
    // pool refuses a chunk midway or not, every item and result is dropped exactly once.
    let ledger = Arc::new(Ledger::default());
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let (inner, task_ledger) = (Arc::clone(&pool), Arc::clone(&ledger));
    let items: Vec<Tracked> = (0..20_000).map(|id| Tracked::new(id, &ledger)).collect();
    let outcome = pool.map_async_with(
        move |item: Tracked| {
            if item.id == 0 {
                inner.close();
            }
            Tracked::new(100 * RESULT_IDS + item.id, &task_ledger)
        },
        items,
        MapOptions::new().chunksize(1),
    );
    pool.join_timeout(BOUND).unwrap();
    match outcome {
        Ok(mapped) => drop(mapped.get_timeout(BOUND)),
        Err(error) => assert!(matches!(error, Error::PoolClosed { .. }), "{error}"),
    }
    ledger.assert_balanced();
}
