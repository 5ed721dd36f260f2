//! The RustOS kernel binary: boot, then run the shell on the async executor.

#![no_std]
#![no_main]

use kernel::task::executor::{self, Executor};
use kernel::{entry_point, log, println};

entry_point!(main);

fn main() -> ! {
    kernel::init();
    let us = kernel::arch::clock::since_entry_us();
    log!("{}", kernel::support::bench::boot_phases());
    log!(
        "RustOS ready ({}.{:03} ms after kernel entry)",
        us / 1000,
        us % 1000
    );
    println!("Type 'help' for the list of commands.");
    executor::spawn(kernel::shell::main_task());
    Executor::new().run()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::panic(info)
}
