//! The MPI backend, for real: this binary launches `mpirun` on itself.
//!
//! Started by cargo, it is the launcher: it runs `mpirun -n N … <this binary> <scenario>` for
//! 2, 3 and 4 ranks over shared memory and over TCP, and the scenarios that set things up
//! wrongly, and checks each run's exit status and output. Started by `mpirun`, its `main` calls
//! `pool::init()` first — the worker ranks serve there — and rank 0 plays the scenario, exiting
//! non-zero if an expectation fails. Every `mpirun` is bounded: on timeout its whole process
//! group is killed.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use concurrency_lab::Error;
use concurrency_lab::pool::{self, Callbacks, MapOptions, MpiPool};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Bounds every wait on a result inside a scenario.
const BOUND: Duration = Duration::from_secs(60);
/// Bounds every `mpirun`.
const MPIRUN_BOUND: Duration = Duration::from_secs(120);
/// Marks this test's processes, so the launcher can look for leftovers.
const RUN_ID: &str = "CLAB_MPI_TEST_RUN";

type Outcome = Result<(), String>;

fn main() -> ExitCode {
    pool::init(); // under mpirun: ranks 1, 2, … serve here and never return
    let scenario = std::env::args().nth(1).unwrap_or_default();
    let outcome = if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() {
        play(&scenario)
    } else {
        launch_all()
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

// ----- the launcher -----

fn launch_all() -> Outcome {
    if Command::new("mpirun").arg("--version").output().is_err() {
        return Err(
            "`mpirun` was not found. The MPI tests need OpenMPI: on Debian/Ubuntu, \
                    `apt-get install -y libopenmpi-dev openmpi-bin libclang-dev`"
                .into(),
        );
    }
    not_under_mpirun_is_an_error()?;
    let shm = ["--mca", "btl", "self,vader"];
    let tcp = [
        "--mca",
        "btl",
        "self,tcp",
        "--mca",
        "btl_tcp_if_include",
        "lo",
    ];
    for (ranks, transport, name) in [
        (2, shm, "shared memory"),
        (3, shm, "shared memory"),
        (4, shm, "shared memory"),
    ] {
        expect_success(
            &format!("the whole API, {ranks} ranks, {name}"),
            ranks,
            &transport,
            "api",
        )?;
    }
    for ranks in [2, 3] {
        expect_success(
            &format!("the whole API, {ranks} ranks, TCP"),
            ranks,
            &tcp,
            "api",
        )?;
    }
    expect_success("exercise 3 agrees with the loop", 3, &shm, "range_count")?;
    expect_success(
        "32 worker ranks: the lab's map and imap_unordered give the sequential answer",
        33,
        &shm,
        "many_ranks",
    )?;
    expect_success("one rank: no workers, an error", 1, &shm, "one_rank")?;
    a_different_build_is_refused()?;
    a_task_that_kills_its_rank_ends_the_job()?;
    one_map_across_two_hosts()?;
    a_killed_remote_daemon_ends_the_job()?;
    println!("mpi: all scenarios passed");
    Ok(())
}

fn not_under_mpirun_is_an_error() -> Outcome {
    match MpiPool::all_ranks() {
        Err(Error::Mpi { reason, .. }) if reason.contains("mpirun -n") => {
            println!("ok: without mpirun: {reason}");
            Ok(())
        }
        Err(other) => Err(format!("without mpirun: expected Error::Mpi, got {other}")),
        Ok(_) => Err("without mpirun: a pool started".into()),
    }
}

fn a_different_build_is_refused() -> Outcome {
    // The same program with one byte appended: it runs the same, but it is another build.
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let copy = me.with_file_name(format!("mpi-other-build-{}", std::process::id()));
    let mut bytes = std::fs::read(&me).map_err(|e| e.to_string())?;
    bytes.push(0);
    std::fs::write(&copy, bytes).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    let copy_arg = copy.to_string_lossy().into_owned();
    let out = mpirun(
        &["-n", "1"],
        &["--mca", "btl", "self,vader"],
        &[":", "-n", "1", &copy_arg, "other_build"],
        "other_build",
    );
    let _ = std::fs::remove_file(&copy);
    check(&out?, "a rank running another build is refused", true)
}

fn a_task_that_kills_its_rank_ends_the_job() -> Outcome {
    let started = Instant::now();
    let out = mpirun(
        &["-n", "3"],
        &["--mca", "btl", "self,vader"],
        &[],
        "kill_rank",
    )?;
    if out.status.success() {
        return Err(format!("a killed rank: mpirun succeeded\n{}", show(&out)));
    }
    println!(
        "ok: a task that kills its rank: mpirun ended {} after {:.1?}",
        out.status,
        started.elapsed()
    );
    Ok(())
}

/// Where the fake `ssh` lives: mpirun runs the "remote" daemon through it.
const FAKE_RSH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mpi/fake-rsh");

/// The second "host": an address of the loopback network that no interface carries, so
/// OpenMPI takes it for another machine and starts a daemon there through the agent, while
/// the kernel delivers its traffic locally (all of 127.0.0.0/8 is loopback). No system file
/// is edited.
const SECOND_HOST: &str = "127.0.0.2";

/// `mpirun` options for a job over two simulated hosts, two ranks each, talking over TCP; the
/// hostfile is written into `dir`.
fn two_hosts(dir: &std::path::Path) -> Result<Vec<String>, String> {
    let hostfile = dir.join("hosts");
    std::fs::write(
        &hostfile,
        format!("localhost slots=2\n{SECOND_HOST} slots=2\n"),
    )
    .map_err(|e| format!("cannot write {}: {e}", hostfile.display()))?;
    Ok([
        "--hostfile",
        &hostfile.to_string_lossy(),
        "--mca",
        "plm_rsh_agent",
        FAKE_RSH,
        "--mca",
        "btl",
        "self,tcp",
        "--mca",
        "btl_tcp_if_include",
        "lo",
        "--mca",
        "oob_tcp_if_include",
        "lo",
    ]
    .map(String::from)
    .to_vec())
}

/// A scratch directory for one launch, removed by the caller.
fn scratch(name: &str) -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "clab-mpi-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn one_map_across_two_hosts() -> Outcome {
    let dir = scratch("two-hosts")?;
    let options = two_hosts(&dir);
    let out = options.and_then(|options| {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        mpirun(&["-n", "4"], &options, &[], "two_hosts")
    });
    let _ = std::fs::remove_dir_all(&dir);
    check(
        &out?,
        "one map across two hosts (a second daemon, TCP)",
        true,
    )
}

fn a_killed_remote_daemon_ends_the_job() -> Outcome {
    let dir = scratch("kill-daemon")?;
    let started = Instant::now();
    let options = two_hosts(&dir);
    let out = options.and_then(|options| {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        mpirun(&["-n", "4"], &options, &[], "kill_daemon")
    });
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?; // `mpirun` checked that none of the job's processes is left
    if out.status.success() {
        return Err(format!("a killed daemon: mpirun succeeded\n{}", show(&out)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.contains("killing daemon") {
        return Err(format!(
            "a killed daemon: the job ended before rank 0 killed the daemon\n{}",
            show(&out)
        ));
    }
    println!(
        "ok: a killed remote daemon: mpirun ended {} after {:.1?}, no process left",
        out.status,
        started.elapsed()
    );
    Ok(())
}

fn expect_success(what: &str, ranks: usize, transport: &[&str], scenario: &str) -> Outcome {
    let n = ranks.to_string();
    let out = mpirun(&["-n", &n], transport, &[], scenario)?;
    check(&out, what, true)
}

fn check(out: &Output, what: &str, success: bool) -> Outcome {
    if out.status.success() != success {
        return Err(format!("{what}: mpirun {}\n{}", out.status, show(out)));
    }
    println!("ok: {what}");
    Ok(())
}

fn show(out: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `mpirun <ranks> <transport> <this binary> <scenario> <tail>` in a process group of its
/// own, killed whole if it outlives [`MPIRUN_BOUND`]; then checks that none of its processes
/// is left.
fn mpirun(
    ranks: &[&str],
    transport: &[&str],
    tail: &[&str],
    scenario: &str,
) -> Result<Output, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let run_id = format!("{}-{scenario}-{}", std::process::id(), rand_suffix());
    let mut command = Command::new("mpirun");
    command
        .arg("--oversubscribe")
        .args(["-x", RUN_ID])
        .args(transport)
        .args(ranks)
        .arg(&me)
        .arg(scenario)
        .args(tail)
        .env(RUN_ID, &run_id)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env_remove("OMPI_COMM_WORLD_SIZE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start mpirun: {e}"))?;
    let group = Pid::from_raw(child.id() as i32);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(MPIRUN_BOUND) {
        Ok(out) => out.map_err(|e| e.to_string())?,
        Err(_) => {
            // Where each process waits, for the failure message, before they are killed.
            let states: Vec<String> = processes_marked(&run_id)
                .into_iter()
                .map(|pid| {
                    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan"));
                    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                    format!("{pid} waiting in {:?}: {cmd}", wchan.unwrap_or_default())
                })
                .collect();
            let _ = kill(Pid::from_raw(-group.as_raw()), Signal::SIGKILL);
            return Err(format!(
                "mpirun ({scenario}) still ran after {MPIRUN_BOUND:?}: killed; its processes \
                 were {states:#?}"
            ));
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_marked(&run_id);
        if left.is_empty() {
            return Ok(out);
        }
        if Instant::now() > deadline {
            let _ = kill(Pid::from_raw(-group.as_raw()), Signal::SIGKILL);
            return Err(format!(
                "processes {left:?} of `{scenario}` outlived mpirun"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The processes whose environment carries this run's mark.
fn processes_marked(run_id: &str) -> BTreeSet<u32> {
    let needle = format!("{RUN_ID}={run_id}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect()
}

// ----- the scenarios, played by rank 0 -----

fn play(scenario: &str) -> Outcome {
    match scenario {
        "api" => the_whole_api(),
        "one_rank" => one_rank(),
        "range_count" => range_count(),
        "many_ranks" => many_ranks(),
        "other_build" => other_build(),
        "kill_rank" => kill_rank(),
        "two_hosts" => across_two_hosts(),
        "kill_daemon" => kill_daemon(),
        other => Err(format!("unknown scenario {other:?}")),
    }
}

fn square(n: u64) -> u64 {
    n * n
}

fn howmany_within_range(row: Vec<u8>, minimum: u8, maximum: u8) -> usize {
    row.iter()
        .filter(|n| (minimum..=maximum).contains(n))
        .count()
}

fn fails_on_13(n: u64) -> u64 {
    assert!(n != 13, "thirteen is unlucky");
    n
}

/// The process that started this rank: `mpirun` itself on the first host, an OpenMPI daemon
/// (`orted`, or `prted` from OpenMPI 5) on the second.
fn parent_of_rank() -> (u32, String) {
    let parent = std::os::unix::process::parent_id();
    let name = std::fs::read_to_string(format!("/proc/{parent}/comm")).unwrap_or_default();
    (parent, name.trim().to_owned())
}

fn is_daemon(name: &str) -> bool {
    name == "orted" || name == "prted"
}

/// Polls `condition` every 20 ms for at most [`BOUND`]; returns whether it came true.
fn wait_until(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + BOUND;
    while !condition() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

fn started_mark(gate: &str) -> String {
    format!("{gate}.started")
}

/// A task that says it started, then waits (at most [`BOUND`]) until rank 0 creates `gate`.
fn wait_for_file(gate: String) -> bool {
    let _ = std::fs::write(started_mark(&gate), b"");
    wait_until(|| std::path::Path::new(&gate).exists())
}

fn nap_then(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(n));
    n
}

static INITIALIZED: AtomicBool = AtomicBool::new(false);

fn set_up() {
    INITIALIZED.store(true, Ordering::SeqCst);
}

fn was_set_up() -> bool {
    INITIALIZED.load(Ordering::SeqCst)
}

fn rank_of_worker() -> i32 {
    std::env::var("OMPI_COMM_WORLD_RANK")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(-1)
}

/// What a task gets when it tries to start a pool of its own on a worker rank.
fn nested_pool() -> String {
    match MpiPool::new(1) {
        Ok(_) => "a pool started on a worker rank".into(),
        Err(err) => err.to_string(),
    }
}

fn ensure(condition: bool, what: &str) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(what.to_owned())
    }
}

fn e(error: Error) -> String {
    error.to_string()
}

fn the_whole_api() -> Outcome {
    let size: usize = std::env::var("OMPI_COMM_WORLD_SIZE")
        .unwrap()
        .parse()
        .unwrap();
    let all = pool::worker_ranks().map_err(e)?;
    ensure(all == size - 1, "worker_ranks() is the size minus rank 0")?;
    // `init()` turned OpenMPI's idle yields off (the launcher does not set the variable).
    ensure(
        std::env::var("OMPI_MCA_mpi_yield_when_idle").as_deref() == Ok("0"),
        "init() sets OMPI_MCA_mpi_yield_when_idle=0",
    )?;

    // The initializer runs on every rank; a pool over all ranks sees it everywhere.
    let pool = MpiPool::builder()
        .workers(all)
        .initializer(set_up)
        .build()
        .map_err(e)?;
    let ranks: BTreeSet<i32> = pool
        .map_async_with(
            |_: u32| rank_of_worker(),
            0..64,
            MapOptions::new().chunksize(1),
        )
        .map_err(e)?
        .get()
        .map_err(e)?
        .into_iter()
        .collect();
    ensure(!ranks.contains(&0), "no task runs on rank 0")?;
    let everywhere = pool
        .map_async_with(
            |_: u32| was_set_up(),
            0..(4 * all as u32),
            MapOptions::new().chunksize(1),
        )
        .map_err(e)?
        .get()
        .map_err(e)?;
    ensure(
        everywhere.iter().all(|&b| b),
        "the initializer ran on every rank",
    )?;

    ensure(pool.apply(square, (7,)).map_err(e)? == 49, "apply")?;
    let nested = pool.apply(nested_pool, ()).map_err(e)?;
    ensure(
        nested.contains("only rank 0"),
        "a task cannot start a pool on its rank",
    )?;
    ensure(
        pool.apply(howmany_within_range, (vec![1, 5, 7, 9], 4, 8))
            .map_err(e)?
            == 2,
        "apply with three arguments",
    )?;

    let (tx, rx) = mpsc::channel();
    let callbacks = Callbacks::new().on_success(move |n: &u64| tx.send(*n).unwrap());
    let result = pool.apply_async_with(square, (12,), callbacks).map_err(e)?;
    ensure(
        result.get_timeout(BOUND).map_err(e)? == 144,
        "apply_async's result",
    )?;
    ensure(
        rx.recv_timeout(BOUND).ok() == Some(144),
        "apply_async's callback",
    )?;

    let (tx, rx) = mpsc::channel();
    let callbacks = Callbacks::new().on_error(move |err: &Error| tx.send(err.to_string()).unwrap());
    let failed = pool
        .apply_async_with(fails_on_13, (13,), callbacks)
        .map_err(e)?;
    ensure(
        matches!(failed.get_timeout(BOUND), Err(Error::TaskPanicked { .. })),
        "a panicking task is Err(TaskPanicked)",
    )?;
    ensure(
        rx.recv_timeout(BOUND).is_ok_and(|m| m.contains("unlucky")),
        "the error callback gets the panic",
    )?;
    ensure(
        pool.apply(square, (3,)).map_err(e)? == 9,
        "the pool goes on after a panic",
    )?;

    let expected: Vec<u64> = (0..1000).map(square).collect();
    ensure(pool.map(square, 0..1000).map_err(e)? == expected, "map")?;

    // Every rank busy, more chunks queued: a driver sends the next chunk ahead. These are too
    // large for MPI to send without the rank receiving them; sent ahead, they would deadlock
    // against the rank's large reply (this hung until the size check in `mpi::engine`).
    let big = pool
        .map_async_with(
            |bytes: Vec<u8>| bytes,
            (0..4 * all).map(|i| vec![i as u8; 300_000]),
            MapOptions::new().chunksize(1),
        )
        .map_err(e)?
        .get_timeout(BOUND)
        .map_err(e)?;
    ensure(
        big.iter()
            .enumerate()
            .all(|(i, bytes)| bytes.len() == 300_000 && bytes.iter().all(|&b| b == i as u8)),
        "large chunks sent ahead come back whole, in order",
    )?;
    let mapped = pool.map(fails_on_13, 0..100);
    ensure(
        matches!(mapped, Err(Error::TaskPanicked { .. })),
        "map with a panicking item is Err",
    )?;

    let running = pool
        .map_async_with(nap_then, vec![5; 20], MapOptions::new().chunksize(1))
        .map_err(e)?;
    ensure(running.progress().total == 20, "map_async's progress total")?;
    ensure(
        running.get_timeout(BOUND).map_err(e)? == vec![5; 20],
        "map_async",
    )?;

    let rows = vec![
        (vec![4u8, 8, 9], 4u8, 8u8),
        (vec![0, 1, 2], 4, 8),
        (vec![5, 6, 7], 4, 8),
    ];
    ensure(
        pool.starmap(howmany_within_range, rows).map_err(e)? == [2, 0, 3],
        "starmap",
    )?;

    let ordered: Vec<u64> = pool
        .imap(square, 0..500)
        .chunksize(7)
        .collect::<Result<_, _>>()
        .map_err(e)?;
    ensure(ordered == expected[..500], "imap")?;
    let mut unordered: Vec<u64> = pool
        .imap_unordered(square, 0..500)
        .collect::<Result<_, _>>()
        .map_err(e)?;
    unordered.sort_unstable();
    ensure(unordered == expected[..500], "imap_unordered")?;

    // A second pool cannot have ranks the first one holds.
    ensure(
        matches!(MpiPool::new(1), Err(Error::Mpi { .. })),
        "a second pool over held ranks is Err(Mpi)",
    )?;
    ensure(
        matches!(
            MpiPool::builder().workers(1).max_tasks_per_child(1).build(),
            Err(Error::Mpi { .. })
        ),
        "max_tasks_per_child is Err(Mpi)",
    )?;

    // close + join: everything queued completes.
    let results: Vec<_> = (0..200)
        .map(|n| pool.apply_async(square, (n,)))
        .collect::<Result<_, _>>()
        .map_err(e)?;
    pool.close();
    pool.join_timeout(BOUND).map_err(e)?;
    for (n, result) in results.into_iter().enumerate() {
        ensure(
            result.get_timeout(BOUND).map_err(e)? == square(n as u64),
            "a task queued before close",
        )?;
    }
    ensure(
        matches!(pool.apply(square, (1,)), Err(Error::PoolClosed { .. })),
        "apply after close",
    )?;
    drop(pool);

    // terminate: a running task's result is Err(PoolTerminated) at once; its rank comes back
    // to the next pool once the task is over.
    // The second task goes ahead to the rank while it runs the first: both fail.
    let pool = MpiPool::new(1).map_err(e)?;
    let slow = pool.apply_async(nap_then, (1500,)).map_err(e)?;
    let ahead = pool.apply_async(nap_then, (1000,)).map_err(e)?;
    std::thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    pool.terminate();
    ensure(
        matches!(slow.get_timeout(BOUND), Err(Error::PoolTerminated)),
        "a task of a terminated pool",
    )?;
    ensure(
        matches!(ahead.get_timeout(BOUND), Err(Error::PoolTerminated)),
        "a task sent ahead to the rank of a terminated pool",
    )?;
    ensure(
        asked.elapsed() < BOUND,
        "terminate does not wait for the task",
    )?;
    pool.join_timeout(BOUND).map_err(e)?;
    drop(pool);
    let deadline = Instant::now() + BOUND;
    let pool = loop {
        match MpiPool::all_ranks() {
            Ok(pool) => break pool,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(other) => return Err(format!("the ranks never came back: {other}")),
        }
    };
    ensure(
        pool.apply(square, (5,)).map_err(e)? == 25,
        "a new pool after terminate",
    )?;

    // Dropping a pool whose task still runs: its rank finishes the task before another pool
    // may have it, and the error says so (not that another pool holds it).
    let gate = std::env::temp_dir().join(format!("clab-mpi-gate-{}", std::process::id()));
    let gate_name = gate.to_string_lossy().into_owned();
    let _ = std::fs::remove_file(&gate);
    let _ = std::fs::remove_file(started_mark(&gate_name));
    let _held = pool
        .apply_async(wait_for_file, (gate_name.clone(),))
        .map_err(e)?;
    ensure(
        wait_until(|| std::path::Path::new(&started_mark(&gate_name)).exists()),
        "the gated task started",
    )?;
    drop(pool);
    let refused = MpiPool::all_ranks();
    std::fs::write(&gate, b"go").map_err(|err| err.to_string())?;
    match refused {
        Err(Error::Mpi { reason, .. })
            if reason.contains("dropped") && !reason.contains("other pools") =>
        {
            println!("ok: all_ranks after dropping a pool whose task runs: {reason}");
        }
        Err(other) => {
            return Err(format!(
                "all_ranks while a dropped pool's task runs: {other}"
            ));
        }
        Ok(_) => return Err("all_ranks while a dropped pool's task runs: a pool started".into()),
    }
    let mut pool = None;
    ensure(
        wait_until(|| {
            pool = MpiPool::all_ranks().ok();
            pool.is_some()
        }),
        "the rank comes back once the dropped pool's task is over",
    )?;
    let pool = pool.expect("checked");
    let _ = std::fs::remove_file(&gate);
    let _ = std::fs::remove_file(started_mark(&gate_name));

    // Dropping a pool with a task running: rank 0 still exits cleanly (it waits for the rank).
    let _late = pool.apply_async(nap_then, (300,)).map_err(e)?;
    std::thread::sleep(Duration::from_millis(50));
    drop(pool);
    println!("rank 0: the whole API works over {all} worker ranks");
    Ok(())
}

fn range_count() -> Outcome {
    use concurrency_lab::lab::range_count::{compare, random_rows, sequential};
    let rows = random_rows(3_000, 31);
    // `compare` fails with LabError::CountsDisagree if any variant counts differently.
    let pool = MpiPool::all_ranks().map_err(e)?;
    let report = compare(&pool, &rows, Some(500)).map_err(|err| err.to_string())?;
    ensure(report.counts == sequential(&rows), "exercise 3's counts")?;
    ensure(report.backend == "mpi", "the report names the backend")
}

/// Rank 0 of many: one progress engine serves them all, and the answers are the loop's.
fn many_ranks() -> Outcome {
    use concurrency_lab::lab::range_count::{howmany_within_range_rowonly, random_rows};
    let rows = random_rows(20_000, 7);
    let sequential: Vec<usize> = rows
        .iter()
        .cloned()
        .map(howmany_within_range_rowonly)
        .collect();
    let pool = MpiPool::all_ranks().map_err(e)?;
    ensure(
        pool.map(howmany_within_range_rowonly, rows.clone())
            .map_err(e)?
            == sequential,
        "the lab's map over every rank",
    )?;
    let mut unordered: Vec<(usize, usize)> = pool
        .imap_unordered(indexed_count, rows.into_iter().enumerate())
        .chunksize(16)
        .collect::<Result<_, _>>()
        .map_err(e)?;
    unordered.sort_unstable();
    ensure(
        unordered.into_iter().map(|(_, count)| count).eq(sequential),
        "imap_unordered over every rank",
    )
}

fn indexed_count((index, row): (usize, Vec<u8>)) -> (usize, usize) {
    (
        index,
        concurrency_lab::lab::range_count::howmany_within_range_rowonly(row),
    )
}

fn one_rank() -> Outcome {
    for (how, pool) in [
        ("MpiPool::new(1)", MpiPool::new(1)),
        ("MpiPool::all_ranks()", MpiPool::all_ranks()),
    ] {
        match pool {
            Err(Error::Mpi { reason, .. }) if reason.contains("rank 0 only") => {}
            Err(other) => {
                return Err(format!(
                    "{how}: expected Error::Mpi about rank 0 only, got {other}"
                ));
            }
            Ok(_) => return Err(format!("{how}: a pool started with one rank")),
        }
    }
    Ok(())
}

fn other_build() -> Outcome {
    match MpiPool::new(1) {
        Err(Error::Mpi { reason, .. }) if reason.contains("different build") => Ok(()),
        Err(other) => Err(format!(
            "expected Error::Mpi about a different build, got {other}"
        )),
        Ok(_) => Err("a pool started over a rank running another build".into()),
    }
}

fn dies(code: i32) -> i32 {
    std::process::exit(code)
}

fn kill_rank() -> Outcome {
    let pool = MpiPool::all_ranks().map_err(e)?;
    // The rank exits without MPI_Finalize: mpirun ends the whole job, this rank included.
    let outcome = pool.apply(dies, (3,));
    Err(format!("rank 0 outlived its dead worker rank: {outcome:?}"))
}

/// Who started the ranks that ran 64 one-item tasks: [`parent_of_rank`] of each.
fn parents_of_ranks(pool: &MpiPool) -> Result<Vec<(u32, String)>, String> {
    pool.map_async_with(
        |_: u32| parent_of_rank(),
        0..64,
        MapOptions::new().chunksize(1),
    )
    .map_err(e)?
    .get_timeout(BOUND)
    .map_err(e)
}

/// Rank 0 of four, over two simulated hosts: a map gives the sequential answer, and a second
/// daemon started some of the ranks.
fn across_two_hosts() -> Outcome {
    let pool = MpiPool::all_ranks().map_err(e)?;
    let expected: Vec<u64> = (0..2000).map(square).collect();
    ensure(
        pool.map(square, 0..2000).map_err(e)? == expected,
        "map across two hosts",
    )?;
    let parents: BTreeSet<(u32, String)> = parents_of_ranks(&pool)?.into_iter().collect();
    println!("rank 0: the worker ranks' parents: {parents:?}");
    ensure(
        parents.iter().any(|(_, name)| is_daemon(name)),
        "a second OpenMPI daemon served ranks",
    )
}

/// Rank 0 of four, over two simulated hosts: kills the second host's daemon while its ranks
/// run tasks. mpirun must end the whole job; rank 0 outliving its bound is a failure.
fn kill_daemon() -> Outcome {
    let pool = MpiPool::all_ranks().map_err(e)?;
    let daemon = parents_of_ranks(&pool)?
        .into_iter()
        .find(|(_, name)| is_daemon(name))
        .ok_or("no rank was started by a second daemon")?;
    let running = pool
        .map_async_with(nap_then, vec![20_000; 12], MapOptions::new().chunksize(1))
        .map_err(e)?;
    std::thread::sleep(Duration::from_millis(300));
    println!("rank 0: killing daemon {daemon:?}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    kill(Pid::from_raw(daemon.0 as i32), Signal::SIGKILL).map_err(|e| e.to_string())?;
    let outcome = running.get_timeout(BOUND);
    Err(format!(
        "rank 0 outlived the killed daemon by {BOUND:?}: {:?}",
        outcome.map(|v| v.len())
    ))
}
