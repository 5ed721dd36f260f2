//! The programmable interval timer, channel 0, as the kernel's tick.
//!
//! The interrupt handler only advances [`clock`]'s tick count: timers are checked by the
//! executor after each interrupt (the `hlt` in its idle loop returns on every tick), which
//! keeps the handler free of locks and allocation.

use crate::arch::clock;
use x86_64::instructions::port::Port;

/// Programs channel 0 as a rate generator at [`clock::TICK_HZ`].
pub fn init() {
    let divisor = (clock::PIT_HZ / clock::TICK_HZ) as u16;
    // SAFETY: ports 0x40/0x43 are PIT channel 0 and its command port; nothing else
    // programs channel 0 (the TSC calibration uses channel 2).
    unsafe {
        Port::<u8>::new(0x43).write(0b0011_0100); // channel 0, lo/hi, mode 2, binary
        Port::<u8>::new(0x40).write(divisor as u8);
        Port::<u8>::new(0x40).write((divisor >> 8) as u8);
    }
}

/// IRQ 0: one tick.
pub fn on_interrupt() {
    clock::tick();
}
