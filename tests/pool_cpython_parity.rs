//! Parity with CPython's own tests of `multiprocessing.Pool` (`Lib/test/_test_multiprocessing.py`:
//! `_TestPool`, `_TestPoolWorkerErrors`, `_TestPoolWorkerLifetime`, `TestInitializers`,
//! `TestPoolNotLeakOnFailure`, `TestStdinBadfiledescriptor.test_pool_in_process`): each
//! behaviour those tests check, checked here through this crate's API, on both backends
//! wherever it applies. Each test's doc comment names the CPython test it mirrors; where the
//! Rust API says it differently (no keyword arguments, a panic for an exception, `Err` for a
//! raise), the comment says how.
//!
//! A test body runs on its own thread under a bound ([`bounded`]): a hang fails the test
//! instead of stalling the run. Process pools re-run this test binary as their workers; the
//! `pool_worker_test!` below is what such a run executes. No assertion depends on timing.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use concurrency_lab::Error;
use concurrency_lab::pool::{Callbacks, MapOptions, ProcessPool};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

concurrency_lab::pool_worker_test!();

/// Far above what any test here needs; it only bounds a wait that should not hang.
const BOUND: Duration = Duration::from_secs(120);

/// Runs `body` on its own thread and waits at most [`BOUND`] for it; a panic in it is the
/// test's failure, a hang fails the test too.
fn bounded(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(BOUND) {
        Ok(()) => runner.join().expect("the body returned"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: report its panic as this test's.
            if let Err(payload) = runner.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the test did not finish within {BOUND:?}: a wait is unbounded")
        }
    }
}

/// Defines `mod $name { fn threads(); fn processes(); }`: the same body, once with
/// `$Pool = ThreadPool` and once with `$Pool = ProcessPool`. The body may read the constant
/// `THREADS` for the one difference the backends promise: a running thread cannot be killed.
macro_rules! on_both_backends {
    ($(#[doc = $doc:literal])* $name:ident, |$Pool:ident| $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn threads() {
                bounded(|| {
                    #[allow(dead_code)]
                    const THREADS: bool = true;
                    type $Pool = concurrency_lab::pool::ThreadPool;
                    $body
                });
            }

            #[test]
            fn processes() {
                bounded(|| {
                    #[allow(dead_code)]
                    const THREADS: bool = false;
                    type $Pool = concurrency_lab::pool::ProcessPool;
                    $body
                });
            }
        }
    };
}

// ----- tasks: plain functions, so that they run on either backend -----

fn sqr(x: u64) -> u64 {
    x * x
}

fn mul(x: u64, y: u64) -> u64 {
    x * y
}

fn sleep_then_sqr(x: u64, millis: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(millis));
    x * x
}

fn sleep_ms(millis: u64) {
    std::thread::sleep(Duration::from_millis(millis));
}

fn identity<T>(value: T) -> T {
    value
}

/// Python's `int`: fails (panics) on text that is not a number.
fn parse(text: String) -> u64 {
    text.parse()
        .unwrap_or_else(|e| panic!("invalid literal {text:?}: {e}"))
}

/// `_TestPoolWorkerErrors.raising`: fails with a message of its own.
fn raising() -> u64 {
    panic!("key")
}

/// `_TestPool._test_traceback`: the failure whose location must travel with the error.
fn runtime_error() -> u64 {
    panic!("123") // some comment
}

/// `raise_large_valuerror`: fails, after `millis`, with a 1 MiB message.
fn raise_large(millis: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(millis));
    panic!("{}", "x".repeat(1 << 20))
}

/// The square of `n` and which worker computed it: process id and thread, unique to a worker
/// on either backend (a recycled worker is a new process, or a new thread).
fn whoami_sqr(n: u64) -> (u64, String) {
    (
        n * n,
        format!("{}/{:?}", std::process::id(), std::thread::current().id()),
    )
}

fn worker_pid() -> u32 {
    std::process::id()
}

