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

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::image::{in_main_image, main_image};
use super::wire::{
    self, EncodeError, ITEM_LENGTH, ItemError, MAX_FRAME, OK, PANICKED, TOO_LARGE, UNSERIALISABLE,
};
use crate::panic_message::catch;
use crate::pool::task::Task;

/// An entry point: decodes a chunk's arguments, runs the task on each, encodes the outcomes.
pub(crate) type ChunkEntry = fn(&[u8], &mut Vec<u8>) -> Result<(), String>;
/// An initializer's entry point.
pub(crate) type InitEntry = fn();

/// Bytes kept free in a reply for each outcome still to come, so that a result refused as too
/// large leaves room for the small outcomes after it.
const ROOM_PER_OUTCOME: usize = 64;

/// The fixed point entry offsets are measured from. Never inlined, so it has an address.
#[inline(never)]
fn anchor() {}

fn anchor_address() -> usize {
    anchor as fn() as usize
}

/// Checks, at pool start, that entry offsets can work in this build: the anchor must lie in
/// the main executable (not in a shared library, as with `-C prefer-dynamic` or a `dylib`).
pub(crate) fn check_code_offsets() -> Result<(), String> {
    main_image().map_err(|why| format!("cannot locate this program's code: {why}"))?;
    if in_main_image(anchor_address()) {
        Ok(())
    } else {
        Err(OUTSIDE_MAIN_IMAGE.to_owned())
    }
}

const OUTSIDE_MAIN_IMAGE: &str = "concurrency-lab or the task's code is in a shared library, \
     not in the main executable (built with `-C prefer-dynamic` or as a `dylib`?); process \
     pools need both linked statically into the program";

/// The offset of `address`, if it lies in the main executable like the anchor.
fn offset_of(address: usize) -> Result<u64, String> {
    if in_main_image(address) && in_main_image(anchor_address()) {
        Ok(address.wrapping_sub(anchor_address()) as u64)
    } else {
        Err(OUTSIDE_MAIN_IMAGE.to_owned())
    }
}

/// The address `offset` leads to, only if it lies in the main executable: a bad offset never
/// becomes a function pointer (a null or wild one would be undefined behaviour).
fn address_at(offset: u64) -> Option<usize> {
    let address = anchor_address().wrapping_add(usize::try_from(offset).ok()?);
    (address != 0 && in_main_image(address)).then_some(address)
}

/// Checks, at compile time, that `F` is zero-sized: a process task may not capture anything,
/// because a capture's value would exist only in the parent's memory.
///
/// Rust cannot say "captures nothing" in a trait bound: a closure that captures only `Copy`
/// values (or a `fn` pointer, which is a value) satisfies every bound a task has. So the check
/// is a constant, evaluated when the task's entry point is built (`cargo build`, not
/// `cargo check`), and made once per task, here, so the error reads once.
const fn assert_zero_sized<F>() {
    assert!(
        size_of::<F>() == 0,
        "a ProcessPool task must not capture anything: its worker process cannot see this \
         process's values. Use a `fn` item or a closure that captures nothing, and pass the \
         values as the task's arguments (a `fn` pointer is a value too: pass the `fn` item)"
    );
}

/// The entry offset of the chunk runner for task `F` with arguments `Args`.
pub(crate) fn chunk_entry<F, Args>() -> Result<u64, String>
where
    F: Task<Args> + Copy,
    Args: DeserializeOwned,
    F::Output: Serialize,
{
    const { assert_zero_sized::<F>() };
    offset_of(run_chunk::<F, Args> as ChunkEntry as usize)
}

/// The entry offset of initializer `F`.
pub(crate) fn init_entry<F>() -> Result<u64, String>
where
    F: Task<(), Output = ()> + Copy,
{
    const { assert_zero_sized::<F>() };
    offset_of(run_init::<F> as InitEntry as usize)
}

/// The chunk runner at `offset`; `None` if the offset leads outside this executable.
///
/// # Safety
///
/// `offset` came from [`chunk_entry`] in a process running this same executable.
pub(crate) unsafe fn chunk_entry_at(offset: u64) -> Option<ChunkEntry> {
    let address = address_at(offset)?;
    // SAFETY: the address is non-null, in this executable, and that of a `ChunkEntry` (the
    // caller's promise).
    Some(unsafe { std::mem::transmute::<usize, ChunkEntry>(address) })
}

/// The initializer at `offset`; `None` if the offset leads outside this executable.
///
/// # Safety
///
/// `offset` came from [`init_entry`] in a process running this same executable.
pub(crate) unsafe fn init_entry_at(offset: u64) -> Option<InitEntry> {
    let address = address_at(offset)?;
    // SAFETY: as for `chunk_entry_at`.
    Some(unsafe { std::mem::transmute::<usize, InitEntry>(address) })
}

/// A value of the zero-sized task type `F`.
fn conjure<F: Copy>() -> F {
    // Checked at compile time where the entry point is made (`chunk_entry`); a second constant
    // check here would only repeat that error.
    assert_eq!(size_of::<F>(), 0, "process tasks are zero-sized");
    // SAFETY: `F` is zero-sized, so reading it touches no memory, and `Copy`, so it has no
    // drop glue; it is inhabited, because the parent held a value of it to send this task.
    unsafe { std::ptr::NonNull::<F>::dangling().as_ptr().read() }
}

