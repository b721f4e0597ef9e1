//! The process backend's promises, each provoked for real: a panicking task, a worker killed
//! with SIGKILL mid-task, 100,000 queued tasks, dropping and terminating with tasks in flight,
//! a parent killed with SIGKILL, unserialisable arguments and results, worker recycling,
//! garbage on a worker's input, and a task printing to stdout.
//!
//! A process pool's workers re-run this test binary, so it is built with `harness = false`
//! and its `main` calls `pool::init()` first, exactly like a program that uses the pool.
//! Every wait is bounded, and a watchdog ends the run if anything hangs regardless.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use concurrency_lab::Error;
use concurrency_lab::pool::{self, MapOptions, ProcessPool, ThreadPool, WorkerExit};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize, Serializer};

/// Bounds every wait on a result: far above what any task here needs.
const BOUND: Duration = Duration::from_secs(60);
/// Ends the whole run if a test hangs despite the bounds.
const WATCHDOG: Duration = Duration::from_secs(600);
/// Tells a re-run of this binary to play a role instead of running the tests.
const ROLE: &str = "POOL_PROCESSES_TEST_ROLE";
/// Makes a re-run of this binary skip `pool::init()`, like a program without the guard.
const FORGET_INIT: &str = "POOL_PROCESSES_TEST_FORGET_INIT";

type Outcome = Result<(), String>;
type Test = (&'static str, fn() -> Outcome);

fn main() -> ExitCode {
    // One role plays a program that forgot the guard: its workers inherit the variable too.
    if std::env::var_os(FORGET_INIT).is_none() {
        pool::init();
    }
    if let Ok(role) = std::env::var(ROLE) {
        return play(&role);
    }
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("pool_processes: still running after {WATCHDOG:?}; a wait is unbounded");
        std::process::exit(2);
    });
    let tests: &[Test] = &[
        (
            "the_same_program_runs_on_both_backends",
            the_same_program_runs_on_both_backends,
        ),
        (
            "a_panicking_task_is_an_error_and_the_pool_goes_on",
            a_panicking_task_is_an_error_and_the_pool_goes_on,
        ),
        (
            "a_worker_killed_mid_task_is_reported_and_replaced",
            a_worker_killed_mid_task_is_reported_and_replaced,
        ),
        (
            "a_hundred_thousand_queued_tasks_all_complete",
            a_hundred_thousand_queued_tasks_all_complete,
        ),
        (
            "dropping_a_busy_pool_leaves_no_process_behind",
            dropping_a_busy_pool_leaves_no_process_behind,
        ),
        (
            "terminating_a_busy_pool_leaves_no_process_behind",
            terminating_a_busy_pool_leaves_no_process_behind,
        ),
        (
            "workers_die_with_a_parent_killed_by_sigkill",
            workers_die_with_a_parent_killed_by_sigkill,
        ),
        (
            "unserialisable_arguments_and_results_are_errors",
            unserialisable_arguments_and_results_are_errors,
        ),
        (
            "max_tasks_per_child_recycles_and_initializes_workers",
            max_tasks_per_child_recycles_and_initializes_workers,
        ),
        (
            "an_initializer_that_panics_fails_the_build",
            an_initializer_that_panics_fails_the_build,
        ),
        (
            "a_worker_refuses_garbage_and_runs_nothing",
            a_worker_refuses_garbage_and_runs_nothing,
        ),
        (
            "a_worker_refuses_a_stranger_without_the_token",
            a_worker_refuses_a_stranger_without_the_token,
        ),
        (
            "what_a_task_prints_reaches_stdout_intact",
            what_a_task_prints_reaches_stdout_intact,
        ),
        (
            "imap_over_processes_stays_lazy_and_bounded",
            imap_over_processes_stays_lazy_and_bounded,
        ),
        (
            "closing_finishes_queued_work_and_refuses_more",
            closing_finishes_queued_work_and_refuses_more,
        ),
        (
            "chunked_maps_agree_with_a_plain_loop",
            chunked_maps_agree_with_a_plain_loop,
        ),
        (
            "a_program_without_init_gets_an_error_not_a_fork_bomb",
            a_program_without_init_gets_an_error_not_a_fork_bomb,
        ),
        (
            "a_panicking_serde_impl_fails_its_task_not_the_pool",
            a_panicking_serde_impl_fails_its_task_not_the_pool,
        ),
        (
            "a_tasks_child_process_neither_hides_a_dead_worker_nor_becomes_one",
            a_tasks_child_process_neither_hides_a_dead_worker_nor_becomes_one,
        ),
        (
            "values_over_the_frame_limit_are_refused_by_size",
            values_over_the_frame_limit_are_refused_by_size,
        ),
        (
            "a_result_just_under_the_limit_states_the_size_it_was_compared_by",
            a_result_just_under_the_limit_states_the_size_it_was_compared_by,
        ),
        (
            "arguments_over_the_limit_name_their_chunk_and_chunksize",
            arguments_over_the_limit_name_their_chunk_and_chunksize,
        ),
        (
            "values_dropped_on_a_driver_that_call_the_pool_get_an_error",
            values_dropped_on_a_driver_that_call_the_pool_get_an_error,
        ),
        (
            "dropping_the_last_handle_in_its_own_callback_does_not_wait_the_grace",
            dropping_the_last_handle_in_its_own_callback_does_not_wait_the_grace,
        ),
        (
            "a_forked_child_neither_hides_its_workers_death_nor_outlives_it",
            a_forked_child_neither_hides_its_workers_death_nor_outlives_it,
        ),
        (
            "a_task_waiting_on_its_child_is_not_waited_for_and_leaves_nothing",
            a_task_waiting_on_its_child_is_not_waited_for_and_leaves_nothing,
        ),
        (
            "a_worker_killed_during_its_handshake_is_not_blamed_on_init",
            a_worker_killed_during_its_handshake_is_not_blamed_on_init,
        ),
        (
            "a_task_panic_carries_its_location_and_is_not_printed",
            a_task_panic_carries_its_location_and_is_not_printed,
        ),
        (
            "a_huge_announced_handshake_costs_a_worker_no_memory",
            a_huge_announced_handshake_costs_a_worker_no_memory,
        ),
        (
            "a_type_that_does_not_round_trip_is_an_error_not_a_wrong_value",
            a_type_that_does_not_round_trip_is_an_error_not_a_wrong_value,
        ),
    ];
    // `cargo test -- NAME` passes NAME through: run the tests whose name contains it.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut failed = 0;
    let mut ran = 0;
    for &(name, test) in tests {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(test))
            .unwrap_or_else(|payload| Err(format!("panicked: {}", text_of(payload.as_ref()))));
        match outcome {
            Ok(()) => println!("test {name} ... ok ({:.2?})", started.elapsed()),
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
        }
    }
    println!("\npool_processes: {} passed; {failed} failed", ran - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn text_of(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic".into())
}

/// Fails the test with `why` unless `holds`.
fn ensure(holds: bool, why: impl FnOnce() -> String) -> Outcome {
    if holds { Ok(()) } else { Err(why()) }
}

// ----- tasks (plain functions: they run in the workers) -----

fn square(n: u64) -> u64 {
    n * n
}

fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
    row.iter()
        .filter(|n| (minimum..=maximum).contains(n))
        .count()
}