/// Marks this worker present in `dir` and waits (at most 60 s) until `expected` workers are:
/// whether they all came. Only that many workers running at once can all return `true`.
fn rendezvous(dir: String, expected: usize) -> bool {
    let me = format!("{}-{:?}", std::process::id(), std::thread::current().id());
    std::fs::write(std::path::Path::new(&dir).join(me), b"").expect("temp dir is writable");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0) >= expected {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// The input `0..total` that panics when it reaches `when`, like CPython's
/// `exception_throwing_generator`.
fn throwing(total: u64, when: u64) -> impl Iterator<Item = u64> {
    (0..total).inspect(move |&n| assert!(n != when, "somebody said when"))
}

/// CPython's `SpecialIterable`: claims one item, panics when asked for it.
struct SpecialIterable;

impl Iterator for SpecialIterable {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        panic!("somebody said when")
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// An error as the callbacks below record it (`Error` is not `Clone`): the variant that
/// matters here with its message, or the whole error for any other.
fn describe(error: &Error) -> String {
    match error {
        Error::TaskPanicked { message, .. } => format!("TaskPanicked: {message}"),
        Error::Serialization {
            what,
            type_name,
            message,
            ..
        } => format!("Serialization of the {what}, a {type_name}: {message}"),
        other => format!("{other:?}"),
    }
}

/// Checks that `error` is the input's panic, reported as bad input (not as a task's failure).
fn assert_input_panicked(error: &Error) {
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert!(error.to_string().contains("somebody said when"), "{error}");
}

// ----- _TestPool -----

on_both_backends! {
    /// `test_apply`: `apply(sqr, (5,))`. Python's keyword form `apply(sqr, (), {'x': 3})` has no
    /// Rust counterpart (no keyword arguments); a function of two arguments stands for it.
    apply, |P| {
        let pool = P::new(4).unwrap();
        assert_eq!(pool.apply(sqr, (5,)).unwrap(), 25);
        assert_eq!(pool.apply(mul, (3, 7)).unwrap(), 21);
    }
}

on_both_backends! {
    /// `test_map`: `map` agrees with a plain loop, with the default chunk size and with 20.
    map, |P| {
        let pool = P::new(4).unwrap();
        let expected: Vec<u64> = (0..100).map(sqr).collect();
        assert_eq!(pool.map(sqr, 0..10).unwrap(), expected[..10]);
        let chunked = pool
            .map_async_with(sqr, 0..100, MapOptions::new().chunksize(20))
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(chunked, expected);
    }
}

on_both_backends! {
    /// `test_starmap`: `starmap` agrees with `itertools.starmap`, with chunk size 20 too.
    starmap, |P| {
        let pool = P::new(4).unwrap();
        let pairs = |n: u64| (0..n).zip((0..n).rev()).collect::<Vec<_>>();
        let expected = |n| pairs(n).into_iter().map(|(a, b)| a * b).collect::<Vec<_>>();
        assert_eq!(pool.starmap(mul, pairs(10)).unwrap(), expected(10));
        let chunked = pool
            .starmap_async_with(mul, pairs(100), MapOptions::new().chunksize(20))
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(chunked, expected(100));
    }
}

on_both_backends! {
    /// `test_starmap_async`.
    starmap_async, |P| {
        let pool = P::new(4).unwrap();
        let pairs: Vec<(u64, u64)> = (0..100).zip((0..100).rev()).collect();
        let expected: Vec<u64> = pairs.iter().map(|&(a, b)| a * b).collect();
        assert_eq!(pool.starmap_async(mul, pairs).unwrap().get().unwrap(), expected);
    }
}

on_both_backends! {
    /// `test_map_async`.
    map_async, |P| {
        let pool = P::new(4).unwrap();
        let expected: Vec<u64> = (0..10).map(sqr).collect();
        assert_eq!(pool.map_async(sqr, 0..10).unwrap().get().unwrap(), expected);
    }
}

/// What a map's callbacks saw: `Ok(all results)` from `callback`, `Err(error)` from
/// `error_callback`, in the order they were called.
type Seen = Arc<Mutex<Vec<Result<Vec<u64>, String>>>>;

fn recording(seen: &Seen) -> MapOptions<u64> {
    let (on_ok, on_err) = (Arc::clone(seen), Arc::clone(seen));
    MapOptions::new().callbacks(
        Callbacks::new()
            .on_success(move |all: &Vec<u64>| on_ok.lock().unwrap().push(Ok(all.clone())))
            .on_error(move |error: &Error| on_err.lock().unwrap().push(Err(describe(error)))),
    )
}

on_both_backends! {
    /// `test_map_async_callbacks`: after `wait`, exactly one of the two callbacks has run,
    /// exactly once — `callback` with the whole result, or `error_callback` with the error.
    map_async_callbacks, |P| {
        let pool = P::new(4).unwrap();
        let seen: Seen = Arc::default();
        let ok = pool.map_async_with(parse, ["1".to_owned()], recording(&seen)).unwrap();
        ok.wait().unwrap();
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(seen.lock().unwrap()[0].as_ref().unwrap(), &[1]);

        let failed = pool.map_async_with(parse, ["a".to_owned()], recording(&seen)).unwrap();
        failed.wait().unwrap();
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 2);
            let error = seen[1].as_ref().unwrap_err();
            assert!(error.starts_with("TaskPanicked: invalid literal \"a\""), "{error}");
        }
        assert!(failed.get().is_err());
        // Nothing runs a callback again later: close, drain, and count once more.
        pool.close();
        pool.join().unwrap();
        assert_eq!(seen.lock().unwrap().len(), 2);
    }
}

/// A value that refuses to be serialised: Python's object whose `__reduce__` raises.
#[derive(Debug, Clone, Deserialize)]
struct Unpicklable(u8);

impl Serialize for Unpicklable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("cannot pickle"))
    }
}

fn takes_unpicklable(value: Unpicklable) -> u8 {
    value.0
}

fn makes_unpicklable(n: u8) -> Unpicklable {
    Unpicklable(n)
}

/// `test_map_unplicklable` (processes only, as in CPython: threads serialise nothing): a map
/// whose items cannot be serialised fails with the serialiser's error instead of hanging, and
/// the pool goes on.
#[test]
fn map_unpicklable() {
    bounded(|| {
        let pool = ProcessPool::new(4).unwrap();
        let error = pool
            .map(takes_unpicklable, vec![Unpicklable(1); 10])
            .unwrap_err();
        assert!(
            matches!(&error, Error::Serialization { what: "arguments", message, .. }
                if message == "cannot pickle"),
            "{error:?}"
        );
        assert_eq!(pool.map(sqr, 0..3).unwrap(), [0, 1, 4]);
    });
}

