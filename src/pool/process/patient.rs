//! A socket that polls a few times before it sleeps (see `pool::wake`).
//!
//! A round trip to a worker process crosses the socket twice, and each crossing would wake a
//! process asleep in `read`. So both ends keep the socket non-blocking and, when nothing has
//! arrived yet, try again a bounded number of times ([`SYSCALL_POLLS`]: each try is a system
//! call, and together they cost about one wake-up) before they sleep in `poll(2)`.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::pool::wake::SYSCALL_POLLS;

/// A non-blocking socket that reads and writes as if it were blocking.
pub(crate) struct Patient(UnixStream);

impl Patient {
    pub(crate) fn new(socket: UnixStream) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Patient(socket))
    }

    /// Waits until the socket is ready for `events`, or returns at once while `tries` of the
    /// caller's [`SYSCALL_POLLS`] are left (counting one down): the caller tries again.
    fn wait(&self, events: PollFlags, tries: &mut u32) -> io::Result<()> {
        if *tries > 0 {
            *tries -= 1;
            std::hint::spin_loop();
            return Ok(());
        }
        let mut fds = [PollFd::new(self.0.as_fd(), events)];
        loop {
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => return Err(errno.into()),
            }
        }
    }
}

impl AsFd for Patient {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl Read for Patient {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut tries = SYSCALL_POLLS;
        loop {
            match self.0.read(buf) {
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
            match self.0.write(buf) {
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
