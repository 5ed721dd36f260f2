//! The CMOS real-time clock, for `date` and the wall clock (`arch::clock::realtime_ns`).
//!
//! The RTC may be mid-update when read, so we read until two consecutive reads agree
//! (bounded), and convert from BCD and 12-hour mode when the status register says so.

use x86_64::instructions::port::Port;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DateTime {
    /// Seconds since 1970-01-01 00:00:00 (taking the RTC's time as UTC); 0 for a date
    /// before 1970 or fields out of range.
    pub fn unix_seconds(&self) -> u64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 {
            return 0;
        }
        // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian calendar.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let secs = days * 86_400
            + i64::from(self.hour.min(23)) * 3600
            + i64::from(self.minute.min(59)) * 60
            + i64::from(self.second.min(59));
        u64::try_from(secs).unwrap_or(0)
    }
}

fn read_reg(reg: u8) -> u8 {
    let mut index: Port<u8> = Port::new(0x70);
    let mut data: Port<u8> = Port::new(0x71);
    // SAFETY: 0x70/0x71 are the CMOS index/data ports; bit 7 of the index keeps NMIs
    // enabled as the firmware left them (we write 0 there).
    unsafe {
        index.write(reg & 0x7f);
        data.read()
    }
}

fn updating() -> bool {
    read_reg(0x0a) & 0x80 != 0
}

fn raw() -> [u8; 7] {
    for _ in 0..10_000 {
        if !updating() {
            break;
        }
    }
    [
        read_reg(0x00),
        read_reg(0x02),
        read_reg(0x04),
        read_reg(0x07),
        read_reg(0x08),
        read_reg(0x09),
        read_reg(0x32),
    ]
}

fn bcd(v: u8) -> u8 {
    (v & 0x0f) + (v >> 4) * 10
}

/// The current date and time as the RTC keeps it (usually UTC on PCs set up by Linux,
/// local time when Windows set it).
pub fn now() -> DateTime {
    let mut a = raw();
    for _ in 0..5 {
        let b = raw();
        if a == b {
            break;
        }
        a = b;
    }
    let [mut s, mut m, mut h, mut d, mut mo, mut y, mut c] = a;
    let status_b = read_reg(0x0b);
    let pm = h & 0x80 != 0;
    h &= 0x7f;
    if status_b & 0x04 == 0 {
        s = bcd(s);
        m = bcd(m);
        h = bcd(h);
        d = bcd(d);
        mo = bcd(mo);
        y = bcd(y);
        c = bcd(c);
    }
    if status_b & 0x02 == 0 && pm {
        h = (h % 12) + 12;
    } else if status_b & 0x02 == 0 && h == 12 {
        h = 0;
    }
    let century = if (19..=30).contains(&c) { c as u16 } else { 20 };
    DateTime {
        year: century * 100 + y as u16,
        month: mo,
        day: d,
        hour: h,
        minute: m,
        second: s,
    }
}
