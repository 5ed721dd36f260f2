//! Partition tables, read defensively: GPT and MBR, as found on disks, sticks and images.
//!
//! A disk is hostile input (a stick from anywhere, a half-written image), so every field is
//! checked before use and nothing here panics or loops without bound: GPT headers and entry
//! arrays must match their CRC32 (the backup header at the disk's end is used when the
//! primary is damaged), partitions must lie inside the disk, extended-partition chains stop
//! after [`MAX_LOGICAL`] links or on a link seen before.
//!
//! Layouts handled:
//! - GPT behind a protective MBR (one 0xEE entry);
//! - a *hybrid* MBR, as on an ISO image written to a stick (`xorriso`'s isohybrid layout):
//!   an 0xEE entry next to ordinary ones. A valid GPT wins; without one the ordinary MBR
//!   entries are used, so the stick's EFI partition is still found;
//! - plain MBR, with logical partitions inside an extended one;
//! - no table at all but a FAT boot sector in sector 0 (a "superfloppy", what `mkfs.fat`
//!   makes of a whole image): reported as [`Scheme::Whole`].
//!
//! Optical media (CDs, DVDs) are read with [`read_medium`] instead: never a partition
//! table, only FAT on the whole medium. A CD's sectors are 2048 bytes, while the MBR of a
//! hybrid ISO image (RustOS's own) counts 512-byte sectors; reading it on the CD would
//! put every partition at four times its real place. ISO 9660 itself is recognised by
//! [`looks_like_iso9660`] (for `lsblk`), not mounted.
//!
//! Written by hand: the registry's GPT crates need `std` and do not read MBRs or hybrids.
//! CRC32 is the `crc32fast` crate.

#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

#[cfg(test)]
mod tests;

/// Logical partitions followed in an extended partition at most.
pub const MAX_LOGICAL: usize = 64;
/// GPT entries read at most (the usual table has 128).
pub const MAX_GPT_ENTRIES: u32 = 1024;

/// How the disk is divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// No partition table and no file system recognised in sector 0.
    None,
    /// No partition table: the whole disk holds one FAT file system.
    Whole,
    Mbr,
    Gpt,
    /// GPT, whose MBR also lists partitions (an ISO image on a stick).
    HybridGpt,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::None => "none",
            Scheme::Whole => "whole disk",
            Scheme::Mbr => "MBR",
            Scheme::Gpt => "GPT",
            Scheme::HybridGpt => "GPT (hybrid MBR)",
        })
    }
}

/// What kind of partition an entry says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An MBR partition type byte (0x0c FAT32 LBA, 0xef EFI system, ...).
    Mbr(u8),
    /// A GPT partition: type GUID (as stored on disk) and name.
    Gpt { type_guid: [u8; 16], name: String },
}

/// GPT type GUID of an EFI system partition (C12A7328-F81F-11D2-BA4B-00A0C93EC93B), as stored.
pub const GUID_EFI_SYSTEM: [u8; 16] = [
    0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
];
/// GPT type GUID of Microsoft basic data (EBD0A0A2-B9E5-4433-87C0-68B6B72699C7), as stored.
pub const GUID_BASIC_DATA: [u8; 16] = [
    0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7,
];

impl Kind {
    /// A short description for `lsblk`.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Mbr(0x01) => "FAT12",
            Kind::Mbr(0x04 | 0x06 | 0x0e) => "FAT16",
            Kind::Mbr(0x0b | 0x0c) => "FAT32",
            Kind::Mbr(0x07) => "NTFS/exFAT",
            Kind::Mbr(0x83) => "Linux",
            Kind::Mbr(0xef) => "EFI system",
            Kind::Mbr(0x00 | 0x17 | 0xcd) => "ISO 9660",
            Kind::Mbr(_) => "other",
            Kind::Gpt { type_guid, .. } if *type_guid == GUID_EFI_SYSTEM => "EFI system",
            Kind::Gpt { type_guid, .. } if *type_guid == GUID_BASIC_DATA => "basic data",
            Kind::Gpt { .. } => "other",
        }
    }
}

