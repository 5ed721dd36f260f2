//! The kernel's first instructions: enable SSE, switch to a kernel-owned stack, then run Rust.
//!
//! The kernel is compiled for SSE2 (its target, `kernel/x86_64-rustos.json`, uses the
//! x86-64 float ABI: the interpreter's float and 128-bit moves run in XMM registers, 1.6x
//! faster than soft-float). Neither the Limine protocol nor our loader promises SSE enabled at
//! entry, so the entry stub sets CR0/CR4 itself before any compiled code runs. Interrupt
//! handlers save the XMM registers they may clobber (the `x86-interrupt` ABI does that).
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

/// CR0 bits: MP (monitor coprocessor), EM (emulate x87: must be clear), TS (task switched).
pub const CR0_MP: u64 = 1 << 1;
/// See [`CR0_MP`].
pub const CR0_EM: u64 = 1 << 2;
/// See [`CR0_MP`].
pub const CR0_TS: u64 = 1 << 3;
/// CR4 bits: OSFXSR (SSE instructions and FXSAVE allowed), OSXMMEXCPT (SIMD exceptions as #XM).
pub const CR4_OSFXSR: u64 = 1 << 9;
/// See [`CR4_OSFXSR`].
pub const CR4_OSXMMEXCPT: u64 = 1 << 10;
/// MXCSR at reset: every SIMD floating-point exception masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1f80;

/// Defines the ELF entry point `kmain`: enables SSE (CR0.EM=0, MP=1, TS=0; CR4.OSFXSR and
/// OSXMMEXCPT; x87 and MXCSR reset), switches to the kernel stack and calls `$main` (a
/// `fn() -> !`). Nothing before these instructions may use an XMM register, hence assembly.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(no_mangle)]
        #[unsafe(naked)]
        pub extern "C" fn kmain() -> ! {
            core::arch::naked_asm!(
                "mov rax, cr0",
                "and rax, {cr0_clear}",
                "or rax, {cr0_set}",
                "mov cr0, rax",
                "mov rax, cr4",
                "or rax, {cr4_set}",
                "mov cr4, rax",
                "fninit",
                "lea rsp, [rip + {stack} + {size}]",
                "push {mxcsr}",
                "ldmxcsr [rsp]",
                "add rsp, 8",
                "xor ebp, ebp",
                "call {start}",
                "ud2",
                cr0_clear = const !($crate::boot::entry::CR0_EM | $crate::boot::entry::CR0_TS),
                cr0_set = const $crate::boot::entry::CR0_MP,
                cr4_set = const $crate::boot::entry::CR4_OSFXSR | $crate::boot::entry::CR4_OSXMMEXCPT,
                mxcsr = const $crate::boot::entry::MXCSR_DEFAULT,
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