on_both_backends! {
    /// `test_map_chunksize`: `map_async` over an empty input with a chunk size does not stall.
    /// And a chunk size of zero, which CPython's `map` cannot divide by, is refused.
    map_chunksize, |P| {
        let pool = P::new(4).unwrap();
        let empty = pool
            .map_async_with(sqr, Vec::<u64>::new(), MapOptions::new().chunksize(1))
            .unwrap()
            .get_timeout(BOUND)
            .unwrap();
        assert!(empty.is_empty());
        let zero = || MapOptions::new().chunksize(0);
        let refused = |result: Result<_, Error>| {
            matches!(result, Err(Error::InvalidInput { what: "chunksize", .. }))
        };
        assert!(refused(pool.map_async_with(sqr, 0..10, zero()).map(drop)));
        assert!(refused(pool.map_async_with(sqr, Vec::<u64>::new(), zero()).map(drop)));
        assert!(refused(pool.starmap_async_with(mul, [(1, 2)], zero()).map(drop)));
        assert!(refused(pool.imap(sqr, 0..10).chunksize(0).next().unwrap().map(drop)));
        assert!(refused(pool.imap_unordered(sqr, 0..10).chunksize(0).next().unwrap().map(drop)));
        assert_eq!(pool.map(sqr, 0..3).unwrap(), [0, 1, 4], "the pool goes on");
    }
}

on_both_backends! {
    /// `test_map_handle_iterable_exception`: an input that fails — at its first item, at its
    /// fourth, or one whose size hint promises an item it cannot give — makes `map` fail with
    /// that failure (here: `Error::InvalidInput` naming the panic), and the pool stays usable
    /// ("make sure it's reentrant").
    map_handle_iterable_exception, |P| {
        let pool = P::new(4).unwrap();
        let one_by_one = || MapOptions::new().chunksize(1);
        for _ in 0..2 {
            assert_input_panicked(&pool.map(sqr, throwing(1, 0)).unwrap_err());
        }
        let error = pool.map_async_with(sqr, throwing(10, 3), one_by_one()).unwrap_err();
        assert_input_panicked(&error);
        assert!(
            matches!(error, Error::InvalidInput { what: "input iterator", ref value, .. }
                if value == "map_async"),
            "{error:?}"
        );
        for _ in 0..2 {
            let error = pool.map_async_with(sqr, SpecialIterable, one_by_one()).unwrap_err();
            assert_input_panicked(&error);
        }
        assert_input_panicked(&pool.starmap(mul, throwing(5, 2).map(|n| (n, n))).unwrap_err());
        assert_eq!(pool.map(sqr, 0..4).unwrap(), [0, 1, 4, 9], "the pool goes on");
    }
}

on_both_backends! {
    /// `test_async`: `apply_async(...).get()`.
    async_get, |P| {
        let pool = P::new(4).unwrap();
        assert_eq!(pool.apply_async(sleep_then_sqr, (7, 100)).unwrap().get().unwrap(), 49);
    }
}

on_both_backends! {
    /// `test_async_timeout`: `get(timeout)` on a result not in yet is a timeout error; the task
    /// is not cancelled, and its result still arrives. (`get_timeout` consumes its handle, so
    /// the waiting-again half uses `wait_timeout`, which keeps it.)
    async_timeout, |P| {
        let pool = P::new(3).unwrap();
        let short = Duration::from_millis(50);
        let given_up = pool.apply_async(sleep_then_sqr, (6, 1_000)).unwrap();
        let error = given_up.get_timeout(short).unwrap_err();
        assert!(matches!(error, Error::Timeout { waited, .. } if waited == short), "{error:?}");

        let later = pool.apply_async(sleep_then_sqr, (6, 1_000)).unwrap();
        assert!(!later.wait_timeout(short), "a 1 s task is not done after 50 ms");
        assert_eq!(later.successful(), None);
        assert_eq!(later.get_timeout(BOUND).unwrap(), 36, "the result still arrives");
        pool.terminate();
        pool.join().unwrap();
    }
}

on_both_backends! {
    /// `test_imap`: in order, one item at a time, then `None` (Python's `StopIteration`) for
    /// good; with a chunk size of 100 too.
    imap, |P| {
        let pool = P::new(4).unwrap();
        let all: Vec<u64> = pool.imap(sqr, 0..10).collect::<Result<_, _>>().unwrap();
        assert_eq!(all, (0..10).map(sqr).collect::<Vec<_>>());

        let mut it = pool.imap(sqr, 0..10);
        for n in 0..10 {
            assert_eq!(it.next().unwrap().unwrap(), n * n);
        }
        assert!(it.next().is_none());
        assert!(it.next().is_none());

        let mut it = pool.imap(sqr, 0..1000).chunksize(100);
        for n in 0..1000 {
            assert_eq!(it.next().unwrap().unwrap(), n * n);
        }
        assert!(it.next().is_none());
    }
}

/// The values before the first error (sorted if `sort`), and that error; checks that nothing
/// follows the error.
fn values_then_error(outcomes: Vec<Result<u64, Error>>, sort: bool) -> (Vec<u64>, Error) {
    let mut outcomes = outcomes.into_iter();
    let mut values = Vec::new();
    for outcome in outcomes.by_ref() {
        match outcome {
            Ok(value) => values.push(value),
            Err(error) => {
                assert!(outcomes.next().is_none(), "nothing follows the error");
                if sort {
                    values.sort_unstable();
                }
                return (values, error);
            }
        }
    }
    panic!("no error after {values:?}")
}

