//! Thin wrappers over the privileged x86-64 instructions the hand-off needs.
//!
//! Why not the `x86_64` crate: we need a handful of instructions, each used once, and
//! keeping them here lets every `unsafe` carry the exact invariant of its call site.

use core::arch::asm;

/// `cpuid` leaf `leaf`, sub-leaf 0: `(eax, ebx, ecx, edx)`.
pub fn cpuid(leaf: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, 0);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Extended CPUID leaf 0x80000001 EDX, if the CPU reports that leaf.
fn ext_features_edx() -> u32 {
    if cpuid(0x8000_0000).0 >= 0x8000_0001 {
        cpuid(0x8000_0001).3
    } else {
        0
    }
}

/// The CPU supports the NX bit (EFER.NXE).
pub fn has_nx() -> bool {
    ext_features_edx() & (1 << 20) != 0
}

/// The CPU supports 1 GiB pages.
pub fn has_1g_pages() -> bool {
    ext_features_edx() & (1 << 26) != 0
}

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this CPU.
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: the caller guarantees the MSR exists; rdmsr only reads.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist and `value` must be valid for it and for the running code.
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller guarantees the MSR and value are valid.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32, options(nostack, preserves_flags))
    };
}

/// IA32_EFER.
pub const MSR_EFER: u32 = 0xc000_0080;
/// IA32_PAT.
pub const MSR_PAT: u32 = 0x277;
/// EFER.NXE.
pub const EFER_NXE: u64 = 1 << 11;

/// Reads CR4.
pub fn read_cr4() -> u64 {
    let v: u64;
    // SAFETY: reading CR4 has no side effects (we run at CPL 0 under UEFI).
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR4.
///
/// # Safety
/// `value` must keep the current execution environment valid (paging mode unchanged).
pub unsafe fn write_cr4(value: u64) {
    // SAFETY: the caller guarantees the new value is valid for the running code.
    unsafe { asm!("mov cr4, {}", in(reg) value, options(nostack, preserves_flags)) };
}

/// CR4.PGE (global pages).
pub const CR4_PGE: u64 = 1 << 7;
/// CR4.LA57 (5-level paging).
pub const CR4_LA57: u64 = 1 << 12;

/// Writes a byte to an I/O port.
///
/// # Safety
/// Writing `value` to `port` must not break memory safety (true for the PIC and UART ports
/// used here).
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: the caller guarantees the port write is harmless.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags))
    };
}

/// Reads a byte from an I/O port.
///
/// # Safety
/// Reading `port` must have no harmful side effect.
pub unsafe fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: the caller guarantees the port read is harmless.
    unsafe {
        asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack, preserves_flags))
    };
    v
}

/// Masks every IRQ of both legacy 8259 PICs.
pub fn mask_pic() {
    // SAFETY: port 0x21 is the master PIC's interrupt mask register: writing 0xff only
    // masks IRQs 0-7 (on a machine without PICs the port is unused).
    unsafe { outb(0x21, 0xff) };
    // SAFETY: port 0xa1 is the slave PIC's interrupt mask register: writing 0xff only masks
    // IRQs 8-15 (on a machine without PICs the port is unused).
    unsafe { outb(0xa1, 0xff) };
}

/// Disables interrupts and halts forever.
pub fn halt() -> ! {
    loop {
        // SAFETY: cli/hlt only stop this CPU; nothing is expected to run after a fatal error.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// Disables maskable interrupts.
pub fn cli() {
    // SAFETY: after ExitBootServices no firmware interrupt handler may run; masking is the
    // required state for the hand-off.
    unsafe { asm!("cli", options(nomem, nostack)) };
}