/// Runs a chunk: `[count: u32 LE][item]…` in, one `[tag][item]` outcome per argument out.
///
/// User code runs here four ways — the arguments' `Deserialize`, the task, the result's
/// `Serialize`, and the drops in between — and each may panic: every panic becomes an outcome
/// (or, for arguments, the chunk's error); none takes the worker down.
fn run_chunk<F, Args>(input: &[u8], out: &mut Vec<u8>) -> Result<(), String>
where
    F: Task<Args> + Copy,
    Args: DeserializeOwned,
    F::Output: Serialize,
{
    let task = conjure::<F>();
    let (count, mut rest) = input
        .split_first_chunk::<4>()
        .ok_or("the chunk has no item count")?;
    let count = u32::from_le_bytes(*count) as usize;
    for index in 0..count {
        let decoded = catch(|| wire::take_item::<Args>(rest)).map_err(|panic| {
            format!(
                "its Deserialize impl panicked: {}",
                panic.message_with_location()
            )
        })?;
        let (args, tail) = decoded.map_err(|e| item_error(e, index))?;
        rest = tail;
        let limit = MAX_FRAME.saturating_sub(ROOM_PER_OUTCOME * (count - index));
        match catch(|| task.call_with(args)) {
            Ok(value) => append_result(&value, out, limit),
            Err(panic) => {
                out.push(PANICKED);
                let carried = (panic.message, panic.location, panic.backtrace);
                wire::append_item(&carried, out, usize::MAX).map_err(|e| format!("{e:?}"))?;
            }
        }
    }
    Ok(())
}

/// Appends the outcome of a task that returned `value`: the value, or why it cannot be sent.
///
/// A result refused as too large is reported with the reply's size at that point plus the
/// room kept for the outcomes after it — the size compared with `MAX_FRAME` — and how much of
/// that is not the result: the reply so far, its tag and length, and the room kept.
fn append_result<R: Serialize>(value: &R, out: &mut Vec<u8>, limit: usize) {
    let overhead = out.len() + 1 + ITEM_LENGTH + (MAX_FRAME - limit);
    out.push(OK);
    let encoded = catch(|| wire::append_item(value, out, limit)).unwrap_or_else(|panic| {
        Err(EncodeError::Serde(format!(
            "its Serialize impl panicked: {}",
            panic.message_with_location()
        )))
    });
    let failure = match encoded {
        Ok(()) => return,
        Err(failure) => failure,
    };
    out.pop();
    let appended = match failure {
        EncodeError::TooLarge { size } => {
            out.push(TOO_LARGE);
            let whole = size + (MAX_FRAME - limit) as u64;
            wire::append_item(&(whole, overhead as u64), out, usize::MAX)
        }
        EncodeError::Serde(message) => {
            out.push(UNSERIALISABLE);
            wire::append_item(&message, out, usize::MAX)
        }
    };
    appended.expect("a number or a message always encodes");
}

/// The message for item `index` of a chunk, which did not decode.
pub(crate) fn item_error(error: ItemError, index: usize) -> String {
    match error {
        ItemError::Truncated => format!("the chunk ends inside item {index}"),
        ItemError::Refused(text) => text,
        ItemError::Undecodable(why) => format!(
            "item {index} does not decode as its type: {why}. Process tasks carry values in \
             postcard, which is not self-describing: serde attributes such as \
             `skip_serializing_if`, `untagged`, `flatten` or `skip_deserializing` do not \
             round-trip"
        ),
    }
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
        chunk_entry::<F, (u32,)>().expect("this test binary is linked statically")
    }

    #[test]
    fn an_offset_leads_back_to_its_entry_point() {
        let offset = entry_of(double);
        // SAFETY: the offset was made in this process, from this executable.
        let entry = unsafe { chunk_entry_at(offset) }.expect("in this executable");
        let mut input = 2u32.to_le_bytes().to_vec();
        wire::append_item(&(20u32,), &mut input, MAX_FRAME).unwrap();
        wire::append_item(&(21u32,), &mut input, MAX_FRAME).unwrap();
        let mut out = Vec::new();
        entry(&input, &mut out).unwrap();
        let (tag, rest) = (out[0], &out[1..]);
        let (first, rest) = wire::take_item::<u32>(rest).unwrap();
        let (second, rest) = wire::take_item::<u32>(&rest[1..]).unwrap();
        assert_eq!((tag, first, second, rest.len()), (OK, 40, 42, 0));
    }

    #[test]
    fn code_offsets_work_here_and_a_bad_offset_is_no_function() {
        assert_eq!(check_code_offsets(), Ok(()));
        // SAFETY: `chunk_entry_at` checks the address before it forms a pointer.
        assert!(unsafe { chunk_entry_at(0u64.wrapping_sub(anchor_address() as u64)) }.is_none());
        // SAFETY: as above: `init_entry_at` checks the address too.
        assert!(unsafe { init_entry_at(1 << 62) }.is_none());
    }
}
