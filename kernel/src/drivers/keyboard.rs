//! PS/2 keyboard: IRQ 1 → key filter → [`IrqRing`] → waker; decoding happens in `input`.
//!
//! The interrupt handler does the minimum: read port 0x60, group the byte into a whole
//! key event with `keys::Ps2Filter` (which keeps releases, modifiers and Ctrl
//! combinations even when a flood of keys fills the ring, so no modifier can stick), push
//! it into the ring and wake the input task. It never allocates, takes no lock that
//! normal code can hold, and never panics. Decoding (set 1 → keys, with the layout chosen
//! at run time) is `keys::Decoder`'s job, in task context.

use crate::arch::clock;
use core::sync::atomic::{AtomicU64, Ordering};
use futures_util::task::AtomicWaker;
use irq_ring::IrqRing;
use keys::{Ps2Code, Ps2Filter};
use spin::Mutex;
use x86_64::instructions::port::Port;

/// Whole key events from the interrupt handler to the input task.
pub static RING: IrqRing<Ps2Code, 256> = IrqRing::new();
/// Woken when a key event arrives.
pub static WAKER: AtomicWaker = AtomicWaker::new();
/// TSC at the last keyboard interrupt (for the keystroke-latency benchmark).
pub static LAST_IRQ_TSC: AtomicU64 = AtomicU64::new(0);
/// The filter's state. Only the interrupt handler takes this lock (with `try_lock`), so
/// it is never contended and never waited for.
static FILTER: Mutex<Ps2Filter> = Mutex::new(Ps2Filter::new());

const DATA: u16 = 0x60;
const STATUS_CMD: u16 = 0x64;

/// Waits (bounded) until the controller accepts a command byte.
fn wait_input_empty() {
    let mut status: Port<u8> = Port::new(STATUS_CMD);
    for _ in 0..100_000 {
        // SAFETY: reading the i8042 status port has no side effects.
        if unsafe { status.read() } & 0x02 == 0 {
            return;
        }
    }
}

/// Enables the keyboard interrupt and scancode translation in the i8042 controller (some
/// firmware leaves them off) and empties its output buffer. The handler is registered by
/// the boot sequence with the other interrupt handlers.
pub fn init() {
    let mut data: Port<u8> = Port::new(DATA);
    let mut cmd: Port<u8> = Port::new(STATUS_CMD);
    // SAFETY: standard i8042 ports and commands (0x20 read / 0x60 write the configuration
    // byte). Every wait is bounded, so a missing controller cannot hang the boot.
    unsafe {
        for _ in 0..32 {
            if cmd.read() & 0x01 == 0 {
                break;
            }
            data.read();
        }
        wait_input_empty();
        cmd.write(0x20);
        let mut config = None;
        for _ in 0..100_000 {
            if cmd.read() & 0x01 != 0 {
                config = Some(data.read());
                break;
            }
        }
        if let Some(c) = config {
            wait_input_empty();
            cmd.write(0x60);
            wait_input_empty();
            data.write((c | 0x01 | 0x40) & !0x10); // IRQ 1 on, translation on, clock on
        }
    }
}

/// IRQ 1: one byte from the keyboard.
pub fn on_interrupt() {
    // SAFETY: reading port 0x60 takes the byte the i8042 has for us; it has no other
    // effect, and only this handler reads the port once the boot is over.
    let byte: u8 = unsafe { Port::new(DATA).read() };
    LAST_IRQ_TSC.store(clock::rdtsc(), Ordering::Relaxed);
    let Some(mut filter) = FILTER.try_lock() else {
        return; // cannot happen (handlers do not nest), and must not wait if it did
    };
    let mut queued = false;
    filter.feed(byte, |code, urgency| {
        let ok = RING
            .push_keeping(code, urgency.reserve(RING.capacity()))
            .is_ok();
        queued |= ok;
        ok
    });
    if queued {
        WAKER.wake();
    }
}
