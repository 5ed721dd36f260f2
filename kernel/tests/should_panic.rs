//! A panicking test must be reported as a panic (message and location) and exit QEMU:
//! here the panic is the expected outcome, so the panic handler reports success.

#![no_std]
#![no_main]

use kernel::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_println};

entry_point!(main);

fn main() -> ! {
    kernel::init();
    assert_eq!(1 + 1, 3, "arithmetic still works");
    serial_println!("should_panic::assertion_fails ... FAILED (no panic)");
    exit(ExitCode::Failed)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    serial_println!("panicked as expected: {info}");
    serial_println!("should_panic::assertion_fails ... ok");
    exit(ExitCode::Success)
}
