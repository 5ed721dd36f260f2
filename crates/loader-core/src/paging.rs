//! 4-level x86-64 page tables for the kernel's entry.
//!
//! Why here and generic: the table-building logic (page sizes, flag encoding, what the
//! higher-half direct map covers) is easy to get subtly wrong and impossible to debug on
//! a machine that just triple-faults, so it is written against a small [`FrameSource`]
//! trait and tested on the host with tables in a `Vec`. The loader supplies frames from
//! UEFI (bootloader-reclaimable memory, reached through UEFI's identity map).
//!
//! What gets mapped (Limine v8, base revision >= 1):
//! - the kernel's segments at their link addresses, 4 KiB pages, writable only for `PF_W`,
//!   NX unless `PF_X`;
//! - the HHDM at [`crate::protocol::HHDM_OFFSET`]: physical 0..4 GiB plus every memory-map
//!   region except reserved and bad memory (above 4 GiB widened to 1 GiB like Limine), using
//!   the largest pages alignment allows, write-back, and (like Limine) executable;
//! - framebuffers in the HHDM as write-combining (PAT index 5, see [`PAT_VALUE`]).

use alloc::vec::Vec;
use core::fmt;

use crate::elf::Image;
use crate::protocol::{HHDM_OFFSET, MemmapEntry, mem};
use crate::{PAGE_SIZE, align_down, align_up};

/// The PAT MSR value Limine programs: PAT0..7 = WB, WT, UC-, UC, WP, WC, UC, UC.
pub const PAT_VALUE: u64 = 0x0000_0105_0007_0406;

/// Entry is present.
pub const PRESENT: u64 = 1 << 0;
/// Entry is writable.
pub const WRITABLE: u64 = 1 << 1;
/// Page-level write-through (PAT index bit 0).
pub const PWT: u64 = 1 << 3;
/// Page-level cache disable (PAT index bit 1).
pub const PCD: u64 = 1 << 4;
/// Large page (in PDPT/PD entries).
pub const HUGE: u64 = 1 << 7;
/// PAT index bit 2 in a 4 KiB PTE.
pub const PAT_4K: u64 = 1 << 7;
/// PAT index bit 2 in a 2 MiB / 1 GiB entry.
pub const PAT_HUGE: u64 = 1 << 12;
/// No-execute (needs EFER.NXE).
pub const NX: u64 = 1 << 63;
/// Physical address bits of an entry.
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

const SIZE_2M: u64 = 0x20_0000;
const SIZE_1G: u64 = 0x4000_0000;
const FOUR_GIB: u64 = 0x1_0000_0000;

/// Source of zeroed 4 KiB page-table frames.
pub trait FrameSource {
    /// Physical address of a new zeroed frame, or `None` when out of memory.
    fn alloc_frame(&mut self) -> Option<u64>;
    /// The 512 entries of the table at physical address `phys` (a frame from `alloc_frame`).
    fn table(&mut self, phys: u64) -> &mut [u64; 512];
}

/// Page sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// 4 KiB.
    Small,
    /// 2 MiB.
    Large,
    /// 1 GiB.
    Huge,
}

impl PageSize {
    /// Size in bytes.
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::Small => PAGE_SIZE,
            PageSize::Large => SIZE_2M,
            PageSize::Huge => SIZE_1G,
        }
    }
    fn leaf_level(self) -> usize {
        match self {
            PageSize::Small => 1,
            PageSize::Large => 2,
            PageSize::Huge => 3,
        }
    }
}

/// Memory type of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Write-back (PAT index 0).
    WriteBack,
    /// Write-combining (PAT index 5 with [`PAT_VALUE`]).
    WriteCombining,
}

/// Access rights and memory type of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// Writable.
    pub writable: bool,
    /// Executable (no NX bit).
    pub executable: bool,
    /// Memory type.
    pub cache: Cache,
}

impl Flags {
    /// The HHDM: read/write/execute like Limine's (the loader itself runs through it for a
    /// few instructions during the hand-off).
    pub const HHDM: Flags = Flags {
        writable: true,
        executable: true,
        cache: Cache::WriteBack,
    };
    /// Read/write data, never executed.
    pub const DATA: Flags = Flags {
        writable: true,
        executable: false,
        cache: Cache::WriteBack,
    };