/// One partition, inside the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// 1-based number as Linux counts: MBR primaries 1-4, logical from 5; GPT entry + 1.
    pub number: u32,
    pub first_lba: u64,
    pub sectors: u64,
    pub kind: Kind,
}

/// The result of reading a disk's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub scheme: Scheme,
    pub partitions: Vec<Partition>,
    /// What was wrong but survivable (a damaged primary GPT, an entry past the disk's end).
    pub warnings: Vec<&'static str>,
}

/// Why the tables could not be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The device failed to read a sector.
    Io,
    /// A sector size that is not a power of two between 512 and 4096.
    BadSectorSize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Io => "read error",
            Error::BadSectorSize => "unsupported sector size",
        })
    }
}

/// Reads one sector (`buf.len()` is the sector size) at an LBA.
pub type ReadFn<'r> = &'r mut dyn FnMut(u64, &mut [u8]) -> Result<(), ()>;

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | (u64::from(le32(b, at + 4)) << 32)
}

/// Whether a sector looks like a FAT boot sector (jump instruction, sane BPB, a "FAT"
/// file-system type string). Used for whole-disk FAT and for `lsblk`'s FS column.
pub fn looks_like_fat(sector: &[u8]) -> bool {
    if sector.len() < 512 || le16(sector, 510) != 0xaa55 {
        return false;
    }
    let jump = sector[0] == 0xeb || sector[0] == 0xe9;
    let bps = le16(sector, 11);
    let spc = sector[13];
    let fats = sector[16];
    let sane = matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc.is_power_of_two()
        && (1..=4).contains(&fats)
        && le16(sector, 14) != 0;
    let label =
        &sector[54..59] == b"FAT12" || &sector[54..59] == b"FAT16" || &sector[82..87] == b"FAT32";
    jump && sane && (label || &sector[54..57] == b"FAT")
}

/// Where an ISO 9660 volume's first volume descriptor starts: sector 16 of 2048 bytes.
pub const ISO9660_DESCRIPTOR_AT: u64 = 32768;

/// Whether `descriptor` (the bytes at [`ISO9660_DESCRIPTOR_AT`]) is an ISO 9660 volume
/// descriptor: the standard identifier "CD001" at byte 1 and version 1 at byte 6.
pub fn looks_like_iso9660(descriptor: &[u8]) -> bool {
    descriptor.get(1..7) == Some(b"CD001\x01".as_slice())
}

/// The "table" of an optical medium (a CD of `sector_size`-byte sectors): no partitions
/// are ever read, whatever sector 0 holds; [`Scheme::Whole`] when the medium's first
/// sector is a FAT boot sector, else [`Scheme::None`].
pub fn read_medium(sector_size: usize, read: ReadFn<'_>) -> Result<Table, Error> {
    if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
        return Err(Error::BadSectorSize);
    }
    let mut first = vec![0u8; sector_size];
    read(0, &mut first).map_err(|()| Error::Io)?;
    Ok(Table {
        scheme: if looks_like_fat(&first) {
            Scheme::Whole
        } else {
            Scheme::None
        },
        partitions: Vec::new(),
        warnings: Vec::new(),
    })
}

