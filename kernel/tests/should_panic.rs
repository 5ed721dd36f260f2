//! A panicking test must be reported as a panic (message and location) and exit QEMU:
//! here the panic is the expected outcome, so the panic handler reports success.

#![no_std]
#![no_main]

use kernel::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_print, serial_println};

entry_point!(main);

fn main() -> ! {
    kernel::init();
    serial_print!("should_panic::assertion_fails ... ");
    assert_eq!(1 + 1, 3, "arithmetic still works");
    serial_println!("FAILED (no panic)");
    exit(ExitCode::Failed)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let msg = info.message().as_str().unwrap_or("");
    let _ = msg;
    serial_println!("ok (panicked: {})", info);
    exit(ExitCode::Success)
}
