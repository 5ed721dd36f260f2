//! USB mass storage: the Bulk-Only Transport (BOT 1.0) wrappers that carry SCSI
//! commands to a stick and its status back (SCSI transparent command set).
//!
//! Why here: a stick answers every command with bytes of its choosing — a status wrapper
//! with the wrong tag or length, a residue larger than what was asked. Each wrapper is
//! checked by one function below that returns an error instead of panicking (host tests
//! feed it random and mutated bytes); the kernel only moves these bytes over the bulk
//! pipes. The SCSI commands themselves and the parsing of their answers (INQUIRY,
//! capacities, sense data) are shared with the ATAPI (CD) driver: `storage_cmds::scsi`.
//! Written by hand: the wrappers are two fixed little structures.

use crate::descriptor::{Configuration, Endpoint, TransferType, class};
use core::fmt;
use storage_cmds::scsi::{Command, Direction};

/// Interface subclass: SCSI transparent command set.
pub const SUBCLASS_SCSI: u8 = 0x06;
/// Interface protocol: Bulk-Only Transport.
pub const PROTOCOL_BOT: u8 = 0x50;

/// Bytes of a Command Block Wrapper.
pub const CBW_LEN: usize = 31;
/// Bytes of a Command Status Wrapper.
pub const CSW_LEN: usize = 13;
const CBW_SIGNATURE: u32 = 0x4342_5355;
const CSW_SIGNATURE: u32 = 0x5342_5355;

/// Class requests on endpoint 0 (BOT section 3).
pub mod request {
    /// Bulk-Only Mass Storage Reset.
    pub const RESET: u8 = 0xff;
    /// Get Max LUN (one byte: the highest LUN number).
    pub const GET_MAX_LUN: u8 = 0xfe;
}

/// The bulk-only interface of a device and its two pipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotInterface {
    pub interface: u8,
    pub bulk_in: Endpoint,
    pub bulk_out: Endpoint,
}

/// Finds a SCSI/Bulk-Only interface (class 08, subclass 06, protocol 0x50) in its
/// default setting with one bulk IN and one bulk OUT endpoint of a usable packet size.
pub fn find_bot_interface(config: &Configuration) -> Option<BotInterface> {
    config
        .default_interfaces()
        .filter(|i| {
            i.class == class::MASS_STORAGE
                && i.subclass == SUBCLASS_SCSI
                && i.protocol == PROTOCOL_BOT
        })
        .find_map(|i| {
            let bulk = |is_in: bool| {
                i.endpoints
                    .iter()
                    .find(|e| {
                        e.transfer_type() == TransferType::Bulk
                            && e.is_in() == is_in
                            && e.max_packet() >= 8
                    })
                    .copied()
            };
            Some(BotInterface {
                interface: i.number,
                bulk_in: bulk(true)?,
                bulk_out: bulk(false)?,
            })
        })
}

/// How the device says the command went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// The command failed: REQUEST SENSE says why.
    Failed,
    /// The device lost track of the protocol: reset recovery is needed.
    PhaseError,
}

/// A valid and meaningful Command Status Wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csw {
    pub status: Status,
    /// Bytes of the data stage the device did not process.
    pub residue: u32,
}

/// Why a status wrapper is not accepted. Each of these calls for reset recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CswError {
    /// Not 13 bytes.
    Length(usize),
    Signature(u32),
    /// The tag of another command.
    Tag {
        expected: u32,
        got: u32,
    },
    /// A status value BOT does not define.
    Status(u8),
    /// More left over than was asked for.
    Residue {
        residue: u32,
        expected: u32,
    },
}

impl fmt::Display for CswError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length(n) => write!(f, "status wrapper of {n} bytes instead of 13"),
            Self::Signature(s) => write!(f, "status wrapper with signature {s:#010x}"),
            Self::Tag { expected, got } => {
                write!(f, "status wrapper tag {got:#x}, expected {expected:#x}")
            }
            Self::Status(s) => write!(f, "undefined command status {s}"),
            Self::Residue { residue, expected } => {
                write!(
                    f,
                    "residue {residue} larger than the {expected} bytes asked"
                )
            }
        }
    }
}

