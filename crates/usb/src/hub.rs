//! USB 2.0 hub class: port status and change bits (section 11.24.2.7), feature selectors
//! (table 11-17) and the status-change bitmap a hub sends on its interrupt endpoint.

use crate::Speed;

/// Port feature selectors for SET_FEATURE / CLEAR_FEATURE.
pub mod feature {
    pub const PORT_CONNECTION: u16 = 0;
    pub const PORT_ENABLE: u16 = 1;
    pub const PORT_SUSPEND: u16 = 2;
    pub const PORT_OVER_CURRENT: u16 = 3;
    pub const PORT_RESET: u16 = 4;
    pub const PORT_POWER: u16 = 8;
    pub const PORT_LOW_SPEED: u16 = 9;
    pub const C_PORT_CONNECTION: u16 = 16;
    pub const C_PORT_ENABLE: u16 = 17;
    pub const C_PORT_SUSPEND: u16 = 18;
    pub const C_PORT_OVER_CURRENT: u16 = 19;
    pub const C_PORT_RESET: u16 = 20;
}

/// `wPortStatus` bits.
mod status {
    pub const CONNECTION: u16 = 1 << 0;
    pub const ENABLE: u16 = 1 << 1;
    pub const SUSPEND: u16 = 1 << 2;
    pub const OVER_CURRENT: u16 = 1 << 3;
    pub const RESET: u16 = 1 << 4;
    pub const POWER: u16 = 1 << 8;
    pub const LOW_SPEED: u16 = 1 << 9;
    pub const HIGH_SPEED: u16 = 1 << 10;
}

/// The answer to GET_STATUS on a port: status and change words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortStatus {
    pub status: u16,
    pub change: u16,
}

/// The (change bit, feature that clears it) pairs, in `wPortChange` bit order.
const CHANGE_FEATURES: [(u16, u16); 5] = [
    (1 << 0, feature::C_PORT_CONNECTION),
    (1 << 1, feature::C_PORT_ENABLE),
    (1 << 2, feature::C_PORT_SUSPEND),
    (1 << 3, feature::C_PORT_OVER_CURRENT),
    (1 << 4, feature::C_PORT_RESET),
];

impl PortStatus {
    /// Parses the 4-byte answer; `None` if fewer bytes arrived.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let b = b.get(..4)?;
        Some(Self {
            status: u16::from_le_bytes([b[0], b[1]]),
            change: u16::from_le_bytes([b[2], b[3]]),
        })
    }

    pub fn connected(&self) -> bool {
        self.status & status::CONNECTION != 0
    }
    pub fn enabled(&self) -> bool {
        self.status & status::ENABLE != 0
    }
    pub fn suspended(&self) -> bool {
        self.status & status::SUSPEND != 0
    }
    pub fn over_current(&self) -> bool {
        self.status & status::OVER_CURRENT != 0
    }
    pub fn resetting(&self) -> bool {
        self.status & status::RESET != 0
    }
    pub fn powered(&self) -> bool {
        self.status & status::POWER != 0
    }

    /// The attached device's speed (meaningful once connected and enabled).
    pub fn speed(&self) -> Speed {
        if self.status & status::LOW_SPEED != 0 {
            Speed::Low
        } else if self.status & status::HIGH_SPEED != 0 {
            Speed::High
        } else {
            Speed::Full
        }
    }

    pub fn connection_changed(&self) -> bool {
        self.change & 1 != 0
    }
    pub fn reset_changed(&self) -> bool {
        self.change & (1 << 4) != 0
    }

    /// The CLEAR_FEATURE selectors that acknowledge every change bit that is set.
    pub fn changes_to_clear(&self) -> impl Iterator<Item = u16> + '_ {
        CHANGE_FEATURES
            .iter()
            .filter(|(bit, _)| self.change & bit != 0)
            .map(|&(_, f)| f)
    }
}

/// The ports flagged in a hub's status-change bitmap (bit 0 is the hub itself, bit `n`
/// port `n`), limited to the hub's `ports`; missing bytes count as no change.
pub fn changed_ports(bitmap: &[u8], ports: u8) -> impl Iterator<Item = u8> + '_ {
    (1..=ports).filter(move |&p| {
        let (byte, bit) = (usize::from(p / 8), p % 8);
        bitmap.get(byte).is_some_and(|b| b & (1 << bit) != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn status_bits() {
        // Connected, enabled, powered, high speed; connection and reset changed.
        let s = PortStatus::parse(&[0x03, 0x05, 0x11, 0x00]).unwrap();
        assert!(s.connected() && s.enabled() && s.powered());
        assert!(!s.suspended() && !s.over_current() && !s.resetting());
        assert_eq!(s.speed(), Speed::High);
        assert!(s.connection_changed() && s.reset_changed());
        let clears: Vec<u16> = s.changes_to_clear().collect();
        assert_eq!(clears, [feature::C_PORT_CONNECTION, feature::C_PORT_RESET]);
        let low = PortStatus::parse(&[0x01, 0x03, 0, 0]).unwrap();
        assert_eq!(low.speed(), Speed::Low);
        assert_eq!(
            PortStatus::parse(&[0x01, 0x01, 0, 0]).unwrap().speed(),
            Speed::Full
        );
        assert_eq!(PortStatus::parse(&[1, 2, 3]), None);
        assert_eq!(PortStatus::default().changes_to_clear().count(), 0);
        let all = PortStatus {
            status: 0,
            change: 0xffff,
        };
        assert_eq!(all.changes_to_clear().count(), 5);
    }

    #[test]
    fn change_bitmap() {
        let ports: Vec<u8> = changed_ports(&[0b1010_0110], 8).collect();
        assert_eq!(ports, [1, 2, 5, 7]);
        let ports: Vec<u8> = changed_ports(&[0, 0b0000_0011], 15).collect();
        assert_eq!(ports, [8, 9]);
        // A short bitmap or fewer ports than bits: no phantom ports.
        assert_eq!(changed_ports(&[0xff], 15).count(), 7);
        assert_eq!(changed_ports(&[0xff, 0xff], 3).count(), 3);
        assert_eq!(changed_ports(&[], 4).count(), 0);
    }
}
