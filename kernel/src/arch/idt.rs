//! Interrupt descriptor table and CPU exception handlers.
//!
//! Fatal exceptions enter through small assembly stubs that save every general-purpose
//! register, so the diagnostic shows the whole CPU state, not just what the CPU pushes.
//! They print through [`console::emergency`] (never waiting on a lock), then halt. The
//! double fault runs on its own IST stack so that a kernel stack overflow is reported
//! instead of resetting the machine. Breakpoints are not fatal: they report and return.
//!
//! Hardware interrupt vectors are not set here: `irq` owns them and fills them in through
//! [`set_vector`].

use crate::arch::gdt;
use crate::drivers::console;
use crate::sync::RacyCell;
use core::fmt;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame};

/// Registers saved by the fault stubs, in stack order (lowest address first).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SavedRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// What the fault handler knows about a fatal exception.
#[derive(Clone, Copy, Debug)]
pub struct FaultInfo {
    pub vector: u8,
    pub name: &'static str,
    pub error_code: u64,
    /// Faulting address, for page faults.
    pub cr2: Option<u64>,
    pub regs: SavedRegs,
}

/// Called after a fatal exception has been reported (test kernels use this to check the
/// fault and exit QEMU). Never set in the normal kernel, where faults halt.
static FAULT_HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Number of breakpoints taken (tests check that they return).
pub static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

/// Installs a function to run after a fatal fault is reported.
pub fn set_fault_hook(hook: fn(&FaultInfo)) {
    FAULT_HOOK.store(hook as *mut (), Ordering::SeqCst);
}

fn exception_name(vector: u8) -> &'static str {
    match vector {
        0 => "DIVIDE ERROR",
        1 => "DEBUG",
        2 => "NON-MASKABLE INTERRUPT",
        4 => "OVERFLOW",
        5 => "BOUND RANGE EXCEEDED",
        6 => "INVALID OPCODE",
        7 => "DEVICE NOT AVAILABLE",
        8 => "DOUBLE FAULT",
        10 => "INVALID TSS",
        11 => "SEGMENT NOT PRESENT",
        12 => "STACK-SEGMENT FAULT",
        13 => "GENERAL PROTECTION FAULT",
        14 => "PAGE FAULT",
        16 => "x87 FLOATING-POINT EXCEPTION",
        17 => "ALIGNMENT CHECK",
        18 => "MACHINE CHECK",
        19 => "SIMD FLOATING-POINT EXCEPTION",
        _ => "UNKNOWN EXCEPTION",
    }
}

/// Page-fault error code, decoded for humans.
struct PfError(u64);

impl fmt::Display for PfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        f.write_str(if e & 1 != 0 {
            "protection violation"
        } else {
            "page not present"
        })?;
        f.write_str(if e & 2 != 0 { ", write" } else { ", read" })?;
        if e & 16 != 0 {
            f.write_str(", instruction fetch")?;
        }
        f.write_str(if e & 4 != 0 {
            ", user mode"
        } else {
            ", kernel mode"
        })?;
        if e & 8 != 0 {
            f.write_str(", reserved bit set")?;
        }
        Ok(())
    }
}

impl fmt::Display for FaultInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.regs;
        writeln!(
            f,
            "\n\x1b[1;31m!!! EXCEPTION: {} (vector {})\x1b[0m",
            self.name, self.vector
        )?;
        writeln!(
            f,
            "RIP: {:#018x}  CS: {:#06x}  RFLAGS: {:#010x}",
            r.rip, r.cs, r.rflags
        )?;
        writeln!(f, "error code: {:#x}", self.error_code)?;
        if let Some(cr2) = self.cr2 {
            writeln!(f, "CR2: {cr2:#018x} ({})", PfError(self.error_code))?;
        }
        writeln!(
            f,
            "RAX {:016x} RBX {:016x} RCX {:016x} RDX {:016x}",
            r.rax, r.rbx, r.rcx, r.rdx
        )?;
        writeln!(
            f,
            "RSI {:016x} RDI {:016x} RBP {:016x} RSP {:016x}",
            r.rsi, r.rdi, r.rbp, r.rsp
        )?;
        writeln!(
            f,
            "R8  {:016x} R9  {:016x} R10 {:016x} R11 {:016x}",
            r.r8, r.r9, r.r10, r.r11
        )?;
        writeln!(
            f,
            "R12 {:016x} R13 {:016x} R14 {:016x} R15 {:016x}",
            r.r12, r.r13, r.r14, r.r15
        )?;
        write!(f, "System halted.")
    }
}

/// Where every fatal stub lands, with the saved registers on the stack.
extern "C" fn fatal_exception(regs: &SavedRegs) -> ! {
    let vector = regs.vector as u8;
    let info = FaultInfo {
        vector,
        name: exception_name(vector),
        error_code: regs.error_code,
        cr2: (vector == 14).then(Cr2::read_raw),
        regs: *regs,
    };
    console::emergency(format_args!("{info}\n"), true);
    let hook = FAULT_HOOK.load(Ordering::SeqCst);
    if !hook.is_null() {
        // SAFETY: only `set_fault_hook` stores here, always a `fn(&FaultInfo)`.
        let hook: fn(&FaultInfo) = unsafe { core::mem::transmute(hook) };
        hook(&info);
    }
    crate::halt_forever()
}

/// Saves all general-purpose registers below the CPU's frame, then calls
/// [`fatal_exception`] with a pointer to them. Entered by `jmp` from a stub that has pushed
/// an error code (real or 0) and the vector number.
#[unsafe(naked)]
extern "C" fn fault_common() -> ! {
    core::arch::naked_asm!(
        "cld",
        "push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
        "push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {handler}",
        "ud2",
        handler = sym fatal_exception,
    )
}

