//! Shared memory between a pool's driver thread and its worker process.
//!
//! Each worker gets a `memfd` mapped in both processes ([`mapping`]), holding two rings of
//! frames ([`ring`]): requests to the worker, replies from it. A side with nothing to read
//! spins briefly, then sleeps on a wake word in the ring (`pool::wake`, a futex), which
//! the writer wakes. [`channel`] puts the rings beside the socket, which still carries the
//! handshake, frames too large for a ring, and the news of a peer's death.
//!
//! The `unsafe` code is in `mapping` (the system calls) and `ring` (atomics and two bounded
//! copies in shared memory). Miri cannot check it here: it does not run `mmap` or futexes
//! of another process, and the Miri component is not installed on the machine where this
//! was written. The ring's tests instead drive it through wraparound at every offset, full
//! rings, records exactly the ring's size, forged positions and lengths, and producer and
//! consumer on two threads and in two processes.

pub(crate) mod channel;
mod echo;
pub(crate) mod mapping;
pub(crate) mod ring;

pub use echo::ShmEcho;
pub(crate) use echo::serve_if_echo;
