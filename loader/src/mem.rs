//! Page allocations that outlive the loader.
//!
//! Why custom memory types: after ExitBootServices the memory map is the only record of
//! what is still in use. Everything the kernel receives is allocated with one of two
//! OS-loader memory types so the map can report it as "executable and modules" (kernel,
//! modules) or "bootloader reclaimable" (responses, page tables, GDT, stack) — as Limine
//! does — while the loader's own image and pool (LoaderCode/LoaderData) become usable.
//! All addresses here are physical; UEFI identity-maps memory, so before the CR3 switch a
//! physical address is also a valid pointer.

use core::ptr;

use loader_core::protocol::HHDM_OFFSET;
use loader_core::uefi_memmap::{UEFI_BOOTLOADER_RECLAIMABLE, UEFI_EXECUTABLE_AND_MODULES};
use loader_core::{PAGE_SIZE, align_up, limits};
use uefi::boot::{self, AllocateType, MemoryType};
use uefi::mem::memory_map::MemoryMap;

use crate::Fatal;

/// Kernel image and modules.
pub const EXEC: MemoryType = MemoryType::custom(UEFI_EXECUTABLE_AND_MODULES);
/// Responses, page tables, GDT, stack.
pub const RECLAIMABLE: MemoryType = MemoryType::custom(UEFI_BOOTLOADER_RECLAIMABLE);

/// The HHDM address of a physical address: what every response pointer holds.
pub const fn hhdm(phys: u64) -> u64 {
    phys + HHDM_OFFSET
}

/// The largest block of free (conventional) memory right now, in bytes: the most one
/// allocation of contiguous pages can get.
pub fn largest_free_block() -> Result<u64, Fatal> {
    let map = boot::memory_map(MemoryType::LOADER_DATA)
        .map_err(|e| Fatal::new(alloc::format!("GetMemoryMap failed ({:?})", e.status())))?;
    Ok(limits::largest_free_block(
        map.entries().map(|d| (d.ty.0, d.phys_start, d.page_count)),
    ))
}

/// Allocates zeroed, 4 KiB-aligned, physically contiguous memory of `bytes` (at least one
/// page) and returns its physical address.
pub fn alloc_pages(ty: MemoryType, bytes: u64, what: &str) -> Result<u64, Fatal> {
    let pages = align_up(bytes.max(1), PAGE_SIZE)
        .ok_or_else(|| Fatal::new(alloc::format!("{what} is too large")))?
        / PAGE_SIZE;
    let p = boot::allocate_pages(AllocateType::AnyPages, ty, pages as usize).map_err(|e| {
        Fatal::new(alloc::format!(
            "out of memory allocating {pages} pages for {what} ({:?})",
            e.status()
        ))
    })?;
    // SAFETY: UEFI just gave us `pages` pages at `p`, identity-mapped and unused by anyone.
    unsafe { ptr::write_bytes(p.as_ptr(), 0, (pages * PAGE_SIZE) as usize) };
    Ok(p.as_ptr() as u64)
}

/// Bump allocator over bootloader-reclaimable pages for small response objects.
pub struct Reclaim {
    next: u64,
    end: u64,
}

impl Reclaim {
    /// An allocator that takes pages on first use.
    pub const fn new() -> Self {
        Self { next: 0, end: 0 }
    }

    /// Zeroed space for `count` values of `T` (16-byte aligned); physical address.
    pub fn alloc_array<T>(&mut self, count: usize) -> Result<*mut T, Fatal> {
        let size = (core::mem::size_of::<T>() * count).max(1) as u64;
        let start = align_up(self.next, 16).unwrap_or(u64::MAX);
        if self.next == 0 || start.saturating_add(size) > self.end {
            let chunk = size.max(16 * PAGE_SIZE);
            let p = alloc_pages(RECLAIMABLE, chunk, "boot responses")?;
            self.next = p;
            self.end = p + align_up(chunk, PAGE_SIZE).unwrap_or(chunk);
        }
        let start = align_up(self.next, 16).unwrap_or(u64::MAX);
        self.next = start + size;
        Ok(start as *mut T)
    }

    /// Stores `value` in reclaimable memory and returns its physical address.
    pub fn put<T>(&mut self, value: T) -> Result<u64, Fatal> {
        let p = self.alloc_array::<T>(1)?;
        // SAFETY: `p` is fresh, aligned (16 >= align_of for every response type) and large
        // enough for one `T`.
        unsafe { p.write(value) };
        Ok(p as u64)
    }

    /// Stores `s` as a NUL-terminated C string and returns its physical address.
    pub fn put_cstr(&mut self, s: &str) -> Result<u64, Fatal> {
        let p = self.alloc_array::<u8>(s.len() + 1)?;
        // SAFETY: `p` has room for `len + 1` bytes; the memory was zeroed so the terminator
        // is already there.
        unsafe { ptr::copy_nonoverlapping(s.as_ptr(), p, s.len()) };
        Ok(p as u64)
    }
}