macro_rules! fault_stub {
    ($name:ident, $vector:literal, no_error_code) => {
        #[unsafe(naked)]
        extern "C" fn $name() -> ! {
            core::arch::naked_asm!("push 0", "push {v}", "jmp {c}", v = const $vector, c = sym fault_common)
        }
    };
    ($name:ident, $vector:literal, error_code) => {
        #[unsafe(naked)]
        extern "C" fn $name() -> ! {
            core::arch::naked_asm!("push {v}", "jmp {c}", v = const $vector, c = sym fault_common)
        }
    };
}

fault_stub!(divide_error, 0, no_error_code);
fault_stub!(debug, 1, no_error_code);
fault_stub!(nmi, 2, no_error_code);
fault_stub!(overflow, 4, no_error_code);
fault_stub!(bound_range, 5, no_error_code);
fault_stub!(invalid_opcode, 6, no_error_code);
fault_stub!(device_not_available, 7, no_error_code);
fault_stub!(double_fault, 8, error_code);
fault_stub!(invalid_tss, 10, error_code);
fault_stub!(segment_not_present, 11, error_code);
fault_stub!(stack_segment, 12, error_code);
fault_stub!(general_protection, 13, error_code);
fault_stub!(page_fault, 14, error_code);
fault_stub!(x87_floating_point, 16, no_error_code);
fault_stub!(alignment_check, 17, error_code);
fault_stub!(machine_check, 18, no_error_code);
fault_stub!(simd_floating_point, 19, no_error_code);

extern "x86-interrupt" fn breakpoint(frame: InterruptStackFrame) {
    BREAKPOINTS.fetch_add(1, Ordering::SeqCst);
    console::emergency(
        format_args!("breakpoint at {:#x}\n", frame.instruction_pointer.as_u64()),
        false,
    );
}

/// The IDT. The CPU reads it on every interrupt, so it must live forever; entries for
/// hardware IRQs are filled in later by `irq` (see [`set_vector`]).
static IDT: RacyCell<InterruptDescriptorTable> = RacyCell::new(InterruptDescriptorTable::new());

fn addr(f: extern "C" fn() -> !) -> VirtAddr {
    VirtAddr::new(f as usize as u64)
}

/// Points an IDT entry at one of the naked stubs above, returning the entry's options.
macro_rules! set_stub {
    ($entry:expr, $stub:ident) => {
        // SAFETY: `$stub` was made by `fault_stub!` for exactly this entry's vector: it
        // expects the frame the CPU pushes for it (with or without an error code, as
        // declared there), saves everything and never returns.
        unsafe { $entry.set_handler_addr(addr($stub)) }
    };
}

fn install_exceptions(idt: &mut InterruptDescriptorTable) {
    idt.breakpoint.set_handler_fn(breakpoint);
    set_stub!(idt.divide_error, divide_error);
    set_stub!(idt.debug, debug);
    let nmi_options = set_stub!(idt.non_maskable_interrupt, nmi);
    // SAFETY: `gdt::init` loaded a TSS whose IST slot NMI_IST_INDEX holds a dedicated
    // stack that nothing else uses.
    unsafe { nmi_options.set_stack_index(gdt::NMI_IST_INDEX) };
    set_stub!(idt.overflow, overflow);
    set_stub!(idt.bound_range_exceeded, bound_range);
    set_stub!(idt.invalid_opcode, invalid_opcode);
    set_stub!(idt.device_not_available, device_not_available);
    let df_options = set_stub!(idt.double_fault, double_fault);
    // SAFETY: `gdt::init` loaded a TSS whose IST slot DOUBLE_FAULT_IST_INDEX holds a
    // dedicated stack, so a kernel stack overflow can still be reported.
    unsafe { df_options.set_stack_index(gdt::DOUBLE_FAULT_IST_INDEX) };
    set_stub!(idt.invalid_tss, invalid_tss);
    set_stub!(idt.segment_not_present, segment_not_present);
    set_stub!(idt.stack_segment_fault, stack_segment);
    set_stub!(idt.general_protection_fault, general_protection);
    set_stub!(idt.page_fault, page_fault);
    set_stub!(idt.x87_floating_point, x87_floating_point);
    set_stub!(idt.alignment_check, alignment_check);
    let mc_options = set_stub!(idt.machine_check, machine_check);
    // SAFETY: as for the NMI: a machine check may interrupt anything, so it gets the
    // NMI's dedicated stack (the two cannot usefully nest: both halt).
    unsafe { mc_options.set_stack_index(gdt::NMI_IST_INDEX) };
    set_stub!(idt.simd_floating_point, simd_floating_point);
}

/// Installs the exception handlers and loads the IDT.
pub fn init() {
    x86_64::instructions::interrupts::without_interrupts(|| {
        // SAFETY: interrupts are off, so the CPU does not read the table while it is
        // written, and nothing else holds a reference to it (`set_vector` also runs with
        // interrupts off, and there is one CPU).
        let idt = unsafe { &mut *IDT.get() };
        install_exceptions(idt);
        // SAFETY: `IDT` is a static, so the table outlives every interrupt.
        unsafe { (*IDT.get()).load_unsafe() };
    });
}

/// Points hardware vector `vector` (32 or above) at `handler`. Interrupts are disabled
/// while the 16-byte entry is written, so the CPU never sees half of it.
pub fn set_vector(vector: u8, handler: extern "x86-interrupt" fn(InterruptStackFrame)) {
    if vector < 32 {
        return;
    }
    x86_64::instructions::interrupts::without_interrupts(|| {
        // SAFETY: interrupts are off, so the CPU does not read the table while it is
        // written, and no other reference to it is live (single CPU, `init` also runs with
        // interrupts off).
        let idt = unsafe { &mut *IDT.get() };
        idt[vector].set_handler_fn(handler);
    });
}
