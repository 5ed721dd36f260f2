//! USB descriptors, parsed from untrusted bytes.
//!
//! A device describes itself with a chain of `(bLength, bDescriptorType, ...)` records.
//! Broken or hostile devices send lengths of 0 (which would loop forever), lengths past the
//! end, wrong types and absurd counts; every one of those is an [`Error`] here, never a
//! panic or an endless walk. Unknown descriptor types inside a configuration are skipped,
//! as the USB specification asks.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Descriptor type codes (USB 2.0 table 9-5, HID 1.11 section 7.1, hub class 11.23).
pub mod kind {
    pub const DEVICE: u8 = 1;
    pub const CONFIGURATION: u8 = 2;
    pub const STRING: u8 = 3;
    pub const INTERFACE: u8 = 4;
    pub const ENDPOINT: u8 = 5;
    pub const HID: u8 = 0x21;
    pub const HID_REPORT: u8 = 0x22;
    pub const HUB: u8 = 0x29;
    pub const SUPERSPEED_HUB: u8 = 0x2A;
    pub const SS_ENDPOINT_COMPANION: u8 = 0x30;
}

/// Class codes used by the stack.
pub mod class {
    pub const HID: u8 = 3;
    pub const MASS_STORAGE: u8 = 8;
    pub const HUB: u8 = 9;
    /// HID subclass: supports the boot protocol.
    pub const HID_SUBCLASS_BOOT: u8 = 1;
    /// HID boot protocol: keyboard.
    pub const HID_PROTOCOL_KEYBOARD: u8 = 1;
    /// HID boot protocol: mouse.
    pub const HID_PROTOCOL_MOUSE: u8 = 2;
}

/// At most this many interface descriptors (alternate settings included) per configuration.
pub const MAX_INTERFACES: usize = 64;
/// At most this many endpoints per interface (15 IN + 15 OUT besides endpoint 0).
pub const MAX_ENDPOINTS: usize = 30;

/// Why a descriptor was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the descriptor needs.
    TooShort { need: usize, got: usize },
    /// A `bLength` below the minimum for its type, or reaching past the end.
    BadLength { offset: usize, len: u8 },
    /// The descriptor is of another type than asked for.
    WrongType { expected: u8, got: u8 },
    /// `wTotalLength` is smaller than the header or larger than the bytes received.
    BadTotalLength { total: u16, got: usize },
    /// More interfaces or endpoints than a device can have.
    TooMany { what: &'static str, count: usize },
    /// A field with a value the specification does not allow.
    Invalid(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { need, got } => {
                write!(f, "descriptor too short ({got} of {need} bytes)")
            }
            Self::BadLength { offset, len } => {
                write!(f, "bad descriptor length {len} at byte {offset}")
            }
            Self::WrongType { expected, got } => {
                write!(
                    f,
                    "descriptor type {got:#04x} where {expected:#04x} was expected"
                )
            }
            Self::BadTotalLength { total, got } => {
                write!(
                    f,
                    "configuration total length {total} with {got} bytes received"
                )
            }
            Self::TooMany { what, count } => write!(f, "{count} {what} (too many)"),
            Self::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    // Callers check the length first; a short slice reads as zero rather than panicking.
    match b.get(off..off + 2) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => 0,
    }
}

/// Checks the common header: enough bytes, a sane `bLength` and the expected type.
fn header(b: &[u8], expected: u8, min: usize) -> Result<(), Error> {
    if b.len() < 2 {
        return Err(Error::TooShort {
            need: min,
            got: b.len(),
        });
    }
    if b[1] != expected {
        return Err(Error::WrongType {
            expected,
            got: b[1],
        });
    }
    if (b[0] as usize) < min {
        return Err(Error::BadLength {
            offset: 0,
            len: b[0],
        });
    }
    if b.len() < min {
        return Err(Error::TooShort {
            need: min,
            got: b.len(),
        });
    }
    Ok(())
}

/// The device descriptor (USB 2.0 section 9.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceDescriptor {
    pub usb_version: u16,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    /// `bMaxPacketSize0` as sent (for USB 3 devices an exponent: see [`Self::ep0_max_packet`]).
    pub max_packet_size0: u8,
    pub vendor: u16,
    pub product: u16,
    pub device_version: u16,
    pub manufacturer_index: u8,
    pub product_index: u8,
    pub serial_index: u8,
    pub num_configurations: u8,
}

