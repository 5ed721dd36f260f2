//! UEFI memory map -> Limine memory map (what the loader hands the kernel; the kernel's own
//! frame bookkeeping is the separate `memmap` crate).
//!
//! Why it is careful: this runs after ExitBootServices, so it cannot allocate (it works in
//! caller-provided buffers) and cannot fail softly. Everything the kernel needs after boot
//! was allocated with our two custom UEFI memory types, so they can be told apart from the
//! loader's own code and pool (LoaderCode/LoaderData), which become usable like boot
//! services memory.
//!
//! Guarantees of the result (the Limine protocol's): sorted by base, no overlaps (the
//! higher-priority type wins where inputs overlap: the framebuffer over everything, then
//! bad, reserved, ACPI NVS, ACPI reclaimable, executable, bootloader reclaimable, usable),
//! adjacent entries of one type merged, usable and bootloader-reclaimable entries aligned
//! inward to 4 KiB, page 0 never usable, no empty entry.

use crate::protocol::{MemmapEntry, mem};
use crate::{PAGE_SIZE, align_down, align_up};

/// Custom UEFI memory type of the kernel image and modules (reported as type 6).
pub const UEFI_EXECUTABLE_AND_MODULES: u32 = 0x8000_0001;
/// Custom UEFI memory type of responses, page tables, GDT and stack (reported as type 5).
pub const UEFI_BOOTLOADER_RECLAIMABLE: u32 = 0x8000_0002;

/// Maps a UEFI memory type to a Limine memory map type.
pub fn limine_type(uefi_type: u32) -> u64 {
    match uefi_type {
        // Loader code/data: this loader's image and pool, dead once the kernel runs.
        // Boot services code/data: dead after ExitBootServices.
        1 | 2 | 3 | 4 | 7 => mem::USABLE,
        8 => mem::BAD_MEMORY,
        9 => mem::ACPI_RECLAIMABLE,
        10 => mem::ACPI_NVS,
        UEFI_EXECUTABLE_AND_MODULES => mem::EXECUTABLE_AND_MODULES,
        UEFI_BOOTLOADER_RECLAIMABLE => mem::BOOTLOADER_RECLAIMABLE,
        // Reserved, runtime services code/data, MMIO, MMIO port space, PAL code,
        // persistent, unaccepted and anything unknown.
        _ => mem::RESERVED,
    }
}

/// Which type wins where two inputs overlap.
fn priority(typ: u64) -> u8 {
    match typ {
        mem::USABLE => 0,
        mem::BOOTLOADER_RECLAIMABLE => 1,
        mem::EXECUTABLE_AND_MODULES => 2,
        mem::ACPI_RECLAIMABLE => 3,
        mem::ACPI_NVS => 4,
        mem::BAD_MEMORY => 6,
        mem::FRAMEBUFFER => 7,
        _ => 5, // reserved and unknown
    }
}

/// The output buffer was too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyEntries;

