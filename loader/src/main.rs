//! RustOS's own Limine-protocol UEFI loader.
//!
//! Why it exists: the build machines cannot download real Limine, yet the kernel is a
//! Limine (v8, base revision 2) kernel. This loader boots the very same kernel ELF the way
//! Limine v8 does on UEFI: it reads `limine.conf` from the boot volume, loads the kernel
//! and modules, answers the kernel's requests, builds Limine's page tables and GDT, exits
//! boot services and enters the kernel in Limine's documented machine state.
//!
//! This crate only touches firmware and hardware; every decision that can be made from
//! bytes (config, ELF checks, request scan, memory map, page-table layout) is in
//! `loader-core`, where it is unit-tested on the host.
#![no_std]
#![warn(clippy::undocumented_unsafe_blocks)]
#![no_main]

extern crate alloc;

mod boot;
mod cpu;
mod fs;
mod gop;
mod handoff;
mod mem;
mod serial;

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use uefi::prelude::*;

/// A fatal error: printed on one line, then the machine halts.
#[derive(Debug)]
pub struct Fatal(String);

impl Fatal {
    /// An error with `msg`.
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// Set once ExitBootServices succeeded: from then on only COM1 can be used for output.
static BOOT_SERVICES_EXITED: AtomicBool = AtomicBool::new(false);

/// Prints "RustOS loader: `msg`" on the UEFI console (OVMF mirrors it to the serial port)
/// or, after ExitBootServices, directly on COM1.
pub fn say(msg: &str) {
    if BOOT_SERVICES_EXITED.load(Ordering::SeqCst) {
        let _ = writeln!(serial::Writer, "RustOS loader: {msg}");
    } else {
        uefi::system::with_stdout(|out| {
            let _ = write!(out, "RustOS loader: {msg}\r\n");
        });
    }
}

/// Prints `msg` as an error and halts forever.
pub fn fail(msg: &str) -> ! {
    if BOOT_SERVICES_EXITED.load(Ordering::SeqCst) {
        let _ = writeln!(serial::Writer, "RustOS loader: error: {msg}");
    } else {
        say(&alloc::format!("error: {msg}"));
    }
    cpu::halt()
}

/// Records that boot services are gone (called right after ExitBootServices).
pub fn mark_boot_services_exited() {
    BOOT_SERVICES_EXITED.store(true, Ordering::SeqCst);
}

#[entry]
fn main() -> Status {
    match boot::run() {
        Err(Fatal(msg)) => fail(&msg),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if BOOT_SERVICES_EXITED.load(Ordering::SeqCst) {
        let _ = writeln!(
            serial::Writer,
            "RustOS loader: error: internal panic: {info}"
        );
    } else {
        uefi::system::with_stdout(|out| {
            let _ = write!(out, "RustOS loader: error: internal panic: {info}\r\n");
        });
    }
    cpu::halt()
}