impl DeviceDescriptor {
    /// The full descriptor's size.
    pub const LEN: usize = 18;
    /// The prefix that is read first, to learn the control endpoint's packet size.
    pub const PREFIX_LEN: usize = 8;

    /// Parses the full 18-byte descriptor.
    pub fn parse(b: &[u8]) -> Result<Self, Error> {
        header(b, kind::DEVICE, Self::LEN)?;
        Ok(Self {
            usb_version: u16_at(b, 2),
            class: b[4],
            subclass: b[5],
            protocol: b[6],
            max_packet_size0: b[7],
            vendor: u16_at(b, 8),
            product: u16_at(b, 10),
            device_version: u16_at(b, 12),
            manufacturer_index: b[14],
            product_index: b[15],
            serial_index: b[16],
            num_configurations: b[17],
        })
    }

    /// The control endpoint's packet size from the first 8 bytes, before the rest is
    /// read. `superspeed` selects the USB 3 encoding (an exponent of two).
    pub fn ep0_max_packet_from_prefix(b: &[u8], superspeed: bool) -> Result<u16, Error> {
        if b.len() < Self::PREFIX_LEN {
            return Err(Error::TooShort {
                need: Self::PREFIX_LEN,
                got: b.len(),
            });
        }
        if b[1] != kind::DEVICE {
            return Err(Error::WrongType {
                expected: kind::DEVICE,
                got: b[1],
            });
        }
        decode_ep0_max_packet(b[7], superspeed)
    }

    /// The control endpoint's maximum packet size in bytes.
    pub fn ep0_max_packet(&self, superspeed: bool) -> Result<u16, Error> {
        decode_ep0_max_packet(self.max_packet_size0, superspeed)
    }
}

fn decode_ep0_max_packet(raw: u8, superspeed: bool) -> Result<u16, Error> {
    if superspeed {
        // USB 3.x: 2^bMaxPacketSize0, and 9 (512 bytes) is the only legal value.
        if raw == 9 {
            Ok(512)
        } else {
            Err(Error::Invalid("SuperSpeed control packet size"))
        }
    } else {
        match raw {
            8 | 16 | 32 | 64 => Ok(u16::from(raw)),
            _ => Err(Error::Invalid("control endpoint packet size")),
        }
    }
}

/// How an endpoint moves data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    Control,
    Isochronous,
    Bulk,
    Interrupt,
}

/// An endpoint descriptor (USB 2.0 section 9.6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub address: u8,
    pub attributes: u8,
    pub max_packet_size: u16,
    pub interval: u8,
    /// SuperSpeed: packets per burst minus one, from the companion descriptor (0..=15).
    pub max_burst: u8,
}

impl Endpoint {
    pub const LEN: usize = 7;

    fn parse(b: &[u8], offset: usize) -> Result<Self, Error> {
        if b.len() < Self::LEN {
            return Err(Error::BadLength { offset, len: b[0] });
        }
        let ep = Self {
            address: b[2],
            attributes: b[3],
            max_packet_size: u16_at(b, 4),
            interval: b[6],
            max_burst: 0,
        };
        if ep.number() == 0 {
            return Err(Error::Invalid("endpoint descriptor for endpoint 0"));
        }
        Ok(ep)
    }

    /// The endpoint number, 1..=15.
    pub fn number(&self) -> u8 {
        self.address & 0x0f
    }

    /// True for device-to-host (IN) endpoints.
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }

    pub fn transfer_type(&self) -> TransferType {
        match self.attributes & 3 {
            0 => TransferType::Control,
            1 => TransferType::Isochronous,
            2 => TransferType::Bulk,
            _ => TransferType::Interrupt,
        }
    }

    /// Bytes per packet (bits 0..=10 of `wMaxPacketSize`).
    pub fn max_packet(&self) -> u16 {
        self.max_packet_size & 0x7ff
    }

    /// The xHCI device context index: 2 × number, plus one for IN endpoints.
    pub fn dci(&self) -> u8 {
        self.number() * 2 + u8::from(self.is_in())
    }
}

