//! ATA over AHCI: the register FIS that carries a command to the device, the command
//! header and physical region descriptor (PRD) the HBA reads, and the device's IDENTIFY
//! data. Layouts are those of the Serial ATA AHCI 1.3.1 and ATA8-ACS specifications.
//!
//! ATAPI devices (CD/DVD drives) take SCSI command blocks ([`crate::scsi`]) through the
//! PACKET command: the command header's ATAPI bit set, the command block in the command
//! table's ATAPI command area ([`ACMD_OFFSET`]), and the data moved by DMA as for a disk.

use crate::{Error, check_capacity, check_sector_size};

pub const IDENTIFY_DEVICE: u8 = 0xec;
pub const READ_DMA: u8 = 0xc8;
pub const WRITE_DMA: u8 = 0xca;
pub const READ_DMA_EXT: u8 = 0x25;
pub const WRITE_DMA_EXT: u8 = 0x35;
pub const FLUSH_CACHE: u8 = 0xe7;
pub const FLUSH_CACHE_EXT: u8 = 0xea;
/// Carries a SCSI command block to an ATAPI device.
pub const PACKET: u8 = 0xa0;
pub const IDENTIFY_PACKET_DEVICE: u8 = 0xa1;

/// `PxSIG` of an ATA disk.
pub const SIG_ATA: u32 = 0x0000_0101;
/// `PxSIG` of an ATAPI device (a CD/DVD drive).
pub const SIG_ATAPI: u32 = 0xeb14_0101;

/// A register host-to-device FIS: 5 dwords.
pub type Fis = [u8; 20];
/// Bytes in a command FIS.
pub const FIS_LEN: usize = 20;
/// Largest byte count of one PRD (22 bits: 4 MiB).
pub const MAX_PRD_BYTES: usize = 4 << 20;
/// Most sectors one READ/WRITE DMA EXT moves (a count of 0 means 65536).
pub const MAX_SECTORS_LBA48: u32 = 65536;
/// Most sectors one 28-bit READ/WRITE DMA moves (a count of 0 means 256).
pub const MAX_SECTORS_LBA28: u32 = 256;

/// A register host-to-device FIS carrying `command` (the C bit set: a new command).
pub fn fis(command: u8, lba: u64, count: u16, device: u8) -> Fis {
    let mut f = [0u8; FIS_LEN];
    f[0] = 0x27; // FIS type: register, host to device
    f[1] = 0x80; // C: the command register is updated
    f[2] = command;
    f[4] = lba as u8;
    f[5] = (lba >> 8) as u8;
    f[6] = (lba >> 16) as u8;
    f[7] = device;
    f[8] = (lba >> 24) as u8;
    f[9] = (lba >> 32) as u8;
    f[10] = (lba >> 40) as u8;
    f[12] = count as u8;
    f[13] = (count >> 8) as u8;
    f
}

/// The FIS of a read or write of `count` sectors at `lba` (DMA EXT with 48-bit
/// addressing, else the 28-bit DMA commands). Refuses counts of 0 or more than the
/// command moves, and addresses the command cannot reach.
pub fn rw_fis(write: bool, lba: u64, count: u32, lba48: bool) -> Result<Fis, Error> {
    let (max, bits) = if lba48 {
        (MAX_SECTORS_LBA48, 48)
    } else {
        (MAX_SECTORS_LBA28, 28)
    };
    let end = lba.checked_add(u64::from(count)).ok_or(Error::OutOfRange)?;
    if count == 0 || count > max || end > 1 << bits {
        return Err(Error::OutOfRange);
    }
    // The largest count is sent as 0.
    let n = (count % max) as u16;
    Ok(if lba48 {
        fis(
            if write { WRITE_DMA_EXT } else { READ_DMA_EXT },
            lba,
            n,
            0x40,
        )
    } else {
        // 28-bit: LBA bits 24-27 go into the device register.
        let mut f = fis(
            if write { WRITE_DMA } else { READ_DMA },
            lba & 0xff_ffff,
            n,
            0x40 | ((lba >> 24) & 0xf) as u8,
        );
        f[13] = 0;
        f
    })
}

/// The FIS of a cache flush.
pub fn flush_fis(lba48: bool) -> Fis {
    fis(
        if lba48 { FLUSH_CACHE_EXT } else { FLUSH_CACHE },
        0,
        0,
        0x40,
    )
}

/// The first 4 dwords of a command header (the other 4 are reserved, zero): command FIS
/// length, direction, PRD count and the command table's address.
pub fn command_header(write: bool, prds: u16, table_phys: u64) -> [u32; 4] {
    let cfl = (FIS_LEN / 4) as u32;
    let w = if write { 1 << 6 } else { 0 };
    [
        cfl | w | (u32::from(prds) << 16),
        0, // PRDBC: bytes transferred, written by the HBA
        table_phys as u32,
        (table_phys >> 32) as u32,
    ]
}

/// The command header of a PACKET command: as [`command_header`] for data from the
/// device, with the ATAPI bit (A) set so the HBA sends the command block in the table's
/// ATAPI command area after the FIS.
pub fn packet_header(prds: u16, table_phys: u64) -> [u32; 4] {
    let mut h = command_header(false, prds, table_phys);
    h[0] |= 1 << 5;
    h
}

/// Where the ATAPI command area lies in a command table (after the 64-byte FIS area).
pub const ACMD_OFFSET: usize = 0x40;
/// Bytes of the ATAPI command area.
pub const ACMD_LEN: usize = 16;