on_both_backends! {
    /// `test_imap_handle_iterable_exception`: the input's failure comes out of `next` after the
    /// results that precede it, and again on a fresh `imap` ("reentrant"). Python loses the
    /// items of the chunk being read when its input fails (6 of 7 items come out with chunks of
    /// 2, 4 of 7 with chunks of 4); this `imap` runs every item it read, so all 7 come out.
    imap_handle_iterable_exception, |P| {
        let pool = P::new(4).unwrap();
        for _ in 0..2 {
            let mut it = pool.imap(sqr, throwing(1, 0));
            assert_input_panicked(&it.next().unwrap().unwrap_err());
            assert!(it.next().is_none());
        }
        let (values, error) = values_then_error(pool.imap(sqr, throwing(10, 3)).collect(), false);
        assert_eq!(values, [0, 1, 4]);
        assert_input_panicked(&error);
        for chunksize in [2, 4] {
            let outcomes = pool.imap(sqr, throwing(20, 7)).chunksize(chunksize).collect();
            let (values, error) = values_then_error(outcomes, false);
            assert_eq!(values, (0..7).map(sqr).collect::<Vec<_>>(), "chunksize {chunksize}");
            assert_input_panicked(&error);
        }
    }
}

on_both_backends! {
    /// `test_imap_unordered`: every result, in some order; with a chunk size of 100 too.
    imap_unordered, |P| {
        let pool = P::new(4).unwrap();
        let mut all: Vec<u64> = pool.imap_unordered(sqr, 0..10).collect::<Result<_, _>>().unwrap();
        all.sort_unstable();
        assert_eq!(all, (0..10).map(sqr).collect::<Vec<_>>());
        let mut all: Vec<u64> = pool
            .imap_unordered(sqr, 0..1000)
            .chunksize(100)
            .collect::<Result<_, _>>()
            .unwrap();
        all.sort_unstable();
        assert_eq!(all, (0..1000).map(sqr).collect::<Vec<_>>());
    }
}

on_both_backends! {
    /// `test_imap_unordered_handle_iterable_exception`: results of items read before the
    /// failure, each at most once, then the failure.
    imap_unordered_handle_iterable_exception, |P| {
        let pool = P::new(4).unwrap();
        for _ in 0..2 {
            let mut it = pool.imap_unordered(sqr, throwing(1, 0));
            assert_input_panicked(&it.next().unwrap().unwrap_err());
            assert!(it.next().is_none());
        }
        for (total, when, chunksize) in [(10, 3, 1), (20, 7, 2)] {
            let outcomes = pool.imap_unordered(sqr, throwing(total, when)).chunksize(chunksize).collect();
            let (values, error) = values_then_error(outcomes, true);
            assert_eq!(values, (0..when).map(sqr).collect::<Vec<_>>());
            assert_input_panicked(&error);
        }
    }
}

on_both_backends! {
    /// `test_make_pool`: zero workers is an error (Python's `ValueError`; a negative count
    /// cannot be written with `usize`); three workers make a pool of three.
    make_pool, |P| {
        assert!(matches!(P::new(0), Err(Error::InvalidInput { what: "workers", .. })));
        assert!(matches!(
            P::builder().workers(0).build(),
            Err(Error::InvalidInput { what: "workers", .. })
        ));
        let pool = P::new(3).unwrap();
        assert_eq!(pool.workers(), 3);
        pool.close();
        pool.join().unwrap();
    }
}

on_both_backends! {
    /// `test_terminate`: 10,000 slow tasks queued one per chunk; `terminate` then `join`
    /// return without running them. Worker processes are killed mid-task; a worker thread
    /// cannot be, so on threads a task is 1 s long (as in CPython) and the running ones finish.
    terminate, |P| {
        let pool = P::new(3).unwrap();
        let millis = if THREADS { 1_000 } else { 60_000 };
        let queued = pool
            .map_async_with(sleep_ms, vec![millis; 10_000], MapOptions::new().chunksize(1))
            .unwrap();
        let behind = pool.apply_async(sqr, (2,)).unwrap();
        pool.terminate();
        pool.join().unwrap();
        assert!(matches!(queued.get_timeout(BOUND), Err(Error::PoolTerminated)));
        assert!(matches!(behind.get_timeout(BOUND), Err(Error::PoolTerminated)));
        pool.terminate(); // again: nothing left to do, and no error
        pool.close();
        pool.join().unwrap();
    }
}

on_both_backends! {
    /// `test_empty_iterable`: `map`, `imap`, `imap_unordered`, `map_async` (and `starmap`) over
    /// nothing give nothing, on a pool of one; then `close` and `join`.
    empty_iterable, |P| {
        let pool = P::new(1).unwrap();
        let none = Vec::<u64>::new;
        assert!(pool.map(sqr, none()).unwrap().is_empty());
        assert_eq!(pool.imap(sqr, none()).count(), 0);
        assert_eq!(pool.imap_unordered(sqr, none()).count(), 0);
        assert!(pool.map_async(sqr, none()).unwrap().get().unwrap().is_empty());
        assert!(pool.starmap(mul, Vec::<(u64, u64)>::new()).unwrap().is_empty());
        pool.close();
        pool.join().unwrap();
    }
}

