//! SCSI commands (SPC/SBC/MMC) and the parsing of their answers: what a USB stick
//! (over the Bulk-Only Transport) and a CD/DVD drive (ATAPI, over AHCI) both speak.
//!
//! Why here: one rule, one place — the USB mass-storage driver and the ATAPI driver build
//! the same command blocks and read the same answers. A device answers with bytes of its
//! choosing (capacities of zero or 2^64 blocks, sense data cut short, INQUIRY strings
//! with control characters): each answer is parsed by one function below that checks
//! every length and returns an error instead of panicking; host tests feed them random
//! and mutated bytes. Written by hand: a few fixed little structures, and no `no_std`
//! crate covers these commands without also bringing a transport.

use alloc::string::String;
use core::fmt;

/// Which way a command's data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// No data stage.
    None,
    /// Device to host.
    In,
    /// Host to device.
    Out,
}

/// A SCSI command: its command block and the data stage it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub cdb: [u8; 16],
    pub cdb_len: u8,
    pub direction: Direction,
    /// Bytes of the data stage.
    pub length: u32,
}

/// SCSI operation codes used here.
pub mod op {
    pub const TEST_UNIT_READY: u8 = 0x00;
    pub const REQUEST_SENSE: u8 = 0x03;
    pub const INQUIRY: u8 = 0x12;
    pub const MODE_SENSE_6: u8 = 0x1a;
    pub const READ_CAPACITY_10: u8 = 0x25;
    pub const READ_10: u8 = 0x28;
    pub const WRITE_10: u8 = 0x2a;
    pub const SYNCHRONIZE_CACHE_10: u8 = 0x35;
    pub const READ_16: u8 = 0x88;
    pub const WRITE_16: u8 = 0x8a;
    pub const SERVICE_ACTION_IN_16: u8 = 0x9e;
    /// Service action of READ CAPACITY(16).
    pub const READ_CAPACITY_16: u8 = 0x10;
}

/// Bytes asked for by INQUIRY (the standard data up to the revision).
pub const INQUIRY_LEN: u32 = 36;
/// Bytes asked for by REQUEST SENSE (fixed-format sense data).
pub const SENSE_LEN: u32 = 18;
/// Bytes asked for by MODE SENSE(6) (what most sticks expect; the header is 4).
pub const MODE_SENSE_LEN: u32 = 192;

impl Command {
    fn new(bytes: &[u8], direction: Direction, length: u32) -> Self {
        let mut cdb = [0u8; 16];
        let n = bytes.len().min(16);
        cdb[..n].copy_from_slice(&bytes[..n]);
        Self {
            cdb,
            cdb_len: n as u8,
            direction: if length == 0 {
                Direction::None
            } else {
                direction
            },
            length,
        }
    }

    /// The command block's bytes (`cdb_len` of them, at most 16).
    pub fn bytes(&self) -> &[u8] {
        &self.cdb[..usize::from(self.cdb_len).min(self.cdb.len())]
    }

    pub fn test_unit_ready() -> Self {
        Self::new(&[op::TEST_UNIT_READY, 0, 0, 0, 0, 0], Direction::None, 0)
    }

    pub fn request_sense() -> Self {
        Self::new(
            &[op::REQUEST_SENSE, 0, 0, 0, SENSE_LEN as u8, 0],
            Direction::In,
            SENSE_LEN,
        )
    }

    pub fn inquiry() -> Self {
        Self::new(
            &[op::INQUIRY, 0, 0, 0, INQUIRY_LEN as u8, 0],
            Direction::In,
            INQUIRY_LEN,
        )
    }

    /// MODE SENSE(6) of all pages (0x3f); only the header's write-protect bit is used.
    pub fn mode_sense_6() -> Self {
        Self::new(
            &[op::MODE_SENSE_6, 0, 0x3f, 0, MODE_SENSE_LEN as u8, 0],
            Direction::In,
            MODE_SENSE_LEN,
        )
    }

