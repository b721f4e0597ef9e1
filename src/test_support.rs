//! Helpers for the crate's unit tests.

use std::io::{self, Write};

/// A sink that refuses every write, like stdout piped into a program that has exited.
pub(crate) struct BrokenPipe;

impl Write for BrokenPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
