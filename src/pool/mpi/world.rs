//! This process's place in the MPI job: starting MPI in [`init()`](crate::pool::init),
//! checking that every rank runs the same build, and — on rank 0 — the progress engine that
//! makes every MPI call after that, the worker ranks the pools hold, and saying goodbye at
//! exit.

use std::hash::Hasher;
use std::io::Read;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crossbeam::channel;

use mpi::Threading;
use mpi::Threading::Serialized;
use mpi::environment::Universe;
use mpi::point_to_point::Destination;
use mpi::topology::Communicator;
use mpi::traits::Root as _;

use super::progress::{Command, Handle};
use crate::{Error, Result};

/// The tags of the messages between rank 0 and a worker rank. MPI keeps the messages between
/// two ranks in order, and a rank answers its requests in order, so a tag is all a message
/// needs besides its bytes.
pub(crate) mod tag {
    use mpi::Tag;

    /// Rank 0 → worker: a chunk, encoded as for a worker process (`remote::job`).
    pub(crate) const TASK: Tag = 1;
    /// Rank 0 → worker: run the initializer at this entry offset (8 bytes, little-endian).
    pub(crate) const INIT: Tag = 2;
    /// Rank 0 → worker: finalise MPI and exit.
    pub(crate) const EXIT: Tag = 3;
    /// Worker → rank 0: a chunk's outcomes, encoded as a worker process's reply.
    pub(crate) const REPLY: Tag = 11;
    /// Worker → rank 0: the outcomes were too large for one message (8 bytes: their size).
    pub(crate) const REPLY_TOO_LARGE: Tag = 12;
    /// Worker → rank 0: the initializer ran.
    pub(crate) const INIT_DONE: Tag = 13;
    /// Worker → rank 0: the initializer panicked (the bytes: its message).
    pub(crate) const INIT_PANICKED: Tag = 14;
    /// Worker → rank 0: this rank runs another build and executes nothing.
    pub(crate) const REFUSED: Tag = 15;
}

/// Variables an MPI launcher (OpenMPI's, MPICH's, a PMIx one) sets in every rank it starts.
const LAUNCHER_VARS: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// How long rank 0, at exit, waits for worker ranks still running a task before it aborts the
/// job instead of hanging in `MPI_Finalize`.
const EXIT_GRACE: Duration = Duration::from_secs(10);

/// Rank 0's exit code when it has to abort the job at exit.
const EXIT_ABORTED: i32 = 70;

/// Rank 0's state, or why MPI could not start; set by `init()` under `mpirun`.
static ROOT: OnceLock<std::result::Result<Root, String>> = OnceLock::new();

/// Rank 0's view of the job.
pub(crate) struct Root {
    /// `Some` until MPI is finalised at exit. MPI runs at threading level `Serialized`: the
    /// main thread starts and finalises it, the progress engine makes every call in between.
    universe: Mutex<Option<Universe>>,
    size: usize,
    /// Why no pool can start (ranks running another build, too low a threading level).
    unusable: Option<String>,
    /// What each worker rank does for the pools, by rank − 1.
    held: Mutex<Vec<Use>>,
    /// Started by the first pool.
    progress: OnceLock<Handle>,
}

/// What a worker rank does for the pools.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Use {
    /// No pool holds it.
    Free,
    /// A pool holds it.
    Held,
    /// Out of a pool that was dropped or terminated, it still runs that pool's chunks.
    Finishing,
}

/// A message too large for MPI.
pub(crate) struct Refused(pub(crate) String);

/// Whether an MPI launcher started this process.
pub(crate) fn launched_by_mpirun() -> bool {
    LAUNCHER_VARS
        .iter()
        .any(|var| std::env::var_os(var).is_some())
}

/// Under `mpirun`: starts MPI; a worker rank then serves rank 0 and exits, never returning;
/// rank 0 returns and may start pools. Elsewhere: returns at once.
pub(crate) fn serve_if_worker_rank() {
    if ROOT.get().is_some() || !launched_by_mpirun() {
        return;
    }
    no_openmpi_idle_yields();
    if ranks_here().is_some_and(|ranks| ranks > cores()) {
        super::wait::ranks_share_cores();
    }
    let Some((universe, threading)) = mpi::initialize_with_threading(Serialized) else {
        let _ = ROOT.set(Err(
            "MPI was initialised before `concurrency_lab::pool::init()`; \
                              call `init()` first and let it start MPI"
                .into(),
        ));
        return;
    };
    let world = universe.world();
    let mine = build_hash();
    let mut root_hash = mine;
    world.process_at_rank(0).broadcast_into(&mut root_hash);
    if world.rank() != 0 {
        world.process_at_rank(0).gather_into(&mine);
        let _ = ROOT.set(Err(format!(
            "this is worker rank {}: only rank 0 can start an MPI pool (a task cannot)",
            world.rank()
        )));
        drop(world);
        super::worker::serve_root(universe, mine == root_hash);
    }
    let size = world.size() as usize;
    let mut all = vec![0u64; size];
    world
        .process_at_rank(0)
        .gather_into_root(&mine, &mut all[..]);
    drop(world);
    let _ = ROOT.set(Ok(Root {
        universe: Mutex::new(Some(universe)),
        size,
        unusable: unusable(&all, threading),
        held: Mutex::new(vec![Use::Free; size.saturating_sub(1)]),
        progress: OnceLock::new(),
    }));
    // SAFETY: registers a plain `extern "C"` function; `atexit` has no other requirement.
    unsafe { nix::libc::atexit(finalize_at_exit) };
}

