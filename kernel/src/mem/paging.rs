//! Page tables, reached through the bootloader's higher-half direct map (HHDM).
//!
//! Limine maps all physical memory at a fixed offset, so any page table can be read and
//! written at `hhdm + physical address`: that is exactly the `x86_64` crate's
//! `OffsetPageTable`. The bootloader's tables live in reclaimable memory, so before that
//! memory is reused we copy the whole hierarchy into frames of our own and switch CR3.
//!
//! Memory types: the framebuffer must be mapped write-combining (PAT), or every pixel
//! written to it on real hardware is an uncached bus transaction (QEMU's software
//! emulation ignores memory types, so this changes nothing there). [`make_write_combining`]
//! makes sure of it whatever the bootloader did, and [`memory_type`] reads back what a
//! mapping really is, for the tests. The PAT is the one both boot paths program
//! (`loader_core::paging::PAT_VALUE`): entries 0-3 keep their power-on meaning, so the
//! PCD|PWT bits of [`map_mmio`]'s device mappings still select uncached (entry 3), and
//! write-combining is entry 5.

use super::frames::{self, KernelFrames};
use spin::Mutex;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::mapper::{MapToError, Translate};
use x86_64::structures::paging::{
    Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags, PhysFrame, Size2MiB,
    Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

static HHDM_OFFSET: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
static MAPPER: Mutex<Option<OffsetPageTable<'static>>> = Mutex::new(None);

use loader_core::paging::{ADDR_MASK, HUGE, PAT_4K, PAT_HUGE, PAT_VALUE, PCD, PRESENT, PWT};

/// IA32_PAT, the page attribute table MSR.
const MSR_PAT: u32 = 0x277;
/// The PAT index holding write-combining in [`PAT_VALUE`].
const WC_INDEX: u64 = 5;

pub fn hhdm_offset() -> u64 {
    HHDM_OFFSET.load(core::sync::atomic::Ordering::Relaxed)
}

/// Virtual address of physical memory through the HHDM.
pub fn phys_to_virt(phys: u64) -> VirtAddr {
    VirtAddr::new(hhdm_offset() + phys)
}

fn mapper_for_current_cr3() -> OffsetPageTable<'static> {
    let (pml4, _) = Cr3::read();
    let table = phys_to_virt(pml4.start_address().as_u64()).as_mut_ptr::<PageTable>();
    // SAFETY: CR3 holds the active level-4 table, which the HHDM maps at this address;
    // only the mapper behind `MAPPER` writes page tables, so this is the one reference.
    unsafe { OffsetPageTable::new(&mut *table, VirtAddr::new(hhdm_offset())) }
}

/// Records the HHDM offset and wraps the active page tables.
pub fn init(hhdm: u64) {
    HHDM_OFFSET.store(hhdm, core::sync::atomic::Ordering::Relaxed);
    *MAPPER.lock() = Some(mapper_for_current_cr3());
}

/// Copies a page table (and, below level 1, every table it points to) into new frames.
///
/// # Safety
/// `phys` must be the physical address of a live page table of the given `level`.
unsafe fn copy_table(phys: u64, level: u8) -> Result<u64, &'static str> {
    let new = frames::alloc().ok_or("out of frames while copying page tables")?;
    let new_phys = new.start_address().as_u64();
    let src = phys_to_virt(phys).as_ptr::<[u64; 512]>();
    let dst = phys_to_virt(new_phys).as_mut_ptr::<[u64; 512]>();
    // SAFETY: both are whole 4 KiB tables reachable through the HHDM; `new` is a fresh
    // frame, so they do not overlap.
    unsafe { dst.write(*src) };
    if level > 1 {
        for i in 0..512 {
            // SAFETY: `dst` was just written and is exclusively ours.
            let entry = unsafe { (*dst)[i] };
            let leaf = level < 4 && entry & HUGE != 0;
            if entry & PRESENT != 0 && !leaf {
                // SAFETY: a present non-leaf entry points at a live table one level down.
                let child = unsafe { copy_table(entry & ADDR_MASK, level - 1)? };
                // SAFETY: as above.
                unsafe { (*dst)[i] = (entry & !ADDR_MASK) | child };
            }
        }
    }
    Ok(new_phys)
}