fn worker_pid() -> u32 {
    std::process::id()
}

fn fail_on_three(n: u32) -> u32 {
    if n == 3 {
        panic!("three is not allowed");
    }
    n
}

/// Reports its worker's pid on a file, then sleeps until killed (or `BOUND` passes).
fn report_pid_then_sleep(path: String) -> u32 {
    std::fs::write(&path, std::process::id().to_string()).expect("the test's temp dir is writable");
    std::thread::sleep(BOUND);
    std::process::id()
}

fn shout(line: String) -> usize {
    println!("{line}");
    line.len()
}

/// A value that refuses to be serialised: what a non-serialisable argument or result is like.
#[derive(Debug, Deserialize)]
struct Unsendable(u8);

impl Serialize for Unsendable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "an Unsendable never leaves its process",
        ))
    }
}

/// A value whose `Deserialize` refuses odd numbers, with a message of its own.
#[derive(Debug, Serialize)]
struct Even(u8);

impl<'de> Deserialize<'de> for Even {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        if n % 2 == 0 {
            Ok(Even(n))
        } else {
            Err(serde::de::Error::custom(format!("{n} is odd")))
        }
    }
}

fn half(even: Even) -> u8 {
    even.0 / 2
}

fn as_even(n: u8) -> Even {
    Even(n)
}

fn takes_unsendable(value: Unsendable) -> u8 {
    value.0
}

fn makes_unsendable(n: u8) -> Unsendable {
    Unsendable(n)
}

static INITIALIZED_IN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn mark_initialized() {
    INITIALIZED_IN.store(std::process::id(), std::sync::atomic::Ordering::SeqCst);
}

fn initialized_here() -> (u32, bool) {
    let pid = std::process::id();
    (
        pid,
        INITIALIZED_IN.load(std::sync::atomic::Ordering::SeqCst) == pid,
    )
}

fn broken_initializer() {
    panic!("no database here");
}

/// An argument whose `Serialize` panics (in the parent, which encodes arguments).
#[derive(Debug, Deserialize)]
struct PanicsWhenSent(u8);

impl Serialize for PanicsWhenSent {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("PanicsWhenSent cannot be sent");
    }
}

fn takes_panics_when_sent(value: PanicsWhenSent) -> u8 {
    value.0
}

/// A result whose `Deserialize` panics (in the parent, which decodes results).
#[derive(Debug, Serialize)]
struct PanicsWhenReceived(u8);

impl<'de> Deserialize<'de> for PanicsWhenReceived {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("PanicsWhenReceived cannot be received");
    }
}

fn makes_panics_when_received(n: u8) -> PanicsWhenReceived {
    PanicsWhenReceived(n)
}

/// Waits until the file at `path` exists (at most `BOUND`): a gate the test opens, so that
/// what it queues behind this task is queued for sure. Returns the worker's pid.
fn wait_for_file(path: String) -> u32 {
    within(BOUND, || std::path::Path::new(&path).exists());
    std::process::id()
}

/// The pool a [`CallsBack`] calls when it is dropped, in the test's process (not in workers).
static CALLS_BACK: std::sync::Mutex<Option<std::sync::Arc<ProcessPool>>> =
    std::sync::Mutex::new(None);
/// What each [`CallsBack`] dropped in the test's process got from the pool.
static CALLED_BACK: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A value whose `Drop` calls the pool in [`CALLS_BACK`]: an argument is dropped on the
/// driver thread once encoded, an unclaimed result once delivered.
#[derive(Debug, Serialize, Deserialize)]
struct CallsBack(u64);

impl Drop for CallsBack {
    fn drop(&mut self) {
        let pool = CALLS_BACK.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(pool) = pool {
            let outcome = match pool.apply(square, (self.0,)) {
                Ok(n) => format!("Ok({n})"),
                Err(Error::PoolReentered { action, .. }) => format!("PoolReentered({action})"),
                Err(other) => format!("{other:?}"),
            };
            CALLED_BACK
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(outcome);
        }
    }
}

fn takes_calls_back(value: CallsBack) -> u64 {
    value.0
}

fn makes_calls_back(n: u64) -> CallsBack {
    CallsBack(n)
}

/// Forks (without exec) a child that sleeps ten minutes, holding every descriptor the worker
/// has — its socket to the pool included; returns the child's pid.
fn fork_a_long_lived_child() -> u32 {
    // SAFETY: the child makes only async-signal-safe calls (sleep, _exit) before it ends.
    match unsafe { nix::unistd::fork() } {
        // SAFETY: sleep and _exit are async-signal-safe, as a forked child needs.
        Ok(nix::unistd::ForkResult::Child) => unsafe {
            nix::libc::sleep(600);
            nix::libc::_exit(0)
        },
        Ok(nix::unistd::ForkResult::Parent { child }) => child.as_raw() as u32,
        Err(errno) => panic!("fork failed: {errno}"),
    }
}

/// Runs `sleep 600` and waits for it, after writing its pid to `path`.
fn run_sleep_and_wait(path: String) -> bool {
    let mut sleep = Command::new("sleep")
        .arg("600")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sleep starts");
    std::fs::write(&path, sleep.id().to_string()).expect("the test's temp dir is writable");
    sleep.wait().is_ok()
}

/// Starts `sleep 60` detached from our output, and returns its pid.
fn start_sleeper() -> u32 {
    Command::new("sleep")
        .arg("60")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sleep starts")
        .id()
}

/// Runs this very binary as a plain program from inside a task, and returns what it printed
/// (or `"timed out"`): a worker's child must not take itself for a worker.
fn run_this_program() -> String {
    let mut child = Command::new(std::env::current_exe().expect("our executable"))
        .env(ROLE, "say-hello")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("this binary starts");
    if within(Duration::from_secs(30), || {
        matches!(child.try_wait(), Ok(Some(_)))
    })
    .is_none()
    {
        let _ = child.kill();
        let _ = child.wait();
        return "timed out".into();
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut out)
        .ok();
    out
}

