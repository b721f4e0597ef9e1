//! The bytes between a pool and its remote workers: worker processes, and MPI ranks (which
//! reuse the chunk frames below, without the handshake).
//!
//! Every message is a frame: a little-endian `u32` length, then that many bytes. The first
//! frame each way is a handshake; after it the parent sends tasks and the worker answers each
//! with a reply. Values inside frames are encoded with postcard, and every argument and every
//! outcome is an *item*: a `u32` length, then its bytes. Postcard is not self-describing, so a
//! type whose serde form does not round-trip (`skip_serializing_if`, `untagged`, `flatten`, …)
//! would otherwise throw the decoder out of step with the items that follow; framed, each item
//! must decode from exactly its own bytes, or it fails with a clear error.
//!
//! ```text
//! parent → worker   Hello   (postcard)            the handshake: who the parent is
//! worker → parent   Ready   (postcard)            pid, and whether the initializer ran
//! parent → worker   [1][entry: u64 LE][n: u32 LE][item]…        run a chunk of n items
//! worker → parent   [1]([tag][item])…             one tagged outcome per item
//!                   [2][message]                  the chunk's arguments did not decode
//! parent → worker   [0]                           exit
//! ```

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::serde_text::{deserialize_error_text, serialize_error_text};

/// The first bytes of every handshake: a stream that starts otherwise is not from a pool.
pub(crate) const MAGIC: [u8; 8] = *b"CLABPOOL";
/// Bumped whenever the frames change meaning.
pub(crate) const PROTOCOL: u32 = 3;
/// The most a frame may carry: 1 GiB. Larger arguments or results are refused with
/// [`Error::TooLarge`](crate::Error::TooLarge) before they are sent.
pub(crate) const MAX_FRAME: usize = 1 << 30;
/// The most a handshake frame may carry. A `Hello` takes about a hundred bytes; a worker must
/// not reserve more because of four bytes of garbage on its socket.
pub(crate) const MAX_HELLO: usize = 4 << 10;
/// The most the worker's half of the handshake may carry (it holds an initializer's panic
/// message, cut to fit).
pub(crate) const MAX_READY: usize = 16 << 10;
/// How much of a frame is allocated before its bytes arrive; past it the buffer grows with
/// the bytes received, so a length field alone never makes a process reserve memory.
const GROW_STEP: usize = 64 << 10;

pub(crate) const RUN: u8 = 1;
pub(crate) const EXIT: u8 = 0;
pub(crate) const OUTCOMES: u8 = 1;
pub(crate) const BAD_ARGUMENTS: u8 = 2;

/// Outcome tags inside an `OUTCOMES` frame.
pub(crate) const OK: u8 = 0;
pub(crate) const PANICKED: u8 = 1;
pub(crate) const UNSERIALISABLE: u8 = 2;
pub(crate) const TOO_LARGE: u8 = 3;

/// The parent's half of the handshake.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Hello {
    pub(crate) magic: [u8; 8],
    pub(crate) protocol: u32,
    pub(crate) crate_version: String,
    /// The parent's executable; the worker must be running the very same file.
    pub(crate) executable: ExecutableId,
    /// The secret the parent also put in the worker's environment.
    pub(crate) token: u128,
    /// Where the initializer's entry point is, relative to the anchor, if there is one.
    pub(crate) initializer: Option<u64>,
}

/// The worker's half of the handshake.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Ready {
    pub(crate) pid: u32,
    /// `Err(panic message)` when the initializer panicked; the worker then exits.
    pub(crate) initialized: Result<(), String>,
}

/// Which file a process runs: the same build has the same device, inode, size and mtime.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ExecutableId {
    device: u64,
    inode: u64,
    size: u64,
    modified_ns: i128,
}

impl ExecutableId {
    /// The running executable, even if its path has since been replaced by a newer build:
    /// on Linux `/proc/self/exe` names the file this process was started from.
    pub(crate) fn of_this_process() -> io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let path = if cfg!(target_os = "linux") {
            std::path::PathBuf::from("/proc/self/exe")
        } else {
            std::env::current_exe()?
        };
        let meta = std::fs::metadata(path)?;
        Ok(ExecutableId {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.size(),
            modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        })
    }
}

/// Writes one frame.
pub(crate) fn write_frame(out: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame larger than 1 GiB"))?;
    let mut bytes = Vec::with_capacity(4 + frame.len());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(frame);
    out.write_all(&bytes)
}

