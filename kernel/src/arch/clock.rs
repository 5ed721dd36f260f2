//! The kernel's one clock: every reading of time goes through here.
//!
//! Two sources, each for what it does best. The CPU's timestamp counter is the cheapest
//! clock there is (one instruction) and precise enough for boot-time and benchmark
//! figures; it is calibrated once against the PIT, whose frequency is known
//! (1.193182 MHz): timing a 10 ms PIT countdown tells us the TSC frequency. The tick
//! counter, advanced by the PIT interrupt ([`tick`]), is what sleeps and timeouts wait on,
//! because the executor wakes on every tick anyway.

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// Input frequency of the PIT, in Hz.
pub const PIT_HZ: u64 = 1_193_182;
/// Timer ticks per second (the PIT interrupt's rate).
pub const TICK_HZ: u64 = 1000;
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Advances the tick count; called by the timer interrupt only.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer ticks since the timer started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since the timer started.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / TICK_HZ
}

/// The timestamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Measures the TSC frequency with PIT channel 2 (the speaker channel, gate via port
/// 0x61, so the timer interrupt on channel 0 is untouched). Returns it in Hz.
pub fn calibrate() -> u64 {
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

/// TSC ticks per second (at least 1).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed).max(1)
}

/// Microseconds between two TSC readings.
pub fn tsc_to_us(ticks: u64) -> u64 {
    (ticks as u128 * 1_000_000 / tsc_hz() as u128) as u64
}

/// Nanoseconds since kernel entry (monotonic).
pub fn monotonic_ns() -> u64 {
    let ticks = rdtsc().saturating_sub(crate::boot::entry::ENTRY_TSC.load(Ordering::Relaxed));
    (ticks as u128 * 1_000_000_000 / tsc_hz() as u128) as u64
}

/// Wall-clock time at kernel entry, in nanoseconds since 1970 (0 until set).
static EPOCH_AT_ENTRY_NS: AtomicU64 = AtomicU64::new(0);

/// Sets the wall clock from a reading taken now (seconds since 1970, e.g. from the RTC).
pub fn set_realtime(unix_seconds: u64) {
    let now = unix_seconds.saturating_mul(1_000_000_000);
    EPOCH_AT_ENTRY_NS.store(now.saturating_sub(monotonic_ns()), Ordering::Relaxed);
}

/// Nanoseconds since 1970-01-01 00:00:00 UTC (file times, programs' real-time clock).
pub fn realtime_ns() -> u64 {
    EPOCH_AT_ENTRY_NS
        .load(Ordering::Relaxed)
        .saturating_add(monotonic_ns())
}

/// Microseconds since kernel entry.
pub fn since_entry_us() -> u64 {
    tsc_to_us(rdtsc().saturating_sub(crate::boot::entry::ENTRY_TSC.load(Ordering::Relaxed)))
}
