//! Pure logic of RustOS's own Limine-protocol (v8, base revision 2) UEFI loader.
//!
//! The `loader` crate does everything that touches firmware or hardware; everything that
//! can be decided from bytes alone lives here so that it runs (and is tested) on the host:
//! parsing `limine.conf`, validating and laying out the kernel ELF, finding the kernel's
//! requests, converting the UEFI memory map, building page tables, and the exact in-memory
//! layout of every response the kernel reads.
//!
//! The crate is `no_std` + `alloc`. Code that runs after ExitBootServices (memory-map
//! conversion) never allocates: it works in caller-provided buffers.
#![no_std]
#![warn(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

pub mod config;
pub mod elf;
pub mod gdt;
pub mod limits;
pub mod paging;
pub mod protocol;
pub mod requests;
pub mod uefi_memmap;

/// Size of a small page.
pub const PAGE_SIZE: u64 = 0x1000;

/// Rounds `x` down to a multiple of `align` (a power of two).
pub const fn align_down(x: u64, align: u64) -> u64 {
    x & !(align - 1)
}

/// Rounds `x` up to a multiple of `align` (a power of two); `None` on overflow.
pub const fn align_up(x: u64, align: u64) -> Option<u64> {
    match x.checked_add(align - 1) {
        Some(v) => Some(v & !(align - 1)),
        None => None,
    }
}