/// The HID class descriptor that follows a HID interface (HID 1.11 section 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HidDescriptor {
    pub hid_version: u16,
    pub country: u8,
    /// Length of the report descriptor, if the HID descriptor names one.
    pub report_descriptor_len: Option<u16>,
}

impl HidDescriptor {
    fn parse(b: &[u8], offset: usize) -> Result<Self, Error> {
        if b.len() < 6 {
            return Err(Error::BadLength { offset, len: b[0] });
        }
        let count = usize::from(b[5]);
        let mut report_descriptor_len = None;
        // Each class descriptor is (type, u16 length); only those inside bLength count.
        for i in 0..count {
            let at = 6 + 3 * i;
            let Some(entry) = b.get(at..at + 3) else {
                break;
            };
            if entry[0] == kind::HID_REPORT {
                report_descriptor_len = Some(u16::from_le_bytes([entry[1], entry[2]]));
                break;
            }
        }
        Ok(Self {
            hid_version: u16_at(b, 2),
            country: b[4],
            report_descriptor_len,
        })
    }
}

/// One interface (one alternate setting of it) with its endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub number: u8,
    pub alternate: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub name_index: u8,
    pub endpoints: Vec<Endpoint>,
    pub hid: Option<HidDescriptor>,
}

impl Interface {
    /// A keyboard that speaks the HID boot protocol.
    pub fn is_boot_keyboard(&self) -> bool {
        self.class == class::HID
            && self.subclass == class::HID_SUBCLASS_BOOT
            && self.protocol == class::HID_PROTOCOL_KEYBOARD
    }

    /// The first interrupt IN endpoint (where HID devices and hubs report).
    pub fn interrupt_in(&self) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.is_in() && e.transfer_type() == TransferType::Interrupt)
    }

    /// What the interface is, in a few words.
    pub fn describe(&self) -> &'static str {
        class_name(self.class, self.subclass, self.protocol)
    }
}

/// A configuration: the header fields and every interface in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub value: u8,
    pub attributes: u8,
    /// `bMaxPower` converted to milliamperes (2 mA units; USB 3 uses 8, ignored here).
    pub max_power_ma: u16,
    pub name_index: u8,
    pub interfaces: Vec<Interface>,
}

/// The fixed header of a configuration descriptor.
pub const CONFIG_HEADER_LEN: usize = 9;

/// `wTotalLength` from a configuration descriptor's header (read first, to learn how many
/// bytes to ask for).
pub fn config_total_length(b: &[u8]) -> Result<u16, Error> {
    header(b, kind::CONFIGURATION, CONFIG_HEADER_LEN)?;
    let total = u16_at(b, 2);
    if usize::from(total) < CONFIG_HEADER_LEN {
        return Err(Error::BadTotalLength {
            total,
            got: b.len(),
        });
    }
    Ok(total)
}

impl Configuration {
    /// Parses a whole configuration (header, interfaces, endpoints, class descriptors).
    /// Bytes past `wTotalLength` are ignored; fewer bytes than it promises are an error.
    pub fn parse(b: &[u8]) -> Result<Self, Error> {
        let total = usize::from(config_total_length(b)?);
        if total > b.len() {
            return Err(Error::BadTotalLength {
                total: total as u16,
                got: b.len(),
            });
        }
        let b = &b[..total];
        let mut config = Self {
            value: b[5],
            attributes: b[7],
            max_power_ma: u16::from(b[8]) * 2,
            name_index: b[6],
            interfaces: Vec::new(),
        };
        let mut offset = usize::from(b[0]);
        while offset < total {
            let rest = &b[offset..];
            if rest.len() < 2 {
                return Err(Error::BadLength {
                    offset,
                    len: rest[0],
                });
            }
            let len = usize::from(rest[0]);
            if len < 2 || len > rest.len() {
                return Err(Error::BadLength {
                    offset,
                    len: rest[0],
                });
            }
            let d = &rest[..len];
            match d[1] {
                kind::INTERFACE => {
                    if len < 9 {
                        return Err(Error::BadLength { offset, len: d[0] });
                    }
                    if config.interfaces.len() == MAX_INTERFACES {
                        return Err(Error::TooMany {
                            what: "interfaces",
                            count: MAX_INTERFACES + 1,
                        });
                    }
                    if usize::from(d[4]) > MAX_ENDPOINTS {
                        return Err(Error::TooMany {
                            what: "endpoints declared",
                            count: usize::from(d[4]),
                        });
                    }
                    config.interfaces.push(Interface {
                        number: d[2],
                        alternate: d[3],
                        class: d[5],
                        subclass: d[6],
                        protocol: d[7],
                        name_index: d[8],
                        endpoints: Vec::new(),
                        hid: None,
                    });
                }
                kind::ENDPOINT => {
                    let ep = Endpoint::parse(d, offset)?;
                    let Some(iface) = config.interfaces.last_mut() else {
                        return Err(Error::Invalid("endpoint before any interface"));
                    };
                    if iface.endpoints.len() == MAX_ENDPOINTS {
                        return Err(Error::TooMany {
                            what: "endpoints",
                            count: MAX_ENDPOINTS + 1,
                        });
                    }
                    iface.endpoints.push(ep);
                }
                kind::HID => {
                    let hid = HidDescriptor::parse(d, offset)?;
                    if let Some(iface) = config.interfaces.last_mut() {
                        iface.hid = Some(hid);
                    }
                }
                kind::SS_ENDPOINT_COMPANION if len >= 3 => {
                    if let Some(ep) = config
                        .interfaces
                        .last_mut()
                        .and_then(|i| i.endpoints.last_mut())
                    {
                        ep.max_burst = d[2].min(15);
                    }
                }
                // Anything else (class-specific, associations) is skipped by its length.
                _ => {}
            }
            offset += len;
        }
        Ok(config)
    }