/// Replaces the bootloader's page tables with an identical copy in kernel-owned frames.
pub fn take_over_page_tables() -> Result<(), &'static str> {
    let mut guard = MAPPER.lock();
    let (pml4, flags) = Cr3::read();
    // SAFETY: CR3 holds the live level-4 table.
    let new = unsafe { copy_table(pml4.start_address().as_u64(), 4)? };
    let frame = PhysFrame::containing_address(PhysAddr::new(new));
    // SAFETY: the new hierarchy maps exactly what the old one did (same leaf entries),
    // so every address in use stays valid across the switch.
    unsafe { Cr3::write(frame, flags) };
    *guard = Some(mapper_for_current_cr3());
    Ok(())
}

/// Unmaps the lowest page of the kernel stack, so that running off the stack faults
/// (and becomes a reported double fault) instead of silently corrupting memory.
pub fn protect_stack_guard() {
    let page = Page::<Size4KiB>::containing_address(crate::boot::entry::stack_guard_page());
    if let Some(m) = MAPPER.lock().as_mut() {
        if let Ok((_frame, flush)) = m.unmap(page) {
            flush.flush();
        } else {
            crate::log!("paging: stack guard page could not be unmapped (huge page?)");
        }
    }
}

/// Maps `count` fresh frames at `start` with the given flags.
pub fn map_fresh(
    start: VirtAddr,
    count: u64,
    flags: PageTableFlags,
) -> Result<(), MapToError<Size4KiB>> {
    let mut guard = MAPPER.lock();
    let m = guard.as_mut().ok_or(MapToError::FrameAllocationFailed)?;
    let first = Page::<Size4KiB>::containing_address(start);
    for i in 0..count {
        let page = first + i;
        let frame = frames::alloc().ok_or(MapToError::FrameAllocationFailed)?;
        // SAFETY: the page lies in a kernel-reserved virtual range that is not mapped yet
        // (the caller's contract), and the frame is fresh, so no existing reference is
        // affected by the new mapping.
        match unsafe { m.map_to(page, frame, flags, &mut KernelFrames) } {
            Ok(flush) => flush.flush(),
            Err(e) => {
                frames::free(frame);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Maps fresh memory at `start` (4 KiB aligned) for `bytes` (a multiple of 4 KiB) with
/// `flags`: 2 MiB pages wherever the virtual address is 2 MiB aligned, enough remains and
/// an aligned physical block is free, 4 KiB pages elsewhere. Returns how many bytes were
/// mapped (from `start`; all of them unless memory ran out).
///
/// Why: mapping page by page costs a frame allocation and a table walk per 4 KiB, which at
/// boot (the heap is a share of RAM) grew with installed memory; a 2 MiB page is one entry.
pub fn map_fresh_large(start: VirtAddr, bytes: u64, flags: PageTableFlags) -> u64 {
    let mut done = 0;
    while done < bytes {
        let at = start + done;
        let left = bytes - done;
        if at.is_aligned(Size2MiB::SIZE) && left >= Size2MiB::SIZE && map_one_2m(at, flags) {
            done += Size2MiB::SIZE;
            continue;
        }
        // Up to the next 2 MiB boundary (or the end) in 4 KiB pages.
        let to_boundary = Size2MiB::SIZE - at.as_u64() % Size2MiB::SIZE;
        let chunk = left.min(to_boundary);
        for i in 0..chunk / 4096 {
            if map_fresh(at + i * 4096, 1, flags).is_err() {
                return done + i * 4096;
            }
        }
        done += chunk;
    }
    done
}

/// Maps one fresh 2 MiB page at `at` (2 MiB aligned, not mapped yet); false when no
/// aligned physical block is free or the tables cannot take it.
fn map_one_2m(at: VirtAddr, flags: PageTableFlags) -> bool {
    let Some(frame) = frames::alloc_2m() else {
        return false;
    };
    let mut guard = MAPPER.lock();
    let Some(m) = guard.as_mut() else {
        return false;
    };
    let page = Page::<Size2MiB>::containing_address(at);
    // SAFETY: as for `map_fresh`: `at` is in a kernel-reserved virtual range that is not
    // mapped yet (the caller's contract), and the frame block is fresh, so no existing
    // reference is affected by the new mapping.
    match unsafe { m.map_to(page, frame, flags, &mut KernelFrames) } {
        Ok(flush) => {
            flush.flush();
            true
        }
        // The block stays taken (2 MiB lost); this happens only if the range was mapped
        // already, which the callers rule out.
        Err(_) => false,
    }
}

/// Start of the window for memory mapped at a chosen address ([`map_placed`]): one PML4
/// entry (512 GiB) of its own, below the MMIO window.
const PLACED_WINDOW: u64 = 0xffff_c000_0000_0000;
const PLACED_WINDOW_SIZE: u64 = 1 << 39;
/// [`map_placed`] chooses an address modulo this (1 GiB).
pub const PLACEMENT_PERIOD: u64 = 1 << 30;
/// Next free address in that window (only grows: nothing mapped there is unmapped).
static PLACED_NEXT: Mutex<u64> = Mutex::new(PLACED_WINDOW);

/// Maps `bytes` of fresh, writable, non-executable memory at an address congruent to
/// `residue` (rounded down to a page) modulo [`PLACEMENT_PERIOD`], and returns that
/// address; `None` when memory or the window runs out (pages already mapped then stay
/// mapped, unused). For buffers whose distance to another buffer matters: the console's
/// shadow against the framebuffer (see `drivers::console::rows`). Mapped in whole 2 MiB
/// pages around the range, so that a 2 MiB-aligned residue wastes nothing; never unmapped.
pub fn map_placed(bytes: u64, residue: u64) -> Option<VirtAddr> {
    let residue = (residue % PLACEMENT_PERIOD) & !0xfff;
    let mut next = PLACED_NEXT.lock();
    // The window starts on a period boundary, so the first candidate is in the period of
    // `next`, and the one after it a period later.
    let period_base = *next - (*next - PLACED_WINDOW) % PLACEMENT_PERIOD;
    let mut start = period_base + residue;
    let map_start = |start: u64| start & !(Size2MiB::SIZE - 1);
    if map_start(start) < *next {
        start += PLACEMENT_PERIOD;
    }
    let map_end = start
        .checked_add(bytes)?
        .checked_next_multiple_of(Size2MiB::SIZE)?;
    if map_end > PLACED_WINDOW + PLACED_WINDOW_SIZE {
        return None;
    }
    // Claimed even if mapping fails half-way, so a retry never meets its own leftovers.
    *next = map_end;
    drop(next);
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    let from = map_start(start);
    (map_fresh_large(VirtAddr::new(from), map_end - from, flags) == map_end - from)
        .then_some(VirtAddr::new(start))
}

/// The physical address a virtual address maps to, if any.
pub fn translate(addr: VirtAddr) -> Option<PhysAddr> {
    MAPPER.lock().as_ref()?.translate_addr(addr)
}

/// The flags of the page (of any size) mapping `addr`, if it is mapped.
pub fn flags_of(addr: VirtAddr) -> Option<PageTableFlags> {
    use x86_64::structures::paging::mapper::TranslateResult;
    match MAPPER.lock().as_ref()?.translate(addr) {
        TranslateResult::Mapped { flags, .. } => Some(flags),
        _ => None,
    }
}

/// Start of the virtual window where device registers (MMIO) are mapped, one PML4 entry
/// below the heap.
const MMIO_WINDOW: u64 = 0xffff_d000_0000_0000;
/// Size of the MMIO window (512 GiB: one PML4 entry).
const MMIO_WINDOW_SIZE: u64 = 1 << 39;
/// Next free address in the MMIO window (only grows: device registers stay mapped).
static MMIO_NEXT: Mutex<u64> = Mutex::new(MMIO_WINDOW);

/// Maps `len` bytes of device memory at physical `phys` uncached (PCD|PWT, no execute)
/// into the MMIO window, and returns the virtual address of `phys`.
///
/// Device registers must not be cached: a cached read could return a stale status bit,
/// and a cached write might never reach the device.
pub fn map_mmio(phys: u64, len: u64) -> Result<VirtAddr, MapToError<Size4KiB>> {
    let first = phys & !0xfff;
    let pages = (phys - first + len).div_ceil(4096);
    let mut next = MMIO_NEXT.lock();
    let start = *next;
    if pages == 0 || start + pages * 4096 > MMIO_WINDOW + MMIO_WINDOW_SIZE {
        return Err(MapToError::FrameAllocationFailed);
    }
    let flags = PageTableFlags::PRESENT
        | PageTableFlags::WRITABLE
        | PageTableFlags::NO_CACHE
        | PageTableFlags::WRITE_THROUGH
        | PageTableFlags::NO_EXECUTE;
    // Claimed even if mapping fails half-way, so a retry never meets its own leftovers.
    *next = start + pages * 4096;
    let mut guard = MAPPER.lock();
    let m = guard.as_mut().ok_or(MapToError::FrameAllocationFailed)?;
    for i in 0..pages {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(start + i * 4096));
        let frame = PhysFrame::containing_address(PhysAddr::new(first + i * 4096));
        // No TLB flush: the page was never mapped (the window only grows and nothing in
        // it is unmapped), and x86 does not cache translations of not-present pages; an
        // `invlpg` per page adds up, as the PCI scan maps 256 pages per bus.
        // SAFETY: the page lies in the MMIO window, which nothing else maps, above every
        // address handed out before (`MMIO_NEXT` only grows); the frame is device memory
        // that the allocator never hands out, so no existing reference can alias it.
        unsafe { m.map_to(page, frame, flags, &mut KernelFrames) }?.ignore();
    }
    Ok(VirtAddr::new(start + (phys - first)))
}

/// A memory type from the page attribute table (Intel SDM vol. 3, "PAT").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryType {
    Uncacheable,
    WriteCombining,
    WriteThrough,
    WriteProtected,
    WriteBack,
    UncacheableMinus,
    /// A reserved PAT encoding.
    Reserved(u8),
}

impl MemoryType {
    fn from_pat(v: u8) -> Self {
        match v {
            0 => Self::Uncacheable,
            1 => Self::WriteCombining,
            4 => Self::WriteThrough,
            5 => Self::WriteProtected,
            6 => Self::WriteBack,
            7 => Self::UncacheableMinus,
            other => Self::Reserved(other),
        }
    }
}

/// Reads IA32_PAT.
fn read_pat() -> u64 {
    // SAFETY: IA32_PAT exists on every x86-64 CPU; reading it has no side effects.
    unsafe { x86_64::registers::model_specific::Msr::new(MSR_PAT).read() }
}

/// The PAT index an entry of a leaf at `level` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) selects.
fn pat_index(entry: u64, level: u8) -> u64 {
    let pat_bit = if level == 1 { PAT_4K } else { PAT_HUGE };
    u64::from(entry & pat_bit != 0) * 4
        + u64::from(entry & PCD != 0) * 2
        + u64::from(entry & PWT != 0)
}

/// The leaf entry mapping `addr` and its level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB), walking the
/// active tables through the HHDM.
///
/// # Safety
/// The page tables must not change while the returned pointer is used (callers hold
/// [`MAPPER`]'s lock, or only read once).
unsafe fn leaf_entry(addr: VirtAddr) -> Option<(*mut u64, u8)> {
    let mut table = Cr3::read().0.start_address().as_u64();
    for level in (1..=4u8).rev() {
        let index = (addr.as_u64() >> (12 + 9 * u64::from(level - 1))) & 511;
        let entry_ptr = phys_to_virt(table + index * 8).as_mut_ptr::<u64>();
        // SAFETY: `table` is a live page table (CR3's, or a child a present entry names),
        // reachable through the HHDM; `index` < 512 keeps the read inside it.
        let entry = unsafe { entry_ptr.read_volatile() };
        if entry & PRESENT == 0 {
            return None;
        }
        if level == 1 || (level <= 3 && entry & HUGE != 0) {
            return Some((entry_ptr, level));
        }
        table = entry & ADDR_MASK;
    }
    None
}

/// The memory type the page mapping `addr` has (its PAT index, looked up in IA32_PAT), or
/// `None` if `addr` is not mapped.
pub fn memory_type(addr: VirtAddr) -> Option<MemoryType> {
    let _guard = MAPPER.lock();
    // SAFETY: the tables do not change while the lock is held; the entry is read once.
    let (entry_ptr, level) = unsafe { leaf_entry(addr)? };
    // SAFETY: as above.
    let entry = unsafe { entry_ptr.read_volatile() };
    let index = pat_index(entry, level);
    Some(MemoryType::from_pat((read_pat() >> (index * 8)) as u8 & 7))
}

/// Maps `[addr, addr + len)` write-combining: makes sure IA32_PAT has write-combining at
/// the index the bootloaders use ([`PAT_VALUE`], as Limine programs it), then sets that
/// index on every page of the range, splitting large pages that reach outside it. Returns
/// how many leaf entries were changed (0 when the bootloader had already done it).
pub fn make_write_combining(addr: VirtAddr, len: u64) -> Result<usize, &'static str> {
    if len == 0 {
        return Ok(0);
    }
    let _guard = MAPPER.lock();
    let pat = read_pat();
    if (pat >> (WC_INDEX * 8)) as u8 & 7 != 1 {
        // Only reprogram the PAT if the entries mappings normally use (0-3) keep their
        // meaning: PAT_VALUE has the power-on defaults there.
        if pat & 0xffff_ffff != PAT_VALUE & 0xffff_ffff {
            return Err("the PAT is not laid out as expected; framebuffer left as it is");
        }
        x86_64::instructions::interrupts::without_interrupts(|| {
            // SAFETY: entries 0-3 are unchanged (checked above), so no existing mapping
            // changes type; nothing maps with indexes 4-7 before this (they were not WC,
            // and only this function uses index 5). Caches and TLBs are flushed after the
            // change, as the SDM asks.
            unsafe {
                x86_64::registers::model_specific::Msr::new(MSR_PAT).write(PAT_VALUE);
                core::arch::asm!("wbinvd", options(nostack, preserves_flags));
            }
            x86_64::instructions::tlb::flush_all();
        });
    }
    let start = addr.as_u64() & !0xfff;
    let end = addr
        .as_u64()
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(4096))
        .ok_or("framebuffer range wraps around")?;
    let mut at = start;
    let mut changed = 0;
    while at < end {
        let va = VirtAddr::try_new(at).map_err(|_| "framebuffer range is not canonical")?;
        // SAFETY: the MAPPER lock is held, so nobody else changes the tables meanwhile.
        let Some((entry_ptr, level)) = (unsafe { leaf_entry(va) }) else {
            return Err("framebuffer range is not mapped");
        };
        let size = 4096u64 << (9 * u64::from(level - 1));
        let base = at & !(size - 1);
        if level > 1 && (base < start || base.saturating_add(size) > end) {
            // The large page reaches outside the range: split it and look again.
            // SAFETY: the lock is held; the entry is a live large-page leaf of `level`.
            unsafe { split_large(entry_ptr, level)? };
            x86_64::instructions::tlb::flush(va);
            continue;
        }
        // SAFETY: the lock is held and the entry is a live leaf of `level`.
        let entry = unsafe { entry_ptr.read_volatile() };
        if pat_index(entry, level) != WC_INDEX {
            let pat_bit = if level == 1 { PAT_4K } else { PAT_HUGE };
            let wc = (entry & !(pat_bit | PCD | PWT)) | pat_bit | PWT;
            // SAFETY: as above; only the memory-type bits of the entry change.
            unsafe { entry_ptr.write_volatile(wc) };
            x86_64::instructions::tlb::flush(va);
            changed += 1;
        }
        at = base.saturating_add(size);
    }
    Ok(changed)
}

