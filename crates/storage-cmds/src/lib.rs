//! The parts of the AHCI (SATA and ATAPI), NVMe and USB storage drivers that do not touch
//! hardware: how commands are laid out in memory, the SCSI commands CD drives and USB
//! sticks both speak ([`scsi`]), what a device's IDENTIFY data says, and how a request is
//! cut into pieces the device and the driver's DMA buffer can take.
//!
//! IDENTIFY data (and every SCSI answer) comes from the device and is hostile input (a broken or malicious disk,
//! an emulator bug): every field is checked before the kernel trusts it, and a device that
//! claims a sector size of 0 or 1 GiB, or more bytes than a `u64` holds, is refused with an
//! error instead of panicking or dividing by zero later.

#![no_std]

extern crate alloc;

pub mod ata;
pub mod nvme;
pub mod scsi;

#[cfg(test)]
mod tests;

/// Smallest logical sector size accepted from a device.
pub const MIN_SECTOR_SIZE: u32 = 512;
/// Largest logical sector size accepted from a device (64 KiB).
pub const MAX_SECTOR_SIZE: u32 = 64 * 1024;

/// Why a request or a device's description is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A sector size that is not a power of two in [`MIN_SECTOR_SIZE`]..=[`MAX_SECTOR_SIZE`].
    SectorSize(u64),
    /// The device reports no sectors.
    Empty,
    /// Sectors times sector size does not fit in 64 bits.
    TooBig,
    /// The data is not what was asked for (wrong length, not an ATA device, ...).
    Malformed,
    /// A request past the end of the device, or not whole sectors.
    OutOfRange,
    /// A field the driver does not support (metadata, a page size, ...).
    Unsupported,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::SectorSize(n) => write!(f, "unsupported sector size {n}"),
            Error::Empty => f.write_str("no sectors"),
            Error::TooBig => f.write_str("size beyond 64 bits of bytes"),
            Error::Malformed => f.write_str("malformed data"),
            Error::OutOfRange => f.write_str("request outside the device"),
            Error::Unsupported => f.write_str("unsupported format"),
        }
    }
}

/// Checks a sector size reported by a device.
pub fn check_sector_size(size: u64) -> Result<u32, Error> {
    if size.is_power_of_two() && (MIN_SECTOR_SIZE as u64..=MAX_SECTOR_SIZE as u64).contains(&size) {
        Ok(size as u32)
    } else {
        Err(Error::SectorSize(size))
    }
}

/// Checks a device's size: at least one sector and at most `u64::MAX` bytes.
pub fn check_capacity(sectors: u64, sector_size: u32) -> Result<u64, Error> {
    if sectors == 0 {
        return Err(Error::Empty);
    }
    sectors
        .checked_mul(u64::from(sector_size))
        .map(|_| sectors)
        .ok_or(Error::TooBig)
}

/// Checks a request of `len` bytes at `lba` on a device of `sectors` sectors of
/// `sector_size` bytes; returns the number of sectors.
pub fn check_request(lba: u64, len: usize, sector_size: u32, sectors: u64) -> Result<u64, Error> {
    let ss = sector_size as usize;
    if ss == 0 || !len.is_multiple_of(ss) {
        return Err(Error::OutOfRange);
    }
    let n = (len / ss) as u64;
    match lba.checked_add(n) {
        Some(end) if end <= sectors => Ok(n),
        _ => Err(Error::OutOfRange),
    }
}

/// One piece of a request: `sectors` sectors at `lba`, `offset` bytes into the caller's
/// buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub lba: u64,
    pub sectors: u32,
    pub offset: usize,
}

/// Cuts `sectors` sectors at `lba` into pieces of at most `max` sectors (`max` 0 is
/// taken as 1, so the iteration always ends).
pub fn chunks(lba: u64, sectors: u64, sector_size: u32, max: u32) -> Chunks {
    Chunks {
        lba,
        left: sectors,
        sector_size: sector_size as usize,
        max: max.max(1),
        offset: 0,
    }
}

/// The iterator [`chunks`] returns.
#[derive(Debug, Clone)]
pub struct Chunks {
    lba: u64,
    left: u64,
    sector_size: usize,
    max: u32,
    offset: usize,
}

impl Iterator for Chunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if self.left == 0 {
            return None;
        }
        let n = self.left.min(u64::from(self.max)) as u32;
        let c = Chunk {
            lba: self.lba,
            sectors: n,
            offset: self.offset,
        };
        self.left -= u64::from(n);
        self.lba = self.lba.saturating_add(u64::from(n));
        self.offset = self.offset.saturating_add(n as usize * self.sector_size);
        Some(c)
    }
}

/// A fixed-width ASCII field of an IDENTIFY page (model, serial), trimmed. ATA stores
/// two characters per 16-bit word, high byte first (`swap`); NVMe stores plain bytes.
/// Anything that is not printable ASCII becomes `?`.
pub fn ascii_field<const N: usize>(raw: &[u8], swap: bool) -> ([u8; N], usize) {
    let mut out = [b' '; N];
    for (i, slot) in out.iter_mut().enumerate() {
        let j = if swap { i ^ 1 } else { i };
        let c = raw.get(j).copied().unwrap_or(b' ');
        *slot = if c == 0 {
            b' '
        } else if c.is_ascii_graphic() || c == b' ' {
            c
        } else {
            b'?'
        };
    }
    let len = out.iter().rposition(|&c| c != b' ').map_or(0, |p| p + 1);
    (out, len)
}
