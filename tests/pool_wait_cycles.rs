//! Waits that could never end, refused at once (issue 18, item 2): a task's bounded wait on its
//! own one-worker pool, and pool A's task waiting on pool B whose task waits on A.
//!
//! Each of these hung, or waited the whole timeout, before the wait-for graph: every case runs
//! on a helper thread under [`within`], so a hang fails the test instead of stalling the run.
//! The waits given to the tasks are an hour long: a result before the bound means the wait
//! was refused, not sat out.

use std::sync::Arc;
use std::time::Duration;

use concurrency_lab::Error;
use concurrency_lab::pool::{Callbacks, ThreadPool};
use crossbeam::channel;

/// Bounds every wait of the tests: far above what any case needs when it does not hang.
const BOUND: Duration = Duration::from_secs(60);
/// What the tasks are told to wait: longer than any run, so sitting it out fails the bound.
const AN_HOUR: Duration = Duration::from_secs(3600);

/// Runs `work` on its own thread and waits at most [`BOUND`] for its value.
fn within<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel::bounded(1);
    std::thread::spawn(move || tx.send(work()).unwrap());
    rx.recv_timeout(BOUND)
        .expect("the work finishes in time: a wait that can never end must be refused")
}

/// The action and the cycle's description of a `WaitCycle`, or a panic naming what came.
fn cycle_of<T: std::fmt::Debug>(outcome: Result<T, Error>) -> (&'static str, String) {
    match outcome {
        Err(Error::WaitCycle { action, cycle, .. }) => (action, cycle),
        other => panic!("expected WaitCycle, got {other:?}"),
    }
}

/// The `WaitCycle` of a nested call `outer.apply(|| inner.apply(…))` in a cycle: whichever of
/// the two waits registers last closes the cycle and is refused, the outer (`Err`) or the inner
/// (`Ok(Err)`) — which one depends on how the threads are scheduled.
fn cycle_of_either<T: std::fmt::Debug>(
    outcome: Result<Result<T, Error>, Error>,
) -> (&'static str, String) {
    match outcome {
        Ok(inner) => cycle_of(inner),
        Err(outer) => cycle_of(Err::<(), _>(outer)),
    }
}

#[test]
fn a_bounded_wait_on_its_own_one_worker_pool_is_refused_at_once() {
    let (outcomes, after) = within(|| {
        let pool = Arc::new(ThreadPool::new(1).unwrap());
        let inner = Arc::clone(&pool);
        let outcomes = pool
            .apply(
                move || {
                    let get = inner
                        .apply_async(|| 1_u32, ())
                        .unwrap()
                        .get_timeout(AN_HOUR);
                    let forever = inner
                        .apply_async(|| 2_u32, ())
                        .unwrap()
                        .get_timeout(Duration::MAX);
                    let mapped = inner
                        .map_async(|n: u32| n, 0..3)
                        .unwrap()
                        .get_timeout(AN_HOUR);
                    let waited = inner
                        .apply_async(|| 3_u32, ())
                        .unwrap()
                        .wait_timeout(AN_HOUR);
                    inner.close();
                    let joined = inner.join_timeout(AN_HOUR);
                    (
                        cycle_of(get),
                        cycle_of(forever),
                        cycle_of(mapped),
                        waited,
                        cycle_of(joined),
                    )
                },
                (),
            )
            .unwrap();
        // The queued tasks still run, once the task that refused to wait has returned.
        pool.join_timeout(BOUND).unwrap();
        (outcomes, ())
    });
    let (get, forever, mapped, waited, joined) = outcomes;
    assert_eq!(get.0, "get_timeout");
    assert!(
        get.1.contains("worker \"pool-worker-0\" waits on pool #"),
        "{}",
        get.1
    );
    assert_eq!(forever.0, "get_timeout");
    assert_eq!(mapped.0, "get_timeout");
    assert!(
        !waited,
        "wait_timeout says at once that the result will not come"
    );
    assert_eq!(joined.0, "join_timeout");
    assert!(joined.1.contains("itself among them"), "{}", joined.1);
    let () = after;
}

#[test]
fn a_bounded_wait_with_a_free_worker_still_waits_for_its_result() {
    let value = within(|| {
        let pool = Arc::new(ThreadPool::new(2).unwrap());
        let inner = Arc::clone(&pool);
        pool.apply(
            move || {
                inner
                    .apply_async(|| 41_u32, ())
                    .unwrap()
                    .get_timeout(AN_HOUR)
            },
            (),
        )
        .unwrap()
    });
    assert_eq!(value.unwrap(), 41, "the second worker computes it");
}

#[test]
fn two_pools_whose_tasks_wait_on_each_other_are_refused_not_hung() {
    let outcome = within(|| {
        let a = Arc::new(ThreadPool::new(1).unwrap());
        let b = Arc::new(ThreadPool::new(1).unwrap());
        let (a_in_b, b_in_a) = (Arc::clone(&a), Arc::clone(&b));
        // A's task waits on B; B's task waits on A, whose only worker waits on B.
        a.apply(
            move || {
                let a_again = Arc::clone(&a_in_b);
                b_in_a.apply(move || a_again.apply(|| 1_u32, ()), ())
            },
            (),
        )
        .unwrap()
    });
    // Either wait may close the cycle and be refused; the other then ends, since the refused
    // one frees its worker.
    let (action, cycle) = cycle_of_either(outcome);
    assert_eq!(action, "apply");
    assert_eq!(
        cycle.matches("waits on pool #").count(),
        2,
        "both pools' waits are named: {cycle}"
    );
}

#[test]
fn a_callback_that_waits_on_a_pool_waiting_on_its_own_is_refused() {
    let (action, cycle) = within(|| {
        let a = Arc::new(ThreadPool::new(1).unwrap());
        let b = Arc::new(ThreadPool::new(1).unwrap());
        let (tx, rx) = channel::bounded(1);
        let a_in_b = Arc::clone(&a);
        let b_in_callback = Arc::clone(&b);
        // The callback runs on A's worker and waits on B, whose task waits on A.
        let callbacks = Callbacks::new().on_success(move |_: &u32| {
            let a_again = Arc::clone(&a_in_b);
            let nested = b_in_callback.apply(move || a_again.apply(|| 1_u32, ()), ());
            tx.send(nested).unwrap();
        });
        a.apply_async_with(|| 0_u32, (), callbacks).unwrap();
        let nested = rx.recv_timeout(BOUND).expect("the callback returns");
        cycle_of_either(nested)
    });
    assert_eq!(action, "apply");
    assert!(cycle.contains("pool-worker-0"), "{cycle}");
}

#[test]
fn the_reentry_error_no_longer_advises_a_second_pool_alone() {
    let nested = within(|| {
        let pool = Arc::new(ThreadPool::new(1).unwrap());
        let inner = Arc::clone(&pool);
        pool.apply(move || inner.apply(|| 1_u32, ()), ()).unwrap()
    });
    let message = nested.unwrap_err().to_string();
    assert!(
        message.contains("helps only if its tasks never wait on this one"),
        "{message}"
    );
}
