//! Reading the few ACPI tables RustOS needs, trusting nothing in them.
//!
//! Firmware tables are input like any other: an XSDT entry can point past the end of the
//! address space or at memory that is not there, a length can claim gigabytes, a checksum
//! can be wrong. Every physical read goes through [`PhysMemory`], which the kernel
//! implements by checking the address range against the memory map and the page tables,
//! so a bad pointer becomes an [`AcpiError`], never a fault. Every table's signature,
//! length and checksum are checked before use.
//!
//! Written by hand rather than with the `acpi` crate because RustOS needs only a table
//! lookup, the FADT's PM1 ports and the `\_S5` sleep type, and that crate's AML
//! interpreter is far more code (and attack surface) than decoding one package. `\_S5` is
//! found by its name in the DSDT and its simple, fixed encoding decoded, like most small
//! kernels do.

#![no_std]

use core::fmt;

#[cfg(test)]
mod tests;

/// Read access to physical memory, granted range by range.
pub trait PhysMemory {
    /// The `len` bytes at physical address `phys`, or `None` if that range is not memory
    /// ACPI tables may live in, or is not mapped.
    fn read(&self, phys: u64, len: usize) -> Option<&[u8]>;
}

/// Why a table could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcpiError {
    /// The RSDP address was not given, or cannot be read.
    NoRsdp,
    /// Bad signature or checksum in the RSDP.
    BadRsdp,
    /// A table at this physical address is out of reach (not memory, not mapped).
    Unreadable(u64),
    /// A table's header is inconsistent (length too small or absurd).
    BadLength(u64),
    /// A table's checksum does not add up.
    BadChecksum(u64),
    /// No table with this signature.
    NotFound([u8; 4]),
    /// The FADT lacks what power-off needs.
    NoPm1Port,
    /// The DSDT has no decodable `\_S5` package.
    NoS5,
}

impl fmt::Display for AcpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcpiError::NoRsdp => f.write_str("no ACPI RSDP"),
            AcpiError::BadRsdp => f.write_str("the ACPI RSDP is corrupt"),
            AcpiError::Unreadable(a) => {
                write!(f, "an ACPI table at {a:#x} is not in readable memory")
            }
            AcpiError::BadLength(a) => {
                write!(f, "the ACPI table at {a:#x} has an impossible length")
            }
            AcpiError::BadChecksum(a) => write!(f, "the ACPI table at {a:#x} has a bad checksum"),
            AcpiError::NotFound(sig) => {
                let sig = core::str::from_utf8(sig).unwrap_or("????");
                write!(f, "no ACPI {sig} table")
            }
            AcpiError::NoPm1Port => f.write_str("the FADT names no PM1 control port"),
            AcpiError::NoS5 => f.write_str("the DSDT has no \\_S5 sleep state"),
        }
    }
}

/// Largest table accepted (real DSDTs are well under 1 MiB).
pub const MAX_TABLE_LEN: usize = 4 << 20;
/// Most root-table entries looked at.
pub const MAX_ROOT_ENTRIES: usize = 256;
const HEADER_LEN: usize = 36;

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(off..off.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn sums_to_zero(b: &[u8]) -> bool {
    b.iter().fold(0u8, |a, &x| a.wrapping_add(x)) == 0
}

/// The firmware's tables, found from the RSDP.
pub struct Tables<'m, M: PhysMemory + ?Sized> {
    mem: &'m M,
    /// Physical address of the RSDT or XSDT, and its entry size (4 or 8).
    root: u64,
    entry_size: usize,
}

impl<'m, M: PhysMemory + ?Sized> Tables<'m, M> {
    /// Validates the RSDP at physical address `rsdp` (signature, checksum, and the
    /// extended checksum for revision 2+) and remembers the root table.
    pub fn new(mem: &'m M, rsdp: u64) -> Result<Self, AcpiError> {
        let v1 = mem.read(rsdp, 20).ok_or(AcpiError::NoRsdp)?;
        if &v1[..8] != b"RSD PTR " || !sums_to_zero(v1) {
            return Err(AcpiError::BadRsdp);
        }
        let revision = v1[15];
        if revision >= 2 {
            let head = mem.read(rsdp, 36).ok_or(AcpiError::BadRsdp)?;
            let len = u32_at(head, 20).ok_or(AcpiError::BadRsdp)? as usize;
            if !(36..=4096).contains(&len) {
                return Err(AcpiError::BadRsdp);
            }
            let full = mem.read(rsdp, len).ok_or(AcpiError::BadRsdp)?;
            if !sums_to_zero(full) {
                return Err(AcpiError::BadRsdp);
            }
            if let Some(xsdt) = u64_at(full, 24).filter(|&x| x != 0) {
                return Ok(Self {
                    mem,
                    root: xsdt,
                    entry_size: 8,
                });
            }
        }
        let rsdt = u32_at(v1, 16).ok_or(AcpiError::BadRsdp)?;
        Ok(Self {
            mem,
            root: u64::from(rsdt),
            entry_size: 4,
        })
    }