on_both_backends! {
    /// `test_context` and `test_enter`: leaving Python's `with Pool() as p:` terminates the
    /// pool; `join` still works after it, and any further use is an error (`ValueError` there,
    /// `Error::PoolClosed` here). Dropping the pool is the `with` block's end; with the pool
    /// still at hand, `terminate` is.
    context_and_enter, |P| {
        let pool = P::new(2).unwrap();
        let expected: Vec<u64> = (0..10).map(sqr).collect();
        assert_eq!(pool.map_async(sqr, 0..10).unwrap().get().unwrap(), expected);
        pool.terminate();
        pool.join().unwrap();
        assert!(matches!(pool.map_async(sqr, 0..10), Err(Error::PoolClosed { action: "map_async", .. })));
        assert!(matches!(pool.apply(sqr, (1,)), Err(Error::PoolClosed { action: "apply", .. })));
        assert!(matches!(pool.apply_async(sqr, (1,)), Err(Error::PoolClosed { .. })));
        assert!(matches!(pool.starmap(mul, [(1, 2)]), Err(Error::PoolClosed { .. })));
        assert!(matches!(pool.imap(sqr, 0..3).next(), Some(Err(Error::PoolClosed { .. }))));
        pool.join().unwrap(); // joining twice is fine
    }
}

on_both_backends! {
    /// `test_traceback`: a task's failure reaches the caller with where it happened (CPython's
    /// `RemoteTraceback` holding the raising line), on both backends. And a failure of the
    /// *input*, which runs in the caller, is not dressed up as a task's failure.
    traceback, |P| {
        let pool = P::new(1).unwrap();
        let error = pool.apply(runtime_error, ()).unwrap_err();
        match &error {
            Error::TaskPanicked { message, location, .. } => {
                assert_eq!(message, "123");
                let location = location.as_deref().expect("the panic's location");
                assert!(location.starts_with("tests/pool_cpython_parity.rs:"), "{location}");
            }
            other => panic!("expected TaskPanicked, got {other:?}"),
        }
        assert!(error.to_string().contains("tests/pool_cpython_parity.rs:"), "{error}");
        let error = pool.map(sqr, throwing(1, 0)).unwrap_err();
        assert_input_panicked(&error);
    }
}

on_both_backends! {
    /// `test_wrapped_exception`: a task's failure comes back as itself — `TaskPanicked` with
    /// its own message — on threads as on processes, not wrapped in a backend's error.
    wrapped_exception, |P| {
        let pool = P::new(1).unwrap();
        let error = pool.apply(raising, ()).unwrap_err();
        assert!(matches!(&error, Error::TaskPanicked { message, .. } if message == "key"), "{error:?}");
    }
}

on_both_backends! {
    /// `test_map_no_failfast`: a map whose tasks fail with a large (1 MiB) error reports it,
    /// and `close` then `join` do not deadlock; the other item still ran to its end.
    map_no_failfast, |P| {
        let pool = P::new(2).unwrap();
        let error = pool.map(raise_large, [0, 300]).unwrap_err();
        assert!(
            matches!(&error, Error::TaskPanicked { message, .. } if message.len() == 1 << 20),
            "a TaskPanicked carrying the whole 1 MiB message"
        );
        pool.close();
        pool.join().unwrap();
    }
}

/// `test_release_task_refs` on threads: once `map` has returned and its results are dropped,
/// the pool holds on to none of the items (Python checks with weak references; an `Arc`'s
/// strong count says the same here).
#[test]
fn release_task_refs_threads() {
    bounded(|| {
        let pool = concurrency_lab::pool::ThreadPool::new(4).unwrap();
        let objs: Vec<Arc<u64>> = (0..10).map(Arc::new).collect();
        let results = pool.map(identity, objs.clone()).unwrap();
        assert!(results.iter().zip(&objs).all(|(r, o)| Arc::ptr_eq(r, o)));
        drop(results);
        for obj in &objs {
            assert_eq!(Arc::strong_count(obj), 1, "the pool kept an item");
        }
    });
}

/// Live `Counted` values in this process, as CPython's `CountedObject.n_instances`.
static COUNTED_LIVE: AtomicIsize = AtomicIsize::new(0);

/// A value that counts its live instances in the process it lives in.
#[derive(Debug)]
struct Counted;

impl Counted {
    fn new() -> Self {
        COUNTED_LIVE.fetch_add(1, Ordering::SeqCst);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        COUNTED_LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Serialize for Counted {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer)?;
        Ok(Counted::new())
    }
}

/// `test_release_task_refs` on processes: the items, and the copies the results are made of,
/// are all released once `map` has returned and its results are dropped ("With a process
/// pool, copies of the objects are returned, check they were released too").
#[test]
fn release_task_refs_processes() {
    bounded(|| {
        let pool = ProcessPool::new(4).unwrap();
        let objs: Vec<Counted> = (0..10).map(|_| Counted::new()).collect();
        let results = pool.map(identity, objs).unwrap();
        assert_eq!(results.len(), 10);
        drop(results);
        assert_eq!(
            COUNTED_LIVE.load(Ordering::SeqCst),
            0,
            "a Counted is still alive"
        );
    });
}

/// `test_resource_warning`, in so far as it applies: Rust has no resource warnings, and a
/// dropped pool is not an unclosed one — dropping terminates it, as leaving `with Pool()`
/// does. What must hold is that nothing waits forever on a dropped pool's results.
mod resource_warning {
    use super::*;