/// OpenMPI's switch for yielding the CPU inside every probe that finds nothing, which it turns
/// on when a job has more ranks than cores. Next to a busy program each such yield costs a
/// whole time slice: beside two busy loops, a round trip over three ranks took 4 ms instead of
/// 0.2–0.4 ms, and 2,000 one-item chunks 1.9 s instead of 13–150 ms. The pool's waits yield
/// on their own terms and notice a busy CPU (`pool::idle`), so it is turned off here.
const YIELD_WHEN_IDLE: &str = "OMPI_MCA_mpi_yield_when_idle";

/// Turns OpenMPI's idle yields off before MPI starts, unless the user chose a setting or the
/// environment cannot be changed soundly (another thread could be reading it).
fn no_openmpi_idle_yields() {
    if std::env::var_os(YIELD_WHEN_IDLE).is_some() || !single_threaded() {
        return;
    }
    // SAFETY: this process has no other thread that could read or write the environment
    // meanwhile, and only this thread could start one.
    unsafe { std::env::set_var(YIELD_WHEN_IDLE, "0") };
}

/// Whether this process runs one thread, according to the kernel.
fn single_threaded() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.split_whitespace().eq(["Threads:", "1"]))
    })
}

/// How many ranks of the job run on this machine, as the launcher says (OpenMPI, MPICH).
fn ranks_here() -> Option<usize> {
    ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|var| std::env::var(var).ok()?.parse().ok())
}

/// The machine's cores. Not `available_parallelism`, which counts the cores this process may
/// use: mpirun binds each of two ranks to a core of its own, and each rank would see one.
fn cores() -> usize {
    use nix::unistd::{SysconfVar, sysconf};
    sysconf(SysconfVar::_NPROCESSORS_ONLN)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
}

fn unusable(hashes: &[u64], threading: Threading) -> Option<String> {
    let strangers: Vec<usize> = (1..hashes.len())
        .filter(|&rank| hashes[rank] != hashes[0])
        .collect();
    if !strangers.is_empty() {
        return Some(format!(
            "rank(s) {strangers:?} run a different build of this program than rank 0; every \
             host must run the very same executable (copy it to the same path everywhere after \
             each build)"
        ));
    }
    (threading < Serialized).then(|| {
        format!(
            "this MPI library offers threading level {threading:?}; the pool needs Serialized \
             (rank 0's progress engine talks to the ranks from a thread of its own)"
        )
    })
}

/// A fingerprint of this executable's bytes. Not its inode or path: ranks may run on other
/// hosts, each with its own copy of the file.
fn build_hash() -> u64 {
    let mut hasher = std::hash::DefaultHasher::new(); // fixed keys: the same bytes, the same hash
    let Ok(mut file) = std::fs::File::open("/proc/self/exe") else {
        return 0; // cannot read it: 0 differs from any real hash, so the check fails loudly
    };
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return hasher.finish(),
            Ok(n) => hasher.write(&buffer[..n]),
            Err(_) => return 0,
        }
    }
}

fn mpi_error(reason: impl Into<String>) -> Error {
    Error::Mpi {
        reason: reason.into(),
    }
}

/// Rank 0's state, or an error that says how to start the program properly.
pub(crate) fn rank0() -> Result<&'static Root> {
    match ROOT.get() {
        Some(Ok(root)) => match &root.unusable {
            Some(reason) => Err(mpi_error(reason.clone())),
            None => Ok(root),
        },
        Some(Err(reason)) => Err(mpi_error(reason.clone())),
        None if launched_by_mpirun() => Err(mpi_error(
            "this program was started by mpirun but did not call \
             `concurrency_lab::pool::init()` first thing in `main`, so no rank serves as a worker",
        )),
        None => Err(mpi_error(
            "this program was not started by mpirun, so it has no worker ranks: run it as \
             `mpirun -n 3 <program>` (rank 0 runs `main`, ranks 1 and 2 are the pool's workers; \
             with fewer than 3 cores add `--oversubscribe`; Debian: `apt-get install \
             openmpi-bin`)",
        )),
    }
}

impl Root {
    /// The ranks besides rank 0.
    pub(crate) fn worker_ranks(&self) -> usize {
        self.size - 1
    }