/// Checks a status wrapper (BOT sections 6.3.1 and 6.3.2): valid (13 bytes, signature,
/// the command's tag) and meaningful (a defined status, residue within what was asked).
pub fn parse_csw(b: &[u8], tag: u32, expected_len: u32) -> Result<Csw, CswError> {
    if b.len() != CSW_LEN {
        return Err(CswError::Length(b.len()));
    }
    let le = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let signature = le(0);
    if signature != CSW_SIGNATURE {
        return Err(CswError::Signature(signature));
    }
    let got = le(4);
    if got != tag {
        return Err(CswError::Tag { expected: tag, got });
    }
    let residue = le(8);
    let status = match b[12] {
        0 => Status::Passed,
        1 => Status::Failed,
        2 => Status::PhaseError,
        s => return Err(CswError::Status(s)),
    };
    if residue > expected_len {
        return Err(CswError::Residue {
            residue,
            expected: expected_len,
        });
    }
    Ok(Csw { status, residue })
}

/// The Command Block Wrapper carrying `cmd` (BOT section 5.1).
pub fn cbw(cmd: &Command, tag: u32, lun: u8) -> [u8; CBW_LEN] {
    let mut w = [0u8; CBW_LEN];
    w[0..4].copy_from_slice(&CBW_SIGNATURE.to_le_bytes());
    w[4..8].copy_from_slice(&tag.to_le_bytes());
    w[8..12].copy_from_slice(&cmd.length.to_le_bytes());
    w[12] = if cmd.direction == Direction::In {
        0x80
    } else {
        0
    };
    w[13] = lun & 0x0f;
    w[14] = cmd.cdb_len.clamp(1, 16);
    w[15..31].copy_from_slice(&cmd.cdb);
    w
}

