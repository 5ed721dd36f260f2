//! Where a command's input comes from and its output goes.
//!
//! Redirections and pipes capture output in memory ([`Output::Buffer`]), bounded by what
//! users may still claim (`mem::reserve`), so a runaway producer gets "out of memory"
//! instead of starving the kernel. Console output checks for Ctrl-C between chunks, so a
//! long output can be interrupted.

use crate::drivers::input;
use crate::print;
use alloc::string::String;
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
    Buffer(String),
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
            Output::Buffer(b) => {
                // Captured output may not eat the kernel's headroom.
                if s.len() > crate::mem::reserve::spare() {
                    return Err(fmt::Error);
                }
                b.try_reserve(s.len()).map_err(|_| fmt::Error)?;
                b.push_str(s);
                Ok(())
            }
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
