//! The bytes between a pool and its worker processes.
//!
//! Every message is a frame: a little-endian `u32` length, then that many bytes. The first
//! frame each way is a handshake; after it the parent sends tasks and the worker answers each
//! with a reply. Values inside frames are encoded with postcard.
//!
//! ```text
//! parent → worker   Hello   (postcard)            the handshake: who the parent is
//! worker → parent   Ready   (postcard)            pid, and whether the initializer ran
//! parent → worker   [1][entry: u64 LE][args]      run a chunk: item count, then each item
//! worker → parent   [1][outcomes]                 one tagged outcome per item
//!                   [2][message]                  the chunk's arguments did not decode
//! parent → worker   [0]                           exit
//! ```

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The first bytes of every handshake: a stream that starts otherwise is not from a pool.
pub(crate) const MAGIC: [u8; 8] = *b"CLABPOOL";
/// Bumped whenever the frames change meaning.
pub(crate) const PROTOCOL: u32 = 1;
/// Frames above this size are refused rather than allocated: garbage in a length field must not
/// make a worker reserve gigabytes.
const MAX_FRAME: usize = 1 << 30;

pub(crate) const RUN: u8 = 1;
pub(crate) const EXIT: u8 = 0;
pub(crate) const OUTCOMES: u8 = 1;
pub(crate) const BAD_ARGUMENTS: u8 = 2;

/// Outcome tags inside an `OUTCOMES` frame.
pub(crate) const OK: u8 = 0;
pub(crate) const PANICKED: u8 = 1;
pub(crate) const UNSERIALISABLE: u8 = 2;

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

/// Reads one frame into `buf`; `Ok(false)` on a clean end of stream before a frame started.
pub(crate) fn read_frame(input: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes announced; the limit is 1 GiB"),
        ));
    }
    buf.clear();
    buf.resize(len, 0);
    input.read_exact(buf)?;
    Ok(true)
}

/// Encodes `value` at the end of `out`; on failure `out` is left as it was.
pub(crate) fn append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    let mark = out.len();
    postcard::serialize_with_flavor(value, AppendTo(out)).map_err(|e| {
        out.truncate(mark);
        e.to_string()
    })
}

/// Decodes one value from the front of `bytes`, returning the rest.
pub(crate) fn take<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), String> {
    postcard::take_from_bytes(bytes).map_err(|e| e.to_string())
}

/// A postcard output that appends to a vector we keep, so one buffer serves a whole chunk.
struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
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
        assert!(read_frame(&mut input, &mut buf).unwrap());
        assert_eq!(buf, b"hello");
        assert!(read_frame(&mut input, &mut buf).unwrap());
        assert!(buf.is_empty());
        assert!(!read_frame(&mut input, &mut buf).unwrap());
    }

    #[test]
    fn a_huge_length_is_refused_not_allocated() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        let err = read_frame(&mut input, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_truncated_frame_is_an_error() {
        let mut input: &[u8] = &[10, 0, 0, 0, 1, 2];
        assert!(read_frame(&mut input, &mut Vec::new()).is_err());
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
    fn this_process_has_a_stable_identity() {
        assert_eq!(
            ExecutableId::of_this_process().unwrap(),
            ExecutableId::of_this_process().unwrap()
        );
    }
}
