//! COM1 serial port (16550 UART, through the `uart_16550` crate).
//!
//! Serial is the kernel's most robust output: it works before the framebuffer console,
//! without a framebuffer at all, and it is what the test runner reads. Normal output takes
//! the [`SERIAL`] lock with interrupts disabled; the panic and fault paths use
//! [`emergency_write`], which never takes a lock.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

const COM1: u16 = 0x3f8;

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

/// Writes to COM1 under its lock. Callers must have interrupts disabled (the console's
/// print path does) so that an interrupt handler can never find the lock held.
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

/// Reads one received byte, if any (polling; the shell's serial input uses this).
pub fn try_read() -> Option<u8> {
    SERIAL.lock().as_mut()?.try_receive_byte().ok()
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
    x86_64::instructions::interrupts::without_interrupts(|| {
        let _ = fmt::Write::write_fmt(&mut W, args);
    });
}

// --- Input: COM1 receive interrupt (IRQ 4) -------------------------------------------------
//
// Same shape as the keyboard: the handler drains the UART's receive FIFO into a lock-free
// ring and wakes the input task. It reads the two UART registers with plain port I/O
// instead of going through [`SERIAL`], so it never touches a lock.

use crate::sync::RacyCell;
use core::sync::atomic::AtomicU64;
use futures_util::task::AtomicWaker;
use heapless::spsc::{Consumer, Producer, Queue};
use x86_64::instructions::port::Port;
use x86_64::structures::idt::InterruptStackFrame;

const RX_RING: usize = 1024;
static RX_QUEUE: RacyCell<Queue<u8, RX_RING>> = RacyCell::new(Queue::new());
static RX_PRODUCER: RacyCell<Option<Producer<'static, u8>>> = RacyCell::new(None);
static RX_CONSUMER: Mutex<Option<Consumer<'static, u8>>> = Mutex::new(None);

/// Woken when bytes arrive on COM1.
pub static RX_WAKER: AtomicWaker = AtomicWaker::new();
/// Received bytes dropped because the ring was full.
pub static RX_DROPPED: AtomicU64 = AtomicU64::new(0);
/// Set by the interrupt handler when it stopped receive interrupts because the ring was
/// full; the reader turns them back on once there is room (flow control: the bytes wait in
/// the UART, and a sender that honours it, like QEMU, pauses instead of losing data).
static RX_PAUSED: AtomicBool = AtomicBool::new(false);
const IER_PORT: u16 = COM1 + 1;
const IER_DATA_READY: u8 = 0x01;

/// Enables the receive interrupt and registers its handler.
pub fn init_input() {
    if !is_present() {
        return;
    }
    // SAFETY: once, with interrupts disabled, before IRQ 4 is unmasked.
    unsafe {
        let q: &'static mut Queue<u8, RX_RING> = &mut *RX_QUEUE.get();
        let (p, c) = q.split();
        *RX_PRODUCER.get() = Some(p);
        *RX_CONSUMER.lock() = Some(c);
    }
    if let Some(uart) = SERIAL.lock().as_mut() {
        uart.enable_interrupts(uart_16550::spec::registers::IER::DATA_READY);
    }
    crate::arch::idt::set_irq_handler(crate::arch::pic::IRQ_COM1, com1_interrupt);
}

extern "x86-interrupt" fn com1_interrupt(_frame: InterruptStackFrame) {
    let mut lsr: Port<u8> = Port::new(COM1 + 5);
    let mut data: Port<u8> = Port::new(COM1);
    // SAFETY: reading LSR and the receive buffer of COM1 only consumes received bytes;
    // the bounded loop drains at most one FIFO's worth plus slack.
    let producer = unsafe { (*RX_PRODUCER.get()).as_mut() };
    if let Some(p) = producer {
        for _ in 0..64 {
            if !p.ready() {
                // Ring full: leave the rest in the UART and stop its receive interrupt
                // until the reader has made room (see `pop_input`).
                RX_PAUSED.store(true, Ordering::Release);
                // SAFETY: IER is COM1's interrupt-enable register; 0 masks all its IRQs.
                unsafe { Port::<u8>::new(IER_PORT).write(0) };
                break;
            }
            // SAFETY: see above.
            if unsafe { lsr.read() } & 0x01 == 0 {
                break;
            }
            // SAFETY: see above.
            let b = unsafe { data.read() };
            if p.enqueue(b).is_err() {
                RX_DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        RX_WAKER.wake();
    }
    crate::arch::pic::end_of_interrupt(crate::arch::pic::IRQ_COM1);
}

/// Takes the next received byte, if any.
pub fn pop_input() -> Option<u8> {
    let mut guard = RX_CONSUMER.lock();
    let consumer = guard.as_mut()?;
    let byte = consumer.dequeue();
    if RX_PAUSED.load(Ordering::Acquire) && consumer.len() < RX_RING / 2 {
        RX_PAUSED.store(false, Ordering::Release);
        // SAFETY: re-enables COM1's receive interrupt (masked by the handler when the ring
        // was full); pending bytes raise it again at once.
        x86_64::instructions::interrupts::without_interrupts(|| unsafe {
            Port::<u8>::new(IER_PORT).write(IER_DATA_READY)
        });
    }
    byte
}
