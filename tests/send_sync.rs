//! Compile-time promises: which public types may cross threads (`Send`) and be shared between
//! them (`Sync`). A change inside the crate that breaks one fails this file's build, before it
//! can break a dependent (the same idea as tokio's `tests/async_send_sync.rs`).
//!
//! `assert_send_sync!` checks that a type *is* `Send` and `Sync`; `assert_send_not_sync!`
//! that it is `Send` and deliberately *not* `Sync` (a second `impl` makes the call ambiguous,
//! so it fails to compile, exactly when the type is `Sync`).

#![allow(dead_code)]

use std::fs::File;
use std::io::Sink;

use concurrency_lab::pool::{
    AsyncResult, Callbacks, IMap, MapOptions, MapResult, Pool, PoolBuilder, ProcessPool, Processes,
    Progress, ThreadPool, Threads,
};
use concurrency_lab::{Error, bench, coro, lab, timing, workers};

fn send<T: Send>() {}
fn sync<T: Sync>() {}

/// Implemented twice for every `Sync` type, once for every other: naming the item is
/// ambiguous — a compile error — exactly when `T: Sync`.
trait AmbiguousIfSync<A> {
    fn item() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

/// The same trick for `Send`.
trait AmbiguousIfSend<A> {
    fn item() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

macro_rules! assert_send_sync {
    ($($t:ty),+ $(,)?) => {
        $(const _: fn() = || {
            send::<$t>();
            sync::<$t>();
        };)+
    };
}

macro_rules! assert_send_not_sync {
    ($($t:ty),+ $(,)?) => {
        $(const _: fn() = || {
            send::<$t>();
            <$t as AmbiguousIfSync<_>>::item();
        };)+
    };
}

macro_rules! assert_neither {
    ($($t:ty),+ $(,)?) => {
        $(const _: fn() = || {
            <$t as AmbiguousIfSend<_>>::item();
            <$t as AmbiguousIfSync<_>>::item();
        };)+
    };
}

// ----- the crate root -----
assert_send_sync!(Error, concurrency_lab::Result<u32>);

// ----- pool -----
assert_send_sync!(
    ThreadPool,
    ProcessPool,
    Pool<Threads>,
    Pool<Processes>,
    Threads,
    Processes,
    PoolBuilder<Threads>,
    PoolBuilder<Processes>,
    AsyncResult<u32>,
    AsyncResult<Vec<String>>,
    MapResult<u32>,
    Progress,
);
// An `imap` over a `Send` input of a shareable task may move to another thread.
assert_send_sync!(IMap<'static, Threads, fn(u32) -> u32, std::ops::Range<u32>>);
// Callbacks are `FnOnce + Send` boxes, run by one thread: movable, not shareable.
assert_send_not_sync!(Callbacks<u32>, MapOptions<u32>);

// ----- timing -----
assert_send_sync!(
    timing::Stopwatch,
    timing::Measured<u32>,
    timing::Clock,
    timing::ClockInfo,
    timing::ClockProbe,
);

// ----- bench -----
assert_send_sync!(
    bench::Bench,
    bench::Report,
    bench::Stats,
    bench::Outliers,
    bench::Comparison<'static>,
);
// A group borrows the closures it times, which need be neither `Send` nor `Sync`.
assert_neither!(bench::Group<'static>);

// ----- workers -----
assert_send_sync!(
    workers::JoinableQueue<String>,
    workers::Full<String>,
    workers::WorkerGroup,
    workers::Worker,
    workers::WorkerReport,
    workers::ReaderPool<String>,
    workers::ReaderReport,
);

// ----- coro -----
assert_send_sync!(
    coro::Event,
    coro::Log<Sink>,
    coro::Log<File>,
    coro::Journal,
    coro::Entry,
    coro::Step,
    coro::Flavor,
    coro::Check,
    coro::CheckKind,
    coro::Verdict,
    coro::RunReport,
);

// ----- lab -----
assert_send_sync!(
    lab::async_gather::Gather,
    lab::async_gather::Settings,
    lab::async_gather::TaskMessage,
    lab::file_timing::FileTimings,
    lab::file_timing::Samples,
    lab::file_timing::Student,
    lab::file_timing::Durability,
    lab::range_count::Entry,
    lab::range_count::Report,
    lab::range_count::Variant,
    lab::some_worker::Settings,
    lab::some_worker::RunReport,
);

#[test]
fn a_pool_and_its_results_cross_threads() {
    // The promises above, used: a pool moved to another thread, and a result shared by two.
    let pool = ThreadPool::new(2).unwrap();
    let pending = std::thread::spawn(move || {
        let pending = pool.apply_async(|| 6 * 7, ()).unwrap();
        (pool, pending)
    })
    .join()
    .unwrap();
    let (pool, pending) = pending;
    let ready = std::thread::scope(|scope| {
        scope
            .spawn(|| pending.wait_timeout(std::time::Duration::from_secs(60)))
            .join()
            .unwrap()
    });
    assert!(ready);
    assert_eq!(pending.get().unwrap(), 42);
    pool.close();
}
