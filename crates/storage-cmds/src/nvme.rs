//! NVMe: the controller's capability register, submission and completion queue entries,
//! PRP lists and the IDENTIFY data of controllers and namespaces. Layouts are those of the
//! NVM Express Base Specification 2.0 (and the NVM command set).

use crate::{Error, check_capacity, check_sector_size};

pub const ADMIN_CREATE_IO_SQ: u8 = 0x01;
pub const ADMIN_CREATE_IO_CQ: u8 = 0x05;
pub const ADMIN_IDENTIFY: u8 = 0x06;
pub const IO_FLUSH: u8 = 0x00;
pub const IO_WRITE: u8 = 0x01;
pub const IO_READ: u8 = 0x02;

/// IDENTIFY's CNS values.
pub const CNS_NAMESPACE: u32 = 0;
pub const CNS_CONTROLLER: u32 = 1;
pub const CNS_ACTIVE_NAMESPACES: u32 = 2;

/// Bytes in a submission queue entry (CC.IOSQES = 6) and a completion (CC.IOCQES = 4).
pub const SQE_BYTES: usize = 64;
pub const CQE_BYTES: usize = 16;
/// Memory page size the driver uses (CC.MPS = 0).
pub const PAGE: u64 = 4096;
/// Most sectors one READ or WRITE moves (NLB is a 16-bit count minus one).
pub const MAX_SECTORS: u32 = 65536;

/// What the capability register (CAP) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// Most entries a queue may have (MQES + 1, at least 2).
    pub max_queue_entries: u32,
    /// Doorbell stride: registers are `4 << dstrd` bytes apart.
    pub dstrd: u8,
    /// Worst-case time for the controller to become ready or stop, in milliseconds.
    pub timeout_ms: u64,
    /// Smallest and largest memory page size, as powers of two.
    pub page_min_shift: u8,
    pub page_max_shift: u8,
    /// Whether the NVM command set is supported.
    pub nvm: bool,
}

impl Cap {
    pub fn parse(cap: u64) -> Self {
        Self {
            max_queue_entries: (cap & 0xffff) as u32 + 1,
            dstrd: ((cap >> 32) & 0xf) as u8,
            timeout_ms: ((cap >> 24) & 0xff) * 500,
            page_min_shift: 12 + ((cap >> 48) & 0xf) as u8,
            page_max_shift: 12 + ((cap >> 52) & 0xf) as u8,
            nvm: cap & (1 << 37) != 0,
        }
    }

    /// Whether 4 KiB pages (what the driver uses) are allowed.
    pub fn supports_4k_pages(&self) -> bool {
        self.page_min_shift <= 12 && 12 <= self.page_max_shift
    }
}

/// Byte offset of a queue's doorbell register from the start of the registers.
pub fn doorbell(qid: u16, completion: bool, dstrd: u8) -> usize {
    0x1000 + (2 * usize::from(qid) + usize::from(completion)) * (4usize << dstrd)
}

/// A submission queue entry, as 16 dwords.
pub type Command = [u32; 16];

fn command(opcode: u8, cid: u16, nsid: u32, prp1: u64, prp2: u64) -> Command {
    let mut c = [0u32; 16];
    c[0] = u32::from(opcode) | u32::from(cid) << 16;
    c[1] = nsid;
    c[6] = prp1 as u32;
    c[7] = (prp1 >> 32) as u32;
    c[8] = prp2 as u32;
    c[9] = (prp2 >> 32) as u32;
    c
}

/// IDENTIFY into the 4 KiB page at `prp1`.
pub fn identify(cid: u16, cns: u32, nsid: u32, prp1: u64) -> Command {
    let mut c = command(ADMIN_IDENTIFY, cid, nsid, prp1, 0);
    c[10] = cns;
    c
}

/// Creates I/O completion queue `qid` of `entries` entries in contiguous memory at
/// `phys`, without interrupts.
pub fn create_io_cq(cid: u16, qid: u16, entries: u16, phys: u64) -> Command {
    let mut c = command(ADMIN_CREATE_IO_CQ, cid, 0, phys, 0);
    c[10] = u32::from(entries.saturating_sub(1)) << 16 | u32::from(qid);
    c[11] = 1; // physically contiguous, no interrupts
    c
}

/// Creates I/O submission queue `qid` feeding completion queue `cqid`.
pub fn create_io_sq(cid: u16, qid: u16, entries: u16, cqid: u16, phys: u64) -> Command {
    let mut c = command(ADMIN_CREATE_IO_SQ, cid, 0, phys, 0);
    c[10] = u32::from(entries.saturating_sub(1)) << 16 | u32::from(qid);
    c[11] = u32::from(cqid) << 16 | 1; // physically contiguous
    c
}

/// READ or WRITE of `count` (1..=[`MAX_SECTORS`]) sectors at `lba`.
pub fn read_write(
    write: bool,
    cid: u16,
    nsid: u32,
    lba: u64,
    count: u32,
    prps: Prps,
) -> Result<Command, Error> {
    if count == 0 || count > MAX_SECTORS {
        return Err(Error::OutOfRange);
    }
    let op = if write { IO_WRITE } else { IO_READ };
    let mut c = command(op, cid, nsid, prps.prp1, prps.prp2);
    c[10] = lba as u32;
    c[11] = (lba >> 32) as u32;
    c[12] = count - 1;
    Ok(c)
}