/// Reads one frame of at most `limit` bytes into `buf`; `Ok(false)` on a clean end of stream
/// before a frame started.
///
/// The buffer grows as the bytes arrive (doubling, from [`GROW_STEP`]), never to the announced
/// length at once: a peer that announces a gigabyte and sends nothing costs nothing.
pub(crate) fn read_frame(
    input: &mut impl Read,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<bool> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes announced; the limit here is {limit}"),
        ));
    }
    buf.clear();
    let mut filled = 0;
    while filled < len {
        let target = len.min(filled.saturating_mul(2).max(GROW_STEP));
        buf.resize(target, 0);
        input.read_exact(&mut buf[filled..])?;
        filled = target;
    }
    Ok(true)
}

/// Why a value could not be encoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// The frame would grow past its limit; `size` is how large it had got, at least.
    TooLarge { size: u64 },
    /// The value's `Serialize` impl failed.
    Serde(String),
}

/// Encodes `value` at the end of `out`; on failure `out` is left as it was.
pub(crate) fn append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    append_within(value, out, usize::MAX).map_err(|e| match e {
        EncodeError::Serde(message) => message,
        EncodeError::TooLarge { size } => format!("{size} bytes is too large"),
    })
}

/// Encodes `value` at the end of `out` unless `out` would grow past `limit` bytes; on failure
/// `out` is left as it was. Stops at the limit: a huge value is not copied in full first.
pub(crate) fn append_within<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), EncodeError> {
    let mark = out.len();
    let mut over = None;
    let flavor = AppendTo {
        out: &mut *out,
        limit,
        over: &mut over,
    };
    postcard::serialize_with_flavor(value, flavor).map_err(|e| {
        out.truncate(mark);
        match over {
            Some(size) => EncodeError::TooLarge { size },
            // postcard keeps only the kind of a custom error; find its text.
            None => {
                EncodeError::Serde(serialize_error_text(value).unwrap_or_else(|| e.to_string()))
            }
        }
    })
}

/// The bytes before each item's own: its length.
pub(crate) const ITEM_LENGTH: usize = 4;

/// Encodes `value` as one item: its length as a `u32`, then its bytes.
pub(crate) fn append_item<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), EncodeError> {
    let mark = out.len();
    out.extend_from_slice(&[0; ITEM_LENGTH]);
    append_within(value, out, limit).inspect_err(|_| out.truncate(mark))?;
    let len = u32::try_from(out.len() - mark - ITEM_LENGTH).expect("a frame's limit fits in a u32");
    out[mark..mark + ITEM_LENGTH].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Decodes one value from the front of `bytes`, returning the rest.
pub(crate) fn take<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), String> {
    postcard::take_from_bytes(bytes).map_err(|e| e.to_string())
}

/// Why an item did not decode.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ItemError {
    /// The frame ends inside the item: not the pool's protocol.
    Truncated,
    /// The item's bytes are there, but the type does not decode from exactly them.
    Undecodable(String),
    /// The type's `Deserialize` impl refused the value, with this message of its own.
    Refused(String),
}

/// Splits one item off the front of `bytes` and decodes it (see [`decode_exact`]).
pub(crate) fn take_item<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), ItemError> {
    let (item, rest) = split_item(bytes)?;
    Ok((decode_exact(item)?, rest))
}

/// Decodes an item's bytes, requiring the value to use exactly them: a type whose serde form
/// does not round-trip under postcard fails here instead of throwing the items after it out
/// of step.
pub(crate) fn decode_exact<T: DeserializeOwned>(item: &[u8]) -> Result<T, ItemError> {
    match postcard::take_from_bytes::<T>(item) {
        Ok((value, [])) => Ok(value),
        Ok((_, unused)) => Err(ItemError::Undecodable(format!(
            "it decoded from {} of its {} bytes",
            item.len() - unused.len(),
            item.len()
        ))),
        // postcard keeps only the kind of a custom error; find the impl's own text.
        Err(e) => Err(match deserialize_error_text::<T>(item) {
            Some(text) => ItemError::Refused(text),
            None => ItemError::Undecodable(format!(
                "{e} (its {} bytes do not decode as this type)",
                item.len()
            )),
        }),
    }
}

/// Splits one item's bytes off the front of `bytes`.
pub(crate) fn split_item(bytes: &[u8]) -> Result<(&[u8], &[u8]), ItemError> {
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or(ItemError::Truncated)?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(ItemError::Truncated);
    }
    Ok(rest.split_at(len))
}

