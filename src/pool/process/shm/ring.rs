//! A single-producer single-consumer ring of byte records in shared memory.
//!
//! ```text
//! header (one per ring, each field on its own cache line)
//!   tail            u64   bytes ever written; only the producer stores it
//!   head            u64   bytes ever read;    only the consumer stores it
//!   reader_wake     SharedWakeWord   the consumer waits on it for a record
//!   writer_wake     SharedWakeWord   the producer waits on it for room
//! data: `capacity` bytes (a power of two); position p lives at p % capacity
//!   record: [len: u32 LE][len bytes]          a frame, possibly wrapping around the end
//!           [u32::MAX]                        "the next frame is on the socket"
//! ```
//!
//! The producer publishes a record by storing the new `tail` after copying the bytes; the
//! consumer frees it by storing the new `head` after copying them out. Each side keeps its
//! own position in private memory and reads only the other's from the ring, and every value
//! read from shared memory is checked before it is used — the peer is another process that
//! may be buggy or hostile, and whatever it writes must make us fail with an error, never
//! read or write outside the ring. Shared memory is touched in exactly two ways: through
//! atomics ([`Ring::word`]), and by the two copies in [`Ring::copy_in`] and
//! [`Ring::copy_out`], whose bounds are checked there. No reference to the ring's bytes is
//! ever made: a peer writing them while we copy can only give us wrong bytes, in our own
//! buffer, which the frame's decoding then refuses.
//!
//! Waking: a side that found nothing to do waits on its wake word (`pool::wake`: a bounded
//! spin, then a futex that is not process-private), and the other side, after each store of
//! its position, wakes it — a system call only when it sleeps. The wake word is shared with a
//! peer that may scribble on it: that can only cost the peer its own wake-ups, or us a
//! spurious one, and every wait here is bounded by a `patrol` after which the caller looks
//! whether the peer is still there.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::mapping::Mapping;
use crate::pool::wake::SharedWakeWord;

/// The bytes one ring's header takes in the mapping.
pub(crate) const HEADER: usize = 512;
const TAIL: usize = 0;
const HEAD: usize = 128;
const READER_WAKE: usize = 256;
const WRITER_WAKE: usize = 384;

/// A record's length field.
const LEN: usize = 4;
/// The length that means "the next frame is on the socket".
const ON_SOCKET: u32 = u32::MAX;

/// What the peer wrote makes no sense: its positions or a record's length are out of bounds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Corrupt(pub(crate) &'static str);

impl From<Corrupt> for std::io::Error {
    fn from(Corrupt(what): Corrupt) -> Self {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the shared-memory ring is corrupt: {what}"),
        )
    }
}

/// Where one ring lives in a mapping.
#[derive(Clone)]
pub(crate) struct Ring {
    map: Arc<Mapping>,
    header: usize,
    data: usize,
    capacity: usize,
}

impl Ring {
    /// The ring whose header starts at byte `header` of `map` and whose `capacity` bytes of
    /// data start at byte `data`.
    ///
    /// # Panics
    ///
    /// If the capacity is not a power of two of at least 8 bytes and below 2 GiB, the header
    /// is not 8-byte aligned, or either part lies outside the mapping or they overlap: the
    /// layout is this module's own, and every access below relies on these checks.
    pub(crate) fn new(map: Arc<Mapping>, header: usize, data: usize, capacity: usize) -> Self {
        assert!(capacity.is_power_of_two() && (8..=1 << 30).contains(&capacity));
        assert!(header.is_multiple_of(8));
        let header_end = header.checked_add(HEADER).expect("header in range");
        let data_end = data.checked_add(capacity).expect("data in range");
        assert!(header_end <= map.len() && data_end <= map.len());
        assert!(
            header_end <= data || data_end <= header,
            "header and data overlap"
        );
        Ring {
            map,
            header,
            data,
            capacity,
        }
    }

    /// The largest frame a record can hold.
    pub(crate) fn max_frame(&self) -> usize {
        self.capacity - LEN
    }

    fn position(&self, field: usize) -> &AtomicU64 {
        debug_assert!(field == TAIL || field == HEAD);
        // SAFETY: `new` checked that the header lies inside the mapping and is 8-byte
        // aligned, and `field` is one of its 8-aligned offsets below `HEADER`; the mapping
        // lives as long as `self` (we hold its `Arc`). An atomic may be shared with writers
        // elsewhere — that is what atomics are for; whatever value the peer stores is only
        // ever read, then checked.
        unsafe { AtomicU64::from_ptr(self.map.base().add(self.header + field).cast()) }
    }

