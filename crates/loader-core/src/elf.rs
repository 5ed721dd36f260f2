//! Kernel ELF validation and layout.
//!
//! Why hand-written: we need only the ELF header and program headers, and every check that
//! decides whether jumping into the image is safe must be explicit and tested. The rules
//! are Limine v8's for a non-relocatable kernel:
//! - ELF64, little-endian, x86-64, `ET_EXEC` (relocatable PIE kernels are refused: RustOS
//!   links at a fixed address and we do not implement relocation/KASLR);
//! - every `PT_LOAD` in the higher half at or above `0xffffffff80000000`;
//! - segments never overlap, and two segments never share a 4 KiB page with different
//!   permissions (each page gets exactly one set of page-table flags);
//! - the whole image is loaded physically contiguous: `phys = physical_base + (virt -
//!   virtual_base)`, where `virtual_base` is the lowest segment address rounded down to
//!   4 KiB.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::{PAGE_SIZE, align_down, align_up};

/// Lowest virtual address a kernel segment may have.
pub const MIN_KERNEL_VADDR: u64 = 0xffff_ffff_8000_0000;

/// Segment is executable.
pub const PF_X: u32 = 1;
/// Segment is writable.
pub const PF_W: u32 = 2;
/// Segment is readable.
pub const PF_R: u32 = 4;

const PT_LOAD: u32 = 1;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;

/// Why a kernel file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ElfError> {
    Err(ElfError(msg.into()))
}

/// One `PT_LOAD` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the first byte.
    pub vaddr: u64,
    /// Size in memory (>= `filesz`; the tail is zero-filled).
    pub memsz: u64,
    /// Offset of the file bytes.
    pub offset: u64,
    /// Number of bytes taken from the file.
    pub filesz: u64,
    /// `PF_*` flags.
    pub flags: u32,
}

impl Segment {
    /// One past the last byte in memory.
    pub fn end(&self) -> u64 {
        self.vaddr + self.memsz
    }
    /// Writable?
    pub fn writable(&self) -> bool {
        self.flags & PF_W != 0
    }
    /// Executable?
    pub fn executable(&self) -> bool {
        self.flags & PF_X != 0
    }
    fn perms(&self) -> u32 {
        self.flags & (PF_R | PF_W | PF_X)
    }
}

/// A validated kernel image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// ELF entry point.
    pub entry: u64,
    /// Lowest segment address rounded down to 4 KiB: what `virtual_base` reports.
    pub virt_base: u64,
    /// Highest segment end rounded up to 4 KiB.
    pub virt_end: u64,
    /// End of the file-backed part (max `vaddr + filesz`): requests are searched below it.
    pub file_backed_end: u64,
    /// Non-empty `PT_LOAD` segments sorted by address.
    pub segments: Vec<Segment>,
}

impl Image {
    /// Bytes to allocate for the image (a multiple of 4 KiB).
    pub fn size(&self) -> u64 {
        self.virt_end - self.virt_base
    }

