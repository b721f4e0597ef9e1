//! Starting one worker process and shaking hands with it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::libc;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::patient::Patient;
use super::worker::{WORKER_ENV, exit_code};
use crate::error::WorkerExit;
use crate::pool::remote::wire::{self, ExecutableId, Hello, MAGIC, MAX_READY, PROTOCOL, Ready};
use crate::{Error, Result};

/// How long a new worker may take to reach `init()` and answer the handshake. Generous: a
/// loaded machine can take seconds to start a large test binary.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Arguments every worker gets. An ordinary program ignores them (its `main` calls `init()`
/// first, which never returns in a worker); a test binary reads them as "run only the test
/// named `__concurrency_lab_pool_worker`, and let it print", which is the test that
/// [`pool_worker_test!`](crate::pool_worker_test) defines. What the harness prints before
/// the test runs ("running 1 test") goes nowhere: a worker's stdout is silenced until
/// `init()` points it back at the pool's (see `worker::restore_stdout`).
const WORKER_ARGS: [&str; 4] = [
    "__concurrency_lab_pool_worker",
    "--nocapture",
    "--test-threads=1",
    "--quiet",
];

/// What every worker of one pool is started with.
pub(crate) struct Launch {
    pub(crate) executable: PathBuf,
    pub(crate) identity: ExecutableId,
    pub(crate) token: u128,
    pub(crate) initializer: Option<u64>,
}

impl Launch {
    pub(crate) fn for_this_program(initializer: Option<u64>) -> Result<Self> {
        let cannot = |e: io::Error| Error::WorkerStart {
            reason: format!("cannot find this program's executable to start it again: {e}"),
        };
        Ok(Launch {
            executable: std::env::current_exe().map_err(cannot)?,
            identity: ExecutableId::of_this_process().map_err(cannot)?,
            token: rand::random(),
            initializer,
        })
    }
}

/// A started worker that has answered the handshake.
pub(crate) struct Worker {
    pub(crate) child: Child,
    pub(crate) socket: Patient,
}

