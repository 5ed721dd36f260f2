//! Page tables, reached through the bootloader's higher-half direct map (HHDM).
//!
//! Limine maps all physical memory at a fixed offset, so any page table can be read and
//! written at `hhdm + physical address`: that is exactly the `x86_64` crate's
//! `OffsetPageTable`. The bootloader's tables live in reclaimable memory, so before that
//! memory is reused we copy the whole hierarchy into frames of our own and switch CR3.

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

/// Physical address bits of a page-table entry.
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const PRESENT: u64 = 1;
const HUGE: u64 = 1 << 7;

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
        // SAFETY: the page lies in the MMIO window, which nothing else maps, above every
        // address handed out before (`MMIO_NEXT` only grows); the frame is device memory
        // that the allocator never hands out, so no existing reference can alias it.
        unsafe { m.map_to(page, frame, flags, &mut KernelFrames) }?.flush();
    }
    Ok(VirtAddr::new(start + (phys - first)))
}
