//! This process's place in the MPI job: starting MPI in [`init()`](crate::pool::init),
//! checking that every rank runs the same build, and — on rank 0 — the one lock every MPI
//! call goes through, the worker ranks the pools hold, and saying goodbye at exit.

use std::hash::Hasher;
use std::io::Read;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use mpi::Threading;
use mpi::Threading::Serialized;
use mpi::datatype::Equivalence;
use mpi::environment::Universe;
use mpi::point_to_point::{Destination, Source};
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::Root as _;

use super::wait::Backoff;
use crate::{Error, Result};

/// The tags of the messages between rank 0 and a worker rank. Each worker rank has at most
/// one request outstanding, so a tag is all a message needs besides its bytes.
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
    /// `Some` until MPI is finalised. Held around every MPI call: MPI runs at threading level
    /// `Serialized` (any thread may call it, one at a time).
    universe: Mutex<Option<Universe>>,
    size: usize,
    /// Why no pool can start (ranks running another build, too low a threading level).
    unusable: Option<String>,
    /// Which worker ranks a pool holds, by rank − 1.
    held: Mutex<Vec<bool>>,
    released: Condvar,
}

/// An MPI call could not be made: MPI was finalised (rank 0 is exiting), or the message is
/// too large for MPI.
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
        held: Mutex::new(vec![false; size.saturating_sub(1)]),
        released: Condvar::new(),
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
             (rank 0 talks to its workers from several threads)"
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
             Debian: `apt-get install openmpi-bin`)",
        )),
    }
}

impl Root {
    /// The ranks besides rank 0.
    pub(crate) fn worker_ranks(&self) -> usize {
        self.size - 1
    }

    /// Reserves `count` free worker ranks for a pool.
    pub(crate) fn claim(&self, count: usize) -> Result<Vec<i32>> {
        if self.size < 2 {
            return Err(mpi_error(
                "the job has rank 0 only, so there is no worker rank: start it with \
                 `mpirun -n N` for N ≥ 2",
            ));
        }
        let mut held = self.held();
        let free: Vec<usize> = (0..held.len()).filter(|&i| !held[i]).take(count).collect();
        if free.len() < count {
            return Err(mpi_error(format!(
                "{count} worker ranks asked for, but the job has {} (`mpirun -n {}`) and {} of \
                 them are free; other pools hold the rest until they are dropped",
                self.size - 1,
                self.size,
                free.len()
            )));
        }
        for &i in &free {
            held[i] = true;
        }
        Ok(free.into_iter().map(|i| i as i32 + 1).collect())
    }

    /// Gives a worker rank back once it owes no reply.
    pub(crate) fn release(&self, rank: i32) {
        self.held()[rank as usize - 1] = false;
        self.released.notify_all();
    }

    fn held(&self) -> MutexGuard<'_, Vec<bool>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with the world communicator, holding the MPI lock.
    fn with_world<T>(&self, f: impl FnOnce(&SimpleCommunicator) -> T) -> Result<T, Refused> {
        let universe = self.universe.lock().unwrap_or_else(PoisonError::into_inner);
        match &*universe {
            Some(universe) => Ok(f(&universe.world())),
            None => Err(finalised()),
        }
    }

    /// Sends `bytes` to `rank` with `tag`, waiting as [`receive`](Self::receive) does until
    /// MPI has taken them, without holding the MPI lock meanwhile.
    pub(crate) fn send(&self, rank: i32, tag: mpi::Tag, bytes: &[u8]) -> Result<(), Refused> {
        check_size(bytes.len())?;
        mpi::request::scope(|scope| {
            let mut request = self.with_world(|world| {
                world
                    .process_at_rank(rank)
                    .immediate_send_with_tag(scope, bytes, tag)
            })?;
            let mut backoff = Backoff::new();
            loop {
                let universe = self.universe.lock().unwrap_or_else(PoisonError::into_inner);
                if universe.is_none() {
                    // MPI is gone while a send is pending: only when rank 0 aborts the job at
                    // exit (`finalize_at_exit`). The scope then aborts this process, which
                    // `MPI_Abort` ends anyway; a request cannot be dropped unfinished.
                    std::mem::forget(request);
                    return Err(finalised());
                }
                request = match request.test() {
                    Ok(_) => return Ok(()),
                    Err(pending) => pending,
                };
                drop(universe);
                backoff.pause();
            }
        })
    }

    /// Waits for the next message from `rank` into `buf`, returning its tag, until `stop`
    /// says to give up (`Ok(None)`).
    pub(crate) fn receive(
        &self,
        rank: i32,
        buf: &mut Vec<u8>,
        stop: impl Fn() -> bool,
    ) -> Result<Option<mpi::Tag>, Refused> {
        let mut backoff = Backoff::new();
        loop {
            let received = self.with_world(|world| {
                let (message, status) = world.process_at_rank(rank).immediate_matched_probe()?;
                buf.resize(status.count(u8::equivalent_datatype()) as usize, 0);
                message.matched_receive_into(&mut buf[..]);
                Some(status.tag())
            })?;
            if received.is_some() {
                return Ok(received);
            }
            if stop() {
                return Ok(None);
            }
            backoff.pause();
        }
    }

    /// Waits until no pool holds a worker rank, or `deadline`; returns whether none does.
    fn all_released(&self, deadline: Instant) -> bool {
        let mut held = self.held();
        while held.iter().any(|&h| h) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            held = self
                .released
                .wait_timeout(held, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

fn finalised() -> Refused {
    Refused("MPI was finalised: the program is exiting".into())
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
    let idle = root.all_released(Instant::now() + EXIT_GRACE);
    let Some(universe) = root
        .universe
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    let world = universe.world();
    if !idle {
        eprintln!(
            "concurrency-lab: a worker rank still runs a task {EXIT_GRACE:?} after rank 0 \
             finished; aborting the MPI job"
        );
        world.abort(EXIT_ABORTED);
    }
    for rank in 1..world.size() {
        world
            .process_at_rank(rank)
            .send_with_tag(&[0u8; 0][..], tag::EXIT);
    }
    drop(world);
    drop(universe); // MPI_Finalize
}
