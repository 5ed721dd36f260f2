//! The kernel as the machine a WebAssembly module sees (`wasm_host::Platform`).
//!
//! Clocks: the monotonic clock is the TSC since kernel entry (fine-grained, never goes back);
//! the realtime clock is the kernel's wall clock (`arch::clock::realtime_ns`: the RTC read at
//! boot, plus the monotonic clock since), the same one file times come from. Randomness: a
//! xorshift generator seeded from the TSC (fine for games and hash seeds, not for keys).
//! Games' `print` goes to the serial log; a program's standard output and error go to the
//! console (which mirrors to serial). Standard input is a buffer the runner fills from the
//! keyboard, a line at a time.

use super::ramfs_wasi::WasiRamFs;
use crate::arch::clock::{monotonic_ns, rdtsc, realtime_ns};
use alloc::vec::Vec;
use wasm_host::wasi::FileSystem;
use wasm_host::{Platform, StdinBuffer, StdinRead, Stream, WouldBlock};

/// The machine, for one module.
#[derive(Debug)]
pub struct KernelPlatform {
    rng: wasm_abi::Rng,
    /// Standard input: lines typed (or a pipe's bytes) not read yet, and whether it ended.
    pub stdin: StdinBuffer,
    /// The start of a UTF-8 sequence that the last write cut in two.
    carry: Vec<u8>,
    /// The file system, for programs given directories.
    pub fs: Option<WasiRamFs>,
    /// Standard output kept for a pipe or a redirection, instead of shown.
    pub captured: Option<Vec<u8>>,
    /// Captured output was cut short: memory ran out.
    pub capture_overflow: bool,
    /// When the program first wrote to standard output or error (`monotonic_ns`).
    pub first_output_ns: Option<u64>,
}

impl KernelPlatform {
    /// A platform without a file system (games).
    pub fn new() -> Self {
        Self {
            rng: wasm_abi::Rng::new(seed()),
            stdin: StdinBuffer::default(),
            carry: Vec::new(),
            fs: None,
            captured: None,
            capture_overflow: false,
            first_output_ns: None,
        }
    }

    /// A platform with the RAM file system (WASI programs).
    pub fn with_fs() -> Self {
        let mut p = Self::new();
        p.fs = Some(WasiRamFs::new());
        p
    }
}

impl Default for KernelPlatform {
    fn default() -> Self {
        Self::new()
    }
}

/// A seed that differs from run to run: the TSC, mixed (splitmix64) so that close TSC
/// values give unrelated sequences. Never 0 (xorshift would stay at 0).
fn seed() -> u64 {
    let mut z = rdtsc().wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) | 1
}

/// Splits off an incomplete UTF-8 sequence at the end of `bytes`.
fn split_incomplete(bytes: &[u8]) -> (&[u8], &[u8]) {
    for back in 1..=bytes.len().min(3) {
        let i = bytes.len() - back;
        let b = bytes[i];
        if b & 0xc0 == 0x80 {
            continue;
        }
        let need = match b {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        };
        return if back < need {
            bytes.split_at(i)
        } else {
            (bytes, &[])
        };
    }
    (bytes, &[])
}

impl Platform for KernelPlatform {
    fn monotonic_ns(&mut self) -> u64 {
        monotonic_ns()
    }

    fn realtime_ns(&mut self) -> u64 {
        realtime_ns()
    }

    fn fill_random(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let r = self.rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }

    fn log(&mut self, text: &str) {
        crate::serial_print!("{text}");
    }

    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead {
        self.stdin.read(buf)
    }

    fn stdin_ready(&mut self) -> bool {
        self.stdin.ready()
    }

    fn write_output(&mut self, stream: Stream, bytes: &[u8]) -> Result<usize, WouldBlock> {
        if self.first_output_ns.is_none() && !bytes.is_empty() {
            self.first_output_ns = Some(crate::arch::clock::monotonic_ns());
        }
        if stream == Stream::Stdout
            && let Some(buf) = self.captured.as_mut()
        {
            // Kept whole (any bytes), within the memory users may claim; past that the
            // output is dropped and the run reports it.
            if bytes.len() > crate::mem::reserve::spare() || buf.try_reserve(bytes.len()).is_err() {
                self.capture_overflow = true;
            } else {
                buf.extend_from_slice(bytes);
            }
            return Ok(bytes.len());
        }
        let mut joined;
        let all: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            joined = core::mem::take(&mut self.carry);
            joined.extend_from_slice(bytes);
            &joined
        };
        let (whole, tail) = split_incomplete(all);
        for chunk in whole.utf8_chunks() {
            crate::print!("{}", chunk.valid());
            if !chunk.invalid().is_empty() {
                crate::print!("\u{fffd}");
            }
        }
        self.carry = Vec::from(tail);
        Ok(bytes.len())
    }

    fn is_terminal(&mut self, stream: Stream) -> bool {
        match stream {
            Stream::Stdout => self.captured.is_none(),
            _ => true,
        }
    }

    fn fs(&mut self) -> Option<&mut dyn FileSystem> {
        self.fs.as_mut().map(|f| f as &mut dyn FileSystem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn incomplete_utf8_is_carried() {
        assert_eq!(split_incomplete(b"ab\xc3"), (&b"ab"[..], &b"\xc3"[..]));
        assert_eq!(split_incomplete("é".as_bytes()), ("é".as_bytes(), &[][..]));
        assert_eq!(split_incomplete(b"\xe2\x82"), (&[][..], &b"\xe2\x82"[..]));
    }
}