    fn wake_word(&self, field: usize) -> &SharedWakeWord {
        const _: () =
            assert!(size_of::<SharedWakeWord>() <= HEAD && align_of::<SharedWakeWord>() <= 8);
        debug_assert!(field == READER_WAKE || field == WRITER_WAKE);
        // SAFETY: as in `position`: inside the checked header (a word fits in the 128 bytes
        // at its offset, asserted above), aligned, alive with `self`. A `SharedWakeWord` is
        // made of atomics only, for which every bit pattern is valid and zero is a fresh
        // word, so a reference to it in shared memory is a reference to atomics, as above.
        unsafe {
            &*self
                .map
                .base()
                .add(self.header + field)
                .cast::<SharedWakeWord>()
        }
    }

    /// Copies `src` into the data at position `at`, wrapping around the end.
    fn copy_in(&self, at: u64, src: &[u8]) {
        let (start, first) = self.span(at, src.len());
        // SAFETY: `span` keeps both pieces inside the `capacity` bytes at `data`, which `new`
        // checked lie inside the mapping, alive with `self`; `src` is our own memory, so the
        // ranges do not overlap. Raw copies, no reference into shared memory.
        unsafe {
            let data = self.map.base().add(self.data);
            std::ptr::copy_nonoverlapping(src.as_ptr(), data.add(start), first);
            std::ptr::copy_nonoverlapping(src.as_ptr().add(first), data, src.len() - first);
        }
    }

    /// Copies from the data at position `at`, wrapping around the end, into `dst`.
    fn copy_out(&self, at: u64, dst: &mut [u8]) {
        let (start, first) = self.span(at, dst.len());
        // SAFETY: as in `copy_in`, with the roles swapped; `dst` is our own memory.
        unsafe {
            let data = self.map.base().add(self.data);
            std::ptr::copy_nonoverlapping(data.add(start), dst.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(data, dst.as_mut_ptr().add(first), dst.len() - first);
        }
    }

    /// Where `len` bytes at position `at` start in the data, and how many fit before its end
    /// (the rest continue at its beginning). The bounds of every copy are checked here:
    /// `start < capacity`, `start + first <= capacity`, `len - first <= start`.
    ///
    /// # Panics
    ///
    /// If `len` exceeds the capacity; callers check lengths first, so a panic here is a bug
    /// in this module, never the peer's doing.
    fn span(&self, at: u64, len: usize) -> (usize, usize) {
        assert!(len <= self.capacity, "a copy larger than the ring");
        let start = (at % self.capacity as u64) as usize;
        (start, len.min(self.capacity - start))
    }
}

/// Waits on `word` until `ready()`: spinning, then asleep, for at most `patrol` in all.
/// Returns whether `ready()` holds.
fn wait(word: &SharedWakeWord, ready: impl Fn() -> bool, patrol: Duration) -> bool {
    let deadline = Instant::now().checked_add(patrol);
    word.wait_for(|| ready().then_some(()), deadline).is_some()
}

/// The writing side of a ring.
pub(crate) struct Producer {
    ring: Ring,
    /// Our position; the copy in shared memory is only ever stored to.
    tail: u64,
}

impl Producer {
    /// The producer of a fresh (zeroed) ring.
    pub(crate) fn new(ring: Ring) -> Self {
        Producer { ring, tail: 0 }
    }

    /// The largest frame [`try_push`](Self::try_push) accepts.
    pub(crate) fn max_frame(&self) -> usize {
        self.ring.max_frame()
    }

    /// Appends `frame` as one record; `Ok(false)` if the ring has no room for it yet.
    ///
    /// # Panics
    ///
    /// If the frame is larger than [`max_frame`](Self::max_frame): such a frame goes on the
    /// socket, announced by [`try_push_on_socket`](Self::try_push_on_socket).
    pub(crate) fn try_push(&mut self, frame: &[u8]) -> Result<bool, Corrupt> {
        assert!(
            frame.len() <= self.max_frame(),
            "a frame larger than the ring"
        );
        let len = u32::try_from(frame.len()).expect("a ring is below 4 GiB");
        self.try_record(len, frame)
    }

