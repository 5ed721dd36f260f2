//! Polled COM1 output for after ExitBootServices.
//!
//! Why: once boot services are gone, ConOut (which OVMF mirrors to the serial port) is
//! unusable, but a late failure must still leave a message. The firmware already set the
//! UART up (115200 8N1 under OVMF), so we only wait for the transmitter and write.

use crate::cpu::{inb, outb};

const COM1: u16 = 0x3f8;

fn put(b: u8) {
    // Bounded wait: on a machine without a UART the status port reads 0xff; never hang.
    for _ in 0..100_000 {
        // SAFETY: reading the UART line status register has no side effect.
        if unsafe { inb(COM1 + 5) } & 0x20 != 0 {
            break;
        }
    }
    // SAFETY: writing the UART data register only sends a byte.
    unsafe { outb(COM1, b) };
}

/// Writes `s`, turning `\n` into CRLF.
pub fn write(s: &str) {
    for b in s.bytes() {
        if b == b'\n' {
            put(b'\r');
        }
        put(b);
    }
}

/// `core::fmt` adapter for [`write`].
pub struct Writer;

impl core::fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write(s);
        Ok(())
    }
}
