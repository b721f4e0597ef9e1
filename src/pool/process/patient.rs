//! A socket that polls a few times before it sleeps (see `pool::wake`).
//!
//! A round trip to a worker process crosses the socket twice, and each crossing would wake a
//! process asleep in `read`. So both ends keep the socket non-blocking and, when nothing has
//! arrived yet, try again a bounded number of times ([`SYSCALL_POLLS`]: each try is a system
//! call, and together they cost about one wake-up) before they sleep in `poll(2)`.
//!
//! The pool's end also watches the worker *process*: a process a task forked holds the
//! worker's socket open, so the socket alone would not say that the worker died. With the
//! worker's pidfd polled beside it, a read or write that waits on a dead worker fails at once.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::pool::wake::SYSCALL_POLLS;

/// A non-blocking socket that reads and writes as if it were blocking.
pub(crate) struct Patient {
    socket: UnixStream,
    /// The peer process's pidfd, readable once it has exited (the pool's end only).
    peer: Option<OwnedFd>,
    /// The peer has exited: what the socket has not delivered yet never will be.
    peer_gone: bool,
}

impl Patient {
    pub(crate) fn new(socket: UnixStream) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Patient {
            socket,
            peer: None,
            peer_gone: false,
        })
    }

    /// A socket to the process behind `pidfd`, whose exit ends every wait on the socket.
    pub(crate) fn watching(socket: UnixStream, pidfd: Option<OwnedFd>) -> io::Result<Self> {
        Ok(Patient {
            peer: pidfd,
            ..Patient::new(socket)?
        })
    }

    /// Waits until the socket is ready for `events`, or returns at once while `tries` of the
    /// caller's [`SYSCALL_POLLS`] are left (counting one down): the caller tries again.
    /// `Err` once the peer process has exited and the socket is still not ready.
    fn wait(&mut self, events: PollFlags, tries: &mut u32) -> io::Result<()> {
        if self.peer_gone {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the worker process has exited",
            ));
        }
        if *tries > 0 {
            *tries -= 1;
            std::hint::spin_loop();
            return Ok(());
        }
        let socket = PollFd::new(self.socket.as_fd(), events);
        let mut fds = match &self.peer {
            Some(peer) => vec![socket, PollFd::new(peer.as_fd(), PollFlags::POLLIN)],
            None => vec![socket],
        };
        loop {
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => return Err(errno.into()),
            }
        }
        // Try the socket once more before believing the exit: a reply written just before
        // the worker died is still there to read.
        self.peer_gone = fds
            .get(1)
            .and_then(PollFd::revents)
            .is_some_and(|revents| !revents.is_empty());
        Ok(())
    }
}

impl Read for Patient {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut tries = SYSCALL_POLLS;
        loop {
            match self.socket.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.wait(PollFlags::POLLIN, &mut tries)?;
                }
                other => return other,
            }
        }
    }
}

impl Write for Patient {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut tries = SYSCALL_POLLS;
        loop {
            match self.socket.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.wait(PollFlags::POLLOUT, &mut tries)?;
                }
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_whole_frames_across_a_slow_peer() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a, mut b) = (Patient::new(a).unwrap(), Patient::new(b).unwrap());
        let big = vec![7u8; 4 << 20]; // larger than a socket buffer: writes must wait
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20)); // the reader waits past its tries
            a.write_all(&big).unwrap();
            a
        });
        let mut got = vec![0u8; 4 << 20];
        b.read_exact(&mut got).unwrap();
        assert!(got.iter().all(|&x| x == 7));
        drop(writer.join().unwrap());
        assert_eq!(
            b.read(&mut [0u8; 1]).unwrap(),
            0,
            "end of stream once the peer is gone"
        );
    }
}
