//! A worker rank's life: it answers rank 0's requests until rank 0 says goodbye.

use std::io::Write;
use std::panic::catch_unwind;

use mpi::datatype::Equivalence;
use mpi::environment::Universe;
use mpi::point_to_point::{Destination, Source};
use mpi::topology::{Communicator, Process};

use super::wait::Backoff;
use super::world::{check_size, tag};
use crate::panic_message::panic_message;
use crate::pool::remote::entry::init_entry_at;
use crate::pool::remote::run_request;
use crate::pool::remote::wire::RUN;

/// Serves rank 0, then finalises MPI and exits. `trusted`: this rank runs rank 0's build, so
/// the entry offsets rank 0 sends lead to the same code here.
pub(super) fn serve_root(universe: Universe, trusted: bool) -> ! {
    let world = universe.world();
    let root = world.process_at_rank(0);
    let mut request = Vec::new();
    let mut reply = Vec::new();
    loop {
        let mut backoff = Backoff::new();
        let (message, status) = loop {
            if let Some(probed) = root.immediate_matched_probe() {
                break probed;
            }
            backoff.pause();
        };
        request.resize(status.count(u8::equivalent_datatype()) as usize, 0);
        message.matched_receive_into(&mut request[..]);
        let answer = match status.tag() {
            tag::EXIT => break,
            _ if !trusted => tag::REFUSED,
            tag::TASK => run_chunk(&request, &mut reply),
            tag::INIT => run_initializer(&request, &mut reply),
            _ => continue, // rank 0 sends nothing else
        };
        if check_size(reply.len()).is_err() {
            let size = reply.len() as u64;
            reply.clear();
            reply.extend_from_slice(&size.to_le_bytes());
            send(&root, &reply, tag::REPLY_TOO_LARGE);
        } else {
            send(&root, &reply, answer);
        }
    }
    drop(world);
    let _ = std::io::stdout().flush();
    drop(universe); // MPI_Finalize, together with rank 0
    std::process::exit(0);
}

/// Sends `bytes` to rank 0, waiting as for a request until MPI has taken them: a large reply
/// waits for rank 0 to receive it, and OpenMPI's own wait would poll without yielding.
fn send(root: &Process<'_>, bytes: &[u8], tag: mpi::Tag) {
    mpi::request::scope(|scope| {
        let mut request = root.immediate_send_with_tag(scope, bytes, tag);
        let mut backoff = Backoff::new();
        loop {
            match request.test() {
                Ok(_) => return,
                Err(pending) => request = pending,
            }
            backoff.pause();
        }
    });
}

/// Runs a chunk encoded by `remote::job` and encodes its outcomes as a worker process would.
fn run_chunk(request: &[u8], reply: &mut Vec<u8>) -> mpi::Tag {
    reply.clear();
    let Some((&RUN, body)) = request.split_first() else {
        return tag::REFUSED;
    };
    // SAFETY: `init()` checked that rank 0 runs this very executable (`trusted`), and rank 0
    // only sends offsets of chunk entry points.
    match unsafe { run_request(body, reply) } {
        Ok(()) => tag::REPLY,
        Err(_) => tag::REFUSED,
    }
}

fn run_initializer(request: &[u8], reply: &mut Vec<u8>) -> mpi::Tag {
    reply.clear();
    let Ok(offset) = <[u8; 8]>::try_from(request) else {
        return tag::REFUSED;
    };
    // SAFETY: as in `run_chunk`, for an initializer's entry point.
    let Some(initializer) = (unsafe { init_entry_at(u64::from_le_bytes(offset)) }) else {
        return tag::REFUSED;
    };
    match catch_unwind(initializer) {
        Ok(()) => tag::INIT_DONE,
        Err(payload) => {
            reply.extend_from_slice(panic_message(payload.as_ref()).as_bytes());
            tag::INIT_PANICKED
        }
    }
}
