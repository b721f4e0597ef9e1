//! The worker's side of a chunk: one request in, its outcomes out, whatever carried them.

use super::entry::chunk_entry_at;
use super::wire::{BAD_ARGUMENTS, OUTCOMES};

/// Why a chunk request was not run: nothing of it was executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrunnable {
    /// The request is shorter than its entry offset.
    Truncated,
    /// The entry offset leads outside this executable.
    UnknownEntry,
}

/// Runs the chunk request `body` (`[entry: u64 LE][n: u32 LE][item]…`, the frame after its
/// kind byte) and writes the reply into `reply`: `[OUTCOMES]` and one outcome per item, or
/// `[BAD_ARGUMENTS]` and why the arguments did not decode. On `Err`, `reply` is left empty.
///
/// # Safety
///
/// `body` comes from a peer proven to run this same executable (the process handshake, the
/// MPI start-up check), which sends only offsets made by
/// [`chunk_entry`](super::entry::chunk_entry).
pub(crate) unsafe fn run_request(body: &[u8], reply: &mut Vec<u8>) -> Result<(), Unrunnable> {
    reply.clear();
    let Some((offset, args)) = body.split_first_chunk::<8>() else {
        return Err(Unrunnable::Truncated);
    };
    // SAFETY: the offset comes from a peer running this same executable (the caller's promise).
    let Some(entry) = (unsafe { chunk_entry_at(u64::from_le_bytes(*offset)) }) else {
        return Err(Unrunnable::UnknownEntry);
    };
    reply.push(OUTCOMES);
    if let Err(message) = entry(args, reply) {
        reply.clear();
        reply.push(BAD_ARGUMENTS);
        reply.extend_from_slice(message.as_bytes());
    }
    Ok(())
}