    /// Copies the file bytes of every segment into `dst` (the image span, `size()` bytes,
    /// index 0 = `virt_base`) and zeroes everything else, including bss.
    pub fn load_into(&self, file: &[u8], dst: &mut [u8]) {
        assert_eq!(
            dst.len() as u64,
            self.size(),
            "destination is not the image span"
        );
        dst.fill(0);
        for s in &self.segments {
            let at = (s.vaddr - self.virt_base) as usize;
            let src = &file[s.offset as usize..(s.offset + s.filesz) as usize];
            dst[at..at + src.len()].copy_from_slice(src);
        }
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

/// Validates `file` as a kernel Limine v8 would boot and returns its layout.
pub fn parse(file: &[u8]) -> Result<Image, ElfError> {
    if file.len() < 64 || file[..4] != [0x7f, b'E', b'L', b'F'] {
        return err("kernel is not an ELF file");
    }
    if file[4] != 2 {
        return err("kernel is not a 64-bit ELF (only ELF64 x86-64 kernels are supported)");
    }
    if file[5] != 1 {
        return err("kernel ELF is not little-endian");
    }
    if file[6] != 1 {
        return err("kernel ELF has an unknown ELF version");
    }
    let machine = u16_at(file, 18);
    if machine != EM_X86_64 {
        return err(format!(
            "kernel ELF is for machine {machine}, not x86-64 (62)"
        ));
    }
    match u16_at(file, 16) {
        ET_EXEC => {}
        ET_DYN => {
            return err(
                "kernel is a relocatable (PIE, ET_DYN) ELF; this loader boots only ET_EXEC kernels linked at 0xffffffff80000000+",
            );
        }
        t => {
            return err(format!(
                "kernel ELF type {t} is not an executable (ET_EXEC)"
            ));
        }
    }
    let entry = u64_at(file, 24);
    let phoff = u64_at(file, 32);
    let phentsize = u16_at(file, 54) as u64;
    let phnum = u16_at(file, 56) as u64;
    if phentsize < 56 {
        return err("kernel ELF program header entries are too small");
    }
    let ph_end = phoff.checked_add(phentsize * phnum);
    if ph_end.is_none_or(|e| e > file.len() as u64) {
        return err("kernel ELF program headers lie outside the file");
    }

    let mut segments = Vec::new();
    for i in 0..phnum {
        let p = (phoff + i * phentsize) as usize;
        if u32_at(file, p) != PT_LOAD {
            continue;
        }
        let s = Segment {
            flags: u32_at(file, p + 4),
            offset: u64_at(file, p + 8),
            vaddr: u64_at(file, p + 16),
            filesz: u64_at(file, p + 32),
            memsz: u64_at(file, p + 40),
        };
        if s.filesz > s.memsz {
            return err(format!(
                "kernel segment at {:#x} has filesz > memsz",
                s.vaddr
            ));
        }
        if s.offset
            .checked_add(s.filesz)
            .is_none_or(|e| e > file.len() as u64)
        {
            return err(format!(
                "kernel segment at {:#x} lies outside the file (truncated kernel?)",
                s.vaddr
            ));
        }
        if s.memsz == 0 {
            continue;
        }
        if s.vaddr < MIN_KERNEL_VADDR {
            return err(format!(
                "kernel segment at {:#x} is below 0xffffffff80000000 (lower-half PHDRs are refused)",
                s.vaddr
            ));
        }
        if s.vaddr.checked_add(s.memsz).is_none() {
            return err(format!(
                "kernel segment at {:#x} wraps around the address space",
                s.vaddr
            ));
        }
        segments.push(s);
    }
    if segments.is_empty() {
        return err("kernel ELF has no loadable segment");
    }
    segments.sort_unstable_by_key(|s| s.vaddr);

    for w in segments.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.vaddr < a.end() {
            return err(format!(
                "kernel segments at {:#x} and {:#x} overlap",
                a.vaddr, b.vaddr
            ));
        }
        // Last page of `a` is also the first page of `b`?
        let shares_page =
            align_down(b.vaddr, PAGE_SIZE) < align_up(a.end(), PAGE_SIZE).unwrap_or(u64::MAX);
        if shares_page && a.perms() != b.perms() {
            return err(format!(
                "kernel segments at {:#x} and {:#x} share a 4 KiB page with different permissions (overlapping permissions: page-align the segments)",
                a.vaddr, b.vaddr
            ));
        }
    }

    let virt_base = align_down(segments[0].vaddr, PAGE_SIZE);
    let last_end = segments.iter().map(Segment::end).max().unwrap_or(0);
    let Some(virt_end) = align_up(last_end, PAGE_SIZE) else {
        return err("kernel image ends past the top of the address space");
    };
    let file_backed_end = segments
        .iter()
        .map(|s| s.vaddr + s.filesz)
        .max()
        .unwrap_or(virt_base);

    if !segments
        .iter()
        .any(|s| s.executable() && entry >= s.vaddr && entry < s.end())
    {
        return err(format!(
            "kernel entry point {entry:#x} is not inside an executable segment"
        ));
    }

    Ok(Image {
        entry,
        virt_base,
        virt_end,
        file_backed_end,
        segments,
    })
}

/// Test helper: builds a minimal ELF64 with the given `PT_LOAD` segments
/// `(vaddr, flags, data, memsz)`. Public (but hidden) so the requests tests can reuse it.
#[doc(hidden)]
pub fn build_test_elf(entry: u64, segs: &[(u64, u32, &[u8], u64)]) -> Vec<u8> {
    let phoff = 64usize;
    let mut data_off = phoff + 56 * segs.len();
    let mut out = alloc::vec![0u8; data_off];
    out[..4].copy_from_slice(&[0x7f, b'E', b'L', b'F']);
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    out[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
    out[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[24..32].copy_from_slice(&entry.to_le_bytes());
    out[32..40].copy_from_slice(&(phoff as u64).to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
    for (i, (vaddr, flags, data, memsz)) in segs.iter().enumerate() {
        let p = phoff + 56 * i;
        out[p..p + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        out[p + 4..p + 8].copy_from_slice(&flags.to_le_bytes());
        out[p + 8..p + 16].copy_from_slice(&(data_off as u64).to_le_bytes());
        out[p + 16..p + 24].copy_from_slice(&vaddr.to_le_bytes());
        out[p + 24..p + 32].copy_from_slice(&vaddr.to_le_bytes());
        out[p + 32..p + 40].copy_from_slice(&(data.len() as u64).to_le_bytes());
        out[p + 40..p + 48].copy_from_slice(&memsz.to_le_bytes());
        out[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
        data_off += data.len();
    }
    for (_, _, data, _) in segs {
        out.extend_from_slice(data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: u64 = MIN_KERNEL_VADDR;
    const RX: u32 = PF_R | PF_X;
    const R: u32 = PF_R;
    const RW: u32 = PF_R | PF_W;

    fn typical() -> Vec<u8> {
        build_test_elf(
            K + 0x10,
            &[
                (K, RX, &[0xcc; 0x20], 0x20),
                (K + 0x1000, R, b"rodata", 6),
                (K + 0x2000, RW, b"data", 0x3000),
            ],
        )
    }

    #[test]
    fn typical_kernel_layout_and_load() {
        let f = typical();
        let img = parse(&f).unwrap();
        assert_eq!(img.entry, K + 0x10);
        assert_eq!(img.virt_base, K);
        assert_eq!(img.virt_end, K + 0x5000);
        assert_eq!(img.size(), 0x5000);
        assert_eq!(img.file_backed_end, K + 0x2004);
        assert_eq!(img.segments.len(), 3);
        let mut dst = alloc::vec![0xffu8; 0x5000];
        img.load_into(&f, &mut dst);
        assert_eq!(&dst[..0x20], &[0xcc; 0x20]);
        assert!(dst[0x20..0x1000].iter().all(|&b| b == 0));
        assert_eq!(&dst[0x1000..0x1006], b"rodata");
        assert_eq!(&dst[0x2000..0x2004], b"data");
        assert!(dst[0x2004..].iter().all(|&b| b == 0), "bss must be zeroed");
    }

    #[test]
    fn unsorted_phdrs_and_same_perm_page_sharing_are_fine() {
        let f = build_test_elf(K, &[(K + 0x100, RX, &[1; 8], 8), (K, RX, &[2; 8], 8)]);
        let img = parse(&f).unwrap();
        assert_eq!(img.segments[0].vaddr, K);
        assert_eq!(img.size(), 0x1000);
    }

    #[test]
    fn header_rejections() {
        let good = typical();
        let mut cases: Vec<(Vec<u8>, &str)> = Vec::new();
        cases.push((b"#!/bin/sh\necho not a kernel\n".repeat(4), "not an ELF"));
        cases.push((alloc::vec![0x7f, b'E', b'L', b'F'], "not an ELF"));
        let mut f = good.clone();
        f[4] = 1;
        cases.push((f, "64-bit"));
        let mut f = good.clone();
        f[5] = 2;
        cases.push((f, "little-endian"));
        let mut f = good.clone();
        f[18] = 183; // aarch64
        cases.push((f, "not x86-64"));
        let mut f = good.clone();
        f[16] = 3;
        cases.push((f, "relocatable"));
        let mut f = good.clone();
        f[16] = 1;
        cases.push((f, "not an executable"));
        let mut f = good.clone();
        f[56] = 200; // phnum beyond the file
        cases.push((f, "outside the file"));
        let mut f = good.clone();
        f.truncate(f.len() - 8); // data segment truncated
        cases.push((f, "truncated"));
        for (f, needle) in cases {
            let e = parse(&f).unwrap_err();
            assert!(e.0.contains(needle), "expected `{needle}`, got `{e}`");
        }
    }

    /// `(entry, segments, expected message part)`.
    type Case<'a> = (u64, &'a [(u64, u32, &'a [u8], u64)], &'a str);

    #[test]
    fn segment_rejections() {
        let cases: &[Case<'_>] = &[
            (0x200000, &[(0x200000, RX, &[0; 4], 4)], "lower-half"),
            (
                K,
                &[(K, RX, &[0; 4], 4), (0x1000, RW, &[0; 4], 4)],
                "lower-half",
            ),
            (
                K,
                &[(K, RX, &[0; 0x20], 0x2000), (K + 0x1000, RX, &[0; 4], 4)],
                "overlap",
            ),
            (
                K,
                &[(K, RX, &[0; 0x20], 0x20), (K + 0x800, RW, &[0; 4], 4)],
                "overlapping permissions",
            ),
            (
                K,
                &[(K, RX, &[0; 0x20], 0x20), (K + 0x20, R, &[0; 4], 4)],
                "overlapping permissions",
            ),
            (K, &[(K, RX, &[0; 8], 4)], "filesz > memsz"),
            (K, &[(K, RX, &[], 0)], "no loadable segment"),
            (
                K + 0x1000,
                &[(K, RX, &[0; 8], 8), (K + 0x1000, RW, &[0; 8], 8)],
                "entry point",
            ),
            (K + 0x2000, &[(K, RX, &[0; 8], 8)], "entry point"),
            (
                K,
                &[(K, RX, &[0; 8], 8), (u64::MAX - 0xff, RW, &[], 0x1000)],
                "wraps",
            ),
        ];
        for (entry, segs, needle) in cases {
            let e = parse(&build_test_elf(*entry, segs)).unwrap_err();
            assert!(e.0.contains(needle), "expected `{needle}`, got `{e}`");
        }
    }
}
