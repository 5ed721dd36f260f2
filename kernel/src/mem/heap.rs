//! The kernel heap: `linked_list_allocator` over pages mapped at a fixed higher-half range,
//! growing on demand.
//!
//! The heap starts at a size derived from installed RAM. When an allocation does not fit,
//! the allocator maps more frames right after the current end and extends the heap, up to
//! a cap (a share of RAM); only then is the allocation refused. Pages are mapped
//! PRESENT | WRITABLE | NO_EXECUTE: data on the heap can never be run as code. The heap is
//! mapped in 2 MiB pages (4 KiB pages only where no aligned 2 MiB block is free) and grows
//! in whole 2 MiB steps, so setting it up does not take longer the more RAM there is.
//!
//! Small allocations (up to 4 KiB) are served from per-size-class free lists in front of the
//! linked list: a freed small block goes onto its class's list and the next allocation of
//! that class takes it back in O(1), instead of a first-fit walk over a long free list
//! (`make bench`: see BENCHMARKS.md). Class blocks are carved from 16 KiB chunks and stay
//! cached in their class once freed. The fast path takes the lock, finds the class with a
//! count of leading zeros and pops or pushes one list head; no other shared state.
//!
//! Locks, in order: heap, then frames, then page tables. Interrupt handlers never allocate,
//! so none of them can be held when an interrupt arrives and needs it.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use linked_list_allocator::Heap;
use spin::Mutex;
use x86_64::VirtAddr;
use x86_64::structures::paging::PageTableFlags;

/// Where the heap lives: its own PML4 slot, far from the HHDM and the kernel image.
pub const HEAP_START: u64 = 0xffff_e000_0000_0000;
/// Smallest growth step, so that many small overflows do not each map a page: one 2 MiB
/// page, and steps are whole 2 MiB pages so the heap's end stays 2 MiB aligned.
const MIN_GROWTH: usize = 2 << 20;

/// Size classes for small blocks: each block is its class size, aligned to it. Powers of
/// two from 16 B, so that the class of a size is a count of leading zeros.
const CLASSES: [usize; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// Class blocks are carved from chunks of this size, aligned to the largest class.
const CHUNK: usize = 16 * 1024;
/// Alignment of a chunk (so every block in it is aligned to its class size).
const CHUNK_ALIGN: usize = CLASSES[CLASSES.len() - 1];

/// The size class serving `layout`, if it is small enough.
fn class_of(layout: Layout) -> Option<usize> {
    let need = layout.size().max(layout.align()).max(CLASSES[0]);
    // ceil(log2(need)) - log2(16), for need >= 16.
    let ci =
        (usize::BITS - (need - 1).leading_zeros()) as usize - CLASSES[0].trailing_zeros() as usize;
    (ci < CLASSES.len()).then_some(ci)
}

/// Heap statistics (what `mem` shows).
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapStats {
    /// Bytes of freed small blocks waiting in the size-class lists (counted in `used`).
    pub cached: usize,
    pub size: usize,
    pub used: usize,
    pub free: usize,
    pub peak: usize,
    pub cap: usize,
    pub growths: u64,
    pub failures: u64,
    pub last_failed_size: usize,
}

struct State {
    heap: Heap,
    cap: usize,
    /// Heads of the size-class free lists (addresses; 0 = empty). Each free block holds
    /// the address of the next one in its first word.
    free: [usize; CLASSES.len()],
    cached: usize,
}

/// The global allocator.
pub struct GrowingHeap {
    state: Mutex<State>,
    peak: AtomicUsize,
    growths: AtomicU64,
    failures: AtomicU64,
    last_failed: AtomicUsize,
}

#[global_allocator]
static ALLOCATOR: GrowingHeap = GrowingHeap {
    state: Mutex::new(State {
        heap: Heap::empty(),
        cap: 0,
        free: [0; CLASSES.len()],
        cached: 0,
    }),
    peak: AtomicUsize::new(0),
    growths: AtomicU64::new(0),
    failures: AtomicU64::new(0),
    last_failed: AtomicUsize::new(0),
};

const FLAGS: PageTableFlags = PageTableFlags::PRESENT
    .union(PageTableFlags::WRITABLE)
    .union(PageTableFlags::NO_EXECUTE);

/// Maps `initial` bytes (rounded up to whole 2 MiB pages, within `cap`) and hands them to
/// the allocator; the heap may grow to `cap`.
pub fn init(initial: u64, cap: u64) -> Result<(), &'static str> {
    let initial = initial
        .next_multiple_of(MIN_GROWTH as u64)
        .min(cap.max(initial))
        / 4096
        * 4096;
    if super::paging::map_fresh_large(VirtAddr::new(HEAP_START), initial, FLAGS) < initial {
        return Err("could not map the initial heap");
    }
    let mut st = ALLOCATOR.state.lock();
    // SAFETY: [HEAP_START, HEAP_START + initial) was just mapped writable, is used by
    // nothing else, and the heap is initialised only once (it was empty).
    unsafe { st.heap.init(HEAP_START as *mut u8, initial as usize) };
    st.cap = cap as usize;
    Ok(())
}

