//! The kernel's one clock: every reading of time goes through here.
//!
//! Two sources, each for what it does best. The CPU's timestamp counter is the cheapest
//! clock there is (one instruction) and precise enough for boot-time and benchmark
//! figures. Its frequency comes from the CPU itself when CPUID says it (leaf 0x15: the
//! crystal and the TSC's ratio to it; else leaf 0x16: the nominal base frequency, which the
//! TSC runs at on the CPUs that report it), and otherwise from timing a short countdown of
//! the PIT, whose frequency is known (1.193182 MHz), by a 5 ms countdown (every boot waits
//! for it; see [`pit_tsc_hz`] for its accuracy). The tick
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

/// Where the TSC frequency came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TscSource {
    /// CPUID leaf 0x15: crystal frequency times the TSC/crystal ratio (exact).
    CpuidCrystal,
    /// CPUID leaf 0x16: the processor's base frequency in MHz (nominal).
    CpuidBase,
    /// Timed against a PIT countdown.
    Pit,
}

impl TscSource {
    /// How the boot log names it.
    pub fn describe(self) -> &'static str {
        match self {
            TscSource::CpuidCrystal => "from CPUID leaf 0x15",
            TscSource::CpuidBase => "from CPUID leaf 0x16",
            TscSource::Pit => "calibrated against the PIT over the first boot steps",
        }
    }
}

/// Starts finding the TSC frequency: when CPUID does not tell it, PIT channel 2 starts
/// counting down now, and [`finish_calibration`] reads how far it got. The boot does its
/// first work (boot information, console, CPU tables, memory) meanwhile instead of waiting.
pub fn start_calibration() {
    if cpuid_tsc_hz().is_none() {
        let start = pit_start(u16::MAX);
        CALIBRATION_START.store(start, Ordering::Relaxed);
    }
}

/// TSC when [`start_calibration`] started the PIT (0: it did not).
static CALIBRATION_START: AtomicU64 = AtomicU64::new(0);

/// Finds the TSC frequency (CPUID when it tells, else the PIT countdown started by
/// [`start_calibration`], waiting until it has run at least 5 ms) and keeps it for the
/// conversions below. Returns it in Hz with its source.
pub fn finish_calibration() -> (u64, TscSource) {
    let (hz, source) = match cpuid_tsc_hz() {
        Some(found) => found,
        None => (pit_tsc_hz(), TscSource::Pit),
    };
    // A missing PIT or a wildly wrong count: assume 1 GHz rather than divide by zero.
    let hz = if hz < 1_000_000 { 1_000_000_000 } else { hz };
    TSC_HZ.store(hz, Ordering::Relaxed);
    (hz, source)
}

/// The TSC frequency as CPUID reports it, if it does.
fn cpuid_tsc_hz() -> Option<(u64, TscSource)> {
    use core::arch::x86_64::__cpuid;
    let max_leaf = __cpuid(0).eax;
    if max_leaf >= 0x15 {
        // EAX/EBX: the TSC/crystal ratio; ECX: the crystal in Hz (0 when not reported).
        let r = __cpuid(0x15);
        if r.eax != 0 && r.ebx != 0 && r.ecx != 0 {
            let hz = u64::from(r.ecx) * u64::from(r.ebx) / u64::from(r.eax);
            return Some((hz, TscSource::CpuidCrystal));
        }
    }
    if max_leaf >= 0x16 {
        // EAX bits 15..0: base frequency in MHz (0 when not reported).
        let mhz = __cpuid(0x16).eax & 0xffff;
        if mhz != 0 {
            return Some((u64::from(mhz) * 1_000_000, TscSource::CpuidBase));
        }
    }
    None
}