    fn encode(self, size: PageSize, nx_supported: bool) -> u64 {
        let mut e = PRESENT;
        if self.writable {
            e |= WRITABLE;
        }
        if !self.executable && nx_supported {
            e |= NX;
        }
        if size != PageSize::Small {
            e |= HUGE;
        }
        if self.cache == Cache::WriteCombining {
            e |= PWT
                | if size == PageSize::Small {
                    PAT_4K
                } else {
                    PAT_HUGE
                };
        }
        e
    }
}

/// Why mapping failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// No frame for a table.
    OutOfMemory,
    /// Something is already mapped there (a bug in the caller's plan).
    AlreadyMapped(u64),
    /// Address not aligned to the page size.
    Unaligned(u64),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::OutOfMemory => f.write_str("out of memory for page tables"),
            MapError::AlreadyMapped(v) => write!(f, "virtual address {v:#x} mapped twice"),
            MapError::Unaligned(v) => write!(f, "address {v:#x} not aligned for its page size"),
        }
    }
}

fn index(virt: u64, level: usize) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// A 4-level page table hierarchy under construction.
pub struct PageTables<F: FrameSource> {
    /// Physical address of the PML4 (the CR3 value).
    pub pml4: u64,
    /// Where table frames come from.
    pub frames: F,
    /// CPU supports 1 GiB pages (CPUID 0x80000001 EDX bit 26).
    pub huge_pages: bool,
    /// CPU supports NX (CPUID 0x80000001 EDX bit 20).
    pub nx: bool,
}

impl<F: FrameSource> PageTables<F> {
    /// Allocates an empty PML4.
    pub fn new(mut frames: F, huge_pages: bool, nx: bool) -> Result<Self, MapError> {
        let pml4 = frames.alloc_frame().ok_or(MapError::OutOfMemory)?;
        Ok(Self {
            pml4,
            frames,
            huge_pages,
            nx,
        })
    }

    /// Maps one page.
    pub fn map(
        &mut self,
        virt: u64,
        phys: u64,
        size: PageSize,
        flags: Flags,
    ) -> Result<(), MapError> {
        if !virt.is_multiple_of(size.bytes()) || !phys.is_multiple_of(size.bytes()) {
            return Err(MapError::Unaligned(virt));
        }
        let mut table = self.pml4;
        for level in (size.leaf_level() + 1..=4).rev() {
            let i = index(virt, level);
            let entry = self.frames.table(table)[i];
            if entry & PRESENT == 0 {
                let new = self.frames.alloc_frame().ok_or(MapError::OutOfMemory)?;
                // Intermediate entries allow everything; the leaf decides.
                self.frames.table(table)[i] = new | PRESENT | WRITABLE;
                table = new;
            } else if entry & HUGE != 0 && level != 4 {
                return Err(MapError::AlreadyMapped(virt));
            } else {
                table = entry & ADDR_MASK;
            }
        }
        let i = index(virt, size.leaf_level());
        let t = self.frames.table(table);
        if t[i] & PRESENT != 0 {
            return Err(MapError::AlreadyMapped(virt));
        }
        t[i] = phys | flags.encode(size, self.nx);
        Ok(())
    }

    /// Maps `[phys, phys + len)` at `virt` with the largest pages that fit (4 KiB aligned
    /// range expected).
    pub fn map_range(
        &mut self,
        virt: u64,
        phys: u64,
        len: u64,
        flags: Flags,
    ) -> Result<(), MapError> {
        let mut off = 0;
        while off < len {
            let (v, p, left) = (virt + off, phys + off, len - off);
            let fits = |s: u64| v.is_multiple_of(s) && p.is_multiple_of(s) && left >= s;
            let size = if self.huge_pages && fits(SIZE_1G) {
                PageSize::Huge
            } else if fits(SIZE_2M) {
                PageSize::Large
            } else {
                PageSize::Small
            };
            self.map(v, p, size, flags)?;
            off += size.bytes();
        }
        Ok(())
    }

