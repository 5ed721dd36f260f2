//! The physical frame allocator: the `memmap` crate's range set behind a lock.
//!
//! Only "usable" memory is handed out at first; "bootloader reclaimable" memory joins
//! later through [`reclaim_bootloader_memory`], once nothing of the bootloader's is used.
//! Page 0, the kernel and modules, the framebuffer, ACPI and reserved memory are never
//! added, so they can never be handed out.
//!
//! The lock is never taken by interrupt handlers (they do not allocate).

use crate::boot::{Region, RegionKind};
use memmap::{FRAME_SIZE, FrameSet, PhysRange};
use spin::Mutex;
use x86_64::PhysAddr;
use x86_64::structures::paging::{FrameAllocator, FrameDeallocator, PhysFrame, Size2MiB, Size4KiB};

/// Up to 512 disjoint free ranges; plenty for real memory maps.
static FRAMES: Mutex<FrameSet<512>> = Mutex::new(FrameSet::new());
/// Frames handed out by [`alloc_2m`]: the set counts a removed range as memory that was
/// never there, so these are added back to its total in [`stats`].
static TAKEN_ALIGNED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
/// Bytes in a 2 MiB page.
pub const SIZE_2M: u64 = 2 << 20;

fn add_kind(regions: &[Region], kind: RegionKind) -> u64 {
    let mut set = FRAMES.lock();
    let before = set.free_frames();
    for r in regions.iter().filter(|r| r.kind == kind) {
        // A full range list only loses the memory that did not fit; keep going.
        let _ = set.add(PhysRange::from_len(r.base, r.len));
    }
    (set.free_frames() - before) * FRAME_SIZE
}

/// Adds the usable regions of the memory map.
pub fn init(regions: &[Region]) {
    add_kind(regions, RegionKind::Usable);
}

/// Adds bootloader-reclaimable memory; returns how many bytes were added.
/// Call only once the kernel runs on its own stack, GDT and page tables.
pub fn reclaim_bootloader_memory(regions: &[Region]) -> u64 {
    add_kind(regions, RegionKind::BootloaderReclaimable)
}

/// (total frames, free frames).
pub fn stats() -> (u64, u64) {
    let set = FRAMES.lock();
    let taken = TAKEN_ALIGNED.load(core::sync::atomic::Ordering::Relaxed);
    (set.total_frames() + taken, set.free_frames())
}

/// 512 contiguous frames starting at a 2 MiB boundary (one 2 MiB page), or `None` when no
/// free range holds such a block. Never given back (its users, the heap and
/// `paging::map_placed`, never unmap).
///
/// The frame set allocates first fit without alignment, so the block is carved out of a
/// free range with `remove`: the lowest aligned block. Firmware allocates top-down, so the
/// top of memory below 4 GiB is where its drivers ran and where the bootloader put the
/// kernel. Under an emulator that translates code (QEMU's TCG), memory that once held
/// executed code stays write-tracked: every store to such a page takes a slow path until
/// all the code translated from it is overwritten (measured: the interpreter's Life step
/// 950 ms with its stack and memory there, 42 ms elsewhere). Low memory is the least likely
/// to have run firmware code; device buffers still find room below 4 GiB after the heap's
/// first blocks.
pub fn alloc_2m() -> Option<PhysFrame<Size2MiB>> {
    let mut set = FRAMES.lock();
    let start = set.ranges().iter().find_map(|r| {
        let start = r.start.checked_next_multiple_of(SIZE_2M)?;
        (start.checked_add(SIZE_2M)? <= r.end).then_some(start)
    })?;
    set.remove(PhysRange::from_len(start, SIZE_2M)).ok()?;
    TAKEN_ALIGNED.fetch_add(SIZE_2M / FRAME_SIZE, core::sync::atomic::Ordering::Relaxed);
    PhysFrame::from_start_address(PhysAddr::new(start)).ok()
}

/// One frame, or `None` when memory is exhausted.
pub fn alloc() -> Option<PhysFrame> {
    let addr = FRAMES.lock().alloc()?;
    Some(PhysFrame::containing_address(PhysAddr::new(addr)))
}

/// `n` physically contiguous frames (for device buffers); the physical address of the
/// first, or `None` when no run that long is free.
pub fn alloc_contiguous(n: u64) -> Option<u64> {
    FRAMES.lock().alloc_contiguous(n)
}

/// Returns `n` frames from [`alloc_contiguous`].
pub fn free_contiguous(start: u64, n: u64) {
    let _ = FRAMES.lock().free(start, n);
}

/// Returns a frame allocated with [`alloc`].
pub fn free(frame: PhysFrame) {
    // A double free is a kernel bug; the set refuses it rather than corrupting itself.
    let _ = FRAMES.lock().free(frame.start_address().as_u64(), 1);
}

/// The frame allocator in the form the `x86_64` crate's mapper wants.
pub struct KernelFrames;

// SAFETY: frames come from the free set, which only ever contains usable, unused memory,
// and each is removed from the set before being returned, so no frame is handed out twice.
unsafe impl FrameAllocator<Size4KiB> for KernelFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        alloc()
    }
}

impl FrameDeallocator<Size4KiB> for KernelFrames {
    /// Safety (the trait's contract, upheld by callers): `frame` came from this allocator
    /// and nothing maps or uses it any more.
    unsafe fn deallocate_frame(&mut self, frame: PhysFrame<Size4KiB>) {
        free(frame)
    }
}
