//! The in-kernel test framework (`#[test_case]`), for bootable test kernels.
//!
//! `cargo test` cannot run kernel code on the host, so each test binary is itself a
//! kernel: the runner boots it in QEMU, it prints `name ... ok` per test on serial and
//! leaves QEMU through `isa-debug-exit` with a success or failure code.

use crate::serial_println;
use crate::support::qemu::{ExitCode, exit};

/// A test function that reports its own name.
pub trait Testable {
    fn run(&self);
}

/// The test being run, for the failure report (test kernels are single-threaded).
static CURRENT: spin::Mutex<&'static str> = spin::Mutex::new("");

impl<T: Fn()> Testable for T {
    fn run(&self) {
        let name = core::any::type_name::<T>();
        *CURRENT.lock() = name;
        self();
        // One line per test, printed after it ran, so that output from the test itself
        // (e.g. a breakpoint report) never splits it.
        serial_println!("{name} ... ok");
    }
}

/// The `#![test_runner]` of the kernel crates.
pub fn run_tests(tests: &[&dyn Testable]) {
    serial_println!("running {} tests", tests.len());
    for t in tests {
        t.run();
    }
    serial_println!("test result: ok. {} passed; 0 failed", tests.len());
}

/// Panic handler for test kernels: the test that was running failed.
pub fn panic_handler(info: &core::panic::PanicInfo) -> ! {
    let name = CURRENT.try_lock().map(|n| *n).unwrap_or("?");
    serial_println!("{name} ... FAILED\nerror: {info}");
    exit(ExitCode::Failed)
}