    /// Walks the tables: `(physical address, leaf entry, page size)` for `virt`.
    pub fn translate(&mut self, virt: u64) -> Option<(u64, u64, PageSize)> {
        let mut table = self.pml4;
        for level in (1..=4).rev() {
            let e = self.frames.table(table)[index(virt, level)];
            if e & PRESENT == 0 {
                return None;
            }
            let size = match level {
                3 if e & HUGE != 0 => Some(PageSize::Huge),
                2 if e & HUGE != 0 => Some(PageSize::Large),
                1 => Some(PageSize::Small),
                _ => None,
            };
            if let Some(size) = size {
                // Masking with the page size also drops the PAT bit of large pages.
                let base = e & ADDR_MASK & !(size.bytes() - 1);
                return Some((base + (virt & (size.bytes() - 1)), e, size));
            }
            table = e & ADDR_MASK;
        }
        None
    }

    /// Maps every kernel segment at its link address (`phys_base` = where `virt_base` was
    /// loaded) with 4 KiB pages and the segment's permissions.
    pub fn map_kernel(&mut self, image: &Image, phys_base: u64) -> Result<(), MapError> {
        for s in &image.segments {
            let flags = Flags {
                writable: s.writable(),
                executable: s.executable(),
                cache: Cache::WriteBack,
            };
            let start = align_down(s.vaddr, PAGE_SIZE);
            let end = align_up(s.end(), PAGE_SIZE).ok_or(MapError::Unaligned(s.vaddr))?;
            for v in (start..end).step_by(PAGE_SIZE as usize) {
                // A page shared with the previous segment (same permissions, checked by
                // `elf::parse`) is already mapped.
                if self.translate(v).is_some() {
                    continue;
                }
                self.map(v, phys_base + (v - image.virt_base), PageSize::Small, flags)?;
            }
        }
        Ok(())
    }

    /// Maps the HHDM following `plan` (see [`hhdm_plan`]).
    pub fn map_hhdm(&mut self, plan: &[(u64, u64, Cache)]) -> Result<(), MapError> {
        for &(start, end, cache) in plan {
            let flags = Flags {
                cache,
                ..Flags::HHDM
            };
            self.map_range(HHDM_OFFSET + start, start, end - start, flags)?;
        }
        Ok(())
    }
}

/// Physical ranges `(start, end, cache)` the HHDM must map: 0..4 GiB, every memory-map
/// region except reserved and bad ones (widened to 1 GiB above 4 GiB, as Limine does), and
/// the framebuffers `(base, length)` as write-combining. Sorted and disjoint.
pub fn hhdm_plan(regions: &[MemmapEntry], framebuffers: &[(u64, u64)]) -> Vec<(u64, u64, Cache)> {
    let mut wb: Vec<(u64, u64)> = alloc::vec![(0, FOUR_GIB)];
    for r in regions {
        if r.typ == mem::RESERVED || r.typ == mem::BAD_MEMORY || r.length == 0 {
            continue;
        }
        let base = r.base.max(FOUR_GIB);
        let top = r.base.saturating_add(r.length);
        if base >= top {
            continue;
        }
        wb.push((
            align_down(base, SIZE_1G),
            align_up(top, SIZE_1G).unwrap_or(align_down(u64::MAX, SIZE_1G)),
        ));
    }
    let mut wc: Vec<(u64, u64)> = framebuffers
        .iter()
        .filter(|f| f.1 > 0)
        .map(|&(b, l)| {
            (
                align_down(b, PAGE_SIZE),
                align_up(b.saturating_add(l), PAGE_SIZE).unwrap_or(align_down(u64::MAX, PAGE_SIZE)),
            )
        })
        .collect();
    let wb = union(&mut wb);
    let wc = union(&mut wc);

    let mut plan: Vec<(u64, u64, Cache)> = Vec::new();
    for &(mut s, e) in &wb {
        for &(fs, fe) in &wc {
            if fe <= s || fs >= e {
                continue;
            }
            if fs > s {
                plan.push((s, fs, Cache::WriteBack));
            }
            s = s.max(fe);
        }
        if s < e {
            plan.push((s, e, Cache::WriteBack));
        }
    }
    plan.extend(wc.iter().map(|&(s, e)| (s, e, Cache::WriteCombining)));
    plan.sort_unstable_by_key(|p| p.0);
    plan
}

