//! The jump into the kernel.
//!
//! Why a trampoline: the loader runs identity-mapped under UEFI's page tables, but the
//! kernel's tables have an empty lower half. The switch therefore happens in a few
//! position-independent instructions that are temporarily identity-mapped in the new
//! tables: load CR3, jump to the same code through the HHDM, remove the temporary lower-half
//! mapping, flush the TLB, then load the GDT and segments, build an `iretq` frame on the
//! kernel's stack (with a 0 return address above it), zero every general register and
//! `iretq` to the entry point with IF = DF = 0.

use core::arch::global_asm;

/// Everything the trampoline reads before it switches address space. Lives on the
/// loader's (identity-mapped) stack; field offsets are used by the assembly below.
#[repr(C)]
pub struct HandoffArgs {
    /// Physical address of the PML4.
    pub cr3: u64,
    /// Kernel entry point.
    pub entry: u64,
    /// HHDM address of the top of the kernel stack.
    pub stack_top: u64,
    /// HHDM address of the GDTR (10 bytes).
    pub gdtr: u64,
    /// The HHDM offset.
    pub hhdm: u64,
    /// HHDM address of the PML4 entry holding the temporary identity mapping.
    pub identity_pml4e: u64,
}

global_asm!(
    ".balign 16",
    ".global rustos_loader_trampoline",
    "rustos_loader_trampoline:",
    "cli",
    "cld",
    "mov r8,  [rdi + 0x00]",
    "mov r9,  [rdi + 0x08]",
    "mov r10, [rdi + 0x10]",
    "mov r11, [rdi + 0x18]",
    "mov r12, [rdi + 0x20]",
    "mov r13, [rdi + 0x28]",
    // New address space; this code is identity-mapped in it for the next three lines.
    "mov cr3, r8",
    "lea rax, [rip + 2f]",
    "add rax, r12",
    "jmp rax",
    "2:",
    // Now running through the HHDM: drop the identity mapping and flush the TLB.
    "mov qword ptr [r13], 0",
    "mov cr3, r8",
    // CR0: PE | WP (PG is already set in long mode). A 32-bit `or` keeps the reserved
    // upper half of CR0 zero.
    "mov rax, cr0",
    "or eax, 0x10001",
    "mov cr0, rax",
    "lgdt [r11]",
    "mov ax, 0x30",
    "mov ds, ax",
    "mov es, ax",
    "mov fs, ax",
    "mov gs, ax",
    "mov ss, ax",
    "mov rsp, r10",
    "push 0", // return address 0
    "mov rax, rsp",
    "push 0x30", // ss
    "push rax",  // rsp
    "push 0x2",  // rflags: only the reserved bit; IF = DF = 0
    "push 0x28", // cs
    "push r9",   // rip
    "xor eax, eax",
    "xor ebx, ebx",
    "xor ecx, ecx",
    "xor edx, edx",
    "xor esi, esi",
    "xor edi, edi",
    "xor ebp, ebp",
    "xor r8d, r8d",
    "xor r9d, r9d",
    "xor r10d, r10d",
    "xor r11d, r11d",
    "xor r12d, r12d",
    "xor r13d, r13d",
    "xor r14d, r14d",
    "xor r15d, r15d",
    "iretq",
    ".global rustos_loader_trampoline_end",
    "rustos_loader_trampoline_end:",
);

// SAFETY: both symbols are defined by the `global_asm!` above: the trampoline takes its
// one argument in rdi (the sysv64 convention declared here) and never returns; the end
// label is only used for its address.
unsafe extern "sysv64" {
    fn rustos_loader_trampoline(args: *const HandoffArgs) -> !;
    static rustos_loader_trampoline_end: u8;
}

/// Physical address range `[start, end)` of the trampoline code (identity-mapped loader).
pub fn trampoline_range() -> (u64, u64) {
    let start = rustos_loader_trampoline as *const () as u64;
    // Only the address of the symbol is taken; it is never read.
    let end = &raw const rustos_loader_trampoline_end as u64;
    (start, end)
}

/// Jumps into the kernel.
///
/// # Safety
/// Boot services must have been exited; `args` must describe page tables that map the
/// trampoline identically (see [`trampoline_range`]) and at HHDM, the kernel, the stack and
/// the GDT; EFER.NXE must be set if those tables use NX; the entry point must have been
/// validated.
pub unsafe fn enter_kernel(args: &HandoffArgs) -> ! {
    // SAFETY: `args` is a valid reference for the trampoline to read (in rdi, as declared),
    // and the caller guarantees the machine state it switches into (see `# Safety`).
    unsafe { rustos_loader_trampoline(args) }
}
