//! Moving a `map`'s items in and its results out without copying them.
//!
//! A `map` over a million items must not copy a million items twice: measured here, cutting
//! the input into chunk vectors and joining the chunk results cost five times the work itself.
//! Instead, all chunks share the input vector and the output vector; each chunk owns a
//! disjoint range of both. This is the one place in the crate that needs `unsafe`, and the
//! invariant that makes it sound is simple: **every index belongs to exactly one chunk**, and a
//! chunk touches only its own indices, each at most once.
//!
//! Miri finds no undefined behaviour in this module's tests nor in the thread pool's (success,
//! panics midway, termination, drop counting):
//!
//! ```sh
//! cargo +nightly miri test --lib -- pool::buffer pool::sink
//! MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --test pool_threads -- \
//!     --skip ten_million --skip submitting_while
//! ```

use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::Arc;

/// The allocation of a vector whose elements are owned elsewhere (by chunks).
struct Allocation<T> {
    ptr: *mut T,
    capacity: usize,
}

// SAFETY: the allocation only hands out elements to chunks; moving or sharing it between
// threads moves or shares `T`s, so `T: Send` is what it takes.
unsafe impl<T: Send> Send for Allocation<T> {}
unsafe impl<T: Send> Sync for Allocation<T> {}

impl<T> Allocation<T> {
    fn of(vec: Vec<T>) -> (Self, usize) {
        let mut vec = ManuallyDrop::new(vec);
        let allocation = Allocation {
            ptr: vec.as_mut_ptr(),
            capacity: vec.capacity(),
        };
        (allocation, vec.len())
    }
}

impl<T> Drop for Allocation<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `capacity` come from a `Vec<T>`; length 0 frees the memory
        // without dropping elements, which chunks own and have dropped or moved out.
        unsafe { drop(Vec::from_raw_parts(self.ptr, 0, self.capacity)) }
    }
}

/// One chunk of a map's input: moves its items out of the shared input vector.
pub(crate) struct Chunk<T> {
    input: Arc<Allocation<T>>,
    next: usize,
    end: usize,
}

impl<T> Chunk<T> {
    /// Cuts `items` into chunks of `size` items (the last may be shorter), sharing its memory.
    pub(crate) fn split(items: Vec<T>, size: usize) -> Vec<Chunk<T>> {
        assert!(size > 0, "chunks hold at least one item");
        let (allocation, len) = Allocation::of(items);
        let input = Arc::new(allocation);
        (0..len)
            .step_by(size)
            .map(|start| Chunk {
                input: Arc::clone(&input),
                next: start,
                end: (start + size).min(len),
            })
            .collect()
    }

    /// All of `items` as one chunk.
    pub(crate) fn whole(items: Vec<T>) -> Chunk<T> {
        let (allocation, len) = Allocation::of(items);
        Chunk {
            input: Arc::new(allocation),
            next: 0,
            end: len,
        }
    }
}

impl<T> Iterator for Chunk<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        // SAFETY: `next` is in this chunk's range, below the input's length, and not read
        // before (it only grows); no other chunk owns it.
        let item = unsafe { self.input.ptr.add(self.next).read() };
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

impl<T> ExactSizeIterator for Chunk<T> {}

impl<T> Drop for Chunk<T> {
    fn drop(&mut self) {
        let left = self.end - self.next;
        // SAFETY: `next..end` are this chunk's items that were never moved out.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.input.ptr.add(self.next),
                left,
            ))
        }
    }
}

/// A map's output vector, written in disjoint ranges by the chunks' [`OutputRange`]s.
pub(crate) struct Output<R> {
    allocation: Allocation<R>,
    len: usize,
}

impl<R> Output<R> {
    pub(crate) fn with_len(len: usize) -> Arc<Self> {
        let (allocation, _) = Allocation::of(Vec::with_capacity(len));
        Arc::new(Output { allocation, len })
    }