impl State {
    /// Maps more pages after the heap's end and extends it; false at the cap or when
    /// frames run out.
    fn grow(&mut self, layout: Layout) -> bool {
        let size = self.heap.size();
        if size == 0 {
            return false; // not initialised yet
        }
        let want = layout
            .size()
            .saturating_add(layout.align())
            .saturating_add(64);
        let step = want
            .max(MIN_GROWTH)
            .max(size / 4)
            .checked_next_multiple_of(MIN_GROWTH)
            .unwrap_or(usize::MAX);
        let step = step.min(self.cap.saturating_sub(size) / 4096 * 4096);
        if step < want {
            return false;
        }
        // A partial success (memory ran out midway) still extends the heap.
        let top = self.heap.top() as u64;
        let mapped =
            super::paging::map_fresh_large(VirtAddr::new(top), step as u64, FLAGS) as usize;
        if mapped == 0 {
            return false;
        }
        // SAFETY: the `mapped` bytes directly above the heap's top were just mapped
        // writable and belong to nobody else.
        unsafe { self.heap.extend(mapped) };
        true
    }
}

impl GrowingHeap {
    /// First fit from the linked list, growing the heap as needed.
    fn allocate(&self, st: &mut State, layout: Layout) -> Result<NonNull<u8>, ()> {
        let mut result = st.heap.allocate_first_fit(layout);
        while result.is_err() && st.grow(layout) {
            self.growths.fetch_add(1, Ordering::Relaxed);
            result = st.heap.allocate_first_fit(layout);
        }
        // Only the linked list's use changes the peak (class blocks are counted as used
        // while cached), so the statistic costs nothing on the size-class fast path. A
        // load and a store, not an atomic read-modify-write: the heap's lock is held.
        let used = st.heap.used();
        if result.is_ok() && used > self.peak.load(Ordering::Relaxed) {
            self.peak.store(used, Ordering::Relaxed);
        }
        result
    }

    /// A block of size class `ci`: from its free list, else (see [`Self::refill`]) from a
    /// fresh chunk.
    #[inline]
    fn allocate_small(&self, st: &mut State, ci: usize) -> Result<NonNull<u8>, ()> {
        let block = st.free[ci];
        if block == 0 {
            return self.refill(st, ci);
        }
        // SAFETY: `block` is the head of the class list: a free, class-aligned block whose
        // first word holds the next free block's address.
        st.free[ci] = unsafe { (block as *const usize).read() };
        st.cached -= CLASSES[ci];
        NonNull::new(block as *mut u8).ok_or(())
    }

