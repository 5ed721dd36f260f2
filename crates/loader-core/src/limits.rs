//! Bounds on what the loader reads from the boot volume.
//!
//! Why: every byte the loader reads lives in UEFI memory until the hand-off, and a UEFI
//! allocation that fails ends the loader with an anonymous "memory allocation failed". A
//! broken or hostile boot volume (a huge `limine.conf`, macros that double on every line, a
//! module larger than the machine's memory) must instead get a refusal that names the file
//! or the line. The bounds are far above anything a real configuration needs.

use alloc::string::String;
use core::fmt;

/// A `limine.conf` larger than this is refused unread (RustOS's is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;
/// The most one macro expansion (a macro's value, an option value, an entry name) may
/// produce, in bytes.
pub const MAX_EXPANSION_BYTES: usize = 4 * 1024;
/// The most all expansions of one `limine.conf` may produce together, in bytes.
pub const MAX_EXPANDED_TOTAL: usize = 256 * 1024;

/// UEFI memory type of free memory (`EfiConventionalMemory`).
const UEFI_CONVENTIONAL: u32 = 7;
const PAGE: u64 = 4096;

/// The largest run of free memory in a UEFI memory map, in bytes: the most that one
/// allocation of contiguous pages can get. `map` yields `(UEFI type, physical start, page
/// count)` per descriptor, in any order; touching free descriptors count as one run.
pub fn largest_free_block(map: impl IntoIterator<Item = (u32, u64, u64)>) -> u64 {
    let mut free: alloc::vec::Vec<(u64, u64)> = map
        .into_iter()
        .filter(|&(ty, _, pages)| ty == UEFI_CONVENTIONAL && pages > 0)
        .map(|(_, start, pages)| (start, start.saturating_add(pages.saturating_mul(PAGE))))
        .collect();
    free.sort_unstable();
    let mut best = 0;
    let mut run: Option<(u64, u64)> = None;
    for (start, end) in free {
        run = match run {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            _ => Some((start, end)),
        };
        if let Some((s, e)) = run {
            best = best.max(e - s);
        }
    }
    best
}

/// A file the loader refuses to read because of its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The file's path on the boot volume.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// The bound it exceeds, in bytes.
    pub limit: u64,
    /// Which bound.
    pub kind: Bound,
}

/// The bound a [`TooLarge`] file exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// [`MAX_CONFIG_BYTES`].
    ConfigFile,
    /// The largest free block of memory.
    FreeMemory,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Bound::ConfigFile => write!(
                f,
                "`{}` is {} bytes; a limine.conf may be at most {} bytes",
                self.path, self.size, self.limit
            ),
            Bound::FreeMemory => write!(
                f,
                "`{}` is {} KiB, more than the largest free block of memory ({} KiB): it cannot be loaded",
                self.path,
                self.size.div_ceil(1024),
                self.limit / 1024
            ),
        }
    }
}

/// Refuses a `limine.conf` larger than [`MAX_CONFIG_BYTES`].
pub fn check_config_size(path: &str, size: u64) -> Result<(), TooLarge> {
    check(path, size, MAX_CONFIG_BYTES, Bound::ConfigFile)
}

/// Refuses a file (kernel, module) that cannot fit in the largest free block of memory.
pub fn check_fits(path: &str, size: u64, largest_free: u64) -> Result<(), TooLarge> {
    check(path, size, largest_free, Bound::FreeMemory)
}

fn check(path: &str, size: u64, limit: u64, kind: Bound) -> Result<(), TooLarge> {
    if size <= limit {
        return Ok(());
    }
    Err(TooLarge {
        path: path.into(),
        size,
        limit,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn largest_free_block_merges_touching_free_runs_only() {
        let map = [
            (7, 0x10_0000, 16),     // 64 KiB free
            (7, 0x11_0000, 16),     // touches it: one run of 128 KiB
            (4, 0x12_0000, 1000),   // boot services data: not free
            (7, 0x50_0000, 24),     // 96 KiB, apart
            (7, 0x0, 0),            // empty
            (2, 0x100_0000, 10000), // loader data
        ];
        assert_eq!(largest_free_block(map), 128 * 1024);
        // Order does not matter.
        let mut rev = map;
        rev.reverse();
        assert_eq!(largest_free_block(rev), 128 * 1024);
        assert_eq!(largest_free_block([]), 0);
        // Absurd descriptors saturate instead of overflowing.
        assert_eq!(
            largest_free_block([(7, u64::MAX - 10, u64::MAX)]),
            10,
            "a run is clamped at the top of the address space"
        );
    }

    #[test]
    fn sizes_are_checked_and_the_file_named() {
        assert!(check_config_size("/limine.conf", MAX_CONFIG_BYTES).is_ok());
        let e = check_config_size("/boot/limine/limine.conf", MAX_CONFIG_BYTES + 1).unwrap_err();
        assert_eq!(e.kind, Bound::ConfigFile);
        let msg = e.to_string();
        assert!(
            msg.contains("`/boot/limine/limine.conf` is 65537 bytes"),
            "{msg}"
        );
        assert!(check_fits("/boot/initrd.tar", 4096, 4096).is_ok());
        let e = check_fits("/boot/initrd.tar", 3 << 30, 400 << 20).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("`/boot/initrd.tar` is 3145728 KiB")
                && msg.contains("(409600 KiB)")
                && msg.contains("cannot be loaded"),
            "{msg}"
        );
    }
}