/// Bytes serialised as one byte string: `serialize_bytes` hands the whole slice over at once,
/// so a value far over the frame limit is refused without being copied. Its memory comes
/// zeroed from the system (`vec![0; n]`) and is never touched: it costs no RAM.
#[derive(Debug, Deserialize)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

const OVER_THE_LIMIT: usize = (1 << 30) + 1;

fn length_of(bytes: Bytes) -> usize {
    bytes.0.len()
}

fn bytes_of_length(n: u64) -> Bytes {
    Bytes(vec![0; n as usize])
}

/// The initializer of the handshake test: tells the test its pid, then takes its time.
fn report_pid_then_sleep_in_init() {
    if let Ok(path) = std::env::var("POOL_PROCESSES_TEST_PIDFILE") {
        std::fs::write(path, std::process::id().to_string()).expect("temp dir is writable");
    }
    std::thread::sleep(BOUND);
}

/// A struct whose serde form leaves out `note` when it is `None`: postcard, which is not
/// self-describing, then cannot know on decoding whether the field is there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Sparse {
    a: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<u8>,
}

fn unpack(sparse: Sparse) -> (u8, Option<u8>) {
    (sparse.a, sparse.note)
}

// ----- helpers -----

/// The pids of the pool's workers: enough tasks that every worker answers at least once.
fn pids_of(pool: &ProcessPool) -> Result<Vec<u32>, String> {
    let mut pids: Vec<u32> = (0..200)
        .map(|_| pool.apply_async(worker_pid, ()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.get_timeout(BOUND).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    pids.sort_unstable();
    pids.dedup();
    Ok(pids)
}

/// Whether `pid` is gone: no such process, or a zombie that its new parent has yet to reap.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Whether `pid` exists in any state, zombie included (a zombie is a child nobody reaped).
fn exists_at_all(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
}

/// Polls `condition` every 10 ms for up to `limit`; returns how long it took, or `None`.
fn within(limit: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn temp_path(name: &str) -> String {
    std::env::temp_dir()
        .join(format!(
            "clab-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ))
        .to_string_lossy()
        .into_owned()
}

// ----- the tests -----

/// One program, two backends: only the line that builds the pool differs.
fn the_same_program_runs_on_both_backends() -> Outcome {
    let threads = ThreadPool::new(2).map_err(|e| e.to_string())?;
    let processes = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let rows = [vec![1, 5, 7, 9], vec![4, 8, 8], vec![]];
    let on_threads = (
        threads
            .apply(howmany_within_range, (rows[0].clone(), 4, 8))
            .map_err(|e| e.to_string())?,
        threads.map(square, 1..=100).map_err(|e| e.to_string())?,
        threads
            .starmap(howmany_within_range, rows.iter().map(|r| (r.clone(), 4, 8)))
            .map_err(|e| e.to_string())?,
    );
    let on_processes = (
        processes
            .apply(howmany_within_range, (rows[0].clone(), 4, 8))
            .map_err(|e| e.to_string())?,
        processes.map(square, 1..=100).map_err(|e| e.to_string())?,
        processes
            .starmap(howmany_within_range, rows.iter().map(|r| (r.clone(), 4, 8)))
            .map_err(|e| e.to_string())?,
    );
    ensure(on_threads == on_processes, || {
        format!("{on_threads:?} != {on_processes:?}")
    })?;
    ensure(on_processes.2 == [2, 3, 0], || {
        format!("counts {:?}", on_processes.2)
    })
}

fn a_panicking_task_is_an_error_and_the_pool_goes_on() -> Outcome {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let err = pool.apply(fail_on_three, (3,)).unwrap_err();
    ensure(
        matches!(&err, Error::TaskPanicked { message, .. } if message == "three is not allowed"),
        || format!("got {err}"),
    )?;
    let outcomes: Vec<_> = pool.imap(fail_on_three, 0..6).collect();
    ensure(outcomes.iter().filter(|o| o.is_err()).count() == 1, || {
        format!("{outcomes:?}")
    })?;
    let fine = pool.map(square, 0..10).map_err(|e| e.to_string())?;
    ensure(fine[9] == 81, || format!("{fine:?}"))
}

fn a_worker_killed_mid_task_is_reported_and_replaced() -> Outcome {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let path = temp_path("pid");
    let doomed = pool
        .apply_async(report_pid_then_sleep, (path.clone(),))
        .map_err(|e| e.to_string())?;
    let mut pid = 0;
    within(BOUND, || {
        pid = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        pid != 0
    })
    .ok_or("the task never reported its pid")?;
    std::fs::remove_file(&path).ok();
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).map_err(|e| e.to_string())?;
    let err = doomed.get_timeout(BOUND).unwrap_err();
    ensure(
        matches!(&err, Error::WorkerDied { pid: p, exit, .. }
            if *p == pid && *exit == WorkerExit::Signal(9) && exit.signal_name() == Some("SIGKILL")),
        || format!("expected WorkerDied for {pid} by signal 9, got {err}"),
    )?;
    ensure(
        err.to_string()
            .ends_with(": was killed by signal 9 (SIGKILL)"),
        || format!("the message should say how the worker died: {err}"),
    )?;
    let results = pool
        .map_async_with(square, 0..1000, MapOptions::new().chunksize(1))
        .map_err(|e| e.to_string())?
        .get_timeout(BOUND)
        .map_err(|e| e.to_string())?;
    ensure(results.iter().zip(0..).all(|(r, n)| *r == n * n), || {
        "wrong squares".into()
    })?;
    let pids = pids_of(&pool)?;
    ensure(!pids.contains(&pid) && pids.len() == 2, || {
        format!("workers now: {pids:?}")
    })
}

fn a_hundred_thousand_queued_tasks_all_complete() -> Outcome {
    let open_before = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0);
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let pending: Vec<_> = (0..100_000_u64)
        .map(|n| pool.apply_async(square, (n,)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut total = 0_u128;
    for result in pending {
        total += u128::from(result.get_timeout(BOUND).map_err(|e| e.to_string())?);
    }
    let expected: u128 = (0..100_000_u128).map(|n| n * n).sum();
    ensure(total == expected, || format!("sum {total} != {expected}"))?;
    drop(pool);
    let open_after = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0);
    ensure(open_after <= open_before, || {
        format!("open files: {open_before} before, {open_after} after")
    })
}

fn dropping_a_busy_pool_leaves_no_process_behind() -> Outcome {
    leaves_no_process_behind(drop)
}

fn terminating_a_busy_pool_leaves_no_process_behind() -> Outcome {
    leaves_no_process_behind(|pool| {
        pool.terminate();
        pool.join_timeout(BOUND)
            .expect("terminated workers are reaped promptly");
    })
}

fn leaves_no_process_behind(stop: impl FnOnce(ProcessPool)) -> Outcome {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let pids = pids_of(&pool)?;
    let paths: Vec<String> = (0..2).map(|_| temp_path("busy")).collect();
    let in_flight: Vec<_> = paths
        .iter()
        .map(|p| pool.apply_async(report_pid_then_sleep, (p.clone(),)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let queued = pool.apply_async(square, (3,)).map_err(|e| e.to_string())?;
    within(BOUND, || {
        paths.iter().all(|p| std::path::Path::new(p).exists())
    })
    .ok_or("the sleeping tasks never started")?;
    stop(pool);
    for p in &paths {
        std::fs::remove_file(p).ok();
    }
    for pid in &pids {
        // Reaped, not merely dead: a zombie would still answer `kill(pid, 0)`.
        ensure(!exists_at_all(*pid), || {
            format!("worker {pid} is still there")
        })?;
    }
    for result in in_flight {
        let err = result.get_timeout(BOUND).unwrap_err();
        ensure(matches!(err, Error::PoolTerminated), || {
            format!("in flight: {err}")
        })?;
    }
    let err = queued.get_timeout(BOUND).unwrap_err();
    ensure(matches!(err, Error::PoolTerminated), || {
        format!("queued: {err}")
    })
}

fn workers_die_with_a_parent_killed_by_sigkill() -> Outcome {
    let mut parent = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(ROLE, "parent-with-pool")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    let mut stdout = parent.stdout.take().expect("piped");
    let mut byte = [0u8; 1];
    while !line.ends_with('\n') {
        match stdout.read(&mut byte) {
            Ok(1) => line.push(byte[0] as char),
            _ => {
                return Err(format!(
                    "the parent ended before reporting its workers: {line:?}"
                ));
            }
        }
    }
    let pids: Vec<u32> = line
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    ensure(pids.len() == 2, || format!("worker pids: {line:?}"))?;
    parent.kill().map_err(|e| e.to_string())?; // SIGKILL: no destructor runs in the parent
    parent.wait().map_err(|e| e.to_string())?;
    for pid in pids {
        let took = within(Duration::from_secs(10), || is_gone(pid))
            .ok_or_else(|| format!("worker {pid} outlived its killed parent by 10 s"))?;
        println!("    worker {pid} ended {took:.1?} after its parent was killed");
    }
    Ok(())
}

fn unserialisable_arguments_and_results_are_errors() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    // The error names the type and carries the text its `Serialize` impl gave.
    let err = pool.apply(takes_unsendable, (Unsendable(1),)).unwrap_err();
    ensure(
        matches!(
            &err,
            Error::Serialization {
                what: "arguments",
                type_name: "(pool_processes::Unsendable,)",
                message,
                ..
            } if message == "an Unsendable never leaves its process"
        ),
        || format!("argument: {err}"),
    )?;
    let err = pool.apply(makes_unsendable, (2,)).unwrap_err();
    ensure(
        matches!(
            &err,
            Error::Serialization {
                what: "result",
                type_name: "pool_processes::Unsendable",
                message,
                ..
            } if message == "an Unsendable never leaves its process"
        ),
        || format!("result: {err}"),
    )?;
    ensure(
        err.to_string().starts_with(
            "could not serialise the task's result, of type `pool_processes::Unsendable`",
        ),
        || format!("the message should name the type: {err}"),
    )?;
    // And the text a `Deserialize` impl gives, in the worker (arguments) or here (result).
    let err = pool.apply(half, (Even(3),)).unwrap_err();
    ensure(
        matches!(&err, Error::Serialization { what: "arguments", message, .. } if message == "3 is odd"),
        || format!("argument refused: {err}"),
    )?;
    let err = pool.apply(as_even, (5,)).unwrap_err();
    ensure(
        matches!(&err, Error::Serialization { what: "result", message, .. } if message == "5 is odd"),
        || format!("result refused: {err}"),
    )?;
    ensure(
        pool.apply(half, (Even(8),)).map_err(|e| e.to_string())? == 4,
        || "an even argument".into(),
    )?;
    ensure(
        pool.apply(square, (12,)).map_err(|e| e.to_string())? == 144,
        || "after".into(),
    )
}

fn max_tasks_per_child_recycles_and_initializes_workers() -> Outcome {
    let pool = ProcessPool::builder()
        .workers(1)
        .max_tasks_per_child(2)
        .initializer(mark_initialized)
        .build()
        .map_err(|e| e.to_string())?;
    let seen: Vec<(u32, bool)> = (0..6)
        .map(|_| pool.apply(initialized_here, ()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    ensure(seen.iter().all(|(_, initialized)| *initialized), || {
        format!("{seen:?}")
    })?;
    let mut pids: Vec<u32> = seen.iter().map(|(pid, _)| *pid).collect();
    pids.dedup();
    ensure(pids.len() == 3, || {
        format!("two tasks per worker should make three workers: {seen:?}")
    })
}

fn an_initializer_that_panics_fails_the_build() -> Outcome {
    let built = ProcessPool::builder()
        .workers(2)
        .initializer(broken_initializer)
        .build();
    ensure(
        matches!(&built, Err(Error::InitializerPanicked { message, .. }) if message == "no database here"),
        || format!("{built:?}"),
    )
}

/// Starts this binary as if a pool had, with `fd 3` connected to the returned socket.
fn fake_worker(token: &str) -> Result<(std::process::Child, UnixStream), String> {
    let (ours, theirs) = UnixStream::pair().map_err(|e| e.to_string())?;
    let theirs = OwnedFd::from(theirs);
    let fd = theirs.as_raw_fd();
    let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    command
        .env(
            "CONCURRENCY_LAB_POOL_WORKER",
            format!("3:{token}:{}:-", std::process::id()),
        )
        .env(ROLE, "must-not-run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only dup2, which is async-signal-safe, between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if nix::libc::dup2(fd, 3) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| e.to_string())?;
    drop(theirs);
    Ok((child, ours))
}

fn exit_of(mut child: std::process::Child) -> Result<(Option<i32>, String), String> {
    within(BOUND, || matches!(child.try_wait(), Ok(Some(_)))).ok_or("the worker never exited")?;
    let status = child.wait().map_err(|e| e.to_string())?;
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .ok();
    Ok((status.code(), stderr))
}

fn a_worker_refuses_garbage_and_runs_nothing() -> Outcome {
    let garbage: [&[u8]; 3] = [
        b"\x05\x00\x00\x00hello", // a frame, but not a handshake
        b"\xff\xff\xff\xff",      // a 4 GiB frame announced
        b"GET / HTTP/1.1\r\n\r\n",
    ];
    for bytes in garbage {
        let (child, mut socket) = fake_worker(&format!("{:032x}", 7))?;
        socket.write_all(bytes).ok();
        socket.shutdown(std::net::Shutdown::Write).ok();
        let (code, stderr) = exit_of(child)?;
        ensure(code == Some(97) && stderr.contains("refusing"), || {
            format!("garbage {bytes:?}: exit {code:?}, stderr {stderr:?}")
        })?;
    }
    Ok(())
}

fn a_worker_refuses_a_stranger_without_the_token() -> Outcome {
    // An environment that is not `<fd>:<hex token>`.
    let (child, socket) = fake_worker("not-hex")?;
    drop(socket);
    let (code, stderr) = exit_of(child)?;
    ensure(code == Some(97), || {
        format!("bad token: exit {code:?}, {stderr:?}")
    })?;
    // A well-formed environment, but the stream ends before a handshake could be read.
    let (child, mut socket) = fake_worker(&format!("{:032x}", 1234))?;
    socket.write_all(&[3, 0, 0, 0, 1, 2, 3]).ok();
    drop(socket);
    let (code, _) = exit_of(child)?;
    ensure(code == Some(97), || {
        format!("short handshake: exit {code:?}")
    })
}

fn what_a_task_prints_reaches_stdout_intact() -> Outcome {
    let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(ROLE, "printer")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure(output.status.success(), || {
        format!("printer failed: {stdout}")
    })?;
    for n in 0..50 {
        let line = format!("line {n} \u{0}\u{1}CLABPOOL{n}");
        ensure(stdout.lines().any(|l| l == line), || {
            format!("missing {line:?} in {stdout:?}")
        })?;
    }
    ensure(stdout.contains("all 50 lengths correct"), || {
        format!("results wrong: {stdout:?}")
    })
}

fn imap_over_processes_stays_lazy_and_bounded() -> Outcome {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let endless = (0_u64..).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let first: Vec<u64> = pool
        .imap(square, endless)
        .chunksize(100)
        .max_in_flight(3)
        .take(1000)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    ensure(first[999] == 999 * 999, || "wrong squares".into())?;
    let ahead = pulled.load(Ordering::SeqCst) - 1000;
    ensure(ahead <= 300, || {
        format!("the input ran {ahead} items ahead")
    })
}

fn closing_finishes_queued_work_and_refuses_more() -> Outcome {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let queued = pool
        .map_async(square, 0..10_000)
        .map_err(|e| e.to_string())?;
    pool.close();
    ensure(
        matches!(pool.apply(square, (1,)), Err(Error::PoolClosed { .. })),
        || "accepted".into(),
    )?;
    pool.join_timeout(BOUND).map_err(|e| e.to_string())?;
    let squares = queued.get_timeout(BOUND).map_err(|e| e.to_string())?;
    ensure(squares.len() == 10_000 && squares[100] == 10_000, || {
        "wrong".into()
    })
}

fn chunked_maps_agree_with_a_plain_loop() -> Outcome {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let expected: Vec<u64> = (0..5_000).map(square).collect();
    for chunksize in [1, 7, 100, 5_000, 10_000] {
        let got = pool
            .map_async_with(square, 0..5_000, MapOptions::new().chunksize(chunksize))
            .map_err(|e| e.to_string())?
            .get_timeout(BOUND)
            .map_err(|e| e.to_string())?;
        ensure(got == expected, || {
            format!("chunksize {chunksize} disagrees")
        })?;
    }
    let running = pool
        .map_async(square, 0..5_000)
        .map_err(|e| e.to_string())?;
    ensure(running.wait_timeout(BOUND), || "map did not finish".into())?;
    ensure(running.progress().done == 5_000, || {
        format!("{}", running.progress())
    })
}

fn a_program_without_init_gets_an_error_not_a_fork_bomb() -> Outcome {
    // Its workers run `main` from the top, reach `ProcessPool::new` and must refuse to start
    // pools of their own; the program itself must get an error that names the fix.
    let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(ROLE, "pool-without-init")
        .env(FORGET_INIT, "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure(
        // The workers report "refusing to start workers of its own" on their stderr (ours;
        // their stdout is silenced until `init()`, which they never call); the program itself
        // learns that its worker ended before the handshake, and the fix.
        stderr.contains("refusing to start workers of its own")
            && stdout.contains("before the handshake. Call `concurrency_lab::pool::init()`"),
        || format!("the program without init said: {stdout:?}, its workers {stderr:?}"),
    )
}

/// Issue 10, case 1: serde impls run on the pool's driver thread in the parent.
fn a_panicking_serde_impl_fails_its_task_not_the_pool() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let pids = pids_of(&pool)?;
    let sent = pool.apply_async(takes_panics_when_sent, (PanicsWhenSent(1),));
    let received = pool.apply_async(makes_panics_when_received, (2,));
    let fine = pool.apply_async(square, (7,));
    let (sent, received, fine) = (
        sent.map_err(|e| e.to_string())?.get_timeout(BOUND),
        received.map_err(|e| e.to_string())?.get_timeout(BOUND),
        fine.map_err(|e| e.to_string())?.get_timeout(BOUND),
    );
    ensure(
        matches!(&sent, Err(Error::Serialization { what: "arguments", type_name, message, .. })
            if message.contains("PanicsWhenSent cannot be sent") && type_name.contains("PanicsWhenSent")),
        || format!("argument: {sent:?}"),
    )?;
    ensure(
        matches!(&received, Err(Error::Serialization { what: "result", type_name, message, .. })
            if message.contains("PanicsWhenReceived cannot be received") && type_name.contains("PanicsWhenReceived")),
        || format!("result: {received:?}"),
    )?;
    ensure(matches!(fine, Ok(49)), || format!("after: {fine:?}"))?;
    ensure(pids_of(&pool)? == pids, || "the worker was replaced".into())?;
    pool.close();
    pool.join_timeout(BOUND).map_err(|e| e.to_string())?;
    drop(pool);
    ensure(pids.iter().all(|&pid| !exists_at_all(pid)), || {
        format!("worker {pids:?} left behind")
    })
}

/// Issue 10, case 2: the worker's socket is close-on-exec again once the worker runs, and
/// the worker variable names the pool's pid, so a grandchild is neither.
fn a_tasks_child_process_neither_hides_a_dead_worker_nor_becomes_one() -> Outcome {
    let said = ProcessPool::new(1)
        .map_err(|e| e.to_string())?
        .apply(run_this_program, ())
        .map_err(|e| e.to_string())?;
    ensure(said.contains("hello from a program, not a worker"), || {
        format!("this binary, started by a task, said {said:?}")
    })?;

    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let sleeper = pool.apply(start_sleeper, ()).map_err(|e| e.to_string())?;
    let worker = pool.apply(worker_pid, ()).map_err(|e| e.to_string())?;
    kill(Pid::from_raw(worker as i32), Signal::SIGKILL).map_err(|e| e.to_string())?;
    let next = pool
        .apply_async(square, (3,))
        .map_err(|e| e.to_string())?
        .get_timeout(Duration::from_secs(10));
    let (done, dropped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(pool);
        let _ = done.send(());
    });
    // Dropping waits up to 10 s for stuck drivers; one stuck on the sleeper would take that.
    let dropped = dropped.recv_timeout(Duration::from_secs(9));
    let _ = kill(Pid::from_raw(sleeper as i32), Signal::SIGKILL);
    ensure(matches!(next, Err(Error::WorkerDied { .. })), || {
        format!("the task after the kill: {next:?}")
    })?;
    ensure(dropped.is_ok(), || {
        "dropping the pool waited for the task's child".into()
    })
}

/// Issue 10, case 6: a size error, before anything is sent, and from a healthy worker.
fn values_over_the_frame_limit_are_refused_by_size() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let pids = pids_of(&pool)?;
    let err = pool
        .apply(length_of, (Bytes(vec![0; OVER_THE_LIMIT]),))
        .unwrap_err();
    ensure(
        matches!(&err, Error::TooLarge { what: "arguments", size, limit, .. }
            if *size > *limit && *limit == 1 << 30),
        || format!("arguments: {err}"),
    )?;
    ensure(err.to_string().contains("1073741824"), || format!("{err}"))?;
    let err = pool
        .apply(bytes_of_length, (OVER_THE_LIMIT as u64,))
        .unwrap_err();
    ensure(
        matches!(&err, Error::TooLarge { what: "result", size, .. } if *size > 1 << 30),
        || format!("result: {err}"),
    )?;
    let small = pool
        .apply(bytes_of_length, (3,))
        .map_err(|e| e.to_string())?;
    ensure(small.0.len() == 3, || "a small result".into())?;
    ensure(pids_of(&pool)? == pids, || "the worker was replaced".into())
}

/// Issue 18, item 5: a result of 2^30 - 74 bytes is under the limit by itself; the reply's
/// overhead takes it over. The message must state the size that was compared with the limit
/// (over it) and the overhead. Memory: the worker copies the 1 GiB result into its reply.
fn a_result_just_under_the_limit_states_the_size_it_was_compared_by() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let err = pool.apply(bytes_of_length, ((1 << 30) - 74,)).unwrap_err();
    // The reply: its tag (1), the outcome's tag (1) and length (4), 64 bytes kept for the
    // outcome itself; the result: 5 bytes of length and 2^30 - 74 of bytes.
    ensure(
        matches!(&err, Error::TooLarge { what: "result", size, limit, overhead, items, chunksize, .. }
            if *size == (1 << 30) + 1 && *limit == 1 << 30 && *overhead == 70
                && *items == (0..1) && *chunksize == 1),
        || format!("{err:?}"),
    )?;
    let message = err.to_string();
    ensure(
        message.contains("at least 1073741825 bytes")
            && message.contains("1073741755 of result encoded, 70 of overhead")
            && message.contains("over the limit of 1073741824")
            && message.contains("cannot cross"),
        || message.clone(),
    )
}

/// Issue 18, item 5: two 600 MiB arguments in one chunk pass the limit together. The message
/// names the chunk and its chunksize and suggests a smaller one. (Sending them one by one
/// works, but decoding 600 MiB byte by byte takes minutes in a debug build: not tried here.)
/// Memory: the parent encodes up to 1 GiB into its frame; the arguments, zeroed and never
/// written, cost no RAM until then.
fn arguments_over_the_limit_name_their_chunk_and_chunksize() -> Outcome {
    const SIX_HUNDRED_MIB: usize = 600 << 20;
    let two = || (0..2).map(|_| Bytes(vec![0; SIX_HUNDRED_MIB]));
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let err = pool
        .map_async_with(length_of, two(), MapOptions::new().chunksize(2))
        .map_err(|e| e.to_string())?
        .get_timeout(BOUND)
        .unwrap_err();
    ensure(
        matches!(&err, Error::TooLarge { what: "arguments", size, limit, overhead, items, chunksize, .. }
            if *size > *limit && *overhead == 13 + 2 * 4 && *items == (0..2) && *chunksize == 2),
        || format!("{err:?}"),
    )?;
    let message = err.to_string();
    ensure(
        message.contains("items 0..2 (one chunk, chunksize 2)")
            && message.contains("a smaller chunksize than 2"),
        || message.clone(),
    )
}

/// Issue 18, item 2: with one worker, an argument (dropped on the driver once encoded) and an
/// unclaimed result (dropped on the driver once delivered) whose `Drop` calls `apply` on the
/// pool blocked the driver on a task only it could run: the pool never completed another.
fn values_dropped_on_a_driver_that_call_the_pool_get_an_error() -> Outcome {
    let pool = std::sync::Arc::new(ProcessPool::new(1).map_err(|e| e.to_string())?);
    *CALLS_BACK.lock().map_err(|e| e.to_string())? = Some(std::sync::Arc::clone(&pool));
    let gate = temp_path("gate");
    let outcome = (|| {
        let taken = pool
            .apply_async(takes_calls_back, (CallsBack(1),))
            .map_err(|e| e.to_string())?
            .get_timeout(BOUND);
        ensure(matches!(taken, Ok(1)), || format!("the task: {taken:?}"))?;
        // The result's handle is gone before the result arrives: the driver drops the value.
        let blocker = pool
            .apply_async(wait_for_file, (gate.clone(),))
            .map_err(|e| e.to_string())?;
        drop(
            pool.apply_async(makes_calls_back, (2,))
                .map_err(|e| e.to_string())?,
        );
        std::fs::write(&gate, "open").map_err(|e| e.to_string())?;
        blocker.get_timeout(BOUND).map_err(|e| e.to_string())?;
        let next = pool
            .apply_async(square, (3,))
            .map_err(|e| e.to_string())?
            .get_timeout(BOUND);
        ensure(matches!(next, Ok(9)), || {
            format!("the task after the drops: {next:?}")
        })
    })();
    let _ = std::fs::remove_file(&gate);
    CALLS_BACK.lock().map_err(|e| e.to_string())?.take();
    outcome?;
    let called = std::mem::take(&mut *CALLED_BACK.lock().map_err(|e| e.to_string())?);
    ensure(
        called == ["PoolReentered(apply)", "PoolReentered(apply)"],
        || format!("the drops' calls: {called:?}"),
    )
}

/// Issue 18, item 3: dropping the last handle of a process pool inside its own callback took
/// the whole 10 s grace, the drop waiting for the driver it ran on. Normally it takes well
/// under a millisecond; the bound of 5 s is half the grace. Each callback kind is tried, and
/// the worker must be gone afterwards.
fn dropping_the_last_handle_in_its_own_callback_does_not_wait_the_grace() -> Outcome {
    use concurrency_lab::pool::Callbacks;
    use std::sync::{Arc, Mutex};
    type Held = Arc<Mutex<Option<Arc<ProcessPool>>>>;
    // The callback takes the last handle and drops it, then reports.
    fn dropper(held: Held, done: std::sync::mpsc::Sender<()>) -> impl FnOnce() + Send {
        move || {
            let last = held.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(last);
            let _ = done.send(());
        }
    }
    for kind in ["on_success", "on_error", "map"] {
        let pool = Arc::new(ProcessPool::new(1).map_err(|e| e.to_string())?);
        let worker = pool.apply(worker_pid, ()).map_err(|e| e.to_string())?;
        let held: Held = Arc::new(Mutex::new(Some(Arc::clone(&pool))));
        let (done, dropped) = std::sync::mpsc::channel();
        let drop_it = dropper(Arc::clone(&held), done);
        let gate = temp_path("gate");
        // The callback's task waits behind a gated one, so this handle goes first.
        pool.apply_async(wait_for_file, (gate.clone(),))
            .map_err(|e| e.to_string())?;
        match kind {
            "on_success" => drop(
                pool.apply_async_with(
                    square,
                    (2,),
                    Callbacks::new().on_success(move |_| drop_it()),
                )
                .map_err(|e| e.to_string())?,
            ),
            "on_error" => drop(
                pool.apply_async_with(
                    fail_on_three,
                    (3,),
                    Callbacks::new().on_error(move |_| drop_it()),
                )
                .map_err(|e| e.to_string())?,
            ),
            _ => drop(
                pool.map_async_with(
                    square,
                    [1, 2],
                    MapOptions::new().callbacks(Callbacks::new().on_success(move |_| drop_it())),
                )
                .map_err(|e| e.to_string())?,
            ),
        }
        drop(pool);
        std::fs::write(&gate, "open").map_err(|e| e.to_string())?;
        let returned = dropped.recv_timeout(Duration::from_secs(5));
        let _ = std::fs::remove_file(&gate);
        ensure(returned.is_ok(), || {
            format!("{kind}: dropping the pool in its callback waited for the grace")
        })?;
        ensure(within(BOUND, || !exists_at_all(worker)).is_some(), || {
            format!("{kind}: worker {worker} left behind")
        })?;
    }
    Ok(())
}

/// Issue 18, item 4a: a task forks (without exec) a child that lives ten minutes, and its
/// worker is then killed. The child holds the worker's socket open, so the pool, watching the
/// socket, did not see the death for the child's lifetime: the next task waited. The death is
/// seen from the process itself now, and the child, in its worker's process group, is killed.
fn a_forked_child_neither_hides_its_workers_death_nor_outlives_it() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let worker = pool.apply(worker_pid, ()).map_err(|e| e.to_string())?;
    let child = pool
        .apply(fork_a_long_lived_child, ())
        .map_err(|e| e.to_string())?;
    kill(Pid::from_raw(worker as i32), Signal::SIGKILL).map_err(|e| e.to_string())?;
    let next = pool
        .apply_async(square, (3,))
        .map_err(|e| e.to_string())?
        .get_timeout(BOUND);
    let after = pool
        .apply_async(square, (4,))
        .map_err(|e| e.to_string())?
        .get_timeout(BOUND);
    let child_gone = within(BOUND, || is_gone(child)).is_some();
    if !child_gone {
        let _ = kill(Pid::from_raw(child as i32), Signal::SIGKILL);
    }
    ensure(matches!(next, Err(Error::WorkerDied { .. })), || {
        format!("the task after the kill: {next:?}")
    })?;
    ensure(matches!(after, Ok(16)), || {
        format!("the task after that: {after:?}")
    })?;
    ensure(child_gone, || {
        format!("the forked child {child} outlived its worker")
    })
}

/// Issue 18, item 4b: a task runs `sleep 600` and waits for it. Dropping the pool must kill
/// the worker and its child, and not wait the grace (10 s) for a driver blocked on them.
/// The bound of 9 s is under the grace; a drop normally takes milliseconds.
fn a_task_waiting_on_its_child_is_not_waited_for_and_leaves_nothing() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let worker = pool.apply(worker_pid, ()).map_err(|e| e.to_string())?;
    let path = temp_path("sleep");
    let waiting = pool
        .apply_async(run_sleep_and_wait, (path.clone(),))
        .map_err(|e| e.to_string())?;
    let next = pool.apply_async(square, (2,)).map_err(|e| e.to_string())?;
    let mut sleep = None;
    within(BOUND, || {
        sleep = std::fs::read_to_string(&path)
            .ok()
            .and_then(|pid| pid.parse::<u32>().ok());
        sleep.is_some()
    });
    let _ = std::fs::remove_file(&path);
    let sleep = sleep.ok_or("the task did not start sleep")?;
    ensure(
        matches!(
            waiting.get_timeout(Duration::from_millis(100)),
            Err(Error::Timeout { .. })
        ),
        || "the task ended while its sleep ran".into(),
    )?;
    let (done, dropped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(pool);
        let _ = done.send(());
    });
    let dropped = dropped.recv_timeout(Duration::from_secs(9));
    let sleep_gone = within(BOUND, || is_gone(sleep)).is_some();
    if !sleep_gone {
        let _ = kill(Pid::from_raw(sleep as i32), Signal::SIGKILL);
    }
    ensure(dropped.is_ok(), || {
        "dropping the pool waited for the task's child".into()
    })?;
    ensure(
        matches!(next.get_timeout(BOUND), Err(Error::PoolTerminated)),
        || "the queued task was not failed".into(),
    )?;
    ensure(sleep_gone, || {
        format!("the task's sleep {sleep} outlived the pool")
    })?;
    ensure(!exists_at_all(worker), || {
        format!("worker {worker} left behind")
    })
}

/// Issue 10, case 7: a worker killed while starting is not a program without `init()`.
fn a_worker_killed_during_its_handshake_is_not_blamed_on_init() -> Outcome {
    let pidfile = temp_path("handshake-pid");
    let mut program = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(ROLE, "slow-initializer")
        .env("POOL_PROCESSES_TEST_PIDFILE", &pidfile)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = within(BOUND, || {
        std::fs::read_to_string(&pidfile).is_ok_and(|s| s.parse::<u32>().is_ok())
    })
    .and_then(|_| std::fs::read_to_string(&pidfile).ok())
    .and_then(|s| s.parse::<i32>().ok());
    let _ = std::fs::remove_file(&pidfile);
    let Some(pid) = pid else {
        let _ = program.kill();
        let _ = program.wait();
        return Err("the worker never ran its initializer".into());
    };
    kill(Pid::from_raw(pid), Signal::SIGKILL).map_err(|e| e.to_string())?;
    within(BOUND, || matches!(program.try_wait(), Ok(Some(_)))).ok_or("the program hung")?;
    let mut said = String::new();
    program
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut said)
        .ok();
    ensure(
        said.contains("killed by signal 9 (SIGKILL) while it was starting")
            && !said.contains("init()"),
        || format!("the program said {said:?}"),
    )
}