    /// Fails when the job has no worker rank at all (`mpirun -n 1`).
    pub(crate) fn require_workers(&self) -> Result<()> {
        if self.size < 2 {
            return Err(mpi_error(
                "the job has rank 0 only, so there is no worker rank: start it with \
                 `mpirun -n N` for N ≥ 2 (on a machine with fewer than N cores, add \
                 `--oversubscribe`)",
            ));
        }
        Ok(())
    }

    /// Reserves `count` free worker ranks for a pool.
    pub(crate) fn claim(&self, count: usize) -> Result<Vec<i32>> {
        self.require_workers()?;
        let mut held = self.held();
        let free: Vec<usize> = (0..held.len())
            .filter(|&i| held[i] == Use::Free)
            .take(count)
            .collect();
        if free.len() < count {
            let of = |what| held.iter().filter(|&&u| u == what).count();
            return Err(mpi_error(format!(
                "{count} worker ranks asked for, but the job has {} (`mpirun -n {}`) and {} of \
                 them are free: {}",
                self.size - 1,
                self.size,
                free.len(),
                busy_ranks(of(Use::Held), of(Use::Finishing))
            )));
        }
        for &i in &free {
            held[i] = Use::Held;
        }
        Ok(free.into_iter().map(|i| i as i32 + 1).collect())
    }

    /// Gives a worker rank back: it owes no reply.
    pub(crate) fn release(&self, rank: i32) {
        self.held()[rank as usize - 1] = Use::Free;
    }

    /// Marks a worker rank out of its pool but still running the pool's chunks.
    pub(crate) fn finishing(&self, rank: i32) {
        self.held()[rank as usize - 1] = Use::Finishing;
    }

    fn held(&self) -> MutexGuard<'_, Vec<Use>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The progress engine, started by the first pool.
    pub(crate) fn progress(&'static self) -> Result<&'static Handle> {
        if let Some(handle) = self.progress.get() {
            return Ok(handle);
        }
        // One engine only, even when two pools start at once: it is the one thread that
        // makes MPI calls.
        static STARTING: Mutex<()> = Mutex::new(());
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = self.progress.get() {
            return Ok(handle);
        }
        let handle = Handle::start(self, self.size).map_err(|source| Error::ThreadSpawn {
            name: "mpi-progress".into(),
            source,
        })?;
        Ok(self.progress.get_or_init(|| handle))
    }
}

/// Why the ranks asked for are not free, for `claim`'s error.
fn busy_ranks(held: usize, finishing: usize) -> String {
    let mut why = Vec::new();
    if held > 0 {
        why.push(format!("{held} held by other pools until they are dropped"));
    }
    if finishing > 0 {
        why.push(format!(
            "{finishing} still running tasks of a pool that was dropped or terminated (they \
             come back when those tasks end)"
        ));
    }
    why.join(", ")
}

/// MPI counts elements in a C `int`: one message carries less than 2 GiB.
pub(crate) fn check_size(len: usize) -> Result<(), Refused> {
    match i32::try_from(len) {
        Ok(_) => Ok(()),
        Err(_) => Err(Refused(format!(
            "a message of {len} bytes is larger than MPI can send at once (2 GiB); use smaller \
             chunks or arguments"
        ))),
    }
}

/// Rank 0's goodbye, run by `exit` after `main` returns: every worker rank is told to exit,
/// then MPI is finalised (a rank that exits without `MPI_Finalize` makes mpirun fail the job).
/// A worker rank still running a task after [`EXIT_GRACE`] would make `MPI_Finalize` wait for
/// ever: then the job is aborted instead.
extern "C" fn finalize_at_exit() {
    let Some(Ok(root)) = ROOT.get() else {
        return;
    };
    let Some(universe) = root
        .universe
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    let world = universe.world();
    let said_goodbye = match root.progress.get() {
        // No pool ever started: this thread is the only one that made MPI calls.
        None => {
            for rank in 1..world.size() {
                world
                    .process_at_rank(rank)
                    .send_with_tag(&[0u8; 0][..], tag::EXIT);
            }
            true
        }
        Some(progress) => {
            let (done, answer) = channel::bounded(1);
            let exit = Command::Exit {
                deadline: Instant::now() + EXIT_GRACE,
                done,
            };
            // The engine answers by the deadline unless a callback it runs never returns.
            progress.send(exit).is_ok()
                && answer
                    .recv_timeout(EXIT_GRACE + Duration::from_secs(1))
                    .unwrap_or(false)
        }
    };
    if !said_goodbye {
        eprintln!(
            "concurrency-lab: a worker rank still runs a task {EXIT_GRACE:?} after rank 0 \
             finished; aborting the MPI job"
        );
        world.abort(EXIT_ABORTED);
    }
    drop(world);
    drop(universe); // MPI_Finalize
}