impl Worker {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Starts a worker process and completes the handshake.
///
/// Call it from the thread that will own the worker: on Linux the worker is killed when that
/// thread ends (the parent-death signal is per thread), which is what makes workers die with
/// a killed parent.
pub(crate) fn spawn(launch: &Launch) -> Result<Worker> {
    let (socket, workers_end) = UnixStream::pair().map_err(start_error)?;
    let fd = workers_end.as_raw_fd();
    // A copy of our stdout for the worker to take back in `init()`; without one (stdout
    // closed), the worker simply inherits ours.
    let stdout = copy_of_stdout();
    let stdout_fd = stdout.as_ref().map(AsRawFd::as_raw_fd);
    let parent = std::process::id();
    let mut command = Command::new(&launch.executable);
    let stdout_spec = stdout_fd.map_or_else(|| "-".to_owned(), |fd| fd.to_string());
    command
        .args(WORKER_ARGS)
        .env(
            WORKER_ENV,
            format!("{fd}:{:032x}:{parent}:{stdout_spec}", launch.token),
        )
        .stdin(Stdio::null());
    if stdout.is_some() {
        command.stdout(Stdio::null());
    }
    // SAFETY: the closure runs in the forked child before exec and only makes async-signal-safe
    // system calls (fcntl, setpgid, prctl, getppid), as `pre_exec` requires; it allocates
    // nothing, even on its error paths (`last_os_error` and `from_raw_os_error` hold a bare
    // errno).
    unsafe {
        command.pre_exec(move || {
            // Keep the worker's end of the socket (and the copy of stdout) open across exec:
            // std opens them close-on-exec. The worker closes-on-exec the socket again.
            for fd in std::iter::once(fd).chain(stdout_fd) {
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            // The worker leads a process group of its own, which the processes its tasks
            // start join: the pool kills the group with the worker (see `reap`).
            if libc::setpgid(0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            die_with_parent(parent)
        });
    }
    let child = command.spawn().map_err(|e| Error::WorkerStart {
        reason: format!("cannot start {:?}: {e}", launch.executable),
    })?;
    drop(workers_end); // the worker has its copy; ours would hide the worker's death from us
    drop(stdout);
    // Opened before the handshake: until the child is reaped, its pid names no other process.
    let pidfd = pidfd_of(child.id());
    let mut starting = Starting { child, socket };
    let shaken = handshake(&mut starting, launch);
    let Starting { mut child, socket } = starting;
    match shaken.and_then(|()| Patient::watching(socket, pidfd).map_err(start_error)) {
        Ok(socket) => Ok(Worker { child, socket }),
        Err(error) => {
            kill_group(child.id());
            let _ = reap(&mut child);
            Err(error)
        }
    }
}

/// Kills worker `pid` and every process of its group — what its tasks started, unless they
/// left the group (`setsid`, `setpgid`). Call it only before the worker is reaped: until
/// then its pid, which is the group's id, names nothing else.
pub(crate) fn kill_group(pid: u32) {
    // The group may be gone already (the worker exited, alone); then there is nothing to do.
    let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
}

/// Waits for a worker to exit, kills what is left of its process group, and reaps it: a
/// worker's descendants do not outlive it. The group is killed between the exit and the
/// reaping, while the worker's pid still names the group and nothing else.
pub(crate) fn reap(child: &mut Child) -> io::Result<ExitStatus> {
    wait_without_reaping(child.id())?;
    kill_group(child.id());
    child.wait()
}

/// Blocks until child `pid` has exited, leaving it to be reaped.
fn wait_without_reaping(pid: u32) -> io::Result<()> {
    loop {
        // SAFETY: `info` is a plain struct the call fills in; `pid` is our unreaped child.
        let waited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        match waited {
            0 => return Ok(()),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            _ => return Err(io::Error::last_os_error()),
        }
    }
}

/// A pidfd for child `pid` (Linux 5.3 and later): readable once the process has exited,
/// whoever else holds its socket open. `None` where there is none; the socket alone then
/// tells of the worker's death, unless a process it forked holds the socket too.
#[cfg(target_os = "linux")]
fn pidfd_of(pid: u32) -> Option<OwnedFd> {
    // SAFETY: a plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: on success the call returned a new descriptor, owned by nothing else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd_of(_pid: u32) -> Option<OwnedFd> {
    None
}

/// A close-on-exec copy of this process's stdout, if it has one.
fn copy_of_stdout() -> Option<OwnedFd> {
    // SAFETY: a plain system call; on success the new descriptor is ours alone.
    let fd: RawFd = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_DUPFD_CLOEXEC, 3) };
    // SAFETY: `fd` was just opened for us and is owned by nothing else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A worker before its handshake: a plain blocking socket, so the handshake can time out.
struct Starting {
    child: Child,
    socket: UnixStream,
}

#[cfg(target_os = "linux")]
fn die_with_parent(parent: u32) -> io::Result<()> {
    // SAFETY: plain system calls with integer arguments.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
            return Err(io::Error::last_os_error());
        }
        // The parent may have died before the line above: then nobody will send the signal.
        // The error is a bare errno (ESRCH, "no such process": the parent's), because this runs
        // between fork and exec, where allocating is not async-signal-safe; std sends the
        // parent only the errno anyway.
        if libc::getppid() as u32 != parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_parent: u32) -> io::Result<()> {
    // Elsewhere an idle worker notices its parent's death when the socket closes.
    Ok(())
}

fn handshake(worker: &mut Starting, launch: &Launch) -> Result<()> {
    let hello = Hello {
        magic: MAGIC,
        protocol: PROTOCOL,
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
        executable: launch.identity,
        token: launch.token,
        initializer: launch.initializer,
    };
    let mut frame = Vec::new();
    wire::append(&hello, &mut frame).map_err(|reason| Error::WorkerStart { reason })?;
    worker
        .socket
        .set_read_timeout(Some(HANDSHAKE_TIMEOUT))
        .map_err(start_error)?;
    let sent = wire::write_frame(&mut worker.socket, &frame);
    let answered = sent.and_then(|()| wire::read_frame(&mut worker.socket, &mut frame, MAX_READY));
    if !matches!(answered, Ok(true)) {
        return Err(Error::WorkerStart {
            reason: match exited(&mut worker.child) {
                Some(status) if status.code() == Some(exit_code::REFUSED) => format!(
                    "the worker process {} refused the handshake (its reason is on stderr); \
                     was this program rebuilt while it ran?",
                    worker.child.id()
                ),
                Some(status) if status.code() == Some(exit_code::LOST_PARENT) => format!(
                    "the worker process {} lost its connection to the pool during the handshake",
                    worker.child.id()
                ),
                // A signal ended it: killed from outside (or crashed) while starting; whether
                // it had reached `init()` or not, the advice below would not be the cause.
                Some(status) if status.signal().is_some() => format!(
                    "the worker process {} {} while it was starting, before the handshake \
                     completed",
                    worker.child.id(),
                    describe(status)
                ),
                Some(status) => format!(
                    "the worker process {} {} before the handshake. Call \
                     `concurrency_lab::pool::init()` first thing in `main` (before parsing \
                     arguments); in a test binary, add `concurrency_lab::pool_worker_test!();` \
                     or use `harness = false`",
                    worker.child.id(),
                    describe(status)
                ),
                None => format!(
                    "the worker process {} did not answer the handshake within {HANDSHAKE_TIMEOUT:?}",
                    worker.child.id()
                ),
            },
        });
    }
    worker.socket.set_read_timeout(None).map_err(start_error)?;
    let (ready, _) = wire::take::<Ready>(&frame).map_err(|message| Error::Protocol {
        message: format!("the worker's handshake does not decode: {message}"),
    })?;
    ready
        .initialized
        .map_err(|message| Error::InitializerPanicked { message })
}

/// The child's exit status, waiting a moment for it: right after its socket closed, a dying
/// process may not have been reaped-ready yet.
fn exited(child: &mut Child) -> Option<ExitStatus> {
    for _ in 0..50 {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// How a process ended, in words: `exited with code 3`, `was killed by signal 9 (SIGKILL)`.
pub(crate) fn describe(status: ExitStatus) -> String {
    WorkerExit::from(status).to_string()
}

fn start_error(e: io::Error) -> Error {
    Error::WorkerStart {
        reason: format!("cannot set up the connection to a worker: {e}"),
    }
}