    /// The whole table at `phys` (header included), once its length and checksum hold.
    pub fn table_at(&self, phys: u64) -> Result<&'m [u8], AcpiError> {
        let header = self
            .mem
            .read(phys, HEADER_LEN)
            .ok_or(AcpiError::Unreadable(phys))?;
        let len = u32_at(header, 4).ok_or(AcpiError::BadLength(phys))? as usize;
        if !(HEADER_LEN..=MAX_TABLE_LEN).contains(&len) {
            return Err(AcpiError::BadLength(phys));
        }
        let t = self
            .mem
            .read(phys, len)
            .ok_or(AcpiError::Unreadable(phys))?;
        if !sums_to_zero(t) {
            return Err(AcpiError::BadChecksum(phys));
        }
        Ok(t)
    }

    /// The first valid table with signature `sig` listed in the root table. Entries that
    /// are unreadable or corrupt are skipped.
    pub fn find(&self, sig: &[u8; 4]) -> Result<&'m [u8], AcpiError> {
        let root = self.table_at(self.root)?;
        let entries = root.get(HEADER_LEN..).unwrap_or(&[]);
        for e in entries.chunks_exact(self.entry_size).take(MAX_ROOT_ENTRIES) {
            let addr = match self.entry_size {
                8 => u64_at(e, 0),
                _ => u32_at(e, 0).map(u64::from),
            };
            if let Some(t) = addr.and_then(|a| self.table_at(a).ok())
                && &t[..4] == sig
            {
                return Ok(t);
            }
        }
        Err(AcpiError::NotFound(*sig))
    }

    /// What powering off through sleep state S5 needs, from the FADT and the DSDT.
    pub fn s5_power_off(&self) -> Result<PowerOff, AcpiError> {
        let fadt = self.find(b"FACP")?;
        let port = |off| u32_at(fadt, off).filter(|&p| p != 0 && p <= 0xffff);
        let pm1a = port(64).ok_or(AcpiError::NoPm1Port)? as u16;
        let pm1b = port(68).map(|p| p as u16);
        let dsdt_addr = match u64_at(fadt, 140) {
            Some(x) if fadt.len() >= 148 && x != 0 => x,
            _ => u64::from(u32_at(fadt, 40).unwrap_or(0)),
        };
        let dsdt = self.table_at(dsdt_addr)?;
        if &dsdt[..4] != b"DSDT" {
            return Err(AcpiError::NotFound(*b"DSDT"));
        }
        let (slp_typ_a, slp_typ_b) = s5_sleep_types(dsdt).ok_or(AcpiError::NoS5)?;
        Ok(PowerOff {
            pm1a,
            pm1b,
            slp_typ_a,
            slp_typ_b,
        })
    }

    /// The PCI Express configuration-space windows listed in the MCFG table:
    /// (physical base, segment, first bus, last bus).
    pub fn mcfg(&self) -> Result<impl Iterator<Item = EcamWindow> + 'm, AcpiError> {
        let mcfg = self.find(b"MCFG")?;
        let entries = mcfg.get(44..).unwrap_or(&[]).as_chunks::<16>().0;
        Ok(entries.iter().map(|e| EcamWindow {
            base: u64_at(e, 0).unwrap_or(0),
            segment: u16::from_le_bytes([e[8], e[9]]),
            first_bus: e[10],
            last_bus: e[11],
        }))
    }
}

/// One PCI Express enhanced configuration window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcamWindow {
    pub base: u64,
    pub segment: u16,
    pub first_bus: u8,
    pub last_bus: u8,
}

/// The I/O ports and values that power the machine off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerOff {
    pub pm1a: u16,
    pub pm1b: Option<u16>,
    pub slp_typ_a: u16,
    pub slp_typ_b: u16,
}

impl PowerOff {
    /// The value for a PM1 control register: the sleep type with SLP_EN set.
    pub fn control_value(slp_typ: u16) -> u16 {
        const SLP_EN: u16 = 1 << 13;
        ((slp_typ & 0x7) << 10) | SLP_EN
    }
}

/// Decodes an AML integer constant at `b[0..]`: (value, bytes used).
fn aml_int(b: &[u8]) -> Option<(u16, usize)> {
    match *b.first()? {
        0x00 => Some((0, 1)),
        0x01 => Some((1, 1)),
        0xff => Some((0xff, 1)), // OnesOp; callers mask to 3 bits
        0x0a => Some((u16::from(*b.get(1)?), 2)),
        0x0b => Some((u16::from_le_bytes([*b.get(1)?, *b.get(2)?]), 3)),
        v if v < 0x0a => Some((u16::from(v), 1)),
        _ => None,
    }
}

/// Finds `\_S5` in a DSDT: (SLP_TYPa, SLP_TYPb).
pub fn s5_sleep_types(dsdt: &[u8]) -> Option<(u16, u16)> {
    let body = dsdt.get(HEADER_LEN..)?;
    let pos = body.windows(4).position(|w| w == b"_S5_")?;
    let mut i = pos + 4;
    if *body.get(i)? != 0x12 {
        return None; // not a package
    }
    i += 1;
    let lead = *body.get(i)?;
    i += 1 + usize::from(lead >> 6); // skip PkgLength
    i += 1; // NumElements
    let (a, used) = aml_int(body.get(i..)?)?;
    let (b, _) = body.get(i + used..).and_then(aml_int).unwrap_or((0, 0));
    Some((a, b))
}