    pub fn read_capacity_10() -> Self {
        Self::new(
            &[op::READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Direction::In,
            8,
        )
    }

    pub fn read_capacity_16() -> Self {
        let mut b = [0u8; 16];
        b[0] = op::SERVICE_ACTION_IN_16;
        b[1] = op::READ_CAPACITY_16;
        b[10..14].copy_from_slice(&32u32.to_be_bytes());
        Self::new(&b, Direction::In, 32)
    }

    pub fn synchronize_cache_10() -> Self {
        Self::new(
            &[op::SYNCHRONIZE_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Direction::None,
            0,
        )
    }

    /// READ or WRITE of `count` blocks of `block_size` bytes at `lba`: the 10-byte form
    /// when the LBA and count fit it, else the 16-byte one. `None` when the byte count
    /// overflows 32 bits (callers split their requests far below that).
    pub fn read_write(write: bool, lba: u64, count: u32, block_size: u32) -> Option<Self> {
        let length = count.checked_mul(block_size)?;
        let direction = if write { Direction::Out } else { Direction::In };
        let end = lba.checked_add(u64::from(count))?;
        if end <= 1 << 32 && count <= u32::from(u16::MAX) {
            let mut b = [0u8; 10];
            b[0] = if write { op::WRITE_10 } else { op::READ_10 };
            b[2..6].copy_from_slice(&(lba as u32).to_be_bytes());
            b[7..9].copy_from_slice(&(count as u16).to_be_bytes());
            Some(Self::new(&b, direction, length))
        } else {
            let mut b = [0u8; 16];
            b[0] = if write { op::WRITE_16 } else { op::READ_16 };
            b[2..10].copy_from_slice(&lba.to_be_bytes());
            b[10..14].copy_from_slice(&count.to_be_bytes());
            Some(Self::new(&b, direction, length))
        }
    }
}

/// Why an answer to INQUIRY, READ CAPACITY, MODE SENSE or REQUEST SENSE is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Fewer bytes than the format needs.
    Short { need: usize, got: usize },
    /// A value no real device reports.
    Invalid(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Short { need, got } => write!(f, "{got} bytes where {need} are needed"),
            Self::Invalid(what) => f.write_str(what),
        }
    }
}

fn need(b: &[u8], n: usize) -> Result<(), ParseError> {
    if b.len() < n {
        Err(ParseError::Short {
            need: n,
            got: b.len(),
        })
    } else {
        Ok(())
    }
}

/// The standard INQUIRY data that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    /// Peripheral device type (0: direct-access block device).
    pub device_type: u8,
    /// Peripheral qualifier 0: a device is connected to this LUN.
    pub present: bool,
    pub removable: bool,
    pub vendor: String,
    pub product: String,
    pub revision: String,
}

impl Inquiry {
    /// Parses INQUIRY data; the strings may be cut short or missing (then empty).
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        need(b, 2)?;
        let text = |from: usize, to: usize| ascii(b.get(from..to.min(b.len())).unwrap_or(&[]));
        Ok(Self {
            device_type: b[0] & 0x1f,
            present: b[0] >> 5 == 0,
            removable: b[1] & 0x80 != 0,
            vendor: text(8, 16),
            product: text(16, 32),
            revision: text(32, 36),
        })
    }

    /// A direct-access block device (SBC), or the simplified one some card readers report.
    pub fn is_disk(&self) -> bool {
        self.present && matches!(self.device_type, 0x00 | 0x0e)
    }

    /// `vendor product`, trimmed (as a name for the log).
    pub fn name(&self) -> String {
        let mut s = String::from(self.vendor.as_str());
        if !self.product.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&self.product);
        }
        s
    }
}

/// Printable ASCII of an identification field, trimmed; anything else becomes `?`.
fn ascii(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else if c == 0 {
                ' '
            } else {
                '?'
            }
        })
        .collect();
    String::from(s.trim())
}

/// A device's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub blocks: u64,
    pub block_size: u32,
}

/// What READ CAPACITY(10) said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity10 {
    Known(Capacity),
    /// More than 2^32 blocks: ask READ CAPACITY(16).
    TooLarge,
}

/// Block sizes accepted: powers of two from 512 to 4096 bytes.
fn check_block_size(size: u32) -> Result<u32, ParseError> {
    if (512..=4096).contains(&size) && size.is_power_of_two() {
        Ok(size)
    } else {
        Err(ParseError::Invalid("unsupported block size"))
    }
}

/// Parses READ CAPACITY(10) data (SBC-3 section 5.15.2).
pub fn parse_capacity_10(b: &[u8]) -> Result<Capacity10, ParseError> {
    need(b, 8)?;
    let last = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if last == u32::MAX {
        return Ok(Capacity10::TooLarge);
    }
    let block_size = check_block_size(u32::from_be_bytes([b[4], b[5], b[6], b[7]]))?;
    Ok(Capacity10::Known(Capacity {
        blocks: u64::from(last) + 1,
        block_size,
    }))
}

