//! The programmable interval timer, channel 0, as the kernel's tick.
//!
//! The interrupt handler only advances [`clock`]'s tick count: timers are checked by the
//! executor after each interrupt (the `hlt` in its idle loop returns on every tick), which
//! keeps the handler free of locks and allocation.
//!
//! Every [`TLB_REFRESH_TICKS`] ticks the handler also reloads CR3 (same page tables), which
//! empties the TLB. The kernel has one address space and would otherwise never do that, and
//! QEMU's software TLB (TCG) adapts its size only when the guest flushes: it would stay at
//! its small initial size, and any working set above about a megabyte would miss on
//! most pages (`make bench`: console scrolling and full-screen copies ran ~1.5x faster
//! with this refresh; BENCHMARKS.md). On hardware it costs the TLB refills that follow
//! (a few microseconds every 100 ms).

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

/// How often (in ticks) the timer empties the TLB: see the module docs.
const TLB_REFRESH_TICKS: u64 = 100;

/// IRQ 0: one tick.
pub fn on_interrupt() {
    clock::tick();
    if clock::ticks().is_multiple_of(TLB_REFRESH_TICKS) {
        // Reloads CR3 with its own value: the mappings do not change, so this is sound
        // whatever the interrupted code was doing.
        x86_64::instructions::tlb::flush_all();
    }
}
