//! Page allocations that outlive the loader.
//!
//! Why custom memory types: after ExitBootServices the memory map is the only record of
//! what is still in use. Everything the kernel receives is allocated with one of two
//! OS-loader memory types so the map can report it as "executable and modules" (kernel,
//! modules) or "bootloader reclaimable" (responses, page tables, GDT, stack) — as Limine
//! does — while the loader's own image and pool (LoaderCode/LoaderData) become usable.
//! All addresses here are physical; UEFI identity-maps memory, so before the CR3 switch a
//! physical address is also a valid pointer.

use core::mem::MaybeUninit;
use core::{ptr, slice};

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
    // SAFETY: AllocatePages just gave us `pages` pages at `p`, identity-mapped (so `p` is a
    // valid pointer to all of them) and used by nothing else; zeroing them is in bounds.
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

    /// Zeroed space for `count` values of `T`, aligned to 16 bytes or more if `T` needs
    /// it; physical address (identity-mapped while boot services run).
    fn alloc_array<T>(&mut self, count: usize) -> Result<*mut T, Fatal> {
        let too_large = || Fatal::new("boot responses are too large");
        let size = core::mem::size_of::<T>()
            .checked_mul(count)
            .ok_or_else(too_large)?
            .max(1) as u64;
        let align = core::mem::align_of::<T>().max(16) as u64;
        let start = align_up(self.next, align).ok_or_else(too_large)?;
        if self.next == 0 || start.saturating_add(size) > self.end {
            // A fresh chunk is page-aligned, which satisfies any `align` up to 4 KiB.
            let chunk = size.max(16 * PAGE_SIZE);
            let p = alloc_pages(RECLAIMABLE, chunk, "boot responses")?;
            self.next = p;
            self.end = p + align_up(chunk, PAGE_SIZE).ok_or_else(too_large)?;
        }
        let start = align_up(self.next, align).ok_or_else(too_large)?;
        self.next = start + size;
        Ok(start as *mut T)
    }

    /// `count` values of `T`, each `T::default()`, in reclaimable memory that is never
    /// freed (hence `'static`). The slice's address is what responses point to.
    pub fn alloc_slice<T: Copy + Default>(
        &mut self,
        count: usize,
    ) -> Result<&'static mut [T], Fatal> {
        let p = self.alloc_array::<T>(count)?;
        // SAFETY: `p` is the start of `count * size_of::<T>()` bytes allocated just now for
        // this slice alone, aligned for `T`, and never freed; `MaybeUninit` has no validity
        // requirement, so viewing the bytes as uninitialised `T`s is sound.
        let raw: &'static mut [MaybeUninit<T>] =
            unsafe { slice::from_raw_parts_mut(p.cast::<MaybeUninit<T>>(), count) };
        for slot in raw.iter_mut() {
            slot.write(T::default());
        }
        // SAFETY: every element of `raw` was initialised by the loop above, and
        // `MaybeUninit<T>` has the same layout as `T`.
        Ok(unsafe { &mut *(raw as *mut [MaybeUninit<T>] as *mut [T]) })
    }

    /// Stores `value` in reclaimable memory and returns its physical address.
    pub fn put<T>(&mut self, value: T) -> Result<u64, Fatal> {
        let p = self.alloc_array::<T>(1)?;
        // SAFETY: `p` was just allocated for one `T` alone, aligned for `T`, and is never
        // freed; writing does not drop the (zeroed) bytes that were there.
        unsafe { p.write(value) };
        Ok(p as u64)
    }

    /// Stores `s` as a NUL-terminated C string and returns its physical address.
    pub fn put_cstr(&mut self, s: &str) -> Result<u64, Fatal> {
        let p = self.alloc_array::<u8>(s.len() + 1)?;
        // SAFETY: `p` was just allocated with room for `s.len() + 1` bytes, so it does not
        // overlap `s` and the copy stays in bounds; the last byte stays zero (the
        // terminator) because the allocation is zeroed.
        unsafe { ptr::copy_nonoverlapping(s.as_ptr(), p, s.len()) };
        Ok(p as u64)
    }
}