    /// Appends the record that says "the next frame is on the socket"; `Ok(false)` if the
    /// ring has no room for it yet. The caller writes the frame on the socket afterwards.
    pub(crate) fn try_push_on_socket(&mut self) -> Result<bool, Corrupt> {
        self.try_record(ON_SOCKET, &[])
    }

    fn try_record(&mut self, len: u32, body: &[u8]) -> Result<bool, Corrupt> {
        if self.room()? < LEN + body.len() {
            return Ok(false);
        }
        self.ring.copy_in(self.tail, &len.to_le_bytes());
        self.ring.copy_in(self.tail.wrapping_add(LEN as u64), body);
        self.tail = self.tail.wrapping_add((LEN + body.len()) as u64);
        self.ring.position(TAIL).store(self.tail, Ordering::SeqCst);
        self.ring.wake_word(READER_WAKE).wake_one();
        Ok(true)
    }

    /// How many bytes are free, as far as the consumer's position says.
    fn room(&self) -> Result<usize, Corrupt> {
        let head = self.ring.position(HEAD).load(Ordering::SeqCst);
        let used = self.tail.wrapping_sub(head);
        if used > self.ring.capacity as u64 {
            return Err(Corrupt("the reader is ahead of the writer"));
        }
        Ok(self.ring.capacity - used as usize)
    }

    /// Waits until a frame of `len` bytes (or the socket notice, for a larger one) fits:
    /// actively for a moment, then asleep for at most `patrol`. Returns whether it fits.
    pub(crate) fn wait_for_room(&self, len: usize, patrol: Duration) -> bool {
        let need = LEN + if len > self.max_frame() { 0 } else { len };
        let fits = || self.room().map_or(true, |room| room >= need); // corrupt: look now
        wait(self.ring.wake_word(WRITER_WAKE), fits, patrol)
    }
}

/// What [`Consumer::try_pop`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// A frame, now in the caller's buffer.
    Frame,
    /// The next frame is on the socket.
    OnSocket,
}

/// The reading side of a ring.
pub(crate) struct Consumer {
    ring: Ring,
    /// Our position; the copy in shared memory is only ever stored to.
    head: u64,
}

impl Consumer {
    /// The consumer of a fresh (zeroed) ring.
    pub(crate) fn new(ring: Ring) -> Self {
        Consumer { ring, head: 0 }
    }

    /// Takes the next record, copying a frame into `out` (replacing what it held); `Ok(None)`
    /// if there is none yet.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] when the producer's position or the record's length is out of bounds: the
    /// ring is then unusable, and the caller should give up on the peer.
    pub(crate) fn try_pop(&mut self, out: &mut Vec<u8>) -> Result<Option<Record>, Corrupt> {
        let available = self.available()?;
        if available == 0 {
            return Ok(None);
        }
        if available < LEN {
            return Err(Corrupt("a record shorter than its length field"));
        }
        let mut len = [0; LEN];
        self.ring.copy_out(self.head, &mut len);
        let (record, taken) = match u32::from_le_bytes(len) {
            ON_SOCKET => (Record::OnSocket, LEN),
            len if len as usize > available - LEN => {
                return Err(Corrupt("a record longer than what was written"));
            }
            len => {
                // At most `capacity` bytes: whatever the peer writes, we reserve no more.
                out.clear();
                out.resize(len as usize, 0);
                self.ring.copy_out(self.head.wrapping_add(LEN as u64), out);
                (Record::Frame, LEN + len as usize)
            }
        };
        self.head = self.head.wrapping_add(taken as u64);
        self.ring.position(HEAD).store(self.head, Ordering::SeqCst);
        self.ring.wake_word(WRITER_WAKE).wake_one();
        Ok(Some(record))
    }

    /// How many bytes the producer has written that we have not read.
    fn available(&self) -> Result<usize, Corrupt> {
        let tail = self.ring.position(TAIL).load(Ordering::SeqCst);
        let available = tail.wrapping_sub(self.head);
        if available > self.ring.capacity as u64 {
            return Err(Corrupt(
                "the writer is more than a ring ahead of the reader",
            ));
        }
        Ok(available as usize)
    }

    /// Whether no record waits (a corrupt ring counts as not empty: popping reports it).
    pub(crate) fn is_empty(&self) -> bool {
        self.available() == Ok(0)
    }