/// Replaces a 2 MiB or 1 GiB leaf by a table of 512 leaves one level down that map the
/// same memory with the same rights and memory type.
///
/// # Safety
/// `entry_ptr` must be a live large-page leaf entry at `level` (2 or 3) of the active
/// tables, and the caller must hold [`MAPPER`]'s lock.
unsafe fn split_large(entry_ptr: *mut u64, level: u8) -> Result<(), &'static str> {
    // SAFETY: the caller's contract.
    let entry = unsafe { entry_ptr.read_volatile() };
    let frame = frames::alloc().ok_or("out of frames while splitting a large page")?;
    let table_phys = frame.start_address().as_u64();
    let table = phys_to_virt(table_phys).as_mut_ptr::<[u64; 512]>();
    let child_size = 4096u64 << (9 * u64::from(level - 2));
    // The physical base: large-page entries keep their PAT bit at bit 12, inside ADDR_MASK.
    let phys = entry & ADDR_MASK & !PAT_HUGE;
    let pat = entry & PAT_HUGE != 0;
    let flags = entry & !(ADDR_MASK | HUGE);
    // A 4 KiB leaf has its PAT bit where large pages have HUGE.
    let child_kind = if level == 2 {
        if pat { PAT_4K } else { 0 }
    } else {
        HUGE | if pat { PAT_HUGE } else { 0 }
    };
    for i in 0..512u64 {
        // SAFETY: `table` is the fresh frame just allocated, reachable through the HHDM and
        // used by nothing else yet; `i` < 512.
        unsafe { (*table)[i as usize] = (phys + i * child_size) | flags | child_kind };
    }
    // The new table inherits the leaf's rights; its own memory type is write-back.
    let parent =
        table_phys | (entry & !(ADDR_MASK | HUGE | PWT | PCD) & 0xfff) | (entry & (1 << 63));
    // SAFETY: the caller's contract; the new table maps exactly what the leaf mapped, so
    // no address in use changes meaning (the caller flushes the TLB).
    unsafe { entry_ptr.write_volatile(parent) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{PLACEMENT_PERIOD, flags_of, map_placed};
    use x86_64::structures::paging::PageTableFlags;

    /// Placed memory lies where it was asked (modulo the period), is writable and not
    /// executable, and two placements with the same residue never overlap.
    #[test_case]
    fn placed_memory_lies_where_asked() {
        let residue = 0x1234_5678;
        let bytes = 3 << 20;
        let a = map_placed(bytes, residue).expect("placed memory");
        let b = map_placed(bytes, residue).expect("placed memory, again");
        for at in [a, b] {
            assert_eq!(at.as_u64() % PLACEMENT_PERIOD, residue & !0xfff);
            let flags = flags_of(at).expect("mapped");
            assert!(flags.contains(PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE));
            assert!(flags_of(at + (bytes - 1)).is_some(), "mapped to its end");
        }
        assert!(
            b.as_u64() >= a.as_u64() + bytes,
            "the second lies past the first"
        );
        // SAFETY: both ranges were just mapped writable for this test alone.
        unsafe {
            a.as_mut_ptr::<u64>().write(1);
            b.as_mut_ptr::<u64>().write(2);
            assert_eq!(a.as_ptr::<u64>().read(), 1);
        }
    }
}