/// Issue 10, case 8, and issue 11's quiet output: the error says where the task panicked
/// (and its backtrace when asked), on both backends; the worker does not also print it.
fn a_task_panic_carries_its_location_and_is_not_printed() -> Outcome {
    let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(ROLE, "panicking-task")
        .env("RUST_BACKTRACE", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Both backends: the process pool's error first, then the thread pool's.
    ensure(
        stdout
            .matches("task panicked at tests/pool_processes.rs:")
            .count()
            == 2
            && stdout.matches(": three is not allowed").count() == 2
            && stdout.matches("the task's backtrace:").count() == 2
            && stdout.contains("fail_on_three"),
        || format!("the errors said {stdout:?}"),
    )?;
    ensure(!stderr.contains("three is not allowed"), || {
        format!("the worker printed the panic: {stderr:?}")
    })
}

/// Issue 10, case 9: the handshake frame is capped, and buffers grow with the bytes. The
/// socket stays open, so a worker that reserved the announced length would sit on it, waiting
/// for the rest; its peak memory (`VmHWM`) is sampled until it exits.
fn a_huge_announced_handshake_costs_a_worker_no_memory() -> Outcome {
    const MUCH: u64 = 64 << 20;
    for bytes in [&b"\x00\x00\x00\x40"[..], b"GET "] {
        let (mut child, mut socket) = fake_worker(&format!("{:032x}", 7))?;
        let pid = child.id();
        socket.write_all(bytes).ok();
        let mut peak = 0;
        within(BOUND, || {
            peak = peak.max(peak_memory(pid).unwrap_or(0));
            peak > MUCH || matches!(child.try_wait(), Ok(Some(_)))
        });
        let _ = child.kill();
        let status = child.wait().map_err(|e| e.to_string())?;
        println!(
            "    {bytes:?}: {status}, peak memory seen {} KiB",
            peak >> 10
        );
        ensure(status.code() == Some(97) && peak <= MUCH, || {
            format!("{bytes:?}: {status}, peak memory {} MiB", peak >> 20)
        })?;
    }
    Ok(())
}

/// The peak resident memory of a live process, in bytes.
fn peak_memory(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib = line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kib << 10)
}