/// Bytes of a data stage that were really moved, from what the controller counted and
/// what the status wrapper says was left over (the smaller claim wins: a device cannot
/// have processed bytes that never crossed the bus).
pub fn transferred(asked: u32, moved: u32, residue: u32) -> u32 {
    moved.min(asked).min(asked.saturating_sub(residue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::Configuration;
    use alloc::vec;
    use alloc::vec::Vec;
    use wasm_abi::Rng;

    /// QEMU's usb-storage configuration (high speed): one BOT interface, bulk 0x81/0x02.
    fn stick_config() -> Vec<u8> {
        vec![
            9, 2, 32, 0, 1, 1, 0, 0xc0, 50, // configuration, total 32
            9, 4, 0, 0, 2, 8, 6, 0x50, 0, // interface 0: mass storage, SCSI, BOT
            7, 5, 0x81, 2, 0, 2, 0, // bulk IN 1, 512 bytes
            7, 5, 0x02, 2, 0, 2, 0, // bulk OUT 2, 512 bytes
        ]
    }

    #[test]
    fn finds_the_bot_interface() {
        let c = Configuration::parse(&stick_config()).unwrap();
        let bot = find_bot_interface(&c).expect("BOT interface");
        assert_eq!(bot.interface, 0);
        assert_eq!(bot.bulk_in.address, 0x81);
        assert_eq!(bot.bulk_out.address, 0x02);
        assert_eq!((bot.bulk_in.dci(), bot.bulk_out.dci()), (3, 4));
        // Another protocol (CBI), a missing OUT endpoint, or interrupt endpoints: none.
        let mut cbi = stick_config();
        cbi[16] = 0x00;
        assert!(find_bot_interface(&Configuration::parse(&cbi).unwrap()).is_none());
        let mut one_way = stick_config();
        one_way[27] = 0x82;
        assert!(find_bot_interface(&Configuration::parse(&one_way).unwrap()).is_none());
        let mut interrupt = stick_config();
        interrupt[21] = 3;
        assert!(find_bot_interface(&Configuration::parse(&interrupt).unwrap()).is_none());
        // SuperSpeed: companions after each endpoint carry the burst size.
        let ss = vec![
            9, 2, 44, 0, 1, 1, 0, 0xc0, 50, //
            9, 4, 0, 0, 2, 8, 6, 0x50, 0, //
            7, 5, 0x81, 2, 0, 4, 0, 6, 0x30, 15, 0, 0, 0, //
            7, 5, 0x02, 2, 0, 4, 0, 6, 0x30, 99, 0, 0, 0,
        ];
        let bot = find_bot_interface(&Configuration::parse(&ss).unwrap()).unwrap();
        assert_eq!(
            (bot.bulk_in.max_packet(), bot.bulk_in.max_burst),
            (1024, 15)
        );
        assert_eq!(bot.bulk_out.max_burst, 15, "clamped");
        assert_eq!(
            find_bot_interface(&c).unwrap().bulk_in.max_burst,
            0,
            "no companion"
        );
        let mut tiny = stick_config();
        tiny[29] = 0;
        tiny[30] = 0;
        assert!(find_bot_interface(&Configuration::parse(&tiny).unwrap()).is_none());
    }

    #[test]
    fn command_wrapper() {
        let w = cbw(&Command::inquiry(), 0xdead_beef, 0);
        assert_eq!(&w[0..4], b"USBC");
        assert_eq!(&w[4..8], &0xdead_beefu32.to_le_bytes());
        assert_eq!(&w[8..12], &36u32.to_le_bytes());
        assert_eq!((w[12], w[13], w[14], w[15]), (0x80, 0, 6, 0x12));
        let out = cbw(&Command::read_write(true, 0, 1, 512).unwrap(), 1, 3);
        assert_eq!((out[12], out[13], out[14]), (0, 3, 10));
    }

    fn csw(tag: u32, residue: u32, status: u8) -> Vec<u8> {
        let mut b = Vec::from(*b"USBS");
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&residue.to_le_bytes());
        b.push(status);
        b
    }

    #[test]
    fn status_wrapper_checks() {
        assert_eq!(
            parse_csw(&csw(7, 0, 0), 7, 512),
            Ok(Csw {
                status: Status::Passed,
                residue: 0
            })
        );
        assert_eq!(
            parse_csw(&csw(7, 12, 1), 7, 512).unwrap().status,
            Status::Failed
        );
        assert_eq!(
            parse_csw(&csw(7, 0, 2), 7, 0).unwrap().status,
            Status::PhaseError
        );
        assert_eq!(
            parse_csw(&csw(8, 0, 0), 7, 512),
            Err(CswError::Tag {
                expected: 7,
                got: 8
            })
        );
        assert_eq!(parse_csw(&csw(7, 0, 3), 7, 512), Err(CswError::Status(3)));
        assert_eq!(
            parse_csw(&csw(7, 513, 0), 7, 512),
            Err(CswError::Residue {
                residue: 513,
                expected: 512
            })
        );
        assert_eq!(
            parse_csw(&csw(7, 0, 0)[..12], 7, 0),
            Err(CswError::Length(12))
        );
        let mut long = csw(7, 0, 0);
        long.push(0);
        assert_eq!(parse_csw(&long, 7, 0), Err(CswError::Length(14)));
        let mut sig = csw(7, 0, 0);
        sig[0] = b'X';
        assert!(matches!(parse_csw(&sig, 7, 0), Err(CswError::Signature(_))));
        // A CBW echoed back is not a CSW.
        let cbw = cbw(&Command::test_unit_ready(), 7, 0);
        assert!(parse_csw(&cbw[..13], 7, 0).is_err());
    }

    #[test]
    fn transferred_bytes() {
        assert_eq!(transferred(512, 512, 0), 512);
        assert_eq!(transferred(512, 100, 412), 100);
        // A device claiming less residue than the controller saw: the bus count wins.
        assert_eq!(transferred(512, 100, 0), 100);
        // Claiming more processed than moved, or a huge residue: never above either.
        assert_eq!(transferred(512, 512, 600), 0);
        assert_eq!(transferred(36, 4096, 0), 36);
    }

    /// Random and mutated status wrappers never panic, and whatever is accepted is in range.
    #[test]
    fn hostile_wrappers_never_panic() {
        let mut rng = Rng::new(0x5702);
        let good = csw(42, 0, 0);
        let mut accepted = 0u32;
        for _ in 0..40_000u32 {
            let mut b = if rng.next_u32() % 4 == 0 {
                let len = (rng.next_u32() % 48) as usize;
                (0..len).map(|_| rng.next_u32() as u8).collect::<Vec<u8>>()
            } else {
                good.clone()
            };
            let keep = rng.mutate(&mut b);
            b.truncate(keep);
            let expected = rng.next_u32() % 1024;
            if let Ok(c) = parse_csw(&b, 42, expected) {
                assert!(c.residue <= expected);
                assert_eq!(b.len(), CSW_LEN);
                assert!(b.starts_with(b"USBS"));
                accepted += 1;
            }
        }
        assert!(
            accepted > 100,
            "mutations that keep a CSW valid are accepted"
        );
        let mut bad = good;
        bad[12] = 9;
        assert!(parse_csw(&bad, 42, 0).is_err());
    }
}