    #[test]
    fn threads() {
        bounded(|| {
            let pool = concurrency_lab::pool::ThreadPool::new(1).unwrap();
            let (started_tx, started) = crossbeam::channel::bounded::<()>(1);
            let (release, released) = crossbeam::channel::bounded::<()>(1);
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
            let queued = pool.apply_async(sqr, (3,)).unwrap();
            drop(pool);
            assert!(matches!(
                queued.get_timeout(BOUND),
                Err(Error::PoolTerminated)
            ));
            release.send(()).unwrap();
            assert!(busy.get_timeout(BOUND).unwrap(), "a running task finishes");
        });
    }

    #[test]
    fn processes() {
        bounded(|| {
            let pool = ProcessPool::new(1).unwrap();
            let busy = pool.apply_async(sleep_ms, (60_000,)).unwrap();
            let queued = pool.apply_async(sqr, (3,)).unwrap();
            drop(pool);
            assert!(matches!(
                busy.get_timeout(BOUND),
                Err(Error::PoolTerminated)
            ));
            assert!(matches!(
                queued.get_timeout(BOUND),
                Err(Error::PoolTerminated)
            ));
        });
    }
}

on_both_backends! {
    /// Not one CPython test but what its tests lean on: `join` before `close` (or `terminate`)
    /// is an error (Python's `ValueError: Pool is still running`), not a wait forever.
    join_before_close, |P| {
        let pool = P::new(2).unwrap();
        assert!(matches!(pool.join(), Err(Error::PoolNotClosed)));
        assert!(matches!(pool.join_timeout(Duration::from_millis(1)), Err(Error::PoolNotClosed)));
        assert_eq!(pool.apply(sqr, (4,)).unwrap(), 16, "the refused join changed nothing");
        pool.close();
        pool.join().unwrap();
    }
}

// ----- _TestPoolWorkerErrors -----

on_both_backends! {
    /// `test_async_error_callback`: `get` fails with the task's error, and `error_callback`
    /// got that error — once, and `callback` never.
    async_error_callback, |P| {
        let pool = P::new(2).unwrap();
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let successes = Arc::new(AtomicUsize::new(0));
        let (record, count) = (Arc::clone(&errors), Arc::clone(&successes));
        let callbacks = Callbacks::new()
            .on_success(move |_: &u64| {
                count.fetch_add(1, Ordering::SeqCst);
            })
            .on_error(move |error: &Error| record.lock().unwrap().push(describe(error)));
        let result = pool.apply_async_with(raising, (), callbacks).unwrap();
        let error = result.get().unwrap_err();
        assert!(matches!(&error, Error::TaskPanicked { message, .. } if message == "key"), "{error:?}");
        pool.close();
        pool.join().unwrap();
        let errors = errors.lock().unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0], "TaskPanicked: key");
        assert_eq!(successes.load(Ordering::SeqCst), 0);
    }
}

/// `test_unpickleable_result` (processes only): 20 times over, a result that cannot be
/// serialised fails its task with a serialisation error, given to `get` and to
/// `error_callback` alike, and the pool does not lose its worker over it.
#[test]
fn unpickleable_result() {
    bounded(|| {
        let pool = ProcessPool::new(1).unwrap();
        let worker = pool.apply(worker_pid, ()).unwrap();
        for _ in 0..20 {
            let seen: Arc<Mutex<Vec<String>>> = Arc::default();
            let record = Arc::clone(&seen);
            let callbacks = Callbacks::new()
                .on_error(move |error: &Error| record.lock().unwrap().push(describe(error)));
            let result = pool
                .apply_async_with(makes_unpicklable, (7,), callbacks)
                .unwrap();
            let error = result.get().unwrap_err();
            assert!(
                matches!(&error, Error::Serialization { what: "result", type_name, message, .. }
                    if type_name.contains("Unpicklable") && message == "cannot pickle"),
                "{error:?}"
            );
            assert_eq!(
                *seen.lock().unwrap(),
                [describe(&error)],
                "error_callback, once"
            );
        }
        assert_eq!(
            pool.apply(worker_pid, ()).unwrap(),
            worker,
            "the worker was replaced"
        );
        pool.close();
        pool.join().unwrap();
    });
}

/// Counts how often each of a result's callbacks ran: `(successes, errors)`.
type Calls = Arc<(AtomicUsize, AtomicUsize)>;

fn counting<T>(calls: &Calls) -> Callbacks<T> {
    let (ok, err) = (Arc::clone(calls), Arc::clone(calls));
    Callbacks::new()
        .on_success(move |_: &T| {
            ok.0.fetch_add(1, Ordering::SeqCst);
        })
        .on_error(move |_: &Error| {
            err.1.fetch_add(1, Ordering::SeqCst);
        })
}

fn calls(calls: &Calls) -> (usize, usize) {
    (
        calls.0.load(Ordering::SeqCst),
        calls.1.load(Ordering::SeqCst),
    )
}

