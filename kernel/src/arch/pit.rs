//! The programmable interval timer, channel 0, as the kernel's tick (1 kHz).
//!
//! The interrupt handler only counts: timers are checked by the executor after each
//! interrupt (the `hlt` in its idle loop returns on every tick), which keeps the handler
//! free of locks and allocation.

use crate::arch::pic;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;
use x86_64::structures::idt::InterruptStackFrame;

/// Ticks per second.
pub const HZ: u64 = 1000;
const PIT_HZ: u64 = 1_193_182;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Programs channel 0 as a rate generator at [`HZ`] and registers the IRQ 0 handler.
pub fn init() {
    let divisor = (PIT_HZ / HZ) as u16;
    // SAFETY: ports 0x40/0x43 are PIT channel 0 and its command port; nothing else
    // programs channel 0.
    unsafe {
        Port::<u8>::new(0x43).write(0b0011_0100); // channel 0, lo/hi, mode 2, binary
        Port::<u8>::new(0x40).write(divisor as u8);
        Port::<u8>::new(0x40).write((divisor >> 8) as u8);
    }
    crate::arch::idt::set_irq_handler(pic::IRQ_TIMER, timer_interrupt);
}

extern "x86-interrupt" fn timer_interrupt(_frame: InterruptStackFrame) {
    TICKS.fetch_add(1, Ordering::Relaxed);
    pic::end_of_interrupt(pic::IRQ_TIMER);
}

/// Ticks (milliseconds) since the timer started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since the timer started.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / HZ
}
