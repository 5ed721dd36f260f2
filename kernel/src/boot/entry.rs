//! The kernel's first instructions: switch to a kernel-owned stack, then run Rust.
//!
//! Limine enters the kernel on a stack in bootloader-reclaimable memory. We move at once
//! to [`KERNEL_STACK`] (in .bss, so it is ours for good), whose lowest page is later
//! unmapped as a guard: overflowing the stack then faults instead of overwriting memory.
//! Every kernel binary (the kernel and each test kernel) gets this through
//! [`entry_point!`](crate::entry_point).

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;

/// Usable stack size (the shell, the parser and wasmi run on it).
pub const STACK_SIZE: usize = 256 * 1024;
const GUARD_SIZE: usize = 4096;
/// Guard page plus stack.
pub const STACK_TOTAL: usize = GUARD_SIZE + STACK_SIZE;

#[repr(C, align(4096))]
pub struct Stack(pub [u8; STACK_TOTAL]);

/// The kernel stack; the bottom page is the guard.
#[unsafe(no_mangle)]
pub static mut KERNEL_STACK: Stack = Stack([0; STACK_TOTAL]);

/// TSC value at kernel entry (boot-time measurement).
pub static ENTRY_TSC: AtomicU64 = AtomicU64::new(0);

/// Address of the guard page.
pub fn stack_guard_page() -> VirtAddr {
    VirtAddr::from_ptr(&raw const KERNEL_STACK)
}

/// Records the entry time; called first thing on the new stack.
pub fn record_entry() {
    // SAFETY: RDTSC has no side effects and is available on every x86-64 CPU.
    ENTRY_TSC.store(unsafe { core::arch::x86_64::_rdtsc() }, Ordering::Relaxed);
}

/// Defines the ELF entry point `kmain`: switches to the kernel stack and calls `$main`
/// (a `fn() -> !`).
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(no_mangle)]
        #[unsafe(naked)]
        pub extern "C" fn kmain() -> ! {
            core::arch::naked_asm!(
                "lea rsp, [rip + {stack} + {size}]",
                "xor ebp, ebp",
                "call {start}",
                "ud2",
                stack = sym $crate::boot::entry::KERNEL_STACK,
                size = const $crate::boot::entry::STACK_TOTAL,
                start = sym __rustos_start,
            )
        }

        extern "C" fn __rustos_start() -> ! {
            $crate::boot::entry::record_entry();
            let main: fn() -> ! = $main;
            main()
        }
    };
}
