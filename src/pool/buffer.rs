//! Moving a `map`'s items in and its results out without copying them.
//!
//! A `map` over a million items must not copy a million items twice: measured here, cutting
//! the input into chunk vectors and joining the chunk results cost five times the work itself.
//! Instead, all chunks share the input vector and the output vector; each chunk owns a
//! disjoint range of both. That needs `unsafe` (as do, elsewhere, naming a task's code to a
//! worker process and the system calls around one), and the invariant that makes it sound is
//! simple: **every index belongs to exactly one chunk**, and a chunk touches only its own
//! indices, each at most once.
//!
//! Both halves of the invariant hold by construction, here: [`split_map`] is the only way to
//! cut an output into ranges, and it cuts each input chunk and its output range from the same
//! numbers, in one loop; and every range, when it is dropped, tells the output how much it
//! wrote, so the output becomes a vector only if that adds up to its length — otherwise it
//! drops exactly what was written.
//!
//! Miri finds no undefined behaviour in this module's tests (success, partial writes, a panic
//! midway, an output dropped before its ranges). After a change here, run the thread pool's
//! tests under Miri too (success, panics midway, termination, drop counting):
//!
//! ```sh
//! cargo +nightly miri test --lib -- pool::buffer pool::sink
//! MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --test pool_threads -- \
//!     --skip ten_million --skip submitting_while
//! ```

use std::mem::ManuallyDrop;
use std::ops::Range;
use std::ptr;
use std::sync::{Arc, Mutex, PoisonError};

/// The allocation of a vector whose elements are owned elsewhere (by chunks).
struct Allocation<T> {
    ptr: *mut T,
    capacity: usize,
}

// SAFETY: the allocation only hands out elements to chunks; moving or sharing it between
// threads moves or shares `T`s, so `T: Send` is what it takes.
unsafe impl<T: Send> Send for Allocation<T> {}
// SAFETY: as for `Send`: a shared allocation hands each element to one chunk only, so sharing
// it never shares a `T` between threads.
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
pub struct Chunk<T> {
    input: Arc<Allocation<T>>,
    next: usize,
    end: usize,
    /// Where the chunk lies in its map, for messages that name it.
    place: Place,
}

/// Where a chunk lies in its map: the indices of its items and the chunksize it was cut with.
/// Only messages read it (an argument or result too large for a frame names its chunk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// The indices of the chunk's items in the map's input.
    pub(crate) items: Range<usize>,
    /// The chunksize the map's input was cut with (the last chunk may be shorter).
    pub(crate) chunksize: usize,
}

impl<T> Chunk<T> {
    /// Cuts `items` into chunks of `size` items (the last may be shorter), sharing its memory.
    fn split(items: Vec<T>, size: usize) -> Vec<Chunk<T>> {
        assert!(size > 0, "chunks hold at least one item");
        let (allocation, len) = Allocation::of(items);
        let input = Arc::new(allocation);
        (0..len)
            .step_by(size)
            .map(|start| Chunk {
                input: Arc::clone(&input),
                next: start,
                end: (start + size).min(len),
                place: Place {
                    items: start..(start + size).min(len),
                    chunksize: size,
                },
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
            place: Place {
                items: 0..len,
                chunksize: len.max(1),
            },
        }
    }

    /// This chunk, named as items `first..` of a map cut into chunks of `chunksize` (`imap`
    /// reads its chunks one by one, each a whole vector).
    pub(crate) fn placed_at(mut self, first: usize, chunksize: usize) -> Chunk<T> {
        let len = self.place.items.len();
        self.place = Place {
            items: first..first + len,
            chunksize,
        };
        self
    }

    /// Where the chunk lies in its map.
    pub(crate) fn place(&self) -> &Place {
        &self.place
    }
}

impl<T> std::fmt::Debug for Chunk<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("items", &(self.next..self.end))
            .finish()
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

/// One chunk of a map's input and the range of the output its results go to.
pub(crate) type Piece<A, R> = (Chunk<A>, OutputRange<R>);

/// Cuts a map's input into chunks of `size` items (the last may be shorter), each paired with
/// the output range its results go to: the one place that decides which indices a chunk owns.
pub(crate) fn split_map<A, R>(items: Vec<A>, size: usize) -> (Arc<Output<R>>, Vec<Piece<A, R>>) {
    let output = Output::with_len(items.len());
    let pieces = Chunk::split(items, size)
        .into_iter()
        .map(|chunk| {
            let range = output.range(chunk.next, chunk.len());
            (chunk, range)
        })
        .collect();
    (output, pieces)
}

/// A map's output vector, written in disjoint ranges by the chunks' [`OutputRange`]s.
pub(crate) struct Output<R> {
    allocation: Allocation<R>,
    len: usize,
    /// `(start, items written)` of every range dropped so far: the items initialised.
    written: Mutex<Vec<(usize, usize)>>,
}

impl<R> Output<R> {
    fn with_len(len: usize) -> Arc<Self> {
        let (allocation, _) = Allocation::of(Vec::with_capacity(len));
        Arc::new(Output {
            allocation,
            len,
            written: Mutex::new(Vec::new()),
        })
    }