    /// The interfaces in their default alternate setting (the ones active after
    /// SET_CONFIGURATION).
    pub fn default_interfaces(&self) -> impl Iterator<Item = &Interface> {
        self.interfaces.iter().filter(|i| i.alternate == 0)
    }
}

/// A hub descriptor: USB 2.0 (section 11.23.2.1) or SuperSpeed (USB 3.2 section 10.15.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubDescriptor {
    pub ports: u8,
    pub characteristics: u16,
    /// Time from port power on to power good, in milliseconds.
    pub power_on_to_good_ms: u16,
}

impl HubDescriptor {
    /// The most ports a hub can have and still be addressed by route strings.
    pub const MAX_ROUTABLE_PORTS: u8 = 15;

    pub fn parse(b: &[u8]) -> Result<Self, Error> {
        let ty = b.get(1).copied().unwrap_or(0);
        let expected = if ty == kind::SUPERSPEED_HUB {
            kind::SUPERSPEED_HUB
        } else {
            kind::HUB
        };
        header(b, expected, 7)?;
        if b[2] == 0 {
            return Err(Error::Invalid("hub with no ports"));
        }
        Ok(Self {
            ports: b[2],
            characteristics: u16_at(b, 3),
            power_on_to_good_ms: u16::from(b[5]) * 2,
        })
    }

    /// Ports are powered individually (else all at once, or always on).
    pub fn per_port_power(&self) -> bool {
        self.characteristics & 0b11 == 0b01
    }

    /// Transaction translator think time in full-speed bit times (8, 16, 24 or 32).
    pub fn tt_think_time_bits(&self) -> u8 {
        8 * (1 + ((self.characteristics >> 5) & 0b11) as u8)
    }
}

/// Decodes a string descriptor (UTF-16LE) into text; unpaired surrogates become U+FFFD.
pub fn parse_string(b: &[u8]) -> Result<String, Error> {
    header(b, kind::STRING, 2)?;
    let len = usize::from(b[0]).min(b.len());
    let units = b[2..len]
        .as_chunks::<2>()
        .0
        .iter()
        .map(|&c| u16::from_le_bytes(c));
    Ok(char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|c| !c.is_control())
        .collect())
}

/// The first language ID from string descriptor 0, if it lists any.
pub fn first_language(b: &[u8]) -> Result<Option<u16>, Error> {
    header(b, kind::STRING, 2)?;
    if usize::from(b[0]) >= 4 && b.len() >= 4 {
        Ok(Some(u16_at(b, 2)))
    } else {
        Ok(None)
    }
}

