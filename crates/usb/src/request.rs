//! Setup packets: the 8 bytes that start every control transfer (USB 2.0 section 9.3).
//!
//! Only the requests the stack sends are here, each built by one function, so the magic
//! numbers (request codes, recipients, feature selectors) live in one place.

use crate::descriptor::kind;

/// `bmRequestType` bits.
pub mod request_type {
    /// Device to host.
    pub const IN: u8 = 0x80;
    pub const STANDARD: u8 = 0x00;
    pub const CLASS: u8 = 0x20;
    pub const DEVICE: u8 = 0x00;
    pub const INTERFACE: u8 = 0x01;
    pub const ENDPOINT: u8 = 0x02;
    /// "Other": a hub's port.
    pub const OTHER: u8 = 0x03;
}

/// Standard request codes (USB 2.0 table 9-4) and the class codes that share them.
pub mod code {
    pub const GET_STATUS: u8 = 0;
    pub const CLEAR_FEATURE: u8 = 1;
    pub const SET_FEATURE: u8 = 3;
    pub const GET_DESCRIPTOR: u8 = 6;
    pub const SET_CONFIGURATION: u8 = 9;
    /// HID class: SET_REPORT.
    pub const HID_SET_REPORT: u8 = 0x09;
    /// HID class: SET_IDLE.
    pub const HID_SET_IDLE: u8 = 0x0a;
    /// HID class: SET_PROTOCOL.
    pub const HID_SET_PROTOCOL: u8 = 0x0b;
}

/// A setup packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupPacket {
    pub request_type: u8,
    pub request: u8,
    pub value: u16,
    pub index: u16,
    /// Bytes in the data stage (0: no data stage).
    pub length: u16,
}

impl SetupPacket {
    /// The packet as it goes on the wire.
    pub fn to_bytes(&self) -> [u8; 8] {
        let [v0, v1] = self.value.to_le_bytes();
        let [i0, i1] = self.index.to_le_bytes();
        let [l0, l1] = self.length.to_le_bytes();
        [self.request_type, self.request, v0, v1, i0, i1, l0, l1]
    }

    /// True when the data stage (if any) flows from the device to the host.
    pub fn is_in(&self) -> bool {
        self.request_type & request_type::IN != 0
    }

    /// GET_DESCRIPTOR for a standard descriptor (`lang` matters for strings only).
    pub fn get_descriptor(kind: u8, index: u8, lang: u16, length: u16) -> Self {
        Self {
            request_type: request_type::IN | request_type::STANDARD | request_type::DEVICE,
            request: code::GET_DESCRIPTOR,
            value: u16::from(kind) << 8 | u16::from(index),
            index: lang,
            length,
        }
    }

    pub fn set_configuration(value: u8) -> Self {
        Self {
            request_type: request_type::STANDARD | request_type::DEVICE,
            request: code::SET_CONFIGURATION,
            value: u16::from(value),
            index: 0,
            length: 0,
        }
    }

