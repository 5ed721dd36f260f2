//! Time from the CPU's timestamp counter, calibrated once against the PIT.
//!
//! The TSC is the cheapest clock there is (one instruction) and good enough for boot-time
//! and benchmark figures; the PIT has a known frequency (1.193182 MHz), so timing a
//! 10 ms PIT countdown tells us the TSC frequency.

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
const PIT_HZ: u64 = 1_193_182;

pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Measures the TSC frequency with PIT channel 2 (the speaker channel, gate via port
/// 0x61, so the timer interrupt on channel 0 is untouched). Returns it in Hz.
pub fn init() -> u64 {
    const MS: u64 = 10;
    let count = (PIT_HZ * MS / 1000) as u16;
    let mut p61: Port<u8> = Port::new(0x61);
    let mut cmd: Port<u8> = Port::new(0x43);
    let mut ch2: Port<u8> = Port::new(0x42);
    // SAFETY: ports 0x42/0x43/0x61 are the PIT and the system control port on every PC;
    // channel 2 only drives the speaker, which we keep disconnected (bit 1 clear).
    let hz = unsafe {
        let v = p61.read();
        p61.write((v & !0x02) | 0x01); // speaker off, gate on
        cmd.write(0b1011_0000); // channel 2, lo/hi byte, mode 0 (count down once)
        ch2.write(count as u8);
        ch2.write((count >> 8) as u8);
        let v = p61.read() & !0x01;
        p61.write(v); // restart the count
        p61.write(v | 0x01);
        let start = rdtsc();
        let mut spins = 0u64;
        while p61.read() & 0x20 == 0 && spins < 50_000_000 {
            spins += 1;
        }
        let end = rdtsc();
        (end - start) * (1000 / MS)
    };
    // A missing PIT or a wildly wrong count: assume 1 GHz rather than divide by zero.
    let hz = if hz < 1_000_000 { 1_000_000_000 } else { hz };
    TSC_HZ.store(hz, Ordering::Relaxed);
    hz
}

pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed).max(1)
}

/// Microseconds between two TSC readings.
pub fn tsc_to_us(ticks: u64) -> u64 {
    (ticks as u128 * 1_000_000 / tsc_hz() as u128) as u64
}

/// Microseconds since kernel entry.
pub fn since_entry_us() -> u64 {
    tsc_to_us(rdtsc().saturating_sub(crate::entry::ENTRY_TSC.load(Ordering::Relaxed)))
}
