//! `ThreadPool::join` joins the worker threads, as Python's `Pool.join` does: once it returns,
//! no worker thread is alive and their thread-locals have been dropped.
//!
//! One test in its own binary, so that no other test's pool has threads alive meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use concurrency_lab::pool::ThreadPool;
use crossbeam::channel;

/// Long enough never to trip on a loaded machine; it only bounds a wait that should not hang.
const BOUND: Duration = Duration::from_secs(120);

/// Pools started and joined in a row: before `join` joined its threads, about one round in a
/// few found a thread-local not dropped yet.
const ROUNDS: usize = 300;

/// Worker threads that touched [`RECORDER`], and recorders dropped at their thread's end.
static TOUCHED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

struct Recorder;

impl Drop for Recorder {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static RECORDER: Recorder = {
        TOUCHED.fetch_add(1, Ordering::SeqCst);
        Recorder
    };
}

/// This process's threads that are a thread pool's workers and not on their way out: a joined
/// thread may still be listed for a moment while the kernel finishes its exit (`PF_EXITING`).
fn worker_threads() -> Vec<String> {
    const PF_EXITING: u64 = 0x4;
    std::fs::read_dir("/proc/self/task")
        .expect("Linux's /proc")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        .filter(|stat| stat.contains("(pool-worker"))
        .filter(|stat| {
            // After the name: state, ppid, pgrp, session, tty, tpgid, flags.
            let after_name = &stat[stat.rfind(')').map_or(0, |end| end + 1)..];
            let flags = after_name
                .split_whitespace()
                .nth(6)
                .and_then(|f| f.parse::<u64>().ok());
            flags.is_none_or(|flags| flags & PF_EXITING == 0)
        })
        .collect()
}

/// Runs `ROUNDS` pools, each closed and then joined by `join`; returns the first round after
/// which a worker thread was alive or a thread-local not dropped.
fn rounds(join: fn(&ThreadPool)) -> Result<(), String> {
    for round in 0..ROUNDS {
        let pool = ThreadPool::new(2).unwrap();
        let touched = pool
            .map(|n: u32| RECORDER.with(|_| n), 0..64)
            .unwrap()
            .len();
        assert_eq!(touched, 64);
        pool.close();
        join(&pool);
        let (touched, dropped) = (
            TOUCHED.load(Ordering::SeqCst),
            DROPPED.load(Ordering::SeqCst),
        );
        let alive = worker_threads();
        if dropped != touched || !alive.is_empty() {
            return Err(format!(
                "round {round}: {dropped} of {touched} thread-locals dropped, threads alive: \
                 {alive:?}"
            ));
        }
        drop(pool);
    }
    Ok(())
}

#[test]
fn join_and_join_timeout_return_once_the_worker_threads_have_ended() {
    assert!(worker_threads().is_empty(), "no pool yet");
    let (done, outcome) = channel::bounded(1);
    std::thread::spawn(move || {
        let joined = rounds(|pool| pool.join().unwrap());
        let timed = rounds(|pool| pool.join_timeout(BOUND).unwrap());
        let _ = done.send((joined, timed));
    });
    let (joined, timed) = outcome.recv_timeout(BOUND * 2).expect("the rounds ended");
    joined.expect("join");
    timed.expect("join_timeout");
}