/// Reads the partition tables of a disk of `sectors` sectors of `sector_size` bytes.
pub fn read_table(sector_size: usize, sectors: u64, read: ReadFn<'_>) -> Result<Table, Error> {
    if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
        return Err(Error::BadSectorSize);
    }
    let mut warnings = Vec::new();
    let mut mbr = vec![0u8; sector_size];
    read(0, &mut mbr).map_err(|()| Error::Io)?;
    let has_sig = le16(&mbr, 510) == 0xaa55;
    let entries: Vec<MbrEntry> = if has_sig {
        (0..4)
            .map(|i| MbrEntry::parse(&mbr[446 + 16 * i..462 + 16 * i]))
            .collect()
    } else {
        Vec::new()
    };
    let protective = entries.iter().any(|e| e.kind == 0xee);
    // A GPT is looked for behind a protective MBR, and also without any MBR (some tools
    // leave sector 0 blank); a FAT boot sector in sector 0 is a whole-disk file system.
    if protective || !has_sig {
        match read_gpt(sector_size, sectors, read, &mut warnings)? {
            Some(partitions) => {
                let others = entries
                    .iter()
                    .any(|e| e.kind != 0xee && e.kind != 0 && e.sectors != 0);
                let scheme = if others {
                    Scheme::HybridGpt
                } else {
                    Scheme::Gpt
                };
                return Ok(Table {
                    scheme,
                    partitions,
                    warnings,
                });
            }
            None if protective => {
                warnings.push("protective MBR but no valid GPT: using the MBR entries")
            }
            None => {}
        }
    }
    if !has_sig {
        return Ok(Table {
            scheme: Scheme::None,
            partitions: Vec::new(),
            warnings,
        });
    }
    if looks_like_fat(&mbr) {
        return Ok(Table {
            scheme: Scheme::Whole,
            partitions: Vec::new(),
            warnings,
        });
    }
    let mut partitions = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.kind == 0 && e.sectors == 0 || e.kind == 0xee {
            continue;
        }
        if e.sectors == 0 || e.start == 0 {
            warnings.push("MBR entry with no sectors or at sector 0 skipped");
            continue;
        }
        if matches!(e.kind, 0x05 | 0x0f | 0x85) {
            read_logical(
                sector_size,
                sectors,
                u64::from(e.start),
                u64::from(e.sectors),
                read,
                &mut partitions,
                &mut warnings,
            )?;
            continue;
        }
        push_checked(
            &mut partitions,
            &mut warnings,
            sectors,
            Partition {
                number: i as u32 + 1,
                first_lba: u64::from(e.start),
                sectors: u64::from(e.sectors),
                kind: Kind::Mbr(e.kind),
            },
        );
    }
    partitions.sort_by_key(|p| p.number);
    Ok(Table {
        scheme: Scheme::Mbr,
        partitions,
        warnings,
    })
}

/// Keeps a partition only if it lies inside the disk.
fn push_checked(
    out: &mut Vec<Partition>,
    warnings: &mut Vec<&'static str>,
    disk: u64,
    p: Partition,
) {
    match p.first_lba.checked_add(p.sectors) {
        Some(end) if end <= disk && p.sectors > 0 => out.push(p),
        _ => warnings.push("partition past the end of the disk skipped"),
    }
}

#[derive(Debug, Clone, Copy)]
struct MbrEntry {
    kind: u8,
    start: u32,
    sectors: u32,
}

impl MbrEntry {
    fn parse(e: &[u8]) -> Self {
        Self {
            kind: e[4],
            start: le32(e, 8),
            sectors: le32(e, 12),
        }
    }
}

/// Follows the chain of extended boot records inside an extended partition.
fn read_logical(
    sector_size: usize,
    disk: u64,
    ext_start: u64,
    ext_len: u64,
    read: ReadFn<'_>,
    out: &mut Vec<Partition>,
    warnings: &mut Vec<&'static str>,
) -> Result<(), Error> {
    let mut ebr = vec![0u8; sector_size];
    let mut seen: Vec<u64> = Vec::new();
    let mut at = ext_start;
    let ext_end = ext_start.saturating_add(ext_len);
    for n in 0..MAX_LOGICAL {
        if at >= disk || at >= ext_end || seen.contains(&at) {
            if seen.contains(&at) {
                warnings.push("extended partition chain loops: stopped");
            }
            return Ok(());
        }
        seen.push(at);
        read(at, &mut ebr).map_err(|()| Error::Io)?;
        if le16(&ebr, 510) != 0xaa55 {
            warnings.push("extended boot record without signature: chain stopped");
            return Ok(());
        }
        let data = MbrEntry::parse(&ebr[446..462]);
        let next = MbrEntry::parse(&ebr[462..478]);
        if data.kind != 0 && data.sectors != 0 {
            push_checked(
                out,
                warnings,
                disk.min(ext_end),
                Partition {
                    number: 5 + n as u32,
                    first_lba: at + u64::from(data.start),
                    sectors: u64::from(data.sectors),
                    kind: Kind::Mbr(data.kind),
                },
            );
        }
        if next.sectors == 0 || next.start == 0 {
            return Ok(());
        }
        at = ext_start + u64::from(next.start);
    }
    warnings.push("more logical partitions than supported: the rest ignored");
    Ok(())
}

