//! A panicking test must be reported as a panic (message and location) and exit QEMU:
//! here the panic is the expected outcome, so the panic handler reports success, but only
//! for the expected panic: one during `kernel::init()`, or with another message, fails.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::support::qemu::{ExitCode, exit};
use kernel::{entry_point, serial_println};

entry_point!(main);

/// Set once the kernel is up, so a panic inside `init` is not mistaken for ours.
static INIT_DONE: AtomicBool = AtomicBool::new(false);
const MESSAGE: &str = "arithmetic still works";

fn main() -> ! {
    kernel::init();
    INIT_DONE.store(true, Ordering::SeqCst);
    assert_eq!(1 + 1, 3, "{}", MESSAGE);
    serial_println!("should_panic::assertion_fails ... FAILED (no panic)");
    exit(ExitCode::Failed)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    serial_println!("panicked: {info}");
    let ours = INIT_DONE.load(Ordering::SeqCst)
        && info
            .location()
            .is_some_and(|l| l.file().ends_with("should_panic.rs"))
        && alloc_free_contains(info, MESSAGE);
    if ours {
        serial_println!("should_panic::assertion_fails ... ok");
        exit(ExitCode::Success)
    }
    serial_println!("should_panic::assertion_fails ... FAILED (unexpected panic)");
    exit(ExitCode::Failed)
}

/// Whether the panic message contains `needle`, checked without allocating (the heap may
/// be what failed).
fn alloc_free_contains(info: &core::panic::PanicInfo, needle: &str) -> bool {
    struct Finder<'a> {
        needle: &'a [u8],
        matched: usize,
        found: bool,
    }
    impl core::fmt::Write for Finder<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            for &b in s.as_bytes() {
                if self.found {
                    break;
                }
                // Restart-on-mismatch search; fine for a needle without repeated prefixes.
                if b == self.needle[self.matched] {
                    self.matched += 1;
                } else {
                    self.matched = usize::from(b == self.needle[0]);
                }
                if self.matched == self.needle.len() {
                    self.found = true;
                }
            }
            Ok(())
        }
    }
    let mut f = Finder {
        needle: needle.as_bytes(),
        matched: 0,
        found: false,
    };
    let _ = core::fmt::write(&mut f, format_args!("{}", info.message()));
    f.found
}
