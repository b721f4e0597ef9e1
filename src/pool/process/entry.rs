//! How a parent names, to its worker, the function a task must run.
//!
//! A worker is the same executable as its parent (the handshake checks that), so every function
//! sits at the same offset from any other function in both processes — only the base address
//! differs, because the operating system loads each process at a random address. The parent
//! therefore sends the distance from [`anchor`] to the task's *entry point*, and the worker adds
//! it to its own `anchor`.
//!
//! An entry point is a monomorphised copy of [`run_chunk`] for one task type. The task itself
//! needs no address: process tasks are zero-sized (a `fn` item or a closure that captures
//! nothing), so its type alone says which code to run, and the worker can make the value up.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire::{self, OK, PANICKED, UNSERIALISABLE};
use crate::panic_message::panic_message;
use crate::pool::Task;

/// An entry point: decodes a chunk's arguments, runs the task on each, encodes the outcomes.
pub(crate) type ChunkEntry = fn(&[u8], &mut Vec<u8>) -> Result<(), String>;
/// An initializer's entry point.
pub(crate) type InitEntry = fn();

/// The fixed point entry offsets are measured from. Never inlined, so it has an address.
#[inline(never)]
fn anchor() {}

fn offset_of(address: usize) -> u64 {
    address.wrapping_sub(anchor as fn() as usize) as u64
}

fn address_at(offset: u64) -> usize {
    (anchor as fn() as usize).wrapping_add(offset as usize)
}

/// Checks, at compile time, that `F` is zero-sized: a process task may not capture anything,
/// because a capture's value would exist only in the parent's memory.
const fn assert_zero_sized<F>() {
    assert!(
        size_of::<F>() == 0,
        "a process-pool task must be a plain function or a closure that captures nothing"
    );
}

/// The entry offset of the chunk runner for task `F` with arguments `Args`.
pub(crate) fn chunk_entry<F, Args>() -> u64
where
    F: Task<Args> + Copy,
    Args: DeserializeOwned,
    F::Output: Serialize,
{
    const { assert_zero_sized::<F>() };
    offset_of(run_chunk::<F, Args> as ChunkEntry as usize)
}

/// The entry offset of initializer `F`.
pub(crate) fn init_entry<F>() -> u64
where
    F: Task<(), Output = ()> + Copy,
{
    const { assert_zero_sized::<F>() };
    offset_of(run_init::<F> as InitEntry as usize)
}

/// The chunk runner at `offset`.
///
/// # Safety
///
/// `offset` came from [`chunk_entry`] in a process running this same executable.
pub(crate) unsafe fn chunk_entry_at(offset: u64) -> ChunkEntry {
    // SAFETY: the address is that of a `ChunkEntry` in this executable (the caller's promise).
    unsafe { std::mem::transmute::<usize, ChunkEntry>(address_at(offset)) }
}

/// The initializer at `offset`.
///
/// # Safety
///
/// `offset` came from [`init_entry`] in a process running this same executable.
pub(crate) unsafe fn init_entry_at(offset: u64) -> InitEntry {
    // SAFETY: as for `chunk_entry_at`.
    unsafe { std::mem::transmute::<usize, InitEntry>(address_at(offset)) }
}

/// A value of the zero-sized task type `F`.
fn conjure<F: Copy>() -> F {
    const { assert_zero_sized::<F>() };
    // SAFETY: `F` is zero-sized, so reading it touches no memory, and `Copy`, so it has no
    // drop glue; it is inhabited, because the parent held a value of it to send this task.
    unsafe { std::ptr::NonNull::<F>::dangling().as_ptr().read() }
}

fn run_chunk<F, Args>(input: &[u8], out: &mut Vec<u8>) -> Result<(), String>
where
    F: Task<Args> + Copy,
    Args: DeserializeOwned,
    F::Output: Serialize,
{
    let task = conjure::<F>();
    let (count, mut rest) = wire::take::<u64>(input)?;
    for _ in 0..count {
        let (args, tail) = wire::take::<Args>(rest)?;
        rest = tail;
        match catch_unwind(AssertUnwindSafe(|| task.call_with(args))) {
            Ok(value) => {
                out.push(OK);
                if let Err(message) = wire::append(&value, out) {
                    out.pop();
                    out.push(UNSERIALISABLE);
                    wire::append(&message, out)?;
                }
            }
            Err(payload) => {
                out.push(PANICKED);
                wire::append(&panic_message(payload.as_ref()), out)?;
            }
        }
    }
    Ok(())
}

fn run_init<F: Task<(), Output = ()> + Copy>() {
    conjure::<F>().call_with(());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(n: u32) -> u32 {
        n * 2
    }

    fn entry_of<F: Task<(u32,), Output = u32> + Copy>(_: F) -> u64 {
        chunk_entry::<F, (u32,)>()
    }

    #[test]
    fn an_offset_leads_back_to_its_entry_point() {
        let offset = entry_of(double);
        // SAFETY: the offset was made in this process, from this executable.
        let entry = unsafe { chunk_entry_at(offset) };
        let mut input = Vec::new();
        wire::append(&2u64, &mut input).unwrap();
        wire::append(&(20u32,), &mut input).unwrap();
        wire::append(&(21u32,), &mut input).unwrap();
        let mut out = Vec::new();
        entry(&input, &mut out).unwrap();
        let (tag, rest) = (out[0], &out[1..]);
        let (first, rest) = wire::take::<u32>(rest).unwrap();
        let (second, _) = wire::take::<u32>(&rest[1..]).unwrap();
        assert_eq!((tag, first, second), (OK, 40, 42));
    }
}