/// Parses READ CAPACITY(16) data (SBC-3 section 5.16.2). Sizes past 2^63 bytes are
/// refused (no such device exists; the sums over them would overflow).
pub fn parse_capacity_16(b: &[u8]) -> Result<Capacity, ParseError> {
    need(b, 12)?;
    let mut last = [0u8; 8];
    last.copy_from_slice(&b[0..8]);
    let last = u64::from_be_bytes(last);
    let block_size = check_block_size(u32::from_be_bytes([b[8], b[9], b[10], b[11]]))?;
    let blocks = last
        .checked_add(1)
        .filter(|n| {
            n.checked_mul(u64::from(block_size))
                .is_some_and(|b| b < 1 << 63)
        })
        .ok_or(ParseError::Invalid("capacity out of range"))?;
    Ok(Capacity { blocks, block_size })
}

/// The write-protect bit of MODE SENSE(6) data (the header's device-specific byte).
pub fn parse_write_protect(b: &[u8]) -> Result<bool, ParseError> {
    need(b, 4)?;
    Ok(b[2] & 0x80 != 0)
}

/// Sense keys used in decisions (SPC-4 table 48).
pub mod key {
    pub const NO_SENSE: u8 = 0x0;
    pub const RECOVERED_ERROR: u8 = 0x1;
    pub const NOT_READY: u8 = 0x2;
    pub const MEDIUM_ERROR: u8 = 0x3;
    pub const HARDWARE_ERROR: u8 = 0x4;
    pub const ILLEGAL_REQUEST: u8 = 0x5;
    pub const UNIT_ATTENTION: u8 = 0x6;
    pub const DATA_PROTECT: u8 = 0x7;
}

/// Sense data: key and additional sense code/qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sense {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
}

/// What to do about a failed command, from its sense data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenseAction {
    /// Try again (unit attention after a reset or medium change; becoming ready; no
    /// sense at all).
    Retry,
    /// No medium (an empty card reader or CD drive).
    NoMedium,
    /// Write-protected medium.
    ReadOnly,
    /// A real error: give up on this request.
    Fail,
}

impl Sense {
    /// Parses fixed-format (0x70/0x71) or descriptor-format (0x72/0x73) sense data.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        need(b, 1)?;
        match b[0] & 0x7f {
            0x70 | 0x71 => {
                need(b, 3)?;
                // ASC/ASCQ sit at 12/13 and may be cut off by a short additional length.
                Ok(Self {
                    key: b[2] & 0x0f,
                    asc: b.get(12).copied().unwrap_or(0),
                    ascq: b.get(13).copied().unwrap_or(0),
                })
            }
            0x72 | 0x73 => {
                need(b, 4)?;
                Ok(Self {
                    key: b[1] & 0x0f,
                    asc: b[2],
                    ascq: b[3],
                })
            }
            _ => Err(ParseError::Invalid("unknown sense data format")),
        }
    }

    pub fn action(&self) -> SenseAction {
        match (self.key, self.asc, self.ascq) {
            (key::NO_SENSE | key::RECOVERED_ERROR | key::UNIT_ATTENTION, _, _) => {
                SenseAction::Retry
            }
            // Medium not present.
            (key::NOT_READY, 0x3a, _) => SenseAction::NoMedium,
            // Logical unit not ready: becoming ready, or in progress of some kind.
            (key::NOT_READY, 0x04, 0x00..=0x01 | 0x07 | 0x08) => SenseAction::Retry,
            (key::DATA_PROTECT, _, _) => SenseAction::ReadOnly,
            _ => SenseAction::Fail,
        }
    }

    /// The sense key's name.
    pub fn key_name(&self) -> &'static str {
        match self.key {
            key::NO_SENSE => "no sense",
            key::RECOVERED_ERROR => "recovered error",
            key::NOT_READY => "not ready",
            key::MEDIUM_ERROR => "medium error",
            key::HARDWARE_ERROR => "hardware error",
            key::ILLEGAL_REQUEST => "illegal request",
            key::UNIT_ATTENTION => "unit attention",
            key::DATA_PROTECT => "data protect",
            0x8 => "blank check",
            0x9 => "vendor specific",
            0xa => "copy aborted",
            0xb => "aborted command",
            0xd => "volume overflow",
            0xe => "miscompare",
            _ => "reserved",
        }
    }
}

