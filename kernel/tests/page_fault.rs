//! Page faults: the report names the faulting address (CR2) and decodes the error code;
//! executing from the heap faults because heap pages are mapped no-execute.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use kernel::arch::idt::{FaultInfo, set_fault_hook};
use kernel::support::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_println};

entry_point!(main);

const BAD_ADDRESS: u64 = 0xdead_b000;

static mut PHASE: u8 = 0;
static mut HEAP_CODE: u64 = 0;

fn main() -> ! {
    kernel::init();
    set_fault_hook(check);
    // SAFETY: deliberately reads an unmapped address to provoke a page fault; the fault
    // hook ends the test, so execution never continues past this read.
    unsafe { core::ptr::read_volatile(BAD_ADDRESS as *const u64) };
    serial_println!("FAILED (no fault)");
    exit(ExitCode::Failed)
}

fn phase_two() -> ! {
    let code = Box::new([0xc3u8; 16]); // `ret`
    let addr = Box::into_raw(code) as u64;
    // SAFETY: single-threaded test kernel; the hook reads these after the fault.
    unsafe {
        PHASE = 1;
        HEAP_CODE = addr;
    }
    // SAFETY: deliberately jumps to heap memory, which must fault (NX); the fault hook
    // ends the test before the "function" could run.
    let f: extern "C" fn() = unsafe { core::mem::transmute(addr as *const u8) };
    f();
    serial_println!("FAILED (heap memory was executable)");
    exit(ExitCode::Failed)
}

fn check(info: &FaultInfo) {
    // SAFETY: single-threaded; written before the fault was provoked.
    let (phase, heap_code) = unsafe { (PHASE, HEAP_CODE) };
    let ok = match phase {
        0 => info.vector == 14 && info.cr2 == Some(BAD_ADDRESS) && info.error_code & 1 == 0,
        _ => info.vector == 14 && info.cr2 == Some(heap_code) && info.error_code & 0x10 != 0,
    };
    if !ok {
        serial_println!(
            "FAILED ({} cr2={:x?} error={:#x})",
            info.name,
            info.cr2,
            info.error_code
        );
        exit(ExitCode::Failed);
    }
    let name = [
        "page_fault::reports_address",
        "page_fault::heap_is_no_execute",
    ][phase.min(1) as usize];
    serial_println!("{name} ... ok");
    if phase == 0 {
        // Leave the fault handler for good: continue on a clean path. The handler's
        // stack frame is abandoned, which is fine for a test kernel.
        x86_64::instructions::interrupts::enable();
        phase_two();
    }
    exit(ExitCode::Success)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