on_both_backends! {
    /// What CPython's callback tests assume, on the paths they do not walk: a callback runs
    /// exactly once even when nobody holds the result's handle any more, and a map that
    /// `terminate` cuts short calls `error_callback` — once — with `PoolTerminated`.
    callbacks_run_exactly_once, |P| {
        let pool = P::new(2).unwrap();
        let (done, failed) = (Calls::default(), Calls::default());
        drop(pool.apply_async_with(sqr, (3,), counting(&done)).unwrap());
        drop(pool.apply_async_with(raising, (), counting(&failed)).unwrap());
        pool.close();
        pool.join().unwrap();
        assert_eq!(calls(&done), (1, 0));
        assert_eq!(calls(&failed), (0, 1));

        let pool = P::new(1).unwrap();
        let cut = Calls::default();
        let millis = if THREADS { 200 } else { 60_000 };
        let options = MapOptions::new().chunksize(1).callbacks(counting(&cut));
        let running = pool.map_async_with(sleep_ms, vec![millis; 50], options).unwrap();
        pool.terminate();
        pool.join().unwrap();
        assert!(matches!(running.get_timeout(BOUND), Err(Error::PoolTerminated)));
        assert_eq!(calls(&cut), (0, 1));
    }
}

fn exit_with_3() -> u64 {
    std::process::exit(3)
}

/// Beyond CPython, whose `Pool` waits forever for a task whose worker died (bpo-22393): a
/// worker process that exits mid-task fails that task with `WorkerDied` — to `get` and to
/// `error_callback`, once — and a fresh worker takes its place.
#[test]
fn a_worker_that_exits_mid_task_fails_its_task_once() {
    bounded(|| {
        let pool = ProcessPool::new(1).unwrap();
        let calls_made = Calls::default();
        let result = pool
            .apply_async_with(exit_with_3, (), counting(&calls_made))
            .unwrap();
        let error = result.get_timeout(BOUND).unwrap_err();
        assert!(
            matches!(&error, Error::WorkerDied { exit, .. }
                if *exit == concurrency_lab::pool::WorkerExit::Code(3)),
            "{error:?}"
        );
        assert_eq!(pool.apply(sqr, (5,)).unwrap(), 25, "a fresh worker");
        pool.close();
        pool.join().unwrap();
        assert_eq!(calls(&calls_made), (0, 1));
    });
}

// ----- _TestPoolWorkerLifetime -----

on_both_backends! {
    /// `test_pool_worker_lifetime`: three workers retiring after 10 tasks each run 100 tasks
    /// right, on workers that were replaced: no worker ran more than 10 tasks, so at least 10
    /// different workers ran them. Afterwards the pool has three live workers again: three
    /// tasks that each wait for the other two all meet.
    pool_worker_lifetime, |P| {
        let pool = P::builder().workers(3).max_tasks_per_child(10).build().unwrap();
        assert_eq!(pool.workers(), 3);
        let pending: Vec<_> = (0..100).map(|n| pool.apply_async(whoami_sqr, (n,)).unwrap()).collect();
        let mut runs: std::collections::HashMap<String, usize> = Default::default();
        for (n, result) in (0..).zip(pending) {
            let (square, worker) = result.get().unwrap();
            assert_eq!(square, n * n);
            *runs.entry(worker).or_default() += 1;
        }
        assert!(runs.len() >= 10, "only {} workers ran 100 tasks: {runs:?}", runs.len());
        assert!(runs.values().all(|&tasks| tasks <= 10), "{runs:?}");
        let meeting = std::env::temp_dir()
            .join(format!("clab-parity-meet-{}-{}", std::process::id(), THREADS))
            .to_string_lossy()
            .into_owned();
        let _ = std::fs::remove_dir_all(&meeting);
        std::fs::create_dir(&meeting).unwrap();
        let met: Vec<_> = (0..3).map(|_| pool.apply_async(rendezvous, (meeting.clone(), 3)).unwrap()).collect();
        let met: Vec<bool> = met.into_iter().map(|m| m.get().unwrap()).collect();
        let _ = std::fs::remove_dir_all(&meeting);
        assert_eq!(met, [true; 3], "three workers were alive at once");
        pool.close();
        pool.join().unwrap();
    }
}

on_both_backends! {
    /// `test_pool_worker_lifetime_early_close`: closing a pool whose workers retire after one
    /// task, while its tasks still run, neither hangs `join` nor loses a result.
    pool_worker_lifetime_early_close, |P| {
        let pool = P::builder().workers(3).max_tasks_per_child(1).build().unwrap();
        let pending: Vec<_> = (0..6).map(|n| pool.apply_async(sleep_then_sqr, (n, 300)).unwrap()).collect();
        pool.close();
        pool.join().unwrap();
        for (n, result) in (0..).zip(pending) {
            assert!(result.ready(), "joined, so done");
            assert_eq!(result.get().unwrap(), n * n);
        }
    }
}

on_both_backends! {
    /// `test_pool_maxtasksperchild_invalid`: a task limit of zero is an error. (CPython also
    /// refuses -1, 0.5 and "12"; with `usize`, those do not compile.)
    pool_maxtasksperchild_invalid, |P| {
        let built = P::builder().workers(3).max_tasks_per_child(0).build();
        assert!(matches!(built, Err(Error::InvalidInput { what: "max_tasks_per_child", .. })));
    }
}

/// Set (to anything) in the child that plays [`pool_in_a_static_role`].
const STATIC_POOL_ROLE: &str = "POOL_CPYTHON_PARITY_STATIC_POOL";