impl fmt::Display for Sense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (ASC {:#04x}, ASCQ {:#04x})",
            self.key_name(),
            self.asc,
            self.ascq
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use wasm_abi::Rng;

    #[test]
    fn command_blocks() {
        let r = Command::read_write(false, 0x0102_0304, 8, 512).unwrap();
        assert_eq!(
            &r.cdb[..10],
            &[0x28, 0, 1, 2, 3, 4, 0, 0, 8, 0],
            "READ(10) with a big-endian LBA and count"
        );
        assert_eq!(
            (r.cdb_len, r.direction, r.length),
            (10, Direction::In, 4096)
        );
        let w = Command::read_write(true, 5, 1, 4096).unwrap();
        assert_eq!(w.cdb[0], 0x2a);
        assert_eq!((w.direction, w.length), (Direction::Out, 4096));
        // Past 2^32 blocks: the 16-byte form.
        let far = Command::read_write(false, 1 << 32, 2, 512).unwrap();
        assert_eq!(far.cdb_len, 16);
        assert_eq!(
            &far.cdb[..14],
            &[0x88, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        let edge = Command::read_write(true, (1 << 32) - 1, 1, 512).unwrap();
        assert_eq!(edge.cdb[0], 0x2a, "the last 32-bit LBA still fits READ(10)");
        let edge = Command::read_write(true, (1 << 32) - 1, 2, 512).unwrap();
        assert_eq!(edge.cdb[0], 0x8a);
        assert!(Command::read_write(false, u64::MAX, 2, 512).is_none());
        assert!(Command::read_write(false, 0, u32::MAX, 512).is_none());
        assert_eq!(Command::test_unit_ready().direction, Direction::None);
        assert_eq!(Command::synchronize_cache_10().cdb[0], 0x35);
        let rc16 = Command::read_capacity_16();
        assert_eq!((rc16.cdb[0], rc16.cdb[1], rc16.cdb[13]), (0x9e, 0x10, 32));
        assert_eq!(Command::mode_sense_6().cdb[..5], [0x1a, 0, 0x3f, 0, 192]);
        assert_eq!(Command::inquiry().length, 36);
        assert_eq!(r.bytes(), &r.cdb[..10]);
        let mut odd = Command::test_unit_ready();
        odd.cdb_len = 200;
        assert_eq!(odd.bytes().len(), 16, "a bad length is clamped");
    }

    #[test]
    fn inquiry_data() {
        let mut b = vec![0u8, 0x80, 5, 2, 31, 0, 0, 0];
        b.extend_from_slice(b"QEMU    QEMU HARDDISK   2.5+");
        let i = Inquiry::parse(&b).unwrap();
        assert!(i.is_disk() && i.removable);
        assert_eq!(i.name(), "QEMU QEMU HARDDISK");
        assert_eq!(i.revision, "2.5+");
        // A CD-ROM, an absent LUN, control characters and a cut-off answer.
        assert!(!Inquiry::parse(&[5, 0x80]).unwrap().is_disk());
        assert!(!Inquiry::parse(&[0x7f, 0]).unwrap().is_disk());
        let mut evil = b.clone();
        evil[8] = 0x1b;
        evil[9] = 0xff;
        assert!(Inquiry::parse(&evil).unwrap().vendor.starts_with("??"));
        let cut = Inquiry::parse(&b[..12]).unwrap();
        assert_eq!((cut.vendor.as_str(), cut.product.as_str()), ("QEMU", ""));
        assert!(Inquiry::parse(&[0]).is_err());
    }

    #[test]
    fn capacities() {
        // 64 MiB of 512-byte blocks: last LBA 131071.
        assert_eq!(
            parse_capacity_10(&[0, 1, 0xff, 0xff, 0, 0, 2, 0]),
            Ok(Capacity10::Known(Capacity {
                blocks: 131072,
                block_size: 512
            }))
        );
        assert_eq!(
            parse_capacity_10(&[0xff, 0xff, 0xff, 0xff, 0, 0, 2, 0]),
            Ok(Capacity10::TooLarge)
        );
        assert!(
            parse_capacity_10(&[0, 0, 0, 0, 0, 0, 2, 1]).is_err(),
            "513-byte blocks"
        );
        assert!(
            parse_capacity_10(&[0, 0, 0, 0, 0, 0, 0, 0]).is_err(),
            "0-byte blocks"
        );
        assert!(parse_capacity_10(&[0, 0, 0, 0, 0, 0, 2]).is_err(), "short");
        let mut b16 = [0u8; 32];
        b16[3] = 1; // last LBA 2^32
        b16[10] = 0x10; // 4096-byte blocks
        assert_eq!(
            parse_capacity_16(&b16),
            Ok(Capacity {
                blocks: (1 << 32) + 1,
                block_size: 4096
            })
        );
        let mut huge = b16;
        huge[..8].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(parse_capacity_16(&huge).is_err());
        huge[..8].copy_from_slice(&(1u64 << 60).to_be_bytes());
        assert!(parse_capacity_16(&huge).is_err(), "2^72 bytes");
        assert!(parse_capacity_16(&b16[..11]).is_err());
    }

    #[test]
    fn write_protect_and_sense() {
        assert_eq!(parse_write_protect(&[3, 0, 0x80, 0]), Ok(true));
        assert_eq!(parse_write_protect(&[3, 0, 0x00, 0]), Ok(false));
        assert!(parse_write_protect(&[3, 0, 0x80]).is_err());
        // Fixed format: unit attention, power on (29/00).
        let mut fixed = [0u8; 18];
        fixed[0] = 0x70;
        fixed[2] = 0x06;
        fixed[12] = 0x29;
        let s = Sense::parse(&fixed).unwrap();
        assert_eq!((s.key, s.asc, s.ascq), (6, 0x29, 0));
        assert_eq!(s.action(), SenseAction::Retry);
        // Medium not present; write protected; becoming ready; a medium error.
        let s = |key, asc, ascq| Sense { key, asc, ascq };
        assert_eq!(s(2, 0x3a, 0).action(), SenseAction::NoMedium);
        assert_eq!(s(7, 0x27, 0).action(), SenseAction::ReadOnly);
        assert_eq!(s(2, 0x04, 0x01).action(), SenseAction::Retry);
        assert_eq!(s(2, 0x04, 0x03).action(), SenseAction::Fail);
        assert_eq!(s(3, 0x11, 0).action(), SenseAction::Fail);
        // Descriptor format, a cut-off fixed one, and garbage.
        assert_eq!(Sense::parse(&[0x72, 0x05, 0x24, 0x00]).unwrap().key, 5);
        assert_eq!(Sense::parse(&[0xf0, 0, 0x03]).unwrap().asc, 0);
        assert!(Sense::parse(&[0x12, 0, 0]).is_err());
        assert!(Sense::parse(&[]).is_err());
        assert!(
            alloc::format!("{}", s(7, 0x27, 0)).starts_with("data protect"),
            "readable sense"
        );
    }

    /// Random and mutated answers never panic, and whatever is accepted is in range.
    #[test]
    fn hostile_answers_never_panic() {
        let mut rng = Rng::new(0x5702);
        let mut inquiry = vec![0u8, 0x80, 5, 2, 31, 0, 0, 0];
        inquiry.extend_from_slice(b"QEMU    QEMU HARDDISK   2.5+");
        let samples: [Vec<u8>; 5] = [
            vec![5, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            inquiry,
            vec![0, 1, 0xff, 0xff, 0, 0, 2, 0],
            {
                let mut s = vec![0u8; 18];
                s[0] = 0x70;
                s[2] = 6;
                s
            },
            vec![0u8; 32],
        ];
        let mut parsed = [0u32; 4];
        for round in 0..40_000u32 {
            let base = &samples[(round % 5) as usize];
            let mut b = if rng.next_u32() % 4 == 0 {
                let len = (rng.next_u32() % 48) as usize;
                (0..len).map(|_| rng.next_u32() as u8).collect::<Vec<u8>>()
            } else {
                base.clone()
            };
            let keep = rng.mutate(&mut b);
            b.truncate(keep);
            if let Ok(i) = Inquiry::parse(&b) {
                assert!(i.vendor.len() <= 8 && i.product.len() <= 16 && i.revision.len() <= 4);
                assert!(i.vendor.chars().all(|c| (' '..='~').contains(&c)));
                parsed[0] += 1;
            }
            if let Ok(Capacity10::Known(c)) = parse_capacity_10(&b) {
                assert!(c.blocks >= 1 && c.block_size.is_power_of_two());
                parsed[1] += 1;
            }
            if let Ok(c) = parse_capacity_16(&b) {
                assert!(c.blocks >= 1 && (512..=4096).contains(&c.block_size));
                assert!(c.blocks.checked_mul(u64::from(c.block_size)).is_some());
            }
            let _ = parse_write_protect(&b);
            if let Ok(s) = Sense::parse(&b) {
                assert!(s.key <= 0xf);
                let _ = (s.action(), alloc::format!("{s}"));
                parsed[2] += 1;
            }
        }
        assert!(
            parsed[0] > 100 && parsed[1] > 100 && parsed[2] > 100,
            "{parsed:?}"
        );
    }
}
