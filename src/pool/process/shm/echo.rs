//! A raw two-process ping-pong through a pair of rings — no pool, no tasks, no encoding: the
//! floor under a process pool's round trip, which `benches/pool_processes.rs` measures beside
//! the pool's, and the rings' test across two processes.
//!
//! The other process is this program again, started like a pool worker: its
//! [`init`](crate::pool::init) finds [`ECHO_ENV`] and echoes every frame back until it gets
//! an empty one.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::libc;

use super::mapping::Mapping;
use super::ring::{self, Consumer, Producer, Record, Ring};
use crate::pool::process::spawn::WORKER_ARGS;

/// `<memfd>:<ring capacity>:<parent's pid>`, for an echo process.
const ECHO_ENV: &str = "CONCURRENCY_LAB_SHM_ECHO";
/// How long either side sleeps on its ring before it checks that the other is still there.
const PATROL: Duration = Duration::from_millis(100);
/// How long dropping a ping-pong waits for the echo process to exit before killing it.
const QUIT_GRACE: Duration = Duration::from_secs(5);

/// Both rings in one mapping of `4096 + 2 * capacity` bytes: requests, then replies.
fn rings(map: &Arc<Mapping>, capacity: usize) -> (Ring, Ring) {
    let requests = Ring::new(Arc::clone(map), 0, 4096, capacity);
    let replies = Ring::new(Arc::clone(map), ring::HEADER, 4096 + capacity, capacity);
    (requests, replies)
}

/// A raw two-process ping-pong over shared memory: the floor under a process pool's round
/// trip. Not part of the crate's interface; `benches/pool_processes.rs` measures it.
///
/// ```
/// concurrency_lab::pool::init(); // the echo process is this program again
/// let mut echo = concurrency_lab::pool::ShmEcho::start().unwrap();
/// assert_eq!(echo.round_trip(b"ping").unwrap(), b"ping");
/// ```
#[doc(hidden)]
pub struct ShmEcho {
    out: Producer,
    inbox: Consumer,
    child: Child,
    reply: Vec<u8>,
}

