//! The worker's side: what [`init`](crate::pool::init) does in a process a pool started.

use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::libc;

use super::patient::Patient;
use crate::panic_message::catch;
use crate::pool::remote::entry::init_entry_at;
use crate::pool::remote::wire::{
    self, EXIT, ExecutableId, Hello, MAGIC, MAX_FRAME, MAX_HELLO, MAX_READY, PROTOCOL, RUN, Ready,
};
use crate::pool::remote::{Unrunnable, run_request};

/// The environment variable through which a pool tells its worker
/// `<socket fd>:<token>:<pool's pid>:<stdout fd or ->`.
///
/// A worker's children inherit the variable (a process may not change its environment safely
/// once threads run), so the pool's pid in it says whom it is meant for: a process whose
/// parent is not that pid — a program a task started — is not a worker, even if it is this
/// same binary.
pub(crate) const WORKER_ENV: &str = "CONCURRENCY_LAB_POOL_WORKER";

/// How a worker process ends.
pub(crate) mod exit_code {
    /// The parent said goodbye, or went away.
    pub(crate) const DONE: i32 = 0;
    /// The request stream was not from a parent running this build: nothing was executed.
    pub(crate) const REFUSED: i32 = 97;
    /// The initializer panicked.
    pub(crate) const INITIALIZER_PANICKED: i32 = 98;
    /// The connection to the parent broke midway.
    pub(crate) const LOST_PARENT: i32 = 99;
}

/// Set once this process serves as a worker, so a pool created by one of its tasks is allowed.
static SERVING: AtomicBool = AtomicBool::new(false);

/// Whether this process was started as a worker but never called `init()`: such a process
/// must not start pools of its own, or a program without the guard would spawn itself forever.
pub(crate) fn started_as_worker_without_init() -> bool {
    worker_spec().is_some() && !SERVING.load(Ordering::Acquire)
}

/// The worker variable, if it is meant for this process: the pool that set it is our parent.
fn worker_spec() -> Option<String> {
    let spec = std::env::var_os(WORKER_ENV)?;
    let spec = spec.to_string_lossy().into_owned();
    let parent = spec.split(':').nth(2)?.parse::<u32>().ok()?;
    (parent == std::os::unix::process::parent_id()).then_some(spec)
}

