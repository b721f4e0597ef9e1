//! Promises that hold on both backends, checked on the process backend too: an `imap` whose
//! input panics, a callback that waits on its own pool, and one-shot `apply` on processes.
//!
//! Process pools started here re-run this test binary as their workers; the
//! `pool_worker_test!` below is what such a run executes. Every wait is bounded.

use std::sync::Arc;
use std::time::Duration;

use concurrency_lab::Error;
use concurrency_lab::pool::{Callbacks, Pool, ProcessPool, Runs, ThreadPool};
use crossbeam::channel;

concurrency_lab::pool_worker_test!();

/// Long enough never to trip on a loaded machine; it only bounds a wait that should not hang.
const BOUND: Duration = Duration::from_secs(60);

fn times_ten(n: u32) -> u32 {
    n * 10
}

fn one() -> u32 {
    1
}

/// Runs `work` on its own thread and waits at most [`BOUND`] for its value.
fn within<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel::bounded(1);
    std::thread::spawn(move || tx.send(work()).unwrap());
    rx.recv_timeout(BOUND)
        .expect("the work finishes in time, without panicking")
}

/// `imap(task, 0..10)` whose input panics at item 3, collected: written once for both
/// backends, the task passed in (a `fn` item's type has no name to bound on).
fn imap_over_a_panicking_input<B, F>(
    pool: &Pool<B>,
    task: F,
    ordered: bool,
    chunksize: usize,
    max_in_flight: Option<usize>,
) -> Vec<Result<u32, Error>>
where
    F: Fn(u32) -> u32 + Send + Sync + 'static,
    B: Runs<F, (u32,)>,
{
    let input = (0..10_u32).inspect(|n| assert!(*n != 3, "input item {n} is broken"));
    let imap = if ordered {
        pool.imap(task, input)
    } else {
        pool.imap_unordered(task, input)
    };
    let imap = imap.chunksize(chunksize);
    match max_in_flight {
        Some(chunks) => imap.max_in_flight(chunks).collect(),
        None => imap.collect(),
    }
}

/// Checks `0, 10, 20` (sorted, if unordered), then one error naming the input's panic.
fn assert_precedes_then_fails(outcomes: Vec<Result<u32, Error>>, ordered: bool) {
    let (last, before) = outcomes.split_last().expect("at least the error");
    let mut values: Vec<u32> = before.iter().map(|o| *o.as_ref().unwrap()).collect();
    if !ordered {
        values.sort_unstable();
    }
    assert_eq!(values, [0, 10, 20]);
    let error = last.as_ref().expect_err("the failure comes last");
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
    assert!(
        error.to_string().contains("input item 3 is broken"),
        "{error}"
    );
}

#[test]
fn imap_on_processes_yields_what_precedes_a_panicking_input_then_the_error() {
    let pool = Arc::new(ProcessPool::new(2).unwrap());
    let cases = [
        (true, 1, None),
        (true, 1, Some(1)),
        (true, 4, None),
        (false, 1, None),
    ];
    for (ordered, chunksize, max_in_flight) in cases {
        let pool = Arc::clone(&pool);
        let outcomes = within(move || {
            imap_over_a_panicking_input(&pool, times_ten, ordered, chunksize, max_in_flight)
        });
        assert_precedes_then_fails(outcomes, ordered);
    }
    assert_eq!(pool.map(times_ten, 0..3).unwrap(), [0, 10, 20]);
}

#[test]
fn the_same_generic_imap_runs_on_threads() {
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let outcomes = within(move || imap_over_a_panicking_input(&pool, times_ten, true, 1, Some(1)));
    assert_precedes_then_fails(outcomes, true);
}

#[test]
fn a_process_pool_callback_that_waits_on_its_pool_gets_an_error_instead_of_hanging() {
    // The callback runs on the parent's driver thread of the only worker: waiting there for
    // the pool would wait for itself.
    let pool = Arc::new(ProcessPool::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let (tx, rx) = channel::bounded(1);
    let callbacks = Callbacks::new().on_success(move |_: &u32| {
        let queued = inner.apply_async(one, ()).unwrap(); // submitting is fine
        let errors = [
            inner.apply(one, ()).err(),
            inner.map(times_ten, 0..3).err(),
            queued.get().err(),
            inner.join().err(),
        ];
        tx.send(errors).unwrap();
    });
    let first = pool.apply_async_with(one, (), callbacks).unwrap();
    let errors = rx.recv_timeout(BOUND).expect("the callback returns");
    let actions: Vec<&str> = errors
        .into_iter()
        .map(|error| match error {
            Some(Error::PoolReentered { action, .. }) => action,
            other => panic!("expected PoolReentered, got {other:?}"),
        })
        .collect();
    assert_eq!(actions, ["apply", "map", "get", "join"]);
    assert_eq!(first.get_timeout(BOUND).unwrap(), 1);
    assert_eq!(pool.apply(times_ten, (4,)).unwrap(), 40, "the pool goes on");
}
