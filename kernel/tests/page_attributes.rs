//! Memory types of the kernel's mappings: the framebuffer is write-combining (so `present`
//! and scrolling run at bus speed on real hardware), ordinary memory is write-back, device
//! registers mapped by `map_mmio` are uncached, and `make_write_combining` changes exactly
//! the pages it is given, splitting a 2 MiB page that reaches outside them.
//!
//! QEMU's software emulation ignores memory types, so these checks read the page tables
//! and the PAT rather than timing anything.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use kernel::mem::paging::{self, MemoryType};
use kernel::support::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_println};
use x86_64::VirtAddr;
use x86_64::structures::paging::PageTableFlags;

entry_point!(main);

/// One check, given what the bootloader reported.
type Test = fn(&kernel::boot::BootInfo);

/// A kernel-reserved virtual range nothing else maps: between the MMIO window (which starts
/// at 0xffff_d000_0000_0000 and spans one PML4 entry) and the heap's PML4 slot.
const SCRATCH: u64 = 0xffff_d800_0000_0000;

fn main() -> ! {
    let boot = kernel::init();
    let tests: &[(&str, Test)] = &[
        (
            "framebuffer_is_write_combining",
            framebuffer_is_write_combining,
        ),
        (
            "ordinary_memory_is_write_back",
            ordinary_memory_is_write_back,
        ),
        ("mmio_is_uncached", mmio_is_uncached),
        (
            "remapping_changes_only_the_range",
            remapping_changes_only_the_range,
        ),
    ];
    for (name, test) in tests {
        serial_println!("-- page_attributes::{name}");
        test(&boot);
        serial_println!("page_attributes::{name} ... ok");
    }
    exit(ExitCode::Success)
}

fn framebuffer_is_write_combining(boot: &kernel::boot::BootInfo) {
    let fb = boot
        .framebuffer
        .as_ref()
        .expect("the test machine has a framebuffer");
    let len = (fb.pitch * fb.height) as u64;
    for addr in [fb.addr, fb.addr + len / 2, fb.addr + len - 4] {
        assert_eq!(
            paging::memory_type(VirtAddr::new(addr)),
            Some(MemoryType::WriteCombining),
            "framebuffer byte at {addr:#x}"
        );
    }
    // Asking again changes nothing.
    assert_eq!(
        paging::make_write_combining(VirtAddr::new(fb.addr), len),
        Ok(0)
    );
}

fn ordinary_memory_is_write_back(_: &kernel::boot::BootInfo) {
    let heap = Box::new(7u64);
    let code = main as *const () as u64;
    let stack = 0u64;
    for (what, addr) in [
        ("heap", &raw const *heap as u64),
        ("kernel code", code),
        ("stack", &raw const stack as u64),
    ] {
        assert_eq!(
            paging::memory_type(VirtAddr::new(addr)),
            Some(MemoryType::WriteBack),
            "{what} at {addr:#x}"
        );
    }
    assert_eq!(paging::memory_type(VirtAddr::new(SCRATCH)), None);
}

fn mmio_is_uncached(_: &kernel::boot::BootInfo) {
    // The local APIC's registers: device memory on every PC (mapping it reads nothing).
    let at = paging::map_mmio(0xfee0_0000, 4096).expect("mapped");
    assert_eq!(
        paging::memory_type(at),
        Some(MemoryType::Uncacheable),
        "map_mmio at {at:?}"
    );
}

fn remapping_changes_only_the_range(_: &kernel::boot::BootInfo) {
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    let start = VirtAddr::new(SCRATCH);
    // One 2 MiB page (or 512 small ones, if no aligned block was free).
    assert_eq!(paging::map_fresh_large(start, 2 << 20, flags), 2 << 20);
    let page = |i: u64| VirtAddr::new(SCRATCH + i * 4096);
    // Three pages in the middle become write-combining; the page is split around them.
    let changed = paging::make_write_combining(page(100), 3 * 4096).expect("remapped");
    assert_eq!(changed, 3, "three 4 KiB entries changed");
    for i in [0, 99, 103, 511] {
        assert_eq!(
            paging::memory_type(page(i)),
            Some(MemoryType::WriteBack),
            "page {i}"
        );
    }
    for i in [100, 101, 102] {
        assert_eq!(
            paging::memory_type(page(i)),
            Some(MemoryType::WriteCombining),
            "page {i}"
        );
    }
    // The rights survive the split, and the memory is still there.
    let f = paging::flags_of(page(101)).expect("mapped");
    assert!(f.contains(PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE));
    // SAFETY: pages 0..512 of the scratch range were mapped writable just above and are
    // used by nothing else.
    unsafe {
        let p = page(101).as_mut_ptr::<u64>();
        p.write_volatile(0x5eed);
        assert_eq!(p.read_volatile(), 0x5eed);
    }
    // An unmapped range is refused.
    assert!(paging::make_write_combining(VirtAddr::new(SCRATCH + (4 << 20)), 4096).is_err());
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