    /// Waits until a record is there: actively for a moment, then asleep for at most
    /// `patrol`. Returns whether one is.
    pub(crate) fn wait_for_record(&self, patrol: Duration) -> bool {
        wait(
            self.ring.wake_word(READER_WAKE),
            || !self.is_empty(),
            patrol,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const PATROL: Duration = Duration::from_millis(50);

    /// A producer and a consumer of one ring of `capacity` bytes, in one mapping.
    fn pair(capacity: usize) -> (Producer, Consumer, Arc<Mapping>) {
        let (map, _fd) = Mapping::create(4096 + capacity).unwrap();
        let map = Arc::new(map);
        let ring = Ring::new(Arc::clone(&map), 0, 4096, capacity);
        (Producer::new(ring.clone()), Consumer::new(ring), map)
    }

    fn pop(consumer: &mut Consumer) -> Option<Vec<u8>> {
        let mut out = vec![0xAA; 3]; // stale bytes, which a pop must replace
        match consumer.try_pop(&mut out).unwrap()? {
            Record::Frame => Some(out),
            Record::OnSocket => panic!("unexpected socket notice"),
        }
    }

    /// Stores `value` as the peer's position, as a hostile peer would.
    fn forge(map: &Mapping, field: usize, value: u64) {
        // SAFETY: the field is inside the first ring's header, at offset 0 of `map`.
        unsafe { AtomicU64::from_ptr(map.base().add(field).cast()) }.store(value, Ordering::SeqCst);
    }

    fn forge_len(map: &Mapping, at: usize, len: u32) {
        // SAFETY: `at` is inside the data of the test ring, which `pair` put at 4096.
        unsafe { std::sync::atomic::AtomicU32::from_ptr(map.base().add(4096 + at).cast()) }
            .store(len, Ordering::SeqCst);
    }

    #[test]
    fn frames_come_out_in_order_and_empty_frames_too() {
        let (mut tx, mut rx, _map) = pair(64);
        assert!(rx.is_empty());
        assert_eq!(pop(&mut rx), None);
        assert!(tx.try_push(b"one").unwrap());
        assert!(tx.try_push(b"").unwrap());
        assert!(tx.try_push(b"three").unwrap());
        assert!(!rx.is_empty());
        assert_eq!(pop(&mut rx).unwrap(), b"one");
        assert_eq!(pop(&mut rx).unwrap(), b"");
        assert_eq!(pop(&mut rx).unwrap(), b"three");
        assert_eq!(pop(&mut rx), None);
    }

    #[test]
    fn records_wrap_around_the_end_at_every_offset() {
        // A 13-byte record in a 32-byte ring starts at every offset in turn, so its length
        // field and its body each straddle the end in every possible way.
        let (mut tx, mut rx, _map) = pair(32);
        for round in 0..200u32 {
            let frame: Vec<u8> = (0..9).map(|i| (round as u8).wrapping_mul(7) ^ i).collect();
            assert!(tx.try_push(&frame).unwrap());
            assert_eq!(pop(&mut rx).unwrap(), frame, "round {round}");
        }
    }

    #[test]
    fn a_full_ring_refuses_until_the_reader_frees_room() {
        let (mut tx, mut rx, _map) = pair(32);
        assert!(tx.try_push(&[1; 12]).unwrap()); // 16 bytes
        assert!(tx.try_push(&[2; 12]).unwrap()); // 32: exactly full
        assert!(!tx.try_push(b"").unwrap(), "not even a length field fits");
        assert!(!tx.try_push_on_socket().unwrap());
        assert!(!tx.wait_for_room(0, Duration::from_millis(1)));
        assert_eq!(pop(&mut rx).unwrap(), [1; 12]);
        assert!(tx.wait_for_room(12, Duration::ZERO));
        assert!(!tx.wait_for_room(13, Duration::from_millis(1)));
        assert!(tx.try_push(&[3; 12]).unwrap());
        assert_eq!(pop(&mut rx).unwrap(), [2; 12]);
        assert_eq!(pop(&mut rx).unwrap(), [3; 12]);
    }

    #[test]
    fn the_largest_frame_fills_the_ring_exactly_and_a_larger_one_is_refused() {
        let (mut tx, mut rx, _map) = pair(64);
        assert_eq!(tx.max_frame(), 60);
        assert!(tx.try_push(b"x").unwrap()); // the next record starts off the boundary
        assert_eq!(pop(&mut rx).unwrap(), b"x");
        let big: Vec<u8> = (0..60).collect();
        assert!(tx.try_push(&big).unwrap());
        assert_eq!(pop(&mut rx).unwrap(), big);
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.try_push(&[0; 61])));
        assert!(
            refused.is_err(),
            "a frame over the ring must go to the socket"
        );
    }

