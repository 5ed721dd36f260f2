//! Memory the controller reads and writes by itself (DMA): whole 4 KiB frames.
//!
//! Every structure the xHCI driver shares with the controller fits in one page (rings of
//! 256 TRBs, contexts, the DCBAA, report buffers), so frames come one at a time from the
//! kernel's frame allocator and need no contiguity beyond a page. A page never crosses a
//! 64 KiB boundary, which TRB rings must not. A controller without 64-bit addressing
//! (AC64 clear) gets only frames below 4 GiB.

use crate::mem::{frames, paging};
use x86_64::PhysAddr;
use x86_64::structures::paging::PhysFrame;

/// One zeroed page shared with a device; returned to the frame allocator on drop.
pub struct DmaPage {
    phys: u64,
    virt: *mut u8,
}

// SAFETY: a `DmaPage` owns its frame exclusively, like a `Box`; the pointer is its address
// in the direct map, valid from any context. (RustOS has one CPU; this lets the controllers
// live in a lock-protected static.)
unsafe impl Send for DmaPage {}

impl DmaPage {
    pub const SIZE: usize = 4096;

    /// A zeroed page, below 4 GiB unless `above_4g` is allowed. `None` when memory is
    /// exhausted (or exhausted below 4 GiB).
    pub fn new(above_4g: bool) -> Option<Self> {
        let frame = frames::alloc()?;
        let phys = frame.start_address().as_u64();
        if !above_4g && phys + Self::SIZE as u64 > 1 << 32 {
            // The allocator hands out the lowest frame first: nothing lower is left.
            frames::free(frame);
            return None;
        }
        let page = Self {
            phys,
            virt: paging::phys_to_virt(phys).as_mut_ptr(),
        };
        page.zero();
        Some(page)
    }

    pub fn phys(&self) -> u64 {
        self.phys
    }

    /// Zeroes the page.
    pub fn zero(&self) {
        // SAFETY: `virt` maps this page, which we own, for its whole 4 KiB.
        unsafe { core::ptr::write_bytes(self.virt, 0, Self::SIZE) };
    }

    /// Reads the 32-bit word at byte `offset` (the device may have written it).
    pub fn read32(&self, offset: usize) -> u32 {
        assert!(offset + 4 <= Self::SIZE && offset % 4 == 0);
        // SAFETY: in bounds and aligned (checked above); volatile because the device
        // writes this memory behind the compiler's back.
        unsafe { (self.virt.add(offset) as *const u32).read_volatile() }
    }

    /// Writes the 32-bit word at byte `offset`.
    pub fn write32(&self, offset: usize, value: u32) {
        assert!(offset + 4 <= Self::SIZE && offset % 4 == 0);
        // SAFETY: in bounds and aligned (checked above); volatile so that the write is
        // done, in order, before the doorbell that tells the device to look.
        unsafe { (self.virt.add(offset) as *mut u32).write_volatile(value) };
    }

    /// Writes the 64-bit word at byte `offset`.
    pub fn write64(&self, offset: usize, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset + 4, (value >> 32) as u32);
    }

    /// Copies bytes out of the page (bounded by the page).
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        let n = out.len().min(Self::SIZE.saturating_sub(offset));
        for (i, b) in out[..n].iter_mut().enumerate() {
            // SAFETY: `offset + i` is inside the page (bounded above).
            *b = unsafe { self.virt.add(offset + i).read_volatile() };
        }
    }

    /// Copies bytes into the page (bounded by the page).
    pub fn write_bytes(&self, offset: usize, data: &[u8]) {
        let n = data.len().min(Self::SIZE.saturating_sub(offset));
        for (i, &b) in data[..n].iter().enumerate() {
            // SAFETY: `offset + i` is inside the page (bounded above).
            unsafe { self.virt.add(offset + i).write_volatile(b) };
        }
    }

    /// Copies a block of bytes into the page (bounded by the page), as one memory copy:
    /// for data buffers the device reads only after a doorbell, which orders it.
    pub fn copy_in(&self, offset: usize, data: &[u8]) {
        let n = data.len().min(Self::SIZE.saturating_sub(offset));
        // SAFETY: `offset..offset + n` lies inside the page we own (bounded above), and
        // `data` is a separate allocation (the page is reached only through `virt`).
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.virt.add(offset), n) };
    }

    /// Copies a block of bytes out of the page (bounded by the page), after the device
    /// said it is done writing them (the event was read with acquire ordering).
    pub fn copy_out(&self, offset: usize, out: &mut [u8]) {
        let n = out.len().min(Self::SIZE.saturating_sub(offset));
        // SAFETY: as in `copy_in`, the other way round.
        unsafe { core::ptr::copy_nonoverlapping(self.virt.add(offset), out.as_mut_ptr(), n) };
    }

    /// The page as a typed structure the `xhci` crate describes (contexts).
    ///
    /// # Safety
    /// `T` must fit in a page, need at most 4 KiB alignment, and be valid for any bit
    /// pattern (plain `u32` arrays); the controller must not write the page meanwhile.
    pub unsafe fn as_mut<T>(&mut self) -> &mut T {
        debug_assert!(core::mem::size_of::<T>() <= Self::SIZE);
        // SAFETY: the caller guarantees size, alignment and validity; `&mut self` makes
        // this the only reference.
        unsafe { &mut *(self.virt as *mut T) }
    }
}

impl Drop for DmaPage {
    fn drop(&mut self) {
        frames::free(PhysFrame::containing_address(PhysAddr::new(self.phys)));
    }
}
