//! The hardware-free half of RustOS's USB stack.
//!
//! Why a separate crate: everything a USB device sends us is untrusted input (descriptors,
//! hub status words, keyboard reports), and everything we send it is a handful of fixed
//! 8-byte requests. Both are pure functions of bytes, so they live here, where host unit
//! tests (including random garbage) can check them, and the kernel's xHCI driver only moves
//! bytes between these functions and the controller.
//!
//! - [`descriptor`]: device, configuration (interfaces, endpoints, HID), hub and string
//!   descriptors, parsed defensively: every length is checked, nothing panics.
//! - [`request`]: the setup packets of the standard, hub-class and HID-class requests.
//! - [`hub`]: USB 2.0 hub port status and change bits, the status-change bitmap.
//! - [`route`]: port paths (`3.1.2`) and the xHCI route strings derived from them.
//! - [`hid`]: boot-protocol keyboard reports to `pc_keyboard::KeyEvent`s, the usage map,
//!   and software auto-repeat. The kernel feeds these events into the same decoder as the
//!   PS/2 keyboard, so layouts and control keys behave identically on both.
//! - [`storage`]: mass storage — the Bulk-Only Transport wrappers around SCSI commands
//!   (the commands and the parsers of their answers are `storage_cmds::scsi`, shared with
//!   the ATAPI driver).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod descriptor;
pub mod hid;
pub mod hub;
pub mod request;
pub mod route;
pub mod storage;

/// The speed a device runs at, as the xHCI port and slot context report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Speed {
    /// USB 1.x low speed, 1.5 Mb/s.
    Low,
    /// USB 1.x full speed, 12 Mb/s.
    Full,
    /// USB 2.0 high speed, 480 Mb/s.
    High,
    /// USB 3.x SuperSpeed, 5 Gb/s.
    Super,
    /// USB 3.1+ SuperSpeedPlus, 10 Gb/s and more.
    SuperPlus,
}

impl Speed {
    /// The speed for an xHCI protocol speed ID value (PSIV), using the default IDs every
    /// controller must implement (xHCI 1.2 section 7.2.2.1.1).
    pub fn from_xhci_psiv(psiv: u8) -> Option<Self> {
        Some(match psiv {
            1 => Self::Full,
            2 => Self::Low,
            3 => Self::High,
            4 => Self::Super,
            5 => Self::SuperPlus,
            _ => return None,
        })
    }

    /// The default PSIV for this speed (the value for the slot context's Speed field).
    pub fn xhci_psiv(self) -> u8 {
        match self {
            Self::Full => 1,
            Self::Low => 2,
            Self::High => 3,
            Self::Super => 4,
            Self::SuperPlus => 5,
        }
    }

    /// The control endpoint's maximum packet size to assume before the device descriptor
    /// is read (full-speed devices may use 8 to 64; 8 is always safe for the first read).
    pub fn default_ep0_max_packet(self) -> u16 {
        match self {
            Self::Low | Self::Full => 8,
            Self::High => 64,
            Self::Super | Self::SuperPlus => 512,
        }
    }

    /// True for USB 3 speeds (SuperSpeed links, where hubs use a different class).
    pub fn is_superspeed(self) -> bool {
        matches!(self, Self::Super | Self::SuperPlus)
    }

    /// Short human-readable name, as `lsusb` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "1.5M",
            Self::Full => "12M",
            Self::High => "480M",
            Self::Super => "5G",
            Self::SuperPlus => "10G",
        }
    }
}

/// The xHCI endpoint context Interval field for an interrupt or isochronous endpoint:
/// the period is `2^interval * 125 µs`.
///
/// Full- and low-speed interrupt endpoints give `bInterval` in milliseconds (1..=255); the
/// largest power-of-two period not longer than it is used (xHCI 1.2 section 6.2.3.6).
/// High-speed and SuperSpeed endpoints, and full-speed isochronous ones, give an exponent
/// (1..=16). Out-of-range values are clamped rather than rejected: a wrong polling period
/// is harmless, refusing a keyboard is not.
pub fn xhci_interval(speed: Speed, isochronous: bool, b_interval: u8) -> u8 {
    match speed {
        Speed::Low | Speed::Full if !isochronous => {
            let frames = u32::from(b_interval.max(1));
            // 125 µs units; floor(log2(frames * 8)) lies in 3..=10 for 1..=255.
            let micro = frames * 8;
            (31 - micro.leading_zeros()) as u8
        }
        Speed::Low | Speed::Full => b_interval.clamp(1, 16) - 1 + 3,
        _ => b_interval.clamp(1, 16) - 1,
    }
}

/// The TD Size field of a transfer TRB (xHCI 1.2 section 4.11.2.4): how many packets of
/// the TD remain after this TRB's data, at most 31. `remaining` is the number of bytes
/// the TD's later TRBs carry; 0 for the last TRB.
pub fn xhci_td_size(remaining: usize, max_packet: u16) -> u8 {
    let packets = remaining.div_ceil(usize::from(max_packet.max(1)));
    packets.min(31) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td_sizes() {
        assert_eq!(xhci_td_size(0, 512), 0);
        assert_eq!(xhci_td_size(1, 512), 1);
        assert_eq!(xhci_td_size(4096, 512), 8);
        assert_eq!(xhci_td_size(60 * 1024, 64), 31, "capped");
        assert_eq!(
            xhci_td_size(100, 0),
            31,
            "a zero packet size does not divide by zero"
        );
    }

    #[test]
    fn psiv_round_trip() {
        for psiv in 0..=15u8 {
            if let Some(s) = Speed::from_xhci_psiv(psiv) {
                assert_eq!(s.xhci_psiv(), psiv);
            } else {
                assert!(psiv == 0 || psiv > 5);
            }
        }
        assert_eq!(Speed::from_xhci_psiv(3), Some(Speed::High));
        assert!(Speed::Super.is_superspeed() && !Speed::High.is_superspeed());
    }

    #[test]
    fn intervals() {
        // A typical full-speed keyboard polls every 10 ms: 8 ms is the nearest power of two.
        assert_eq!(xhci_interval(Speed::Full, false, 10), 6);
        assert_eq!(xhci_interval(Speed::Low, false, 1), 3);
        assert_eq!(xhci_interval(Speed::Full, false, 0), 3);
        assert_eq!(xhci_interval(Speed::Full, false, 255), 10);
        // High speed: bInterval is an exponent plus one.
        assert_eq!(xhci_interval(Speed::High, false, 4), 3);
        assert_eq!(xhci_interval(Speed::High, false, 0), 0);
        assert_eq!(xhci_interval(Speed::Super, false, 200), 15);
        assert_eq!(xhci_interval(Speed::Full, true, 1), 3);
        for b in 0..=255u8 {
            for s in [Speed::Low, Speed::Full, Speed::High, Speed::Super] {
                assert!(xhci_interval(s, false, b) <= 15);
            }
        }
    }
}
