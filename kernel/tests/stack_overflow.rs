//! A kernel stack overflow must end in the double-fault handler, running on its own IST
//! stack, with a report: not a triple fault (which would reset the machine silently).

#![no_std]
#![no_main]

use kernel::arch::idt::{FaultInfo, set_fault_hook};
use kernel::support::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_println};

entry_point!(main);

fn main() -> ! {
    kernel::init();
    set_fault_hook(check);
    overflow(0);
    serial_println!(
        "stack_overflow::double_fault_on_ist ... FAILED (the stack overflow did not fault)"
    );
    exit(ExitCode::Failed)
}

fn check(info: &FaultInfo) {
    if info.vector == 8 {
        serial_println!("stack_overflow::double_fault_on_ist ... ok");
        exit(ExitCode::Success)
    }
    serial_println!(
        "stack_overflow::double_fault_on_ist ... FAILED (got {})",
        info.name
    );
    exit(ExitCode::Failed)
}

#[allow(unconditional_recursion)]
fn overflow(depth: u64) -> u64 {
    let buf = [depth; 64];
    // Use the buffer so the frame is not optimised away.
    core::hint::black_box(&buf);
    overflow(depth + 1) + buf[0]
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