/// A few words naming a device or interface class (USB-IF class codes).
pub fn class_name(class: u8, subclass: u8, protocol: u8) -> &'static str {
    match (class, subclass, protocol) {
        (0x00, _, _) => "composite device",
        (0x01, _, _) => "audio",
        (0x02, _, _) => "communications",
        (class::HID, class::HID_SUBCLASS_BOOT, class::HID_PROTOCOL_KEYBOARD) => "keyboard",
        (class::HID, class::HID_SUBCLASS_BOOT, class::HID_PROTOCOL_MOUSE) => "mouse",
        (class::HID, _, _) => "HID device",
        (0x05, _, _) => "physical interface",
        (0x06, _, _) => "imaging",
        (0x07, _, _) => "printer",
        (class::MASS_STORAGE, _, _) => "mass storage",
        (class::HUB, _, _) => "hub",
        (0x0a, _, _) => "CDC data",
        (0x0b, _, _) => "smart card reader",
        (0x0d, _, _) => "content security",
        (0x0e, _, _) => "video",
        (0x0f, _, _) => "personal healthcare",
        (0x10, _, _) => "audio/video",
        (0x11, _, _) => "billboard",
        (0xdc, _, _) => "diagnostic device",
        (0xe0, _, _) => "wireless controller",
        (0xef, _, _) => "miscellaneous",
        (0xfe, _, _) => "application specific",
        (0xff, _, _) => "vendor specific",
        _ => "unknown class",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// QEMU's usb-kbd device descriptor.
    const KBD_DEVICE: [u8; 18] = [
        18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x27, 0x06, 0x01, 0x00, 0x00, 0x00, 1, 4, 11, 1,
    ];

    /// A boot keyboard configuration: config, interface, HID, endpoint 0x81.
    fn kbd_config() -> Vec<u8> {
        vec![
            9, 2, 34, 0, 1, 1, 0, 0xa0, 50, // configuration, total 34
            9, 4, 0, 0, 1, 3, 1, 1, 0, // interface 0: HID boot keyboard, 1 endpoint
            9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0, // HID 1.11, report descriptor 63 bytes
            7, 5, 0x81, 3, 8, 0, 10, // endpoint 1 IN, interrupt, 8 bytes, 10 ms
        ]
    }

    #[test]
    fn device_descriptor() {
        let d = DeviceDescriptor::parse(&KBD_DEVICE).unwrap();
        assert_eq!((d.vendor, d.product), (0x0627, 0x0001));
        assert_eq!(d.usb_version, 0x0200);
        assert_eq!(d.ep0_max_packet(false), Ok(64));
        assert_eq!(d.num_configurations, 1);
        assert_eq!(
            DeviceDescriptor::ep0_max_packet_from_prefix(&KBD_DEVICE[..8], false),
            Ok(64)
        );
        assert!(DeviceDescriptor::parse(&KBD_DEVICE[..17]).is_err());
        let mut wrong = KBD_DEVICE;
        wrong[1] = 2;
        assert_eq!(
            DeviceDescriptor::parse(&wrong),
            Err(Error::WrongType {
                expected: 1,
                got: 2
            })
        );
        wrong = KBD_DEVICE;
        wrong[0] = 0;
        assert!(matches!(
            DeviceDescriptor::parse(&wrong),
            Err(Error::BadLength { .. })
        ));
        assert!(
            DeviceDescriptor::ep0_max_packet_from_prefix(&[18, 1, 0, 3, 0, 0, 0, 9], true)
                == Ok(512)
        );
        assert!(
            DeviceDescriptor::ep0_max_packet_from_prefix(&[18, 1, 0, 2, 0, 0, 0, 7], false)
                .is_err()
        );
        assert!(DeviceDescriptor::ep0_max_packet_from_prefix(&[18, 1, 0, 2], false).is_err());
    }

    #[test]
    fn keyboard_configuration() {
        let c = Configuration::parse(&kbd_config()).unwrap();
        assert_eq!(c.value, 1);
        assert_eq!(c.max_power_ma, 100);
        assert_eq!(c.interfaces.len(), 1);
        let i = &c.interfaces[0];
        assert!(i.is_boot_keyboard());
        assert_eq!(i.describe(), "keyboard");
        let ep = i.interrupt_in().unwrap();
        assert_eq!(
            (ep.number(), ep.is_in(), ep.max_packet(), ep.interval),
            (1, true, 8, 10)
        );
        assert_eq!(ep.dci(), 3);
        assert_eq!(i.hid.unwrap().report_descriptor_len, Some(63));
        assert_eq!(config_total_length(&kbd_config()[..9]), Ok(34));
    }

    #[test]
    fn skips_unknown_descriptors_and_extra_bytes() {
        let mut b = kbd_config();
        // A class-specific descriptor between interface and endpoint, and junk past the end.
        b.splice(27..27, [4, 0x24, 1, 2]);
        b[2] = 38;
        b.extend_from_slice(&[0, 0, 0]);
        let c = Configuration::parse(&b).unwrap();
        assert_eq!(c.interfaces[0].endpoints.len(), 1);
    }

    #[test]
    fn refuses_broken_configurations() {
        // Zero length in the middle: would loop forever if accepted.
        let mut b = kbd_config();
        b[27] = 0;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadLength { offset: 27, .. })
        ));
        // A length reaching past the end.
        let mut b = kbd_config();
        b[27] = 9;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadLength { .. })
        ));
        // wTotalLength larger than what arrived, and smaller than the header.
        let mut b = kbd_config();
        b[2] = 200;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadTotalLength { .. })
        ));
        b[2] = 4;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadTotalLength { .. })
        ));
        // Wrong type.
        let mut b = kbd_config();
        b[1] = 1;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::WrongType { .. })
        ));
        // An endpoint with no interface before it.
        let b = [9, 2, 16, 0, 1, 1, 0, 0, 0, 7, 5, 0x81, 3, 8, 0, 10];
        assert_eq!(
            Configuration::parse(&b),
            Err(Error::Invalid("endpoint before any interface"))
        );
        // An interface claiming 200 endpoints.
        let mut b = kbd_config();
        b[13] = 200;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::TooMany { .. })
        ));
        // A short interface descriptor.
        let b = [9, 2, 14, 0, 1, 1, 0, 0, 0, 5, 4, 0, 0, 1];
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadLength { .. })
        ));
        // Endpoint 0 described.
        let mut b = kbd_config();
        b[29] = 0x80;
        assert!(matches!(Configuration::parse(&b), Err(Error::Invalid(_))));
        // One trailing byte that cannot be a descriptor.
        let mut b = kbd_config();
        b.push(7);
        b[2] = 35;
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::BadLength { offset: 34, .. })
        ));
    }

    #[test]
    fn too_many_interfaces() {
        let mut b = vec![9, 2, 0, 0, 1, 1, 0, 0, 0];
        for n in 0..=MAX_INTERFACES {
            b.extend_from_slice(&[9, 4, n as u8, 0, 0, 3, 0, 0, 0]);
        }
        let total = b.len() as u16;
        b[2..4].copy_from_slice(&total.to_le_bytes());
        assert!(matches!(
            Configuration::parse(&b),
            Err(Error::TooMany { .. })
        ));
    }

    #[test]
    fn multi_interface_device() {
        // A keyboard+mouse combo, with an alternate setting.
        let mut b = vec![9, 2, 0, 0, 2, 1, 0, 0xa0, 50];
        b.extend_from_slice(&[9, 4, 0, 0, 1, 3, 1, 1, 0, 7, 5, 0x81, 3, 8, 0, 10]);
        b.extend_from_slice(&[9, 4, 1, 0, 1, 3, 1, 2, 0, 7, 5, 0x82, 3, 4, 0, 10]);
        b.extend_from_slice(&[
            9, 4, 1, 1, 2, 3, 0, 0, 0, 7, 5, 0x83, 3, 4, 0, 1, 7, 5, 0x03, 3, 4, 0, 1,
        ]);
        let total = b.len() as u16;
        b[2..4].copy_from_slice(&total.to_le_bytes());
        let c = Configuration::parse(&b).unwrap();
        assert_eq!(c.interfaces.len(), 3);
        assert_eq!(c.default_interfaces().count(), 2);
        assert_eq!(c.interfaces[1].describe(), "mouse");
        assert_eq!(c.interfaces[2].endpoints.len(), 2);
        assert!(!c.interfaces[2].endpoints[1].is_in());
        assert_eq!(c.interfaces[2].endpoints[1].dci(), 6);
    }

    #[test]
    fn hub_descriptor() {
        // QEMU's usb-hub: 8 ports, per-port power.
        let h = HubDescriptor::parse(&[10, 0x29, 8, 0x0a, 0, 1, 0, 0, 0xff, 0xff]).unwrap();
        assert_eq!(h.ports, 8);
        assert_eq!(h.power_on_to_good_ms, 2);
        assert!(!h.per_port_power());
        let h = HubDescriptor::parse(&[9, 0x29, 4, 0x61, 0, 50, 100, 0, 0xff]).unwrap();
        assert!(h.per_port_power());
        assert_eq!(h.tt_think_time_bits(), 32);
        assert_eq!(h.power_on_to_good_ms, 100);
        assert!(HubDescriptor::parse(&[9, 0x29, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(HubDescriptor::parse(&[9, 0x29, 4]).is_err());
        assert!(HubDescriptor::parse(&[9, 0x22, 4, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(HubDescriptor::parse(&[12, 0x2a, 4, 0, 0, 10, 0, 0, 0, 0, 0, 0]).is_ok());
    }

    #[test]
    fn strings() {
        let s = [
            14, 3, b'Q', 0, b'E', 0, b'M', 0, b'U', 0, 0x3d, 0xd8, b'!', 0,
        ];
        assert_eq!(parse_string(&s).unwrap(), "QEMU\u{fffd}!");
        // bLength shorter than the buffer wins; an odd length drops the last byte.
        assert_eq!(parse_string(&[5, 3, b'A', 0, b'B', 0]).unwrap(), "A");
        // bLength longer than the buffer: what arrived is used.
        assert_eq!(parse_string(&[40, 3, b'A', 0]).unwrap(), "A");
        assert!(parse_string(&[4, 2, b'A', 0]).is_err());
        assert!(parse_string(&[4]).is_err());
        assert_eq!(first_language(&[4, 3, 0x09, 0x04]), Ok(Some(0x0409)));
        assert_eq!(first_language(&[2, 3]), Ok(None));
    }

    #[test]
    fn class_names() {
        assert_eq!(class_name(3, 1, 1), "keyboard");
        assert_eq!(class_name(3, 0, 0), "HID device");
        assert_eq!(class_name(8, 6, 0x50), "mass storage");
        assert_eq!(class_name(9, 0, 0), "hub");
        assert_eq!(class_name(0x42, 0, 0), "unknown class");
    }

    /// Random bytes, random mutations of a good descriptor, random truncations: every
    /// parser returns (Ok or Err) without panicking, and what it accepts is consistent.
    #[test]
    fn garbage_never_panics() {
        let mut rng = wasm_abi::Rng::new(0x05b);
        let good = kbd_config();
        let mut accepted = 0;
        for round in 0..20_000 {
            let len = (rng.next_u32() % 300) as usize;
            let mut b: Vec<u8> = if round % 2 == 0 {
                (0..len).map(|_| rng.next_u32() as u8).collect()
            } else {
                let mut b = good.clone();
                for _ in 0..1 + rng.next_u32() % 4 {
                    let i = (rng.next_u32() as usize) % b.len();
                    b[i] = rng.next_u32() as u8;
                }
                b.truncate((rng.next_u32() as usize) % (b.len() + 4));
                b
            };
            if round % 3 == 0 && b.len() > 3 {
                // Make the header plausible so the walk itself gets exercised.
                b[0] = 9;
                b[1] = kind::CONFIGURATION;
                let total = b.len() as u16;
                b[2..4].copy_from_slice(&total.to_le_bytes());
            }
            if let Ok(c) = Configuration::parse(&b) {
                accepted += 1;
                assert!(c.interfaces.len() <= MAX_INTERFACES);
                for i in &c.interfaces {
                    assert!(i.endpoints.len() <= MAX_ENDPOINTS);
                    for e in &i.endpoints {
                        assert!((1..=15).contains(&e.number()));
                        assert!((2..=31).contains(&e.dci()));
                    }
                }
            }
            let _ = DeviceDescriptor::parse(&b);
            let _ = DeviceDescriptor::ep0_max_packet_from_prefix(&b, round % 5 == 0);
            let _ = HubDescriptor::parse(&b);
            let _ = parse_string(&b);
            let _ = first_language(&b);
            let _ = config_total_length(&b);
        }
        assert!(
            accepted > 100,
            "the mutations should leave some valid configurations"
        );
    }
}