    /// The writer for `start..start + len`. Each range must be handed out once, and ranges
    /// must not overlap: the caller (the map) cuts them from the same chunk sizes as its input.
    pub(crate) fn range(self: &Arc<Self>, start: usize, len: usize) -> OutputRange<R> {
        assert!(start + len <= self.len, "a range lies inside the output");
        OutputRange {
            output: Arc::clone(self),
            start,
            len,
            written: 0,
        }
    }

    /// The finished vector, once every range was written in full.
    ///
    /// # Safety
    ///
    /// Every index below `len` was written exactly once, and no writer is left.
    pub(crate) unsafe fn into_vec(self: Arc<Self>) -> Vec<R> {
        let output = ManuallyDrop::new(
            Arc::into_inner(self).expect("no writer is left once the map is complete"),
        );
        // SAFETY: the allocation is a `Vec<R>`'s with capacity ≥ len, all `len` written.
        // `output` is never dropped, so the allocation is owned by the new vector alone.
        unsafe {
            Vec::from_raw_parts(
                output.allocation.ptr,
                output.len,
                output.allocation.capacity,
            )
        }
    }

    /// Drops the items written in `ranges` (start, count) and frees the memory.
    ///
    /// # Safety
    ///
    /// Exactly the indices in `ranges` were written, each once, and no writer is left.
    pub(crate) unsafe fn discard(self: Arc<Self>, ranges: &[(usize, usize)]) {
        for &(start, count) in ranges {
            // SAFETY: the caller vouches that these items were written and not yet dropped.
            unsafe {
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                    self.allocation.ptr.add(start),
                    count,
                ))
            }
        }
    }
}

/// Writes one chunk's results, in order, into its range of the output.
pub(crate) struct OutputRange<R> {
    output: Arc<Output<R>>,
    start: usize,
    len: usize,
    written: usize,
}

impl<R> OutputRange<R> {
    /// Writes the next value of the range.
    #[inline]
    pub(crate) fn write(&mut self, value: R) {
        assert!(
            self.written < self.len,
            "a chunk writes at most its own items"
        );
        // SAFETY: `start + written` lies in this range, which no other writer has, and is
        // written once: `written` only grows.
        unsafe { self.base().add(self.written).write(value) };
        self.written += 1;
    }

    fn base(&self) -> *mut R {
        // SAFETY: `start` is within the allocation (checked when the range was cut).
        unsafe { self.output.allocation.ptr.add(self.start) }
    }

    /// `(start, items written)`: what the map needs to finish or clean up.
    pub(crate) fn extent(&self) -> (usize, usize) {
        (self.start, self.written)
    }

    /// How many items the range holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether every item of the range was written.
    pub(crate) fn is_full(&self) -> bool {
        self.written == self.len
    }
}