    /// The empty-list path of [`Self::allocate_small`], kept out of line: carves a fresh
    /// chunk into the class list and takes its first block, or, when no whole chunk is
    /// left, allocates a single class-sized block.
    #[cold]
    #[inline(never)]
    fn refill(&self, st: &mut State, ci: usize) -> Result<NonNull<u8>, ()> {
        let size = CLASSES[ci];
        let chunk = Layout::from_size_align(CHUNK, CHUNK_ALIGN).map_err(|_| ())?;
        match self.allocate(st, chunk) {
            Ok(p) => {
                let base = p.as_ptr() as usize;
                for block in (0..CHUNK / size).rev().map(|i| base + i * size) {
                    // SAFETY: `block` is a `size`-byte, `size`-aligned piece of the chunk
                    // just allocated for this class; nothing else references it.
                    unsafe { (block as *mut usize).write(st.free[ci]) };
                    st.free[ci] = block;
                }
                st.cached += CHUNK;
                self.allocate_small(st, ci)
            }
            Err(()) => {
                let single = Layout::from_size_align(size, size).map_err(|_| ())?;
                self.allocate(st, single)
            }
        }
    }
}

// SAFETY: small blocks come from per-class lists of disjoint, class-sized and class-aligned
// blocks (so they fit any layout of their class); everything else from
// `linked_list_allocator::Heap`; both under one lock, so no block is handed out twice.
// `dealloc` routes a block by its layout exactly as `alloc` did.
unsafe impl GlobalAlloc for GrowingHeap {
    // Inlined into the compiler's allocation entry point (`__rust_alloc`), so that the fast
    // path is one function instead of a call that, in one build, went to another page:
    // QEMU's TCG does not chain translated code across pages, and `bench alloc` ran at
    // 12-15 M ops/s (8 in one `make bench`) instead of 17.5-18.2 M.
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut st = self.state.lock();
        let result = match class_of(layout) {
            Some(ci) => self.allocate_small(&mut st, ci),
            None => self.allocate(&mut st, layout),
        };
        match result {
            Ok(p) => p.as_ptr(),
            Err(()) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.last_failed.store(layout.size(), Ordering::Relaxed);
                core::ptr::null_mut()
            }
        }
    }

    /// Safety (GlobalAlloc's contract): `ptr` came from `alloc` with this same `layout`.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(p) = NonNull::new(ptr) else { return };
        let mut st = self.state.lock();
        match class_of(layout) {
            Some(ci) => {
                // SAFETY: the caller passes a block from `alloc` with the same layout, so it
                // is a whole block of class `ci`, ours again to link into the class list.
                unsafe { (ptr as *mut usize).write(st.free[ci]) };
                st.free[ci] = ptr as usize;
                st.cached += CLASSES[ci];
            }
            // SAFETY: as above: a linked-list block with this very layout.
            None => unsafe { st.heap.deallocate(p, layout) },
        }
    }
}

/// Current statistics. Uses `try_lock` so the panic path can call it safely.
pub fn stats() -> HeapStats {
    let mut s = HeapStats {
        peak: ALLOCATOR.peak.load(Ordering::Relaxed),
        growths: ALLOCATOR.growths.load(Ordering::Relaxed),
        failures: ALLOCATOR.failures.load(Ordering::Relaxed),
        last_failed_size: ALLOCATOR.last_failed.load(Ordering::Relaxed),
        ..HeapStats::default()
    };
    if let Some(st) = ALLOCATOR.state.try_lock() {
        s.size = st.heap.size();
        s.used = st.heap.used();
        s.free = st.heap.free();
        s.cap = st.cap;
        s.cached = st.cached;
    }
    s
}

impl core::fmt::Display for HeapStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "heap {} KiB (used {} KiB, free {} KiB, peak {} KiB, cap {} KiB, grown {}x)",
            self.size / 1024,
            self.used / 1024,
            self.free / 1024,
            self.peak / 1024,
            self.cap / 1024,
            self.growths
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{CLASSES, class_of};
    use core::alloc::Layout;

    /// The bit arithmetic picks the smallest class that holds the size and the alignment,
    /// and none past the largest.
    #[test_case]
    fn class_is_the_smallest_that_fits() {
        for size in 1..=5000 {
            for align in [1, 8, 16, 64, 4096, 8192] {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                let need = size.max(align);
                let want = CLASSES.iter().position(|&c| need <= c);
                assert_eq!(class_of(layout), want, "size {size} align {align}");
            }
        }
    }
}