    #[test]
    fn the_socket_notice_comes_out_in_its_place() {
        let (mut tx, mut rx, _map) = pair(64);
        assert!(tx.try_push(b"before").unwrap());
        assert!(tx.try_push_on_socket().unwrap());
        assert!(tx.try_push(b"after").unwrap());
        let mut out = Vec::new();
        assert_eq!(rx.try_pop(&mut out).unwrap(), Some(Record::Frame));
        assert_eq!(out, b"before");
        assert_eq!(rx.try_pop(&mut out).unwrap(), Some(Record::OnSocket));
        assert_eq!(rx.try_pop(&mut out).unwrap(), Some(Record::Frame));
        assert_eq!(out, b"after");
    }

    #[test]
    fn a_writer_position_out_of_bounds_is_an_error_not_a_read() {
        let (_tx, mut rx, map) = pair(64);
        forge(&map, TAIL, 65); // more than a ring ahead
        assert!(rx.try_pop(&mut Vec::new()).is_err());
        forge(&map, TAIL, u64::MAX); // "behind" the reader
        assert!(rx.try_pop(&mut Vec::new()).is_err());
        forge(&map, TAIL, 2); // a record shorter than its length field
        assert_eq!(
            rx.try_pop(&mut Vec::new()),
            Err(Corrupt("a record shorter than its length field"))
        );
        assert!(!rx.is_empty(), "a corrupt ring is not reported as idle");
    }

    #[test]
    fn a_record_length_past_what_was_written_is_an_error_not_a_read() {
        let (mut tx, mut rx, map) = pair(64);
        assert!(tx.try_push(b"abcd").unwrap());
        for forged in [5, 60, 61, 1 << 20, u32::MAX - 1] {
            forge_len(&map, 0, forged);
            let mut out = Vec::new();
            assert_eq!(
                rx.try_pop(&mut out),
                Err(Corrupt("a record longer than what was written")),
                "{forged}"
            );
            assert!(out.capacity() < 64, "nothing reserved for a forged length");
        }
        forge_len(&map, 0, 4);
        assert_eq!(pop(&mut rx).unwrap(), b"abcd");
    }

    #[test]
    fn a_reader_position_out_of_bounds_is_an_error_not_a_write() {
        let (mut tx, _rx, map) = pair(64);
        assert!(tx.try_push(b"abcd").unwrap());
        forge(&map, HEAD, 100); // the reader claims to have read past what was written
        assert!(tx.try_push(b"x").is_err());
        assert!(
            tx.wait_for_room(1, Duration::ZERO),
            "a corrupt ring is looked at now"
        );
    }

    #[test]
    fn a_producer_and_a_consumer_on_two_threads_pass_every_frame_in_order() {
        // A small ring and frames of every size up to its largest: the writer is often
        // blocked on a full ring and the reader on an empty one, so both sleep and wake.
        let (mut tx, mut rx, _map) = pair(256);
        const FRAMES: u32 = 5_000;
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let writer = std::thread::spawn(move || {
            for n in 0..FRAMES {
                let frame = frame_for(n, 252);
                while !tx.try_push(&frame).unwrap() {
                    tx.wait_for_room(frame.len(), PATROL);
                }
            }
        });
        let mut out = Vec::new();
        for n in 0..FRAMES {
            loop {
                match rx.try_pop(&mut out).unwrap() {
                    Some(Record::Frame) => break,
                    Some(Record::OnSocket) => panic!("no notice was sent"),
                    None => {
                        assert!(std::time::Instant::now() < deadline, "stuck at frame {n}");
                        let stopped = writer.is_finished() && rx.is_empty();
                        assert!(!stopped, "the writer stopped before frame {n}");
                        rx.wait_for_record(PATROL);
                    }
                }
            }
            assert_eq!(out, frame_for(n, 252), "frame {n}");
        }
        writer.join().unwrap();
        assert!(rx.is_empty());
    }

    /// Frame `n`: its length and bytes depend on `n`, so a lost, repeated or torn frame shows.
    pub(crate) fn frame_for(n: u32, max: usize) -> Vec<u8> {
        let len = (n as usize * 37) % (max + 1);
        (0..len).map(|i| (n as usize + i * 3) as u8).collect()
    }
}