/// FLUSH of namespace `nsid`'s volatile write cache.
pub fn flush(cid: u16, nsid: u32) -> Command {
    command(IO_FLUSH, cid, nsid, 0, 0)
}

/// A completion queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    pub result: u32,
    pub sq_head: u16,
    pub sq_id: u16,
    pub cid: u16,
    pub phase: bool,
    /// Status field without the phase bit (0: success): status code in bits 0-7, status
    /// code type in bits 8-10.
    pub status: u16,
}

impl Completion {
    pub fn parse(dw: [u32; 4]) -> Self {
        Self {
            result: dw[0],
            sq_head: dw[2] as u16,
            sq_id: (dw[2] >> 16) as u16,
            cid: dw[3] as u16,
            phase: dw[3] & (1 << 16) != 0,
            status: ((dw[3] >> 17) & 0x7fff) as u16,
        }
    }

    pub fn ok(&self) -> bool {
        self.status & 0x7ff == 0
    }
}

/// PRP entries of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prps {
    pub prp1: u64,
    pub prp2: u64,
}

/// PRPs for `len` bytes of physically contiguous memory at `phys`: the first page in
/// PRP1, then the second page in PRP2, or for more than two pages a PRP list, written into
/// `list` (which lies at `list_phys`, page-aligned, one page: no chained lists). Refuses
/// an empty transfer, an odd address (PRPs are dword-aligned) and one the list cannot
/// hold.
pub fn prps(phys: u64, len: usize, list_phys: u64, list: &mut [u64]) -> Result<Prps, Error> {
    if len == 0 || !phys.is_multiple_of(4) {
        return Err(Error::OutOfRange);
    }
    let offset = phys % PAGE;
    phys.checked_add(len as u64).ok_or(Error::OutOfRange)?;
    let pages = (offset + len as u64).div_ceil(PAGE);
    let first_page = phys - offset;
    let prp2 = match pages {
        1 => 0,
        2 => first_page + PAGE,
        n => {
            let rest = (n - 1) as usize;
            if rest > list.len() || rest > (PAGE / 8) as usize || !list_phys.is_multiple_of(PAGE) {
                return Err(Error::OutOfRange);
            }
            for (i, e) in list[..rest].iter_mut().enumerate() {
                *e = first_page + (i as u64 + 1) * PAGE;
            }
            list_phys
        }
    };
    Ok(Prps { prp1: phys, prp2 })
}

/// Largest transfer in bytes the controller takes (IDENTIFY's MDTS, in units of the
/// minimum page size); `None`: no limit.
pub fn max_transfer(mdts: u8, page_min_shift: u8) -> Option<u64> {
    if mdts == 0 {
        return None;
    }
    // A huge MDTS is as good as no limit.
    1u64.checked_shl(u32::from(mdts) + u32::from(page_min_shift))
}

/// What IDENTIFY CONTROLLER says that the driver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controller {
    pub mdts: u8,
    /// Volatile write cache present (a FLUSH does something).
    pub write_cache: bool,
    pub model: [u8; 40],
    pub model_len: usize,
}

impl Controller {
    pub fn model(&self) -> &str {
        core::str::from_utf8(&self.model[..self.model_len]).unwrap_or("")
    }
}

/// Reads IDENTIFY CONTROLLER data (4096 bytes).
pub fn parse_controller(d: &[u8]) -> Result<Controller, Error> {
    if d.len() < 4096 {
        return Err(Error::Malformed);
    }
    let (model, model_len) = crate::ascii_field::<40>(&d[24..64], false);
    Ok(Controller {
        mdts: d[77],
        write_cache: d[525] & 1 != 0,
        model,
        model_len,
    })
}

/// The first namespace in an active namespace list (IDENTIFY CNS 2), if any.
pub fn first_namespace(d: &[u8]) -> Option<u32> {
    d.as_chunks::<4>()
        .0
        .iter()
        .map(|c| u32::from_le_bytes(*c))
        .find(|&n| n != 0 && n != u32::MAX)
}

/// What IDENTIFY NAMESPACE says about the format in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace {
    pub sectors: u64,
    pub sector_size: u32,
}

/// Reads IDENTIFY NAMESPACE data (4096 bytes). Refuses an empty namespace, a format
/// index past the list, impossible sector sizes or capacities, and formats with
/// metadata (which the driver does not transfer).
pub fn parse_namespace(d: &[u8]) -> Result<Namespace, Error> {
    if d.len() < 4096 {
        return Err(Error::Malformed);
    }
    let mut nsze = [0u8; 8];
    nsze.copy_from_slice(&d[0..8]);
    let sectors = u64::from_le_bytes(nsze);
    let nlbaf = usize::from(d[25]); // 0-based
    let flbas = d[26];
    let index = usize::from(flbas & 0xf) | usize::from((flbas >> 5) & 0x3) << 4;
    if index > nlbaf || index >= 64 {
        return Err(Error::Malformed);
    }
    let f = &d[128 + 4 * index..132 + 4 * index];
    let metadata = u16::from_le_bytes([f[0], f[1]]);
    let lbads = f[2];
    let size = 1u64
        .checked_shl(u32::from(lbads))
        .ok_or(Error::SectorSize(u64::MAX))?;
    let sector_size = check_sector_size(size)?;
    if metadata != 0 {
        return Err(Error::Unsupported);
    }
    let sectors = check_capacity(sectors, sector_size)?;
    Ok(Namespace {
        sectors,
        sector_size,
    })
}