impl std::fmt::Debug for ShmEcho {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmEcho")
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl ShmEcho {
    /// Starts the echo process, with rings as large as a pool worker's.
    ///
    /// # Errors
    ///
    /// When the shared memory or the process cannot be made.
    pub fn start() -> io::Result<Self> {
        Self::with_capacity(super::channel::RING_CAPACITY)
    }

    pub(crate) fn with_capacity(capacity: usize) -> io::Result<Self> {
        let (map, fd) = Mapping::create(4096 + 2 * capacity)?;
        let map = Arc::new(map);
        let raw = fd.as_raw_fd();
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args(WORKER_ARGS)
            .env(ECHO_ENV, format!("{raw}:{capacity}:{}", std::process::id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        // SAFETY: the closure runs in the forked child before exec and makes only
        // async-signal-safe system calls, building no error that allocates.
        unsafe {
            command.pre_exec(move || {
                if libc::fcntl(raw, libc::F_SETFD, 0) == -1
                    || libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1
                {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop(fd);
        let (requests, replies) = rings(&map, capacity);
        Ok(ShmEcho {
            out: Producer::new(requests),
            inbox: Consumer::new(replies),
            child,
            reply: Vec::with_capacity(capacity),
        })
    }

    /// Sends `frame` (at most the ring's capacity less four bytes; not empty) and returns
    /// what came back.
    ///
    /// # Errors
    ///
    /// When the echo process died, or the rings are corrupt.
    ///
    /// # Panics
    ///
    /// If the frame is empty or larger than the ring.
    pub fn round_trip(&mut self, frame: &[u8]) -> io::Result<&[u8]> {
        assert!(!frame.is_empty(), "an empty frame tells the echo to quit");
        self.send(frame)?;
        self.recv()?;
        Ok(&self.reply)
    }

    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        while !self.out.try_push(frame)? {
            if !self.out.wait_for_room(frame.len(), PATROL) {
                self.check_alive()?;
            }
        }
        Ok(())
    }

    fn recv(&mut self) -> io::Result<()> {
        loop {
            match self.inbox.try_pop(&mut self.reply)? {
                Some(Record::Frame) => return Ok(()),
                Some(Record::OnSocket) => return Err(ring::Corrupt("a socket notice").into()),
                None => {}
            }
            if !self.inbox.wait_for_record(PATROL) {
                self.check_alive()?;
            }
        }
    }

    fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("the echo process ended: {status}"),
            )),
        }
    }
}

impl Drop for ShmEcho {
    fn drop(&mut self) {
        let _ = self.out.try_push(b"");
        let deadline = Instant::now() + QUIT_GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Echoes frames and exits if this process was started as an echo; returns otherwise.
pub(crate) fn serve_if_echo() {
    let Some(spec) = std::env::var_os(ECHO_ENV) else {
        return;
    };
    let spec = spec.to_string_lossy().into_owned();
    let mut fields = spec.split(':').map(|field| field.parse::<i64>().ok());
    let (Some(Some(fd)), Some(Some(capacity)), Some(Some(parent)), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return;
    };
    let (Ok(fd), Ok(capacity), Ok(parent)) = (
        i32::try_from(fd),
        usize::try_from(capacity),
        i32::try_from(parent),
    ) else {
        return;
    };
    // A program the echo started would see the variable too: only our parent's is for us.
    // SAFETY: a plain system call.
    if parent != unsafe { libc::getppid() } || fd < 3 {
        return;
    }
    std::process::exit(match echo(fd, capacity, parent) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("concurrency-lab shared-memory echo: {e}");
            1
        }
    });
}

fn echo(fd: i32, capacity: usize, parent: i32) -> io::Result<()> {
    if !capacity.is_power_of_two() || !(8..=1 << 30).contains(&capacity) {
        return Err(io::Error::other("not a ring's capacity"));
    }
    // SAFETY: our parent kept this descriptor open across exec for us, and named it in the
    // environment; it is only borrowed here, for the mapping.
    let file = unsafe { BorrowedFd::borrow_raw(fd) };
    let map = Arc::new(Mapping::open(file, 4096 + 2 * capacity)?);
    // SAFETY: the descriptor is ours and nothing else refers to it; the mapping stays.
    unsafe { libc::close(fd) };
    let (requests, replies) = rings(&map, capacity);
    let (mut inbox, mut out) = (Consumer::new(requests), Producer::new(replies));
    let mut frame = Vec::with_capacity(capacity);
    loop {
        match inbox.try_pop(&mut frame)? {
            Some(Record::Frame) if frame.is_empty() => return Ok(()),
            Some(Record::Frame) => {
                while !out.try_push(&frame)? {
                    out.wait_for_room(frame.len(), PATROL);
                }
            }
            Some(Record::OnSocket) => return Err(ring::Corrupt("a socket notice").into()),
            None => {
                // SAFETY: a plain system call.
                if !inbox.wait_for_record(PATROL) && unsafe { libc::getppid() } != parent {
                    return Ok(()); // the parent is gone
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::process::shm::ring::tests::frame_for;

    #[test]
    fn frames_cross_to_another_process_and_back() {
        let mut echo = ShmEcho::start().unwrap();
        for n in 1..200u32 {
            let frame = frame_for(n, 5_000);
            let frame = if frame.is_empty() { vec![1] } else { frame };
            assert_eq!(echo.round_trip(&frame).unwrap(), frame, "frame {n}");
        }
    }

    /// Many frames in flight both ways through small rings, so that both processes fill their
    /// rings, wrap around and sleep and wake each other. The watchdog: every wait is bounded
    /// by the patrol, and the whole exchange must finish by a deadline (generous: the machine
    /// may be loaded), or the test fails instead of hanging.
    #[test]
    fn a_stream_of_frames_survives_full_rings_across_processes() {
        let mut echo = ShmEcho::with_capacity(512).unwrap();
        const FRAMES: u32 = 20_000;
        let deadline = Instant::now() + Duration::from_secs(120);
        let (mut sent, mut received) = (0, 0);
        let mut reply = Vec::new();
        while received < FRAMES {
            assert!(
                Instant::now() < deadline,
                "stuck at {sent} sent, {received} received"
            );
            let mut progress = false;
            while sent < FRAMES {
                let frame = frame_for(sent, 200);
                let frame = if frame.is_empty() { vec![7] } else { frame };
                if !echo.out.try_push(&frame).unwrap() {
                    break;
                }
                sent += 1;
                progress = true;
            }
            while let Some(record) = echo.inbox.try_pop(&mut reply).unwrap() {
                assert_eq!(record, Record::Frame);
                let expected = frame_for(received, 200);
                let expected = if expected.is_empty() {
                    vec![7]
                } else {
                    expected
                };
                assert_eq!(reply, expected, "frame {received}");
                received += 1;
                progress = true;
            }
            if !progress {
                echo.inbox.wait_for_record(Duration::from_millis(10));
                echo.check_alive().unwrap();
            }
        }
    }

    #[test]
    fn a_killed_echo_is_an_error_not_a_hang() {
        let mut echo = ShmEcho::start().unwrap();
        assert_eq!(echo.round_trip(b"x").unwrap(), b"x");
        echo.child.kill().unwrap();
        let err = echo.round_trip(b"y").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