/// `test_worker_finalization_via_atexit_handler_of_multiprocessing`: a program that keeps its
/// process pool somewhere it is never dropped (a `static`, where Python keeps it in a global
/// object) and ends normally exits with status 0 — promptly — and leaves no worker behind.
#[test]
fn worker_finalization_at_exit() {
    bounded(|| {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "pool_in_a_static_role",
                "--nocapture",
            ])
            .env(STATIC_POOL_ROLE, "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > BOUND / 2 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the program with a pool in a static did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            status.success(),
            "{status}: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let worker: u32 = stdout
            .lines()
            .find_map(|line| line.strip_prefix("static pool worker "))
            .and_then(|pid| pid.trim().parse().ok())
            .unwrap_or_else(|| panic!("the role did not run: {stdout}"));
        // The worker was the child's, not ours: once orphaned, init reaps it.
        let gone = (0..500).any(|_| {
            let alive = std::fs::read_to_string(format!("/proc/{worker}/stat")).is_ok_and(|stat| {
                !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            });
            if alive {
                std::thread::sleep(Duration::from_millis(100));
            }
            !alive
        });
        assert!(gone, "worker {worker} outlived its program");
    });
}

/// The role [`worker_finalization_at_exit`] starts this binary for; run otherwise (`cargo test
/// -- --ignored`), it does nothing.
#[test]
#[ignore = "a role played by a child of worker_finalization_at_exit"]
fn pool_in_a_static_role() {
    if std::env::var_os(STATIC_POOL_ROLE).is_none() {
        return;
    }
    static POOL: OnceLock<ProcessPool> = OnceLock::new();
    let pool = POOL.get_or_init(|| ProcessPool::new(1).unwrap());
    let floats = pool.map(to_float, 0..10).unwrap();
    assert_eq!(floats[9], 9.0);
    println!("static pool worker {}", pool.apply(worker_pid, ()).unwrap());
}

fn to_float(n: u32) -> f64 {
    f64::from(n)
}

/// A task that starts a process pool of its own, in the worker it runs in, and maps on it.
fn map_on_a_pool_of_its_own(n: u64) -> Vec<u64> {
    let inner = ProcessPool::new(2).expect("a worker may start a pool");
    inner.map(sqr, 0..n).expect("the inner map")
}

/// `TestStdinBadfiledescriptor.test_pool_in_process`: a pool works inside a child process —
/// here the child is a pool worker, whose task starts a process pool of its own (Python
/// refuses that one, as its pool workers are daemonic; nothing here needs to). The inner
/// workers re-run this binary too and serve the worker that started them.
#[test]
fn pool_in_process() {
    bounded(|| {
        let pool = ProcessPool::new(1).unwrap();
        let squares = pool.apply(map_on_a_pool_of_its_own, (10,)).unwrap();
        assert_eq!(squares, (0..10).map(sqr).collect::<Vec<_>>());
        pool.close();
        pool.join().unwrap();
    });
}

// ----- TestInitializers, TestPoolNotLeakOnFailure -----

/// How often this process ran [`count_initialization`].
static INITIALIZED: AtomicUsize = AtomicUsize::new(0);

fn count_initialization() {
    INITIALIZED.fetch_add(1, Ordering::SeqCst);
}

fn initializations() -> usize {
    INITIALIZED.load(Ordering::SeqCst)
}

on_both_backends! {
    /// `TestInitializers.test_pool_initializer`: a pool of one worker runs its initializer
    /// once, before its tasks. (CPython's `initializer=1`, a `TypeError`, does not compile.)
    pool_initializer, |P| {
        let pool = P::builder().workers(1).initializer(count_initialization).build().unwrap();
        assert_eq!(pool.apply(initializations, ()).unwrap(), 1);
        pool.close();
        pool.join().unwrap();
        assert_eq!(pool.workers(), 1);
    }
}

/// Where the workers of [`pool_not_leak_on_failure`] write their pids: a directory named after
/// the test process, which is each worker's parent.
fn leak_dir(test_pid: u32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("clab-parity-leak-{test_pid}"))
}

/// The initializer of [`pool_not_leak_on_failure`]: records this worker, then lets the first
/// worker through and fails every later one, so the pool fails to start midway.
fn second_worker_fails() {
    let dir = leak_dir(std::os::unix::process::parent_id());
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    std::fs::write(dir.join(std::process::id().to_string()), b"").expect("temp dir is writable");
    let started = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    if started >= 2 {
        panic!("worker number {started} refuses to start");
    }
}

/// `TestPoolNotLeakOnFailure.test_release_unused_processes`: when a pool fails to start
/// midway, the workers it did start do not outlive the failure, not even as zombies.
#[test]
fn pool_not_leak_on_failure() {
    bounded(|| {
        let dir = leak_dir(std::process::id());
        let _ = std::fs::remove_dir_all(&dir);
        let built = ProcessPool::builder()
            .workers(3)
            .initializer(second_worker_fails)
            .build();
        let pids: HashSet<u32> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| {
                entry
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .parse()
                    .unwrap()
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(&built, Err(Error::InitializerPanicked { message, .. }) if message.contains("refuses to start")),
            "{built:?}"
        );
        assert!(pids.len() >= 2, "workers started: {pids:?}");
        // These were our children: gone means reaped, not merely dead. Allow for the time a
        // killed process takes to die, not for one that is never reaped.
        let reaped = |pid: &u32| {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid as i32), None).is_err()
        };
        let all_reaped = (0..500).any(|_| {
            let done = pids.iter().all(reaped);
            if !done {
                std::thread::sleep(Duration::from_millis(100));
            }
            done
        });
        assert!(
            all_reaped,
            "left behind: {:?}",
            pids.iter().filter(|p| !reaped(p)).collect::<Vec<_>>()
        );
    });
}