/// The FIS of a PACKET command, whose data moves by DMA when `dma` (set it when there
/// is data). `byte_limit` is the byte count limit (LBA mid/high), only used by PIO
/// transfers but set anyway.
pub fn packet_fis(dma: bool, byte_limit: u16) -> Fis {
    let mut f = fis(PACKET, 0, 0, 0);
    f[3] = u8::from(dma); // features: DMA
    f[5] = byte_limit as u8;
    f[6] = (byte_limit >> 8) as u8;
    f
}

/// The ATAPI command area for a SCSI command block: `cdb` zero-padded to
/// [`ACMD_LEN`]. Refuses a block longer than the device's packet size (12 or 16 bytes,
/// from [`parse_identify_packet`]) or empty.
pub fn acmd(cdb: &[u8], packet_len: usize) -> Result<[u8; ACMD_LEN], Error> {
    if cdb.is_empty() || cdb.len() > packet_len.min(ACMD_LEN) {
        return Err(Error::Unsupported);
    }
    let mut a = [0u8; ACMD_LEN];
    a[..cdb.len()].copy_from_slice(cdb);
    Ok(a)
}

/// What an ATAPI device says about itself in IDENTIFY PACKET DEVICE data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketIdentity {
    /// SCSI peripheral device type (5: CD/DVD).
    pub device_type: u8,
    /// Bytes of a command packet: 12 or 16.
    pub packet_len: usize,
    /// Model name, as printable ASCII padded with spaces; `model_len` bytes are used.
    pub model: [u8; 40],
    pub model_len: usize,
}

/// Peripheral device type of a CD/DVD drive (MMC).
pub const DEVICE_TYPE_CD: u8 = 0x05;

impl PacketIdentity {
    pub fn model(&self) -> &str {
        core::str::from_utf8(&self.model[..self.model_len]).unwrap_or("")
    }
}

/// Reads IDENTIFY PACKET DEVICE data (512 bytes). Refuses data that does not describe an
/// ATAPI device (word 0 bits 15:14 must be 10b) or that gives a reserved packet size.
pub fn parse_identify_packet(d: &[u8]) -> Result<PacketIdentity, Error> {
    if d.len() < 512 {
        return Err(Error::Malformed);
    }
    let w0 = word(d, 0);
    if w0 >> 14 != 0b10 {
        return Err(Error::Malformed); // not an ATAPI device
    }
    let packet_len = match w0 & 0b11 {
        0 => 12,
        1 => 16,
        _ => return Err(Error::Unsupported),
    };
    let (model, model_len) = crate::ascii_field::<40>(&d[54..94], true);
    Ok(PacketIdentity {
        device_type: ((w0 >> 8) & 0x1f) as u8,
        packet_len,
        model,
        model_len,
    })
}

/// The sense key in an ATAPI device's error register (bits 7:4), which the HBA shows in
/// bits 15:12 of `PxTFD` after a failed PACKET command.
pub fn sense_key_of_tfd(tfd: u32) -> u8 {
    ((tfd >> 12) & 0xf) as u8
}

/// One PRD for `len` bytes at `phys`: `len` must be even and 2..=4 MiB, `phys` even.
pub fn prd(phys: u64, len: usize) -> Result<[u32; 4], Error> {
    if len == 0 || len > MAX_PRD_BYTES || !len.is_multiple_of(2) || !phys.is_multiple_of(2) {
        return Err(Error::OutOfRange);
    }
    Ok([phys as u32, (phys >> 32) as u32, 0, (len - 1) as u32])
}

/// What an ATA disk says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub sectors: u64,
    pub sector_size: u32,
    /// 48-bit addressing (READ/WRITE DMA EXT).
    pub lba48: bool,
    /// Model name, as printable ASCII padded with spaces; `model_len` bytes are used.
    pub model: [u8; 40],
    pub model_len: usize,
}

impl Identity {
    pub fn model(&self) -> &str {
        core::str::from_utf8(&self.model[..self.model_len]).unwrap_or("")
    }
}

fn word(d: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([d[2 * i], d[2 * i + 1]])
}

/// Reads IDENTIFY DEVICE data (512 bytes). Refuses ATAPI devices, devices without LBA
/// addressing, empty ones and impossible sector sizes or capacities.
pub fn parse_identify(d: &[u8]) -> Result<Identity, Error> {
    if d.len() < 512 {
        return Err(Error::Malformed);
    }
    if word(d, 0) & 0x8000 != 0 {
        return Err(Error::Malformed); // not an ATA device
    }
    if word(d, 49) & (1 << 9) == 0 {
        return Err(Error::Unsupported); // CHS only
    }
    let w83 = word(d, 83);
    let lba48_words = (0..4).fold(0u64, |acc, i| acc | u64::from(word(d, 100 + i)) << (16 * i));
    let lba48 = w83 & 0xc000 == 0x4000 && w83 & (1 << 10) != 0 && lba48_words != 0;
    let sectors = if lba48 {
        lba48_words.min(1 << 48)
    } else {
        (u64::from(word(d, 60)) | u64::from(word(d, 61)) << 16).min(1 << 28)
    };
    let w106 = word(d, 106);
    let sector_size = if w106 & 0xc000 == 0x4000 && w106 & (1 << 12) != 0 {
        // Logical sector size in 16-bit words.
        let words = u64::from(word(d, 117)) | u64::from(word(d, 118)) << 16;
        check_sector_size(words * 2)?
    } else {
        512
    };
    let sectors = check_capacity(sectors, sector_size)?;
    let (model, model_len) = crate::ascii_field::<40>(&d[54..94], true);
    Ok(Identity {
        sectors,
        sector_size,
        lba48,
        model,
        model_len,
    })
}