    /// The writer for `start..start + len`; only [`split_map`] cuts ranges, each once.
    fn range(self: &Arc<Self>, start: usize, len: usize) -> OutputRange<R> {
        assert!(start + len <= self.len, "a range lies inside the output");
        OutputRange {
            output: Arc::clone(self),
            start,
            len,
            written: 0,
        }
    }

    /// The finished vector if the ranges wrote every index; otherwise `None`, after dropping
    /// what they wrote.
    ///
    /// # Panics
    ///
    /// If a writer is still alive: the map calls this once every chunk has reported.
    pub(crate) fn into_vec(self: Arc<Self>) -> Option<Vec<R>> {
        let mut output = Arc::into_inner(self).expect("no writer is left once the map is complete");
        let written = std::mem::take(
            output
                .written
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        // The ranges are disjoint (`split_map`) and each wrote a prefix of itself, so the
        // counts add up to the length only if every index was written.
        if written.iter().map(|&(_, count)| count).sum::<usize>() != output.len {
            *output
                .written
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner) = written;
            return None; // dropping `output` drops what was written
        }
        let output = ManuallyDrop::new(output);
        // SAFETY: the allocation is a `Vec<R>`'s with capacity ≥ len, and all `len` items are
        // written (counted above). `output` is never dropped, so the allocation is owned by
        // the new vector alone; its `written` list was taken out above and freed.
        Some(unsafe {
            Vec::from_raw_parts(
                output.allocation.ptr,
                output.len,
                output.allocation.capacity,
            )
        })
    }
}

impl<R> Drop for Output<R> {
    fn drop(&mut self) {
        let written = self
            .written
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for &(start, count) in written.iter() {
            // SAFETY: a range reported these items as written by it, and no one has moved
            // them out: the output was not turned into a vector.
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

impl<R> Drop for OutputRange<R> {
    fn drop(&mut self) {
        // The output counts what was written before it treats anything as initialised.
        self.output
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((self.start, self.written));
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
        // SAFETY: as above, for the output's slot: in bounds, this range's, not written yet.
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
    fn input_chunks_and_output_ranges_are_cut_from_the_same_numbers() {
        let (output, pieces) = split_map::<u32, u32>((0..10).collect(), 4);
        let cuts: Vec<_> = pieces
            .iter()
            .map(|(chunk, range)| (chunk.next, chunk.len(), range.start, range.len()))
            .collect();
        assert_eq!(cuts, [(0, 4, 0, 4), (4, 4, 4, 4), (8, 2, 8, 2)]);
        for (chunk, mut range) in pieces {
            for n in chunk {
                range.write(n * 10);
            }
        }
        let all = output.into_vec().expect("every range was written in full");
        assert_eq!(all, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    }

    #[test]
    fn an_output_written_in_part_drops_exactly_what_was_written() {
        let drops = AtomicUsize::new(0);
        let (output, mut pieces) = split_map::<(), Counted<'_>>(vec![(); 6], 3);
        let (_, mut b) = pieces.pop().unwrap();
        let (_, mut a) = pieces.pop().unwrap();
        a.write(Counted(0, &drops));
        a.write(Counted(1, &drops));
        b.write(Counted(3, &drops));
        drop((a, b));
        assert!(output.into_vec().is_none(), "three of six were written");
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn an_output_dropped_before_its_ranges_drops_what_they_wrote() {
        let drops = AtomicUsize::new(0);
        let (output, mut pieces) = split_map::<(), Counted<'_>>(vec![(); 2], 1);
        pieces[1].1.write(Counted(1, &drops));
        drop(output);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            0,
            "a range still holds the output"
        );
        drop(pieces);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    #[should_panic(expected = "at most its own items")]
    fn a_range_cannot_overflow_into_its_neighbour() {
        let (_output, mut pieces) = split_map::<(), u8>(vec![(); 2], 1);
        pieces[0].1.write(1);
        pieces[0].1.write(2);
    }

    #[test]
    fn a_panic_midway_drops_each_item_exactly_once() {
        let drops = AtomicUsize::new(0);
        let items: Vec<Counted<'_>> = (0..10).map(|n| Counted(n, &drops)).collect();
        let (output, mut pieces) = split_map::<Counted<'_>, u32>(items, 10);
        let (mut chunk, mut range) = pieces.pop().unwrap();
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
        drop(range);
        assert!(output.into_vec().is_none());
    }

    #[test]
    fn zero_sized_items_work() {
        let chunks = Chunk::split(vec![(); 7], 3);
        assert_eq!(chunks.into_iter().map(Iterator::count).sum::<usize>(), 7);
    }
}