/// Moves every item left in `input` through `f` into `output`, `batch` items at a time,
/// calling `every_batch(n)` after each batch: the hot loop of every `map` on threads.
///
/// Each batch is a plain counted loop from one buffer to the other, which the compiler can
/// unroll and vectorise when `f` is simple. Should `f` panic, a guard records how far the
/// batch got — the items consumed (the one `f` held included, which unwinding dropped) and
/// the values written — so that nothing is dropped twice or left behind.
pub(crate) fn map_into<A, R>(
    input: &mut Chunk<A>,
    output: &mut OutputRange<R>,
    mut f: impl FnMut(A) -> R,
    batch: usize,
    mut every_batch: impl FnMut(usize),
) {
    assert!(batch > 0, "batches hold at least one item");
    assert!(
        input.len() <= output.len - output.written,
        "the output has room for every item of the input"
    );
    struct Advance<'a> {
        done: usize,
        consumed: &'a mut usize,
        written: &'a mut usize,
    }
    impl Drop for Advance<'_> {
        fn drop(&mut self) {
            // Only reached by unwinding out of `f`: it had taken item `done` by value.
            *self.consumed += self.done + 1;
            *self.written += self.done;
        }
    }
    while input.next < input.end {
        let n = batch.min(input.end - input.next);
        // SAFETY: `next..next + n` are this chunk's unread items, and `written..written + n`
        // this range's unwritten slots (checked above): no one else touches either.
        let from = unsafe { input.input.ptr.add(input.next) };
        let to = unsafe { output.base().add(output.written) };
        let mut advance = Advance {
            done: 0,
            consumed: &mut input.next,
            written: &mut output.written,
        };
        while advance.done < n {
            // SAFETY: as above; each index is read once and written once.
            unsafe {
                let value = f(from.add(advance.done).read());
                to.add(advance.done).write(value);
            }
            advance.done += 1;
        }
        std::mem::forget(advance);
        input.next += n;
        output.written += n;
        every_batch(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops, so tests can check every item is dropped exactly once.
    struct Counted<'a>(u32, &'a AtomicUsize);

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn chunks_move_every_item_out_once_and_drop_the_rest() {
        let drops = AtomicUsize::new(0);
        let items: Vec<Counted<'_>> = (0..10).map(|n| Counted(n, &drops)).collect();
        let mut chunks = Chunk::split(items, 4);
        assert_eq!(
            chunks
                .iter()
                .map(ExactSizeIterator::len)
                .collect::<Vec<_>>(),
            [4, 4, 2]
        );
        let first: Vec<u32> = chunks[0].by_ref().map(|c| c.0).collect();
        assert_eq!(first, [0, 1, 2, 3]);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        let fifth = chunks[1].next().unwrap();
        assert_eq!(fifth.0, 4);
        drop(fifth);
        drop(chunks); // 3 left in the second chunk, 2 in the third
        assert_eq!(drops.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn output_becomes_a_vector_when_every_range_is_written() {
        let output = Output::with_len(5);
        let mut a = output.range(0, 3);
        let mut b = output.range(3, 2);
        for n in [10, 11, 12] {
            a.write(n);
        }
        b.write(13);
        b.write(14);
        drop((a, b));
        // SAFETY: both ranges were written in full and dropped.
        let all = unsafe { output.into_vec() };
        assert_eq!(all, [10, 11, 12, 13, 14]);
    }

    #[test]
    fn discarding_drops_exactly_what_was_written() {
        let drops = AtomicUsize::new(0);
        let output = Output::with_len(6);
        let mut a = output.range(0, 3);
        let mut b = output.range(3, 3);
        a.write(Counted(0, &drops));
        a.write(Counted(1, &drops));
        b.write(Counted(3, &drops));
        let extents = [a.extent(), b.extent()];
        drop((a, b));
        // SAFETY: the extents are exactly what was written.
        unsafe { output.discard(&extents) };
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }

    #[test]
    #[should_panic(expected = "at most its own items")]
    fn a_range_cannot_overflow_into_its_neighbour() {
        let output = Output::with_len(2);
        let mut a = output.range(0, 1);
        a.write(1u8);
        a.write(2u8);
    }

    #[test]
    fn a_panic_midway_drops_each_item_exactly_once() {
        let drops = AtomicUsize::new(0);
        let items: Vec<Counted<'_>> = (0..10).map(|n| Counted(n, &drops)).collect();
        let mut chunk = Chunk::whole(items);
        let output = Output::with_len(10);
        let mut range = output.range(0, 10);
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map_into(
                &mut chunk,
                &mut range,
                |c| if c.0 == 6 { panic!("six") } else { c.0 },
                4,
                |_| {},
            );
        }));
        assert!(ran.is_err());
        assert_eq!(range.extent(), (0, 6), "six values were written");
        assert_eq!(chunk.len(), 3, "items 7, 8, 9 are left");
        drop(chunk);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            10,
            "0..=6 dropped by f or unwinding, 7..=9 by the chunk"
        );
        let extents = [range.extent()];
        drop(range);
        // SAFETY: the extent is exactly what was written (plain u32s).
        unsafe { output.discard(&extents) };
    }

    #[test]
    fn zero_sized_items_work() {
        let chunks = Chunk::split(vec![(); 7], 3);
        assert_eq!(chunks.into_iter().map(Iterator::count).sum::<usize>(), 7);
    }
}