    /// HID SET_PROTOCOL: `boot` selects the boot protocol (fixed 8-byte keyboard reports).
    pub fn hid_set_protocol(interface: u8, boot: bool) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::INTERFACE,
            request: code::HID_SET_PROTOCOL,
            value: u16::from(!boot),
            index: u16::from(interface),
            length: 0,
        }
    }

    /// HID SET_IDLE: report only on change (`duration_4ms` 0) or at most every
    /// `duration_4ms` × 4 ms.
    pub fn hid_set_idle(interface: u8, duration_4ms: u8) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::INTERFACE,
            request: code::HID_SET_IDLE,
            value: u16::from(duration_4ms) << 8,
            index: u16::from(interface),
            length: 0,
        }
    }

    /// HID SET_REPORT of an output report (a boot keyboard's LED byte: 1 byte).
    pub fn hid_set_output_report(interface: u8, length: u16) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::INTERFACE,
            request: code::HID_SET_REPORT,
            value: 2 << 8,
            index: u16::from(interface),
            length,
        }
    }

    /// CLEAR_FEATURE(ENDPOINT_HALT) on endpoint `address` (with its direction bit):
    /// the device side of recovering a stalled pipe.
    pub fn clear_endpoint_halt(address: u8) -> Self {
        Self {
            request_type: request_type::STANDARD | request_type::ENDPOINT,
            request: code::CLEAR_FEATURE,
            value: 0,
            index: u16::from(address),
            length: 0,
        }
    }

    /// Bulk-Only Mass Storage Reset of `interface` (the first step of reset recovery).
    pub fn storage_reset(interface: u8) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::INTERFACE,
            request: crate::storage::request::RESET,
            value: 0,
            index: u16::from(interface),
            length: 0,
        }
    }

    /// Get Max LUN of `interface` (one byte back; a stall means 0).
    pub fn storage_get_max_lun(interface: u8) -> Self {
        Self {
            request_type: request_type::IN | request_type::CLASS | request_type::INTERFACE,
            request: crate::storage::request::GET_MAX_LUN,
            value: 0,
            index: u16::from(interface),
            length: 1,
        }
    }

    /// Hub GET_DESCRIPTOR for the hub class descriptor (USB 2.0 or SuperSpeed).
    pub fn hub_get_descriptor(superspeed: bool, length: u16) -> Self {
        let k = if superspeed {
            kind::SUPERSPEED_HUB
        } else {
            kind::HUB
        };
        Self {
            request_type: request_type::IN | request_type::CLASS | request_type::DEVICE,
            request: code::GET_DESCRIPTOR,
            value: u16::from(k) << 8,
            index: 0,
            length,
        }
    }

    /// Hub GET_STATUS of a port: 4 bytes, see [`crate::hub::PortStatus`].
    pub fn hub_get_port_status(port: u8) -> Self {
        Self {
            request_type: request_type::IN | request_type::CLASS | request_type::OTHER,
            request: code::GET_STATUS,
            value: 0,
            index: u16::from(port),
            length: 4,
        }
    }

    /// Hub SET_FEATURE on a port (power, reset: see [`crate::hub::feature`]).
    pub fn hub_set_port_feature(port: u8, feature: u16) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::OTHER,
            request: code::SET_FEATURE,
            value: feature,
            index: u16::from(port),
            length: 0,
        }
    }

    /// Hub CLEAR_FEATURE on a port (acknowledges change bits, disables, powers off).
    pub fn hub_clear_port_feature(port: u8, feature: u16) -> Self {
        Self {
            request_type: request_type::CLASS | request_type::OTHER,
            request: code::CLEAR_FEATURE,
            value: feature,
            index: u16::from(port),
            length: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format() {
        // GET_DESCRIPTOR(device, 18 bytes): the classic first request.
        assert_eq!(
            SetupPacket::get_descriptor(kind::DEVICE, 0, 0, 18).to_bytes(),
            [0x80, 6, 0, 1, 0, 0, 18, 0]
        );
        // String 2 in US English.
        assert_eq!(
            SetupPacket::get_descriptor(kind::STRING, 2, 0x0409, 255).to_bytes(),
            [0x80, 6, 2, 3, 0x09, 0x04, 255, 0]
        );
        assert_eq!(
            SetupPacket::set_configuration(1).to_bytes(),
            [0, 9, 1, 0, 0, 0, 0, 0]
        );
        assert!(SetupPacket::get_descriptor(kind::DEVICE, 0, 0, 8).is_in());
        assert!(!SetupPacket::set_configuration(1).is_in());
    }

    #[test]
    fn hid_requests() {
        assert_eq!(
            SetupPacket::hid_set_protocol(0, true).to_bytes(),
            [0x21, 0x0b, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            SetupPacket::hid_set_protocol(2, false).to_bytes(),
            [0x21, 0x0b, 1, 0, 2, 0, 0, 0]
        );
        assert_eq!(
            SetupPacket::hid_set_idle(1, 0).to_bytes(),
            [0x21, 0x0a, 0, 0, 1, 0, 0, 0]
        );
        assert_eq!(SetupPacket::hid_set_idle(0, 125).value, 125 << 8);
        assert_eq!(
            SetupPacket::hid_set_output_report(0, 1).to_bytes(),
            [0x21, 0x09, 0, 2, 0, 0, 1, 0]
        );
    }

    #[test]
    fn storage_requests() {
        assert_eq!(
            SetupPacket::clear_endpoint_halt(0x81).to_bytes(),
            [0x02, 1, 0, 0, 0x81, 0, 0, 0]
        );
        assert_eq!(
            SetupPacket::storage_reset(0).to_bytes(),
            [0x21, 0xff, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            SetupPacket::storage_get_max_lun(1).to_bytes(),
            [0xa1, 0xfe, 0, 0, 1, 0, 1, 0]
        );
    }

    #[test]
    fn hub_requests() {
        assert_eq!(
            SetupPacket::hub_get_descriptor(false, 71).to_bytes(),
            [0xa0, 6, 0, 0x29, 0, 0, 71, 0]
        );
        assert_eq!(SetupPacket::hub_get_descriptor(true, 12).value, 0x2a00);
        assert_eq!(
            SetupPacket::hub_get_port_status(3).to_bytes(),
            [0xa3, 0, 0, 0, 3, 0, 4, 0]
        );
        assert_eq!(
            SetupPacket::hub_set_port_feature(2, crate::hub::feature::PORT_RESET).to_bytes(),
            [0x23, 3, 4, 0, 2, 0, 0, 0]
        );
        assert_eq!(
            SetupPacket::hub_clear_port_feature(5, crate::hub::feature::C_PORT_CONNECTION)
                .to_bytes(),
            [0x23, 1, 16, 0, 5, 0, 0, 0]
        );
    }
}