/// The primary GPT, or the backup when the primary is damaged. `None` when neither is valid.
fn read_gpt(
    sector_size: usize,
    disk: u64,
    read: ReadFn<'_>,
    warnings: &mut Vec<&'static str>,
) -> Result<Option<Vec<Partition>>, Error> {
    if disk < 3 {
        return Ok(None);
    }
    if let Some(p) = gpt_at(sector_size, disk, 1, read)? {
        return Ok(Some(p));
    }
    match gpt_at(sector_size, disk, disk - 1, read)? {
        Some(p) => {
            warnings.push("primary GPT damaged: using the backup");
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

/// The GPT whose header is at `lba`, if its header and entries check out.
fn gpt_at(
    sector_size: usize,
    disk: u64,
    lba: u64,
    read: ReadFn<'_>,
) -> Result<Option<Vec<Partition>>, Error> {
    let mut h = vec![0u8; sector_size];
    read(lba, &mut h).map_err(|()| Error::Io)?;
    if &h[0..8] != b"EFI PART" {
        return Ok(None);
    }
    let header_size = le32(&h, 12) as usize;
    if !(92..=sector_size).contains(&header_size) {
        return Ok(None);
    }
    let stored_crc = le32(&h, 16);
    let mut copy = h[..header_size].to_vec();
    copy[16..20].fill(0);
    if crc32fast::hash(&copy) != stored_crc || le64(&h, 24) != lba {
        return Ok(None);
    }
    let first_usable = le64(&h, 40);
    let last_usable = le64(&h, 48);
    let entries_lba = le64(&h, 72);
    let count = le32(&h, 80);
    let entry_size = le32(&h, 84) as usize;
    let entries_crc = le32(&h, 88);
    if count > MAX_GPT_ENTRIES
        || entry_size < 128
        || !entry_size.is_power_of_two()
        || entry_size > sector_size
        || last_usable >= disk
        || first_usable > last_usable
    {
        return Ok(None);
    }
    let bytes = count as usize * entry_size;
    let table_sectors = bytes.div_ceil(sector_size) as u64;
    if entries_lba == 0
        || entries_lba
            .checked_add(table_sectors)
            .is_none_or(|end| end > disk)
    {
        return Ok(None);
    }
    let mut table = vec![0u8; table_sectors as usize * sector_size];
    for (i, chunk) in table.chunks_mut(sector_size).enumerate() {
        read(entries_lba + i as u64, chunk).map_err(|()| Error::Io)?;
    }
    if crc32fast::hash(&table[..bytes]) != entries_crc {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (i, e) in table[..bytes].chunks(entry_size).enumerate() {
        let mut type_guid = [0u8; 16];
        type_guid.copy_from_slice(&e[0..16]);
        if type_guid == [0; 16] {
            continue;
        }
        let first = le64(e, 32);
        let last = le64(e, 40);
        if first < first_usable || last > last_usable || last < first {
            continue;
        }
        let units = (0..36).map(|k| le16(e, 56 + 2 * k)).take_while(|&u| u != 0);
        let name: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect();
        out.push(Partition {
            number: i as u32 + 1,
            first_lba: first,
            sectors: last - first + 1,
            kind: Kind::Gpt { type_guid, name },
        });
    }
    Ok(Some(out))
}