/// Measures the TSC frequency against PIT channel 2, whose countdown [`start_calibration`]
/// started: reads how many PIT periods have passed (at least 5 ms' worth, waiting for the
/// rest if the boot's work took less) and the TSC ticks since. Returns it in Hz.
///
/// The window trades boot time against accuracy; it overlaps the boot's first work, so it
/// costs nothing unless that work takes less than 5 ms. Measured under QEMU's software
/// emulation (5 boots each; the host's TSC runs at 2300 MHz) when this was a separate 5 ms
/// countdown polled to its end: 2315-2318 MHz (one boot 2338), about 0.7% high, from the
/// ~35 us that starting a countdown and seeing it end cost; a 10 ms one read 2304-2308.
/// Shorter windows were worse (the emulated PIT's port now and then waits for the
/// emulator's lock). Figures that use the TSC are ratios or far noisier than 1%; many
/// Intel CPUs answer through CPUID instead.
fn pit_tsc_hz() -> u64 {
    const MIN_PERIODS: u64 = PIT_HZ / 200;
    let mut start = CALIBRATION_START.load(Ordering::Relaxed);
    if start == 0 {
        start = pit_start(u16::MAX);
    }
    // The count is read with a latch command, so each reading is one consistent value;
    // past ~55 ms it would wrap (OUT goes high at zero): then start again, once. A PIT
    // that never counts (some machines have none) gives up after about 2^30 TSC ticks
    // (0.25-1 s): 0 means "unknown" to the caller.
    const GIVE_UP_TICKS: u64 = 1 << 30;
    let mut restarted = false;
    loop {
        let (left, wrapped, now) = pit_read();
        let periods = u64::from(u16::MAX - left);
        if wrapped && !restarted {
            start = pit_start(u16::MAX);
            restarted = true;
        } else if periods >= MIN_PERIODS {
            let ticks = now.saturating_sub(start);
            return (ticks as u128 * PIT_HZ as u128 / u128::from(periods)) as u64;
        } else if now.saturating_sub(start) > GIVE_UP_TICKS {
            return 0;
        }
    }
}

/// Starts PIT channel 2 counting down from `count` (mode 0: once, OUT high at zero; the
/// speaker channel, gated via port 0x61, so the timer interrupt on channel 0 is untouched).
/// Returns the TSC at the start.
fn pit_start(count: u16) -> u64 {
    let mut p61: Port<u8> = Port::new(0x61);
    let mut cmd: Port<u8> = Port::new(0x43);
    let mut ch2: Port<u8> = Port::new(0x42);
    // SAFETY: ports 0x42/0x43/0x61 are the PIT and the system control port on every PC;
    // channel 2 only drives the speaker, which we keep disconnected (bit 1 clear).
    unsafe {
        let v = p61.read();
        p61.write(v & !0x03); // speaker off, gate off
        cmd.write(0b1011_0000); // channel 2, lo/hi byte, mode 0 (count down once)
        ch2.write(count as u8);
        ch2.write((count >> 8) as u8);
        p61.write((v & !0x02) | 0x01); // gate on: the count starts
    }
    rdtsc()
}

/// Channel 2's current count (latched), whether it reached zero, and the TSC then.
fn pit_read() -> (u16, bool, u64) {
    let mut p61: Port<u8> = Port::new(0x61);
    let mut cmd: Port<u8> = Port::new(0x43);
    let mut ch2: Port<u8> = Port::new(0x42);
    // SAFETY: as in `pit_start`; latching and reading channel 2 changes nothing else.
    unsafe {
        cmd.write(0b1000_0000); // latch channel 2's count
        let now = rdtsc();
        let lo = ch2.read();
        let hi = ch2.read();
        let wrapped = p61.read() & 0x20 != 0;
        (u16::from(lo) | u16::from(hi) << 8, wrapped, now)
    }
}

/// TSC ticks per second (at least 1).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed).max(1)
}

/// Microseconds between two TSC readings (0 before the frequency is known).
pub fn tsc_to_us(ticks: u64) -> u64 {
    match TSC_HZ.load(Ordering::Relaxed) {
        0 => 0,
        hz => (ticks as u128 * 1_000_000 / hz as u128) as u64,
    }
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