/// Builds the Limine memory map.
///
/// - `uefi`: `(uefi type, physical start, page count)` for every UEFI descriptor;
/// - `extra`: entries added as-is before sanitising (the framebuffer, type 7);
/// - `raw`: scratch of at least `uefi.len() + extra.len()` entries;
/// - `bounds`: scratch of at least twice that many words;
/// - `out`: the result; at most `2 * (uefi.len() + extra.len())` entries are ever needed.
///
/// Returns the number of entries written to `out`.
pub fn build(
    uefi: impl Iterator<Item = (u32, u64, u64)>,
    extra: &[MemmapEntry],
    raw: &mut [MemmapEntry],
    bounds: &mut [u64],
    out: &mut [MemmapEntry],
) -> Result<usize, TooManyEntries> {
    // 1. Collect inputs as half-open ranges (length saturated at the top of memory).
    let mut n = 0;
    let inputs = uefi
        .map(|(t, base, pages)| MemmapEntry {
            base,
            length: pages.saturating_mul(PAGE_SIZE).min(u64::MAX - base),
            typ: limine_type(t),
        })
        .chain(extra.iter().copied());
    for e in inputs {
        if e.length == 0 {
            continue;
        }
        *raw.get_mut(n).ok_or(TooManyEntries)? = e;
        n += 1;
    }
    let raw = &raw[..n];

    // 2. Every start and end is a boundary; between two consecutive boundaries the type is
    //    constant.
    if bounds.len() < 2 * n {
        return Err(TooManyEntries);
    }
    for (i, e) in raw.iter().enumerate() {
        bounds[2 * i] = e.base;
        bounds[2 * i + 1] = e.base + e.length;
    }
    let bounds = &mut bounds[..2 * n];
    bounds.sort_unstable();
    let mut nb = 0;
    for i in 0..bounds.len() {
        if nb == 0 || bounds[nb - 1] != bounds[i] {
            bounds[nb] = bounds[i];
            nb += 1;
        }
    }

    // 3. Elementary intervals, highest-priority type, merged with the previous entry when
    //    adjacent and of the same type.
    let mut count = 0usize;
    for w in bounds[..nb].windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let winner = raw
            .iter()
            .filter(|e| e.base <= lo && e.base + e.length >= hi)
            .map(|e| e.typ)
            .max_by_key(|&t| priority(t));
        let Some(typ) = winner else { continue };
        if count > 0 {
            let prev = &mut out[count - 1];
            if prev.typ == typ && prev.base + prev.length == lo {
                prev.length += hi - lo;
                continue;
            }
        }
        *out.get_mut(count).ok_or(TooManyEntries)? = MemmapEntry {
            base: lo,
            length: hi - lo,
            typ,
        };
        count += 1;
    }

    // 4. Align usable/reclaimable inward, keep page 0 out of usable memory, drop empties.
    let mut kept = 0;
    for i in 0..count {
        let mut e = out[i];
        if e.typ == mem::USABLE || e.typ == mem::BOOTLOADER_RECLAIMABLE {
            let mut base = align_up(e.base, PAGE_SIZE).unwrap_or(u64::MAX);
            let end = align_down(e.base + e.length, PAGE_SIZE);
            if e.typ == mem::USABLE && base < PAGE_SIZE {
                base = PAGE_SIZE;
            }
            e.base = base;
            e.length = end.saturating_sub(base);
        }
        if e.length == 0 {
            continue;
        }
        out[kept] = e;
        kept += 1;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    const CONV: u32 = 7;
    const BS_DATA: u32 = 4;
    const LOADER_CODE: u32 = 1;
    const RT_CODE: u32 = 5;
    const MMIO: u32 = 11;

    fn run(uefi: &[(u32, u64, u64)], extra: &[MemmapEntry]) -> Vec<(u64, u64, u64)> {
        let n = uefi.len() + extra.len();
        let (mut raw, mut bounds, mut out) = (
            vec![MemmapEntry::default(); n],
            vec![0; 2 * n],
            vec![MemmapEntry::default(); 2 * n],
        );
        let c = build(uefi.iter().copied(), extra, &mut raw, &mut bounds, &mut out).unwrap();
        out[..c].iter().map(|e| (e.base, e.length, e.typ)).collect()
    }

    fn check_invariants(m: &[(u64, u64, u64)]) {
        for w in m.windows(2) {
            assert!(w[0].0 + w[0].1 <= w[1].0, "sorted, no overlap: {m:x?}");
            assert!(
                !(w[0].2 == w[1].2 && w[0].0 + w[0].1 == w[1].0),
                "merged: {m:x?}"
            );
        }
        for &(b, l, t) in m {
            assert!(l > 0);
            if t == mem::USABLE || t == mem::BOOTLOADER_RECLAIMABLE {
                assert_eq!((b % PAGE_SIZE, l % PAGE_SIZE), (0, 0), "aligned: {m:x?}");
            }
            if t == mem::USABLE {
                assert!(b >= PAGE_SIZE, "page 0 never usable");
            }
        }
    }

    #[test]
    fn type_mapping() {
        let cases = [
            (0, mem::RESERVED),
            (1, mem::USABLE),
            (2, mem::USABLE),
            (3, mem::USABLE),
            (4, mem::USABLE),
            (5, mem::RESERVED),
            (6, mem::RESERVED),
            (7, mem::USABLE),
            (8, mem::BAD_MEMORY),
            (9, mem::ACPI_RECLAIMABLE),
            (10, mem::ACPI_NVS),
            (11, mem::RESERVED),
            (12, mem::RESERVED),
            (13, mem::RESERVED),
            (14, mem::RESERVED),
            (15, mem::RESERVED),
            (0x7000_0000, mem::RESERVED),
            (UEFI_EXECUTABLE_AND_MODULES, mem::EXECUTABLE_AND_MODULES),
            (UEFI_BOOTLOADER_RECLAIMABLE, mem::BOOTLOADER_RECLAIMABLE),
            (0x8000_0003, mem::RESERVED),
        ];
        for (u, l) in cases {
            assert_eq!(limine_type(u), l, "uefi type {u:#x}");
        }
    }

    #[test]
    fn ovmf_like_map() {
        // Unsorted input with adjacent same-type runs that must merge.
        let uefi = [
            (CONV, 0x100000, 0x700),
            (BS_DATA, 0x0, 0xa0),
            (LOADER_CODE, 0x800000, 0x10),
            (CONV, 0x810000, 0x100),
            (UEFI_EXECUTABLE_AND_MODULES, 0x910000, 0x20),
            (UEFI_BOOTLOADER_RECLAIMABLE, 0x930000, 0x8),
            (UEFI_BOOTLOADER_RECLAIMABLE, 0x938000, 0x8),
            (9, 0xa00000, 0x10),
            (10, 0xa10000, 0x10),
            (RT_CODE, 0xa20000, 0x10),
            (8, 0xa30000, 0x1),
            (MMIO, 0xffc0_0000, 0x400),
            (0, 0xa0000, 0x60),
        ];
        let fb = MemmapEntry {
            base: 0x8000_0000,
            length: 1024 * 768 * 4,
            typ: mem::FRAMEBUFFER,
        };
        let m = run(&uefi, &[fb]);
        check_invariants(&m);
        assert_eq!(
            m,
            vec![
                (0x1000, 0x9f000, mem::USABLE),
                (0xa0000, 0x60000, mem::RESERVED),
                (0x100000, 0x810000, mem::USABLE), // conv + loader code + conv merged
                (0x910000, 0x20000, mem::EXECUTABLE_AND_MODULES),
                (0x930000, 0x10000, mem::BOOTLOADER_RECLAIMABLE),
                (0xa00000, 0x10000, mem::ACPI_RECLAIMABLE),
                (0xa10000, 0x10000, mem::ACPI_NVS),
                (0xa20000, 0x10000, mem::RESERVED),
                (0xa30000, 0x1000, mem::BAD_MEMORY),
                (0x8000_0000, 0x30_0000, mem::FRAMEBUFFER),
                (0xffc0_0000, 0x40_0000, mem::RESERVED),
            ]
        );
    }

    #[test]
    fn framebuffer_carves_out_overlapping_entries() {
        let fb = MemmapEntry {
            base: 0x20_0800,
            length: 0x1000,
            typ: mem::FRAMEBUFFER,
        };
        let m = run(&[(CONV, 0x10_0000, 0x200), (0, 0x30_0000, 0x10)], &[fb]);
        check_invariants(&m);
        assert_eq!(
            m,
            vec![
                (0x10_0000, 0x10_0000, mem::USABLE), // shrunk to the page below the fb
                (0x20_0800, 0x1000, mem::FRAMEBUFFER),
                (0x20_2000, 0x10_0000 - 0x2000, mem::USABLE), // aligned up past the fb
                (0x30_0000, 0x10000, mem::RESERVED),
            ]
        );
    }

    #[test]
    fn overlapping_firmware_entries_resolve_by_priority() {
        let m = run(
            &[
                (CONV, 0x10_0000, 0x100),
                (RT_CODE, 0x18_0000, 0x10),
                (10, 0x1f_f000, 2),
            ],
            &[],
        );
        check_invariants(&m);
        assert_eq!(
            m,
            vec![
                (0x10_0000, 0x8_0000, mem::USABLE),
                (0x18_0000, 0x1_0000, mem::RESERVED),
                (0x19_0000, 0x6_f000, mem::USABLE),
                (0x1f_f000, 0x2000, mem::ACPI_NVS),
            ]
        );
    }

    #[test]
    fn page_zero_and_tiny_entries_and_empty() {
        assert_eq!(run(&[(CONV, 0, 1)], &[]), vec![]);
        assert_eq!(
            run(&[(CONV, 0, 3), (CONV, 0x5000, 0)], &[]),
            vec![(0x1000, 0x2000, mem::USABLE)]
        );
        // Page 0 may still be reported as reserved.
        assert_eq!(run(&[(0, 0, 1)], &[]), vec![(0, 0x1000, mem::RESERVED)]);
        assert_eq!(run(&[], &[]), vec![]);
    }

    #[test]
    fn buffers_too_small_is_an_error_not_a_panic() {
        let uefi = [(CONV, 0x1000, 1), (0, 0x3000, 1), (CONV, 0x5000, 1)];
        let mut raw = vec![MemmapEntry::default(); 2];
        let mut bounds = vec![0; 6];
        let mut out = vec![MemmapEntry::default(); 6];
        assert_eq!(
            build(uefi.iter().copied(), &[], &mut raw, &mut bounds, &mut out),
            Err(TooManyEntries)
        );
        let mut raw = vec![MemmapEntry::default(); 3];
        let mut out = vec![MemmapEntry::default(); 2];
        assert_eq!(
            build(uefi.iter().copied(), &[], &mut raw, &mut bounds, &mut out),
            Err(TooManyEntries)
        );
    }

    #[test]
    fn huge_and_top_of_memory_entries() {
        let m = run(
            &[
                (CONV, 0x1_0000_0000, 0x40000),
                (MMIO, 0xffff_ffff_ffff_0000, 0x100),
            ],
            &[],
        );
        check_invariants(&m);
        assert_eq!(m[0], (0x1_0000_0000, 0x4000_0000, mem::USABLE));
        assert_eq!(m[1].0, 0xffff_ffff_ffff_0000);
    }
}
