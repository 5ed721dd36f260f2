//! What the host needs from the machine it runs on.
//!
//! Why a trait: the same host code runs inside the kernel and inside host-side tests. Every
//! fact that differs between the two (what time it is, where text goes, where input comes
//! from, which files exist) is a method here, so the host itself is the same everywhere.
//! Standard input may answer "would block" ([`StdinRead::WouldBlock`]) instead of waiting:
//! the host then pauses the program and hands control back to its caller, which can wait
//! asynchronously (the kernel yields to its executor) and resume it later.

use crate::wasi::FileSystem;

/// One of a program's three standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

/// The result of reading standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdinRead {
    /// This many bytes (at least 1) were placed at the start of the buffer.
    Data(usize),
    /// End of input: every later read returns this too.
    Eof,
    /// Nothing is available yet; ask again later.
    WouldBlock,
}

/// Standard input held in memory: bytes not read yet, and whether more can come. The one
/// implementation of [`Platform::read_stdin`]'s rules, shared by the kernel and the tests.
#[derive(Clone, Debug, Default)]
pub struct StdinBuffer {
    pub bytes: alloc::collections::VecDeque<u8>,
    /// No more bytes will be added: once `bytes` is empty, reads give end of file.
    pub closed: bool,
}

impl StdinBuffer {
    /// A buffer holding `bytes` and then end of file (moved in, not copied).
    pub fn closed_with(bytes: alloc::vec::Vec<u8>) -> Self {
        Self {
            bytes: bytes.into(),
            closed: true,
        }
    }

    /// What [`Platform::read_stdin`] answers.
    pub fn read(&mut self, buf: &mut [u8]) -> StdinRead {
        if self.bytes.is_empty() {
            return if self.closed {
                StdinRead::Eof
            } else {
                StdinRead::WouldBlock
            };
        }
        let n = buf.len().min(self.bytes.len());
        for (dst, src) in buf.iter_mut().zip(self.bytes.drain(..n)) {
            *dst = src;
        }
        StdinRead::Data(n)
    }

    /// What [`Platform::stdin_ready`] answers.
    pub fn ready(&self) -> bool {
        !self.bytes.is_empty() || self.closed
    }
}

/// An output stream cannot take more bytes now; try again later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WouldBlock;

/// The machine, as seen by a WebAssembly module. Methods with defaults are only needed by
/// WASI programs; a games-only platform implements the first four.
pub trait Platform {
    /// Nanoseconds since an arbitrary fixed point (boot); never goes backwards. Games' `time_ms`
    /// and every wall-clock budget are measured on this clock.
    fn monotonic_ns(&mut self) -> u64;

    /// Nanoseconds since 1970-01-01T00:00:00Z (WASI's realtime clock, file timestamps).
    fn realtime_ns(&mut self) -> u64;

    /// Fills `buf` with random bytes (games' `random`, WASI's `random_get`).
    fn fill_random(&mut self, buf: &mut [u8]);

    /// A piece of a game's `print` output, already made safe to show: no control characters
    /// except `\t`, each line prefixed with the game's name, `"\n"` between lines.
    fn log(&mut self, text: &str);

    /// Reads standard input into `buf` (which is never empty).
    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead {
        let _ = buf;
        StdinRead::Eof
    }

    /// True when reading standard input would not block (data or end of input is there).
    fn stdin_ready(&mut self) -> bool {
        true
    }

    /// Writes to standard output or standard error; returns how many bytes were taken (at
    /// least 1 unless `bytes` is empty).
    fn write_output(&mut self, stream: Stream, bytes: &[u8]) -> Result<usize, WouldBlock> {
        let _ = stream;
        Ok(bytes.len())
    }

    /// True when `stream` is an interactive terminal (WASI shows it as a character device).
    fn is_terminal(&mut self, stream: Stream) -> bool {
        let _ = stream;
        false
    }

    /// The file system that WASI preopened directories live in, if there is one.
    fn fs(&mut self) -> Option<&mut dyn FileSystem> {
        None
    }
}
