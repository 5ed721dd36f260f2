//! Memory management: physical frames, page tables, and the kernel heap.
//!
//! Order matters and is spelled out in [`init`]: frames come from the Limine memory map,
//! the page tables are copied out of bootloader memory into our own frames, only then is
//! bootloader-reclaimable memory handed to the frame allocator, and finally the heap is
//! mapped at its own higher-half range and handed to the global allocator.

pub mod frames;
pub mod heap;
pub mod paging;
pub mod reserve;

use crate::boot::BootInfo;

/// Statistics printed at boot and by `mem`.
#[derive(Clone, Copy, Debug)]
pub struct MemInfo {
    pub frames_total: u64,
    pub frames_free: u64,
    pub reclaimed_bytes: u64,
    pub heap: heap::HeapStats,
}

/// Why memory set-up failed (the kernel cannot run without a heap).
#[derive(Debug)]
pub enum MemError {
    NoFrames,
    PageTables(&'static str),
    Heap(&'static str),
}

impl core::fmt::Display for MemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoFrames => f.write_str("no usable memory in the memory map"),
            Self::PageTables(s) => write!(f, "page tables: {s}"),
            Self::Heap(s) => write!(f, "heap: {s}"),
        }
    }
}

/// What [`init`] did, for the boot log (it logs nothing itself: it runs before the clock's
/// frequency is known).
pub struct Started {
    /// Bytes of bootloader memory reclaimed.
    pub reclaimed: u64,
    /// How the framebuffer is mapped (write-combining or why not), if there is one.
    pub framebuffer: Option<alloc::string::String>,
}

/// Brings up frames, paging and the heap.
///
/// Records how long each step took as boot phases: none of them should grow with installed
/// RAM (the heap is mapped with 2 MiB pages).
pub fn init(boot: &BootInfo) -> Result<Started, MemError> {
    use crate::support::bench::boot_phase;
    use alloc::format;
    paging::init(boot.hhdm_offset);
    frames::init(boot.regions());
    if frames::stats().1 == 0 {
        return Err(MemError::NoFrames);
    }
    boot_phase("memory: frames");
    // Our own copy of the page tables, so the bootloader's (in reclaimable memory) can go.
    paging::take_over_page_tables().map_err(MemError::PageTables)?;
    boot_phase("memory: page tables");
    let reclaimed = frames::reclaim_bootloader_memory(boot.regions());
    paging::protect_stack_guard();
    let (initial, cap) = memmap::heap_sizes(boot.usable_bytes());
    heap::init(initial, cap).map_err(MemError::Heap)?;
    boot_phase("memory: heap");
    let framebuffer = boot.framebuffer.as_ref().map(|fb| {
        let len = (fb.pitch as u64).saturating_mul(fb.height as u64);
        let line = match paging::make_write_combining(x86_64::VirtAddr::new_truncate(fb.addr), len)
        {
            Ok(0) => "memory: framebuffer write-combining (as the bootloader mapped it)".into(),
            Ok(n) => format!("memory: framebuffer mapped write-combining ({n} entries changed)"),
            Err(e) => format!("memory: framebuffer not write-combining: {e}"),
        };
        boot_phase("memory: framebuffer");
        line
    });
    Ok(Started {
        reclaimed,
        framebuffer,
    })
}

/// Current memory statistics.
pub fn info(reclaimed_bytes: u64) -> MemInfo {
    let (total, free) = frames::stats();
    MemInfo {
        frames_total: total,
        frames_free: free,
        reclaimed_bytes,
        heap: heap::stats(),
    }
}
