//! One end of the connection between a pool's driver thread and its worker process: two
//! rings in shared memory for the frames, the socket beside them.
//!
//! A frame that fits in its ring travels there. A larger one goes on the socket, after a
//! notice in the ring that says so: the reader takes records from the ring in order and
//! reads the socket only when a notice tells it to, so frames arrive in the order they were
//! sent whichever way each went. The socket also tells the reader that the peer died: a
//! reader asleep on its ring wakes every `patrol` to look at the peer's pidfd (the driver's
//! end has one, see `patient`) and the socket, and an exited peer or a closed socket with
//! nothing in the ring means the peer is gone.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::mapping::Mapping;
use super::ring::{self, Consumer, Producer, Record, Ring};
use crate::pool::process::patient::Patient;
use crate::pool::remote::wire;

/// How many bytes each ring holds: a lab-sized chunk of arguments (25,000 rows) fits.
pub(crate) const RING_CAPACITY: usize = 1 << 20;
/// Where the rings' data starts: after both headers, on a page of its own.
const DATA: usize = 4096;
/// The size of the shared memory for one worker.
pub(crate) const SHARED_LEN: usize = DATA + 2 * RING_CAPACITY;

/// How often a driver waiting for its worker's reply looks whether the worker died: what a
/// dead worker's chunk waits at most before it fails, over the socket's news.
pub(crate) const DRIVER_PATROL: Duration = Duration::from_millis(10);
/// How often an idle worker looks whether its driver let it go without a word (on Linux a
/// worker whose driver thread ends is killed anyway, by its parent-death signal).
pub(crate) const WORKER_PATROL: Duration = Duration::from_millis(100);

/// Which end of the connection this is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum End {
    /// The pool's driver thread: writes requests, reads replies.
    Driver,
    /// The worker process: reads requests, writes replies.
    Worker,
}

/// One end of a connection: frames go through shared memory when there is some, through the
/// socket otherwise.
pub(crate) struct Channel {
    socket: Patient,
    rings: Option<Rings>,
    /// How long a reader or writer sleeps on its ring before it looks at the socket.
    patrol: Duration,
}

struct Rings {
    out: Producer,
    inbox: Consumer,
}

impl Channel {
    /// A connection over the socket alone (where shared memory is not available).
    pub(crate) fn over_socket(socket: Patient) -> Self {
        Channel {
            socket,
            rings: None,
            patrol: Duration::MAX,
        }
    }

    /// A connection through the rings in `map` (of [`SHARED_LEN`] bytes, zeroed when the
    /// connection starts), with the socket beside them; a sleeping reader looks at the
    /// socket every `patrol`.
    ///
    /// # Panics
    ///
    /// If `map` is smaller than [`SHARED_LEN`].
    pub(crate) fn over_shared_memory(
        socket: Patient,
        map: Arc<Mapping>,
        end: End,
        patrol: Duration,
    ) -> Self {
        let to_worker = Ring::new(Arc::clone(&map), 0, DATA, RING_CAPACITY);
        let to_driver = Ring::new(map, ring::HEADER, DATA + RING_CAPACITY, RING_CAPACITY);
        let (out, inbox) = match end {
            End::Driver => (to_worker, to_driver),
            End::Worker => (to_driver, to_worker),
        };
        Channel {
            socket,
            rings: Some(Rings {
                out: Producer::new(out),
                inbox: Consumer::new(inbox),
            }),
            patrol,
        }
    }

    /// Sends one frame.
    ///
    /// # Errors
    ///
    /// When the peer is gone or the ring is corrupt.
    pub(crate) fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        let Channel {
            socket,
            rings,
            patrol,
        } = self;
        let Some(Rings { out, .. }) = rings else {
            return wire::write_frame(socket, frame);
        };
        let on_socket = frame.len() > out.max_frame();
        loop {
            let sent = if on_socket {
                out.try_push_on_socket()?
            } else {
                out.try_push(frame)?
            };
            if sent {
                break;
            }
            if !out.wait_for_room(frame.len(), *patrol)
                && (socket.peer_exited() || hung_up(socket)?)
            {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
        }
        if on_socket {
            wire::write_frame(socket, frame)?;
        }
        Ok(())
    }

    /// Receives one frame of at most `limit` bytes into `buf`; `Ok(false)` when the peer has
    /// closed the connection (or died) between frames.
    ///
    /// # Errors
    ///
    /// When the frame is over the limit, the ring is corrupt, or the socket carries a frame
    /// the ring did not announce.
    pub(crate) fn recv(&mut self, buf: &mut Vec<u8>, limit: usize) -> io::Result<bool> {
        let Channel {
            socket,
            rings,
            patrol,
        } = self;
        let Some(Rings { inbox, .. }) = rings else {
            return wire::read_frame(socket, buf, limit);
        };
        loop {
            match inbox.try_pop(buf)? {
                Some(Record::Frame) if buf.len() > limit => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("frame of {} bytes; the limit here is {limit}", buf.len()),
                    ));
                }
                Some(Record::Frame) => return Ok(true),
                Some(Record::OnSocket) => return wire::read_frame(socket, buf, limit),
                None => {}
            }
            if inbox.wait_for_record(*patrol) {
                continue;
            }
            // The peer process exited (its pidfd says so, where we have one): whatever it
            // wrote before it died is in the ring, so look there once more.
            if socket.peer_exited() && inbox.is_empty() {
                return Ok(false);
            }
            if !readable(socket)? {
                continue;
            }
            // Something on the socket. A notice is always in the ring before its frame is on
            // the socket, so look at the ring once more: if it is still empty, the socket can
            // only be closing.
            if inbox.is_empty() {
                return match wire::read_frame(socket, buf, limit)? {
                    false => Ok(false),
                    true => Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a frame arrived on the socket without its notice in the ring",
                    )),
                };
            }
        }
    }
}

