//! The worker's side: what [`init`](crate::pool::init) does in a process a pool started.

use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, Ordering};

use super::entry::{chunk_entry_at, init_entry_at};
use super::patient::Patient;
use super::wire::{
    self, BAD_ARGUMENTS, EXIT, ExecutableId, Hello, MAGIC, OUTCOMES, PROTOCOL, RUN, Ready,
};
use crate::panic_message::panic_message;

/// The environment variable through which a pool tells its worker `<socket fd>:<token>`.
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
    std::env::var_os(WORKER_ENV).is_some() && !SERVING.load(Ordering::Acquire)
}

/// Serves the parent if this process is a pool worker, and then exits; returns otherwise.
pub(crate) fn serve_if_worker() {
    let Some(spec) = std::env::var_os(WORKER_ENV) else {
        return;
    };
    SERVING.store(true, Ordering::Release);
    let code = match serve(&spec.to_string_lossy()) {
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

fn serve(spec: &str) -> Result<i32, Refusal> {
    let (fd, token) = parse_spec(spec)?;
    // SAFETY: the pool that started us put the socket's number in the environment and kept the
    // descriptor open across exec for us; nothing else in this process owns it. Should the
    // variable lie, the handshake below fails and we execute nothing.
    let mut socket = unsafe { UnixStream::from_raw_fd(fd) };
    let hello = read_hello(&mut socket)?;
    check_hello(&hello, token)?;

    let initialized = match hello.initializer {
        None => Ok(()),
        // SAFETY: the handshake proved the parent runs this same executable.
        Some(offset) => catch_unwind(unsafe { init_entry_at(offset) })
            .map_err(|payload| panic_message(payload.as_ref())),
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
        Ok(mut socket) => Ok(serve_tasks(&mut socket)),
        Err(_) => Ok(exit_code::LOST_PARENT),
    }
}

fn parse_spec(spec: &str) -> Result<(RawFd, u128), Refusal> {
    let refuse = || Refusal(format!("{WORKER_ENV}={spec:?} is not `<fd>:<token>`"));
    let (fd, token) = spec.split_once(':').ok_or_else(refuse)?;
    let fd = fd.parse::<RawFd>().map_err(|_| refuse())?;
    let token = u128::from_str_radix(token, 16).map_err(|_| refuse())?;
    if fd < 3 {
        return Err(refuse()); // never take over stdin, stdout or stderr
    }
    Ok((fd, token))
}

fn read_hello(socket: &mut UnixStream) -> Result<Hello, Refusal> {
    let mut frame = Vec::new();
    match wire::read_frame(socket, &mut frame) {
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
fn serve_tasks(socket: &mut Patient) -> i32 {
    let mut request = Vec::new();
    let mut reply = Vec::new();
    loop {
        match wire::read_frame(socket, &mut request) {
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
            RUN if body.len() >= 8 => {
                let (offset, args) = body.split_at(8);
                let offset = u64::from_le_bytes(offset.try_into().expect("eight bytes"));
                reply.clear();
                reply.push(OUTCOMES);
                // SAFETY: the handshake proved the parent runs this same executable, and it
                // only sends offsets of entry points.
                let entry = unsafe { chunk_entry_at(offset) };
                if let Err(message) = entry(args, &mut reply) {
                    reply.clear();
                    reply.push(BAD_ARGUMENTS);
                    reply.extend_from_slice(message.as_bytes());
                }
            }
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
