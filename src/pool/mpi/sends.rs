//! Rank 0's sends in flight: non-blocking, each keeping its bytes until MPI has taken them.
//!
//! rsmpi's requests borrow their buffer for a scope, which a loop that lives as long as the
//! program and sends to whichever rank is ready cannot name; so the progress engine starts its
//! sends with `MPI_Isend` itself, owns each buffer next to its request, and completes them all
//! at once with `MPI_Testsome`.

use std::os::raw::c_int;

use mpi::datatype::Equivalence;
use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;

/// The sends started and not completed yet.
pub(super) struct Sends {
    /// The MPI requests, one per send; `requests[i]` sends `buffers[i]`.
    requests: Vec<ffi::MPI_Request>,
    buffers: Vec<Vec<u8>>,
    /// Room for `MPI_Testsome`'s answer.
    indices: Vec<c_int>,
}

impl Sends {
    pub(super) fn new() -> Self {
        Sends {
            requests: Vec::new(),
            buffers: Vec::new(),
            indices: Vec::new(),
        }
    }

    /// Starts sending `bytes` (fewer than 2³¹: see `world::check_size`) to `rank` with `tag`.
    pub(super) fn start(
        &mut self,
        world: &SimpleCommunicator,
        rank: i32,
        tag: mpi::Tag,
        bytes: Vec<u8>,
    ) {
        let count = c_int::try_from(bytes.len()).expect("the caller checked the size");
        let mut request = null_request();
        // SAFETY: `bytes` lives in `self.buffers` until `MPI_Testsome` says this request is
        // complete (its heap block does not move when the `Vec` is moved), and nothing writes
        // to it meanwhile; the datatype is MPI_UINT8_T for `u8`, and `world` is a valid
        // communicator on the one thread that makes MPI calls.
        unsafe {
            ffi::MPI_Isend(
                bytes.as_ptr().cast(),
                count,
                u8::equivalent_datatype().as_raw(),
                rank,
                tag,
                world.as_raw(),
                &mut request,
            );
        }
        self.requests.push(request);
        self.buffers.push(bytes);
    }

    /// Completes the sends MPI is done with, handing their buffers to `spare` for reuse;
    /// returns how many completed.
    pub(super) fn progress(&mut self, spare: &mut Vec<Vec<u8>>) -> usize {
        if self.requests.is_empty() {
            return 0;
        }
        self.indices.resize(self.requests.len(), 0);
        let mut completed: c_int = 0;
        // SAFETY: `requests` holds only active requests started by `start` (completed ones
        // are removed below), and `indices` has room for one index per request.
        unsafe {
            ffi::MPI_Testsome(
                c_int::try_from(self.requests.len()).unwrap_or(c_int::MAX),
                self.requests.as_mut_ptr(),
                &mut completed,
                self.indices.as_mut_ptr(),
                ffi::RSMPI_STATUSES_IGNORE,
            );
        }
        let completed = usize::try_from(completed).unwrap_or(0); // MPI_UNDEFINED: none active
        if completed == 0 {
            return 0;
        }
        // Completed requests are MPI_REQUEST_NULL now: drop them, keeping the others' order.
        let mut i = 0;
        while i < self.requests.len() {
            if self.requests[i] == null_request() {
                self.requests.remove(i);
                let mut buffer = self.buffers.remove(i);
                buffer.clear();
                spare.push(buffer);
            } else {
                i += 1;
            }
        }
        completed
    }

    /// Whether every send has completed.
    pub(super) fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Gives up on the sends still in flight when the job is about to be aborted: their
    /// buffers are leaked, so that MPI never reads freed memory.
    pub(super) fn abandon(self) {
        std::mem::forget(self.buffers);
    }
}

fn null_request() -> ffi::MPI_Request {
    // SAFETY: a constant the MPI library initialises before any MPI call.
    unsafe { ffi::RSMPI_REQUEST_NULL }
}