/// Whether the socket has something to read, or has been closed.
fn readable(socket: &Patient) -> io::Result<bool> {
    ready(socket, PollFlags::POLLIN)
}

/// Whether the peer has closed its end.
fn hung_up(socket: &Patient) -> io::Result<bool> {
    ready(socket, PollFlags::empty())
}

fn ready(socket: &Patient, events: PollFlags) -> io::Result<bool> {
    let mut fds = [PollFd::new(socket.as_fd(), events)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => Ok(false),
        Ok(_) => Ok(true), // POLLHUP and POLLERR are reported whatever was asked
        Err(errno) => Err(errno.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;

    use super::*;

    const PATROL: Duration = Duration::from_millis(5);

    /// Both ends of a connection, as the driver and the worker would hold them.
    fn connected() -> (Channel, Channel) {
        let (a, b) = UnixStream::pair().unwrap();
        let (map, _fd) = Mapping::create(SHARED_LEN).unwrap();
        let map = Arc::new(map);
        let end = |socket, end| {
            Channel::over_shared_memory(
                Patient::new(socket).unwrap(),
                Arc::clone(&map),
                end,
                PATROL,
            )
        };
        (end(a, End::Driver), end(b, End::Worker))
    }

    #[test]
    fn large_frames_cross_the_socket_in_their_place_among_small_ones() {
        let (mut driver, mut worker) = connected();
        let big = vec![9u8; RING_CAPACITY]; // four bytes too many for the ring
        let frames: Vec<Vec<u8>> = vec![
            b"small".to_vec(),
            big.clone(),
            vec![1; RING_CAPACITY - 4], // exactly the ring's largest
            big,
            b"".to_vec(),
            b"last".to_vec(),
        ];
        let sent = frames.clone();
        let writer = std::thread::spawn(move || {
            for frame in &sent {
                driver.send(frame).unwrap();
            }
            driver
        });
        let mut buf = Vec::new();
        for (n, frame) in frames.iter().enumerate() {
            assert!(worker.recv(&mut buf, usize::MAX).unwrap());
            assert!(buf == *frame, "frame {n}: {} bytes", buf.len());
        }
        drop(writer.join().unwrap());
        assert!(
            !worker.recv(&mut buf, usize::MAX).unwrap(),
            "the peer is gone"
        );
    }

    #[test]
    fn a_reader_asleep_on_its_ring_sees_the_peer_go() {
        let (driver, mut worker) = connected();
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(driver);
        });
        assert!(!worker.recv(&mut Vec::new(), usize::MAX).unwrap());
        closer.join().unwrap();
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_whichever_way_it_came() {
        let (mut driver, mut worker) = connected();
        driver.send(&[0; 100]).unwrap();
        let err = worker.recv(&mut Vec::new(), 99).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let writer = std::thread::spawn(move || {
            let _ = driver.send(&vec![0; RING_CAPACITY * 2]); // the reader stops reading
        });
        let err = worker.recv(&mut Vec::new(), RING_CAPACITY).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        drop(worker);
        writer.join().unwrap();
    }

    #[test]
    fn a_frame_on_the_socket_without_its_notice_is_refused() {
        let (a, b) = UnixStream::pair().unwrap();
        let (map, _fd) = Mapping::create(SHARED_LEN).unwrap();
        let mut worker = Channel::over_shared_memory(
            Patient::new(b).unwrap(),
            Arc::new(map),
            End::Worker,
            PATROL,
        );
        wire::write_frame(&mut &a, b"sneaked").unwrap();
        let err = worker.recv(&mut Vec::new(), usize::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_writer_facing_a_full_ring_and_a_gone_peer_gives_up() {
        let (mut driver, worker) = connected();
        let frame = vec![0; RING_CAPACITY / 2];
        driver.send(&frame).unwrap(); // nobody reads: the second does not fit
        drop(worker);
        let err = driver.send(&frame).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn without_shared_memory_frames_cross_the_socket() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut a = Channel::over_socket(Patient::new(a).unwrap());
        let mut b = Channel::over_socket(Patient::new(b).unwrap());
        a.send(b"plain").unwrap();
        let mut buf = Vec::new();
        assert!(b.recv(&mut buf, 10).unwrap());
        assert_eq!(buf, b"plain");
        drop(a);
        assert!(!b.recv(&mut buf, 10).unwrap());
    }
}
