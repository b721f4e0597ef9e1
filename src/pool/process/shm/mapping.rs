//! A block of memory two processes share: a `memfd` (an anonymous file in RAM), mapped into
//! the pool's process and into one worker's.
//!
//! The pool creates the file and maps it; the worker inherits the file's descriptor across
//! `exec`, learns its number and size in the handshake, maps it too and closes the descriptor.
//! A [`Mapping`] owns its mapping: the memory stays mapped exactly as long as the value
//! lives, and everything that reads or writes it (the rings) holds an `Arc<Mapping>`.
//!
//! The memory is the other process's as much as ours, and that process may be buggy or
//! hostile: this module hands out only a raw base pointer and a length, never a reference,
//! and the ring reads it through atomics and bounded copies (see `ring`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use nix::libc;

/// Shared memory mapped into this process, unmapped when dropped.
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a `Mapping` is an address range, not data: it hands out only its base pointer and
// length, and whoever dereferences them (the ring) synchronises through atomics. Sending or
// sharing the range between threads is as safe as sharing it between processes, which is
// its purpose.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` gives access to nothing but the pointer and the length.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Creates a shared-memory file of `len` bytes (zeroed) and maps it; returns the mapping
    /// and the file's descriptor, close-on-exec, for a child to inherit once made inheritable.
    ///
    /// # Errors
    ///
    /// When the system refuses the file or the mapping (out of memory, too many files), or on
    /// a system without `memfd_create`.
    pub(crate) fn create(len: usize) -> io::Result<(Mapping, OwnedFd)> {
        let fd = memfd()?;
        let size = libc::off_t::try_from(len).map_err(|_| io::Error::other("too large"))?;
        // SAFETY: a plain system call on a descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } == -1 {
            return Err(io::Error::last_os_error());
        }
        let mapping = Mapping::map(fd.as_raw_fd(), len)?;
        Ok((mapping, fd))
    }

    /// Maps the shared-memory file `fd`, which must be exactly `len` bytes long: a file of
    /// another size is refused, so no access within `len` can fall past its end (which would
    /// raise `SIGBUS`, not an error).
    ///
    /// # Errors
    ///
    /// When the file's size is not `len`, or the system refuses the mapping.
    pub(crate) fn open(fd: BorrowedFd<'_>, len: usize) -> io::Result<Mapping> {
        // SAFETY: `stat` is plain data, valid when zeroed; fstat fills it.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a plain system call writing into our own `stat`.
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) } == -1 {
            return Err(io::Error::last_os_error());
        }
        if u64::try_from(stat.st_size).ok() != Some(len as u64) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the shared memory holds {} bytes, not the {len} announced",
                    stat.st_size
                ),
            ));
        }
        Mapping::map(fd.as_raw_fd(), len)
    }

    fn map(fd: i32, len: usize) -> io::Result<Mapping> {
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty mapping"));
        }
        // SAFETY: asks the kernel for a fresh mapping at an address of its choosing; nothing
        // in this process refers to that range yet.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("null map"))?;
        Ok(Mapping { base, len })
    }

    /// The first byte. Page-aligned; valid for reads and writes of [`len`](Self::len) bytes
    /// while `self` lives.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// How many bytes are mapped.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the range was mapped by `map` and is unmapped once, here; every user of it
        // holds an `Arc<Mapping>`, so none is left.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn memfd() -> io::Result<OwnedFd> {
    // SAFETY: a plain system call with a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"concurrency-lab-pool".as_ptr(), libc::MFD_CLOEXEC) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened for us and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn memfd() -> io::Result<OwnedFd> {
    // Elsewhere the pool talks to its workers over the socket alone.
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no memfd_create on this system",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn two_mappings_of_one_file_see_each_others_writes() {
        let (a, fd) = Mapping::create(8192).unwrap();
        let b = Mapping::open(fd.as_fd(), 8192).unwrap();
        assert_eq!((a.len(), b.len()), (8192, 8192));
        assert_ne!(a.base(), b.base());
        // SAFETY: both bases are page-aligned and valid for 8 KiB while `a` and `b` live.
        let (x, y) = unsafe {
            (
                AtomicU64::from_ptr(a.base().add(64).cast()),
                AtomicU64::from_ptr(b.base().add(64).cast()),
            )
        };
        assert_eq!(y.load(Ordering::SeqCst), 0, "a fresh file is zeroed");
        x.store(0xfeed, Ordering::SeqCst);
        assert_eq!(y.load(Ordering::SeqCst), 0xfeed);
    }

    #[test]
    fn a_file_of_another_size_is_refused() {
        let (_a, fd) = Mapping::create(4096).unwrap();
        let err = Mapping::open(fd.as_fd(), 8192).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(Mapping::create(0).is_err());
    }
}