fn union(v: &mut [(u64, u64)]) -> Vec<(u64, u64)> {
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &(s, e) in v.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{PF_R, PF_W, PF_X, build_test_elf, parse};
    use alloc::boxed::Box;

    /// Tables in host memory; "physical" addresses start at 16 MiB.
    struct Arena(Vec<Box<[u64; 512]>>);
    const ARENA_BASE: u64 = 0x100_0000;
    impl FrameSource for Arena {
        fn alloc_frame(&mut self) -> Option<u64> {
            self.0.push(Box::new([0; 512]));
            Some(ARENA_BASE + (self.0.len() as u64 - 1) * PAGE_SIZE)
        }
        fn table(&mut self, phys: u64) -> &mut [u64; 512] {
            &mut self.0[((phys - ARENA_BASE) / PAGE_SIZE) as usize]
        }
    }

    fn tables(huge: bool) -> PageTables<Arena> {
        PageTables::new(Arena(Vec::new()), huge, true).unwrap()
    }

    #[test]
    fn kernel_segments_get_their_permissions() {
        const K: u64 = crate::elf::MIN_KERNEL_VADDR;
        let f = build_test_elf(
            K,
            &[
                (K, PF_R | PF_X, &[0; 16], 0x1800),
                (K + 0x2000, PF_R, &[1], 1),
                (K + 0x3000, PF_R | PF_W, &[], 0x2000),
            ],
        );
        let img = parse(&f).unwrap();
        let mut pt = tables(false);
        pt.map_kernel(&img, 0x20_0000).unwrap();
        let (p, e, s) = pt.translate(K + 0x1234).unwrap();
        assert_eq!((p, s), (0x20_1234, PageSize::Small));
        assert_eq!(e & (WRITABLE | NX), 0, "text: RX");
        let (p, e, _) = pt.translate(K + 0x2000).unwrap();
        assert_eq!(p, 0x20_2000);
        assert_eq!(e & (WRITABLE | NX), NX, "rodata: R");
        let (p, e, _) = pt.translate(K + 0x4fff).unwrap();
        assert_eq!(p, 0x20_4fff);
        assert_eq!(e & (WRITABLE | NX), WRITABLE | NX, "data/bss: RW, NX");
        assert!(pt.translate(K + 0x5000).is_none());
        assert!(pt.translate(0x20_0000).is_none(), "no identity map");
    }

    #[test]
    fn shared_page_segments_map_once() {
        const K: u64 = crate::elf::MIN_KERNEL_VADDR;
        let f = build_test_elf(
            K,
            &[
                (K, PF_R | PF_X, &[0; 16], 0x100),
                (K + 0x100, PF_R | PF_X, &[1], 0x100),
            ],
        );
        let img = parse(&f).unwrap();
        let mut pt = tables(false);
        pt.map_kernel(&img, 0x20_0000).unwrap();
        assert_eq!(pt.translate(K + 0x180).unwrap().0, 0x20_0180);
    }

    #[test]
    fn page_sizes_and_no_nx_without_cpu_support() {
        let mut pt = tables(true);
        pt.map_range(HHDM_OFFSET, 0, 0x8040_3000, Flags::DATA)
            .unwrap();
        assert_eq!(
            pt.translate(HHDM_OFFSET + 0x4000_1234).unwrap(),
            (
                0x4000_1234,
                0x4000_0000 | PRESENT | WRITABLE | HUGE | NX,
                PageSize::Huge
            )
        );
        assert_eq!(
            pt.translate(HHDM_OFFSET + 0x8020_0000).unwrap().2,
            PageSize::Large
        );
        assert_eq!(
            pt.translate(HHDM_OFFSET + 0x8040_2000).unwrap().2,
            PageSize::Small
        );
        assert!(pt.translate(HHDM_OFFSET + 0x8040_3000).is_none());

        let mut pt = tables(false);
        pt.map_range(HHDM_OFFSET, 0, 0x4000_0000, Flags::DATA)
            .unwrap();
        assert_eq!(
            pt.translate(HHDM_OFFSET + 0x3fff_ffff).unwrap().2,
            PageSize::Large,
            "no 1 GiB pages without CPU support"
        );

        let mut pt = PageTables::new(Arena(Vec::new()), false, false).unwrap();
        pt.map(0x1000, 0x1000, PageSize::Small, Flags::DATA)
            .unwrap();
        assert_eq!(pt.translate(0x1000).unwrap().1 & NX, 0);
    }

    #[test]
    fn write_combining_encoding() {
        let mut pt = tables(false);
        let wc = Flags {
            cache: Cache::WriteCombining,
            ..Flags::DATA
        };
        pt.map(0x1000, 0x8000_0000, PageSize::Small, wc).unwrap();
        pt.map(0x20_0000, 0x8020_0000, PageSize::Large, wc).unwrap();
        let (p, e, _) = pt.translate(0x1000).unwrap();
        assert_eq!(p, 0x8000_0000);
        // PAT index = PAT*4 + PCD*2 + PWT = 5
        assert_eq!(e & (PAT_4K | PCD | PWT), PAT_4K | PWT);
        let (p, e, _) = pt.translate(0x20_0010).unwrap();
        assert_eq!(p, 0x8020_0010, "PAT bit must not leak into the address");
        assert_eq!(e & (PAT_HUGE | PCD | PWT), PAT_HUGE | PWT);
        // PAT entry 5 is WC (1), 0 is WB (6).
        assert_eq!((PAT_VALUE >> 40) & 0xff, 1);
        assert_eq!(PAT_VALUE & 0xff, 6);
    }

    #[test]
    fn double_mapping_and_alignment_are_errors() {
        let mut pt = tables(false);
        pt.map(0x20_0000, 0, PageSize::Large, Flags::DATA).unwrap();
        assert_eq!(
            pt.map(0x20_1000, 0, PageSize::Small, Flags::DATA),
            Err(MapError::AlreadyMapped(0x20_1000))
        );
        assert_eq!(
            pt.map(0x20_0000, 0, PageSize::Large, Flags::DATA),
            Err(MapError::AlreadyMapped(0x20_0000))
        );
        assert_eq!(
            pt.map(0x1000, 0x800, PageSize::Small, Flags::DATA),
            Err(MapError::Unaligned(0x1000))
        );
    }

    #[test]
    fn hhdm_plan_covers_low_4g_regions_and_carves_framebuffer() {
        let regions = [
            MemmapEntry {
                base: 0x1000,
                length: 0x9f000,
                typ: mem::USABLE,
            },
            MemmapEntry {
                base: 0x1_0000_0000,
                length: 0x8000_0000,
                typ: mem::USABLE,
            },
            MemmapEntry {
                base: 0x10_0000_0000,
                length: 0x1000,
                typ: mem::RESERVED,
            },
            MemmapEntry {
                base: 0x20_0000_0000,
                length: 0x1000,
                typ: mem::BAD_MEMORY,
            },
            MemmapEntry {
                base: 0x30_0000_0000,
                length: 0x1000,
                typ: mem::ACPI_NVS,
            },
        ];
        let plan = hhdm_plan(&regions, &[(0x8000_0000, 0x30_0000)]);
        assert_eq!(
            plan,
            alloc::vec![
                (0, 0x8000_0000, Cache::WriteBack),
                (0x8000_0000, 0x8030_0000, Cache::WriteCombining),
                (0x8030_0000, 0x1_8000_0000, Cache::WriteBack),
                (0x30_0000_0000, 0x30_4000_0000, Cache::WriteBack),
            ]
        );
        let mut pt = tables(false);
        pt.map_hhdm(&plan).unwrap();
        let (p, e, _) = pt.translate(HHDM_OFFSET + 0x8000_1000).unwrap();
        assert_eq!((p, e & (PWT | PAT_HUGE)), (0x8000_1000, PWT | PAT_HUGE));
        assert_eq!(e & (NX | WRITABLE), WRITABLE, "HHDM is RWX like Limine's");
        assert_eq!(pt.translate(HHDM_OFFSET + 0x8030_0000).unwrap().1 & PWT, 0);
        assert!(
            pt.translate(HHDM_OFFSET + 0x10_0000_0000).is_none(),
            "reserved not mapped"
        );
        assert!(pt.translate(HHDM_OFFSET + 0x1_8000_0000).is_none());
        assert!(pt.translate(0).is_none(), "lower half stays empty");
    }

    #[test]
    fn hhdm_plan_framebuffer_above_4g_and_unaligned() {
        let plan = hhdm_plan(&[], &[(0x80_0000_0800, 0x1000)]);
        assert_eq!(
            plan,
            alloc::vec![
                (0, 0x1_0000_0000, Cache::WriteBack),
                (0x80_0000_0000, 0x80_0000_2000, Cache::WriteCombining)
            ]
        );
    }
}
