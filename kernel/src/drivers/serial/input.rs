//! COM1 input: the receive interrupt (IRQ 4) fills an [`IrqRing`]; `input` drains it.
//!
//! Same shape as the keyboard: the handler drains the UART's receive FIFO into the ring
//! and wakes the input task. It reads the two UART registers with plain port I/O instead
//! of going through the output side's lock, so it never touches a lock.
//!
//! Flow control: when the ring is full the handler stops the receive interrupt and
//! leaves the bytes in the UART; the reader turns it back on once there is room. A sender
//! that honours it (like QEMU) then pauses instead of losing data.

use super::{COM1, is_present};
use core::sync::atomic::{AtomicBool, Ordering};
use futures_util::task::AtomicWaker;
use irq_ring::IrqRing;
use x86_64::instructions::port::Port;

/// Received bytes, from the interrupt handler to the input task.
static RING: IrqRing<u8, 1024> = IrqRing::new();
/// Woken when bytes arrive on COM1.
pub static WAKER: AtomicWaker = AtomicWaker::new();
/// Set by the interrupt handler when it stopped receive interrupts because the ring was
/// full; [`pop`] turns them back on once there is room.
static PAUSED: AtomicBool = AtomicBool::new(false);
const IER: u16 = COM1 + 1;
const LSR: u16 = COM1 + 5;
const IER_DATA_READY: u8 = 0x01;

/// Enables the receive interrupt. The handler is registered by the boot sequence with the
/// other interrupt handlers.
pub fn init() {
    if is_present() {
        super::enable_receive_interrupt();
    }
}

/// IRQ 4: drains the receive FIFO into the ring.
pub fn on_interrupt() {
    let mut lsr: Port<u8> = Port::new(LSR);
    let mut data: Port<u8> = Port::new(COM1);
    // At most one FIFO's worth plus slack, so the handler's time is bounded.
    for _ in 0..64 {
        if RING.free() == 0 {
            // Ring full: leave the rest in the UART and stop its receive interrupt
            // until the reader has made room.
            PAUSED.store(true, Ordering::Release);
            // SAFETY: IER is COM1's interrupt-enable register; writing 0 masks its
            // interrupts and has no other effect.
            unsafe { Port::<u8>::new(IER).write(0) };
            break;
        }
        // SAFETY: reading COM1's line status register has no side effect.
        if unsafe { lsr.read() } & 0x01 == 0 {
            break;
        }
        // SAFETY: the line status says a byte is waiting; reading the receive buffer
        // takes it and has no other effect.
        let byte = unsafe { data.read() };
        // Cannot fail: this handler is the only producer and checked for room above.
        let _ = RING.push(byte);
    }
    WAKER.wake();
}

/// Takes the next received byte, if any.
pub fn pop() -> Option<u8> {
    let byte = RING.pop();
    if PAUSED.load(Ordering::Acquire) && RING.len() < RING.capacity() / 2 {
        PAUSED.store(false, Ordering::Release);
        x86_64::instructions::interrupts::without_interrupts(|| {
            // SAFETY: re-enables COM1's receive interrupt, masked by the handler when the
            // ring was full; pending bytes raise it again at once.
            unsafe { Port::<u8>::new(IER).write(IER_DATA_READY) }
        });
    }
    byte
}