/// A postcard output that appends to a vector we keep, so one buffer serves a whole chunk, and
/// stops once the vector would pass `limit` bytes.
struct AppendTo<'a> {
    out: &'a mut Vec<u8>,
    limit: usize,
    /// Set to the size the output would have had when it passed the limit.
    over: &'a mut Option<u64>,
}

impl AppendTo<'_> {
    fn room_for(&mut self, more: usize) -> postcard::Result<()> {
        let size = self.out.len().saturating_add(more);
        if size > self.limit {
            *self.over = Some(size as u64);
            return Err(postcard::Error::SerializeBufferFull);
        }
        Ok(())
    }
}

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.room_for(data.len())?;
        self.out.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.room_for(1)?;
        self.out.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut stream = Vec::new();
        write_frame(&mut stream, b"hello").unwrap();
        write_frame(&mut stream, b"").unwrap();
        let mut input = stream.as_slice();
        let mut buf = Vec::new();
        assert!(read_frame(&mut input, &mut buf, MAX_FRAME).unwrap());
        assert_eq!(buf, b"hello");
        assert!(read_frame(&mut input, &mut buf, MAX_FRAME).unwrap());
        assert!(buf.is_empty());
        assert!(!read_frame(&mut input, &mut buf, MAX_FRAME).unwrap());
    }

    #[test]
    fn a_huge_length_is_refused_not_allocated() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        let err = read_frame(&mut input, &mut Vec::new(), MAX_FRAME).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_truncated_frame_is_an_error() {
        let mut input: &[u8] = &[10, 0, 0, 0, 1, 2];
        assert!(read_frame(&mut input, &mut Vec::new(), MAX_FRAME).is_err());
    }

    #[test]
    fn values_append_and_take_in_sequence() {
        let mut buf = vec![RUN];
        append(&3u64, &mut buf).unwrap();
        append("three", &mut buf).unwrap();
        let (n, rest) = take::<u64>(&buf[1..]).unwrap();
        let (s, rest) = take::<String>(rest).unwrap();
        assert_eq!((n, s.as_str(), rest.len()), (3, "three", 0));
        assert!(take::<String>(&[200]).is_err());
    }

    #[test]
    fn a_length_is_refused_over_the_frames_limit_and_grows_with_the_bytes() {
        let mut input: &[u8] = &[0, 0, 0, 0x40, b'G', b'E', b'T'];
        let err = read_frame(&mut input, &mut Vec::new(), MAX_HELLO).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // Allowed, announced, not sent: the buffer never grows past the first step.
        let mut input: &[u8] = &[0, 0, 0, 0x40, b'G', b'E', b'T'];
        let mut buf = Vec::new();
        assert!(read_frame(&mut input, &mut buf, MAX_FRAME).is_err());
        assert!(buf.capacity() <= 2 * GROW_STEP, "{}", buf.capacity());
        // A frame over several steps arrives whole.
        let big: Vec<u8> = (0..5 * GROW_STEP + 3).map(|i| i as u8).collect();
        let mut stream = Vec::new();
        write_frame(&mut stream, &big).unwrap();
        assert!(read_frame(&mut stream.as_slice(), &mut buf, MAX_FRAME).unwrap());
        assert_eq!(buf, big);
    }

    #[test]
    fn an_item_must_decode_from_exactly_its_bytes() {
        let mut buf = Vec::new();
        append_item(&(7u32, 8u32), &mut buf, MAX_FRAME).unwrap();
        append_item("next", &mut buf, MAX_FRAME).unwrap();
        let (pair, rest) = take_item::<(u32, u32)>(&buf).unwrap();
        assert_eq!(pair, (7, 8));
        // Read as a single u32, the first item leaves a byte unused: an error, not a shift.
        assert!(matches!(
            take_item::<u32>(&buf),
            Err(ItemError::Undecodable(_))
        ));
        assert_eq!(take_item::<String>(rest).unwrap().0, "next");
        assert_eq!(take_item::<u8>(&buf[..5]), Err(ItemError::Truncated));
    }

    #[test]
    fn encoding_stops_at_the_limit_and_leaves_the_output_as_it_was() {
        let mut buf = vec![1, 2, 3];
        let err = append_item(&[9u8; 100][..], &mut buf, 50).unwrap_err();
        assert!(matches!(err, EncodeError::TooLarge { size } if size > 50));
        assert_eq!(buf, [1, 2, 3]);
    }

    #[test]
    fn this_process_has_a_stable_identity() {
        assert_eq!(
            ExecutableId::of_this_process().unwrap(),
            ExecutableId::of_this_process().unwrap()
        );
    }
}