/// Serves the parent if this process is a pool worker, and then exits; returns otherwise.
pub(crate) fn serve_if_worker() {
    let Some(spec) = worker_spec() else {
        return;
    };
    SERVING.store(true, Ordering::Release);
    let code = match serve_parent(&spec) {
        Ok(code) => code,
        Err(Refusal(reason)) => {
            // The worker's stderr is the only place left to say why it refuses.
            eprintln!(
                "concurrency-lab pool worker {}: refusing to serve: {reason}",
                std::process::id()
            );
            exit_code::REFUSED
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// Why a worker refuses its request stream; it has executed nothing.
struct Refusal(String);

/// Shakes hands with the pool that started this process, then answers its tasks; returns the
/// exit code.
fn serve_parent(spec: &str) -> Result<i32, Refusal> {
    let Spec { fd, token, stdout } = parse_spec(spec)?;
    // SAFETY: the pool that started us put the socket's number in the environment and kept the
    // descriptor open across exec for us; nothing else in this process owns it. Should the
    // variable lie, the handshake below fails and we execute nothing.
    let mut socket = unsafe { UnixStream::from_raw_fd(fd) };
    // The socket was kept open across our own exec; programs our tasks start must not inherit
    // it, or they would keep it open after we die and hide our death from the pool.
    set_close_on_exec(fd).map_err(|e| Refusal(format!("cannot set up the socket: {e}")))?;
    let hello = read_hello(&mut socket)?;
    check_hello(&hello, token)?;
    if let Some(stdout) = stdout {
        restore_stdout(stdout);
    }

    let initialized = match hello.initializer {
        None => Ok(()),
        // SAFETY: the handshake proved the parent runs this same executable.
        Some(offset) => match unsafe { init_entry_at(offset) } {
            // Caught quietly: the message travels to the pool in `InitializerPanicked`.
            Some(init) => catch(init).map_err(|panic| {
                let mut message = panic.message;
                cut_to(&mut message, MAX_READY / 2);
                message
            }),
            None => {
                return Err(Refusal(
                    "the initializer's offset leads outside this executable".into(),
                ));
            }
        },
    };
    let failed = initialized.is_err();
    let ready = Ready {
        pid: std::process::id(),
        initialized,
    };
    let mut frame = Vec::new();
    if wire::append(&ready, &mut frame).is_err() || wire::write_frame(&mut socket, &frame).is_err()
    {
        return Ok(exit_code::LOST_PARENT);
    }
    if failed {
        return Ok(exit_code::INITIALIZER_PANICKED);
    }
    match Patient::new(socket) {
        Ok(mut socket) => Ok(answer_tasks(&mut socket)),
        Err(_) => Ok(exit_code::LOST_PARENT),
    }
}

/// What the worker variable says.
struct Spec {
    fd: RawFd,
    token: u128,
    /// Where the pool's stdout is, if the pool silenced ours until `init()`.
    stdout: Option<RawFd>,
}

fn parse_spec(spec: &str) -> Result<Spec, Refusal> {
    let refuse = || {
        Refusal(format!(
            "{WORKER_ENV}={spec:?} is not `<fd>:<token>:<pid>:<stdout fd or ->`"
        ))
    };
    let fields: Vec<&str> = spec.split(':').collect();
    let [fd, token, _pid, stdout] = fields[..] else {
        return Err(refuse());
    };
    let fd = fd.parse::<RawFd>().map_err(|_| refuse())?;
    let token = u128::from_str_radix(token, 16).map_err(|_| refuse())?;
    let stdout = match stdout {
        "-" => None,
        fd => Some(fd.parse::<RawFd>().map_err(|_| refuse())?),
    };
    if fd < 3 || stdout.is_some_and(|out| out < 3 || out == fd) {
        return Err(refuse()); // never take over stdin, stdout or stderr
    }
    Ok(Spec { fd, token, stdout })
}

/// Points our stdout back at the pool's. The pool starts workers with stdout silenced, so
/// that what runs before `init()` — a test harness's "running 1 test" — stays out of the
/// program's output; from here on, what a task prints reaches the pool's stdout.
fn restore_stdout(pools: RawFd) {
    let _ = std::io::stdout().flush();
    // SAFETY: plain system calls on descriptors the pool passed for this purpose; after dup2
    // the copy is closed, and nothing else in this process refers to it.
    unsafe {
        libc::dup2(pools, libc::STDOUT_FILENO);
        libc::close(pools);
    }
}

fn set_close_on_exec(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: plain system calls on a descriptor this process owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn cut_to(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

fn read_hello(socket: &mut UnixStream) -> Result<Hello, Refusal> {
    let mut frame = Vec::new();
    match wire::read_frame(socket, &mut frame, MAX_HELLO) {
        Ok(true) => {}
        Ok(false) => return Err(Refusal("the stream ended before the handshake".into())),
        Err(e) => return Err(Refusal(format!("could not read the handshake: {e}"))),
    }
    let (hello, rest) = wire::take::<Hello>(&frame)
        .map_err(|e| Refusal(format!("the handshake does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(Refusal("the handshake has trailing bytes".into()));
    }
    Ok(hello)
}

fn check_hello(hello: &Hello, token: u128) -> Result<(), Refusal> {
    if hello.magic != MAGIC {
        return Err(Refusal(
            "the stream does not start with the pool's magic".into(),
        ));
    }
    if hello.protocol != PROTOCOL || hello.crate_version != env!("CARGO_PKG_VERSION") {
        return Err(Refusal(format!(
            "protocol {} of concurrency-lab {}; this worker speaks {PROTOCOL} of {}",
            hello.protocol,
            hello.crate_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    if hello.token != token {
        return Err(Refusal(
            "the parent's token is not the one in the environment".into(),
        ));
    }
    let mine = ExecutableId::of_this_process()
        .map_err(|e| Refusal(format!("cannot identify this executable: {e}")))?;
    if hello.executable != mine {
        return Err(Refusal(
            "the parent runs a different build of this program (was it rebuilt?)".into(),
        ));
    }
    Ok(())
}

/// Answers task frames until the parent says goodbye or goes away; returns the exit code.
fn answer_tasks(socket: &mut Patient) -> i32 {
    let mut request = Vec::new();
    let mut reply = Vec::new();
    loop {
        match wire::read_frame(socket, &mut request, MAX_FRAME) {
            Ok(true) => {}
            Ok(false) => return exit_code::DONE, // the parent closed the connection
            Err(_) => return exit_code::LOST_PARENT,
        }
        let (kind, body) = match request.split_first() {
            Some((&kind, body)) => (kind, body),
            None => return refuse_midway("an empty frame"),
        };
        match kind {
            EXIT => return exit_code::DONE,
            // SAFETY: the handshake proved the parent runs this same executable, and it only
            // sends offsets of entry points.
            RUN => match unsafe { run_request(body, &mut reply) } {
                Ok(()) => {}
                Err(Unrunnable::Truncated) => return refuse_midway("an unknown frame"),
                Err(Unrunnable::UnknownEntry) => {
                    return refuse_midway("an entry offset outside this executable");
                }
            },
            _ => return refuse_midway("an unknown frame"),
        }
        if wire::write_frame(socket, &reply).is_err() {
            return exit_code::LOST_PARENT;
        }
    }
}

fn refuse_midway(what: &str) -> i32 {
    eprintln!(
        "concurrency-lab pool worker {}: received {what}; exiting",
        std::process::id()
    );
    exit_code::REFUSED
}