/// Issue 10, case 10: each item must decode from exactly its own bytes.
fn a_type_that_does_not_round_trip_is_an_error_not_a_wrong_value() -> Outcome {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    // Sent back to back, [1] and [0, 1, 0] would read as {1, None} and {1, None}.
    let items = [
        Sparse { a: 1, note: None },
        Sparse {
            a: 0,
            note: Some(0),
        },
    ];
    let got = pool
        .map_async_with(unpack, items, MapOptions::new().chunksize(2))
        .map_err(|e| e.to_string())?
        .get_timeout(BOUND);
    ensure(
        matches!(&got, Err(Error::Serialization { what: "arguments", type_name, message, .. })
            if type_name.contains("Sparse") && message.contains("skip_serializing_if")),
        || format!("got {got:?}"),
    )?;
    let whole = pool
        .apply(
            unpack,
            (Sparse {
                a: 4,
                note: Some(5),
            },),
        )
        .map_err(|e| e.to_string())?;
    ensure(whole == (4, Some(5)), || format!("{whole:?}"))
}

// ----- roles a re-run of this binary plays -----

fn play(role: &str) -> ExitCode {
    match role {
        "parent-with-pool" => {
            let pool = ProcessPool::new(2).expect("a pool");
            let pids = pids_of(&pool).expect("pids");
            println!(
                "{}",
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            std::io::stdout().flush().ok();
            std::thread::sleep(BOUND); // until the test kills us
            ExitCode::FAILURE
        }
        "printer" => {
            let pool = ProcessPool::new(2).expect("a pool");
            let lines: Vec<String> = (0..50)
                .map(|n| format!("line {n} \u{0}\u{1}CLABPOOL{n}"))
                .collect();
            let lengths = pool
                .map(shout, lines.clone())
                .expect("the printing tasks run");
            let correct = lengths
                .iter()
                .zip(&lines)
                .all(|(len, line)| *len == line.len());
            if correct {
                println!("all 50 lengths correct");
            }
            ExitCode::SUCCESS
        }
        "pool-without-init" => match ProcessPool::new(2) {
            Ok(_) => {
                println!("a pool started without init()");
                ExitCode::FAILURE
            }
            Err(error) => {
                println!("{error}");
                eprintln!("{error}");
                ExitCode::SUCCESS
            }
        },
        "say-hello" => {
            println!("hello from a program, not a worker");
            ExitCode::SUCCESS
        }
        "slow-initializer" => {
            let built = ProcessPool::builder()
                .workers(1)
                .initializer(report_pid_then_sleep_in_init)
                .build();
            match built {
                Ok(_) => println!("the pool started"),
                Err(error) => println!("{error}"),
            }
            ExitCode::SUCCESS
        }
        "panicking-task" => {
            let processes = ProcessPool::new(1).expect("a pool");
            let threads = ThreadPool::new(1).expect("a pool");
            for outcome in [
                processes.apply(fail_on_three, (3,)),
                threads.apply(fail_on_three, (3,)),
            ] {
                match outcome {
                    Ok(_) => println!("no panic"),
                    Err(error) => println!("{error}"),
                }
            }
            ExitCode::SUCCESS
        }
        "must-not-run" => {
            // A refused worker exits inside `init()`: reaching this line means it served.
            eprintln!("a refused worker ran main past init()");
            ExitCode::from(3)
        }
        other => {
            eprintln!("unknown role {other}");
            ExitCode::FAILURE
        }
    }
}
