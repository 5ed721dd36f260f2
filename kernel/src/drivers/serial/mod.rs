//! COM1 serial port (16550 UART, through the `uart_16550` crate).
//!
//! Serial is the kernel's most robust output: it works before the framebuffer console,
//! without a framebuffer at all, and it is what the test runner reads. Normal output takes
//! the [`SERIAL`] lock (from task context only); the panic and fault paths use
//! [`emergency_write`], which never takes a lock.
//!
//! This module is output only (what the fault path needs, with no dependency on
//! interrupts); [`input`] is the receive side.

pub mod input;

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

/// COM1's first I/O port.
pub const COM1: u16 = 0x3f8;

/// Set once the UART answered its presence check; machines without COM1 simply skip serial.
static PRESENT: AtomicBool = AtomicBool::new(false);

static SERIAL: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

fn new_uart() -> Uart16550<PioBackend> {
    // SAFETY: 0x3f8..0x3ff are COM1's standard I/O ports on every PC; nothing else in the
    // kernel uses them, and an absent UART only reads back 0xff.
    match unsafe { Uart16550::new_port(COM1) } {
        Ok(u) => u,
        Err(_) => unreachable!("0x3f8 + 7 cannot overflow a port number"),
    }
}

/// Programs COM1 (115200 8N1, FIFOs on). Safe to call more than once.
pub fn init() {
    let mut uart = new_uart();
    if uart.init(Config::default()).is_ok() {
        PRESENT.store(true, Ordering::SeqCst);
        *SERIAL.lock() = Some(uart);
    }
}

/// Whether COM1 answered at boot.
pub fn is_present() -> bool {
    PRESENT.load(Ordering::Relaxed)
}

/// Writes bytes, turning `\n` into `\r\n` for terminals.
fn write_translated(uart: &mut Uart16550<PioBackend>, bytes: &[u8]) {
    for chunk in bytes.split_inclusive(|&b| b == b'\n') {
        if let Some((b'\n', head)) = chunk.split_last() {
            uart.send_bytes_exact(head);
            uart.send_bytes_exact(b"\r\n");
        } else {
            uart.send_bytes_exact(chunk);
        }
    }
}

/// Writes to COM1 under its lock, from task context (no interrupt handler takes it, so
/// interrupts stay enabled while a long text goes out).
pub fn write_bytes(bytes: &[u8]) {
    if let Some(uart) = SERIAL.lock().as_mut() {
        write_translated(uart, bytes);
    }
}

/// Lock-free output for panics and CPU faults: drives the UART through a fresh handle, so
/// it works even if the faulting code held [`SERIAL`]. Bytes may interleave with an
/// interrupted write; that is the price of never waiting.
pub fn emergency_write(bytes: &[u8]) {
    if is_present() {
        write_translated(&mut new_uart(), bytes);
    }
}

/// `fmt::Write` over [`emergency_write`].
pub struct EmergencyWriter;

impl fmt::Write for EmergencyWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        emergency_write(s.as_bytes());
        Ok(())
    }
}

/// Prints to the serial port only (used by the test framework, whose output the runner
/// parses, and for log lines that should not clutter the screen).
#[macro_export]
macro_rules! serial_print {
    ($($arg:tt)*) => { $crate::drivers::serial::_print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! serial_println {
    () => { $crate::serial_print!("\n") };
    ($($arg:tt)*) => { $crate::serial_print!("{}\n", format_args!($($arg)*)) };
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    struct W;
    impl fmt::Write for W {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            write_bytes(s.as_bytes());
            Ok(())
        }
    }
    let _ = fmt::Write::write_fmt(&mut W, args);
}

/// Turns on the UART's receive interrupt (for [`input`]).
fn enable_receive_interrupt() {
    x86_64::instructions::interrupts::without_interrupts(|| {
        if let Some(uart) = SERIAL.lock().as_mut() {
            uart.enable_interrupts(uart_16550::spec::registers::IER::DATA_READY);
        }
    });
}
