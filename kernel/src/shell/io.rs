//! Where a command's input comes from and its output goes.
//!
//! Redirections and pipes capture output in memory ([`Output::Buffer`]), bounded by what
//! users may still claim (`mem::reserve`), so a runaway producer gets "out of memory"
//! instead of starving the kernel. Console output checks for Ctrl-C between chunks, so a
//! long output can be interrupted.

use crate::drivers::input;
use crate::print;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

/// Set when Ctrl-C stopped a command's console output; the shell reports it (status 130).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Takes the "Ctrl-C stopped the output" flag.
pub fn take_interrupted() -> bool {
    INTERRUPTED.swap(false, Ordering::Relaxed)
}

/// Where a command's standard output (or error) goes.
pub enum Output {
    Console,
    /// Captured bytes (programs may write any bytes, not only text).
    Buffer(Vec<u8>),
}

impl Output {
    /// Writes raw bytes: kept as they are in a buffer, shown as text (invalid UTF-8 as
    /// U+FFFD) on the console.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> fmt::Result {
        match self {
            Output::Console => {
                for chunk in bytes.utf8_chunks() {
                    self.write_str(chunk.valid())?;
                    if !chunk.invalid().is_empty() {
                        self.write_str("\u{fffd}")?;
                    }
                }
                Ok(())
            }
            Output::Buffer(b) => {
                // Captured output may not eat the kernel's headroom.
                if bytes.len() > crate::mem::reserve::spare() {
                    return Err(fmt::Error);
                }
                b.try_reserve(bytes.len()).map_err(|_| fmt::Error)?;
                b.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self {
            Output::Console => {
                if INTERRUPTED.load(Ordering::Relaxed) || input::interrupt_requested() {
                    INTERRUPTED.store(true, Ordering::Relaxed);
                    return Err(fmt::Error);
                }
                print!("{s}");
                Ok(())
            }
            Output::Buffer(_) => self.write_bytes(s.as_bytes()),
        }
    }
}

/// A command's standard input.
pub enum Input {
    /// The keyboard and the serial line.
    Terminal,
    /// A file (`< f`) or the previous command of a pipeline.
    Bytes(Vec<u8>),
}
