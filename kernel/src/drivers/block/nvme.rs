//! NVMe: solid-state disks on PCI Express (class 01:08:02), what most laptops since about
//! 2017 boot from, and QEMU's `-device nvme`.
//!
//! Written by hand: the registry's NVMe crates bring their own DMA/MMIO abstraction crates
//! or wait without a deadline; this driver needs polling with a deadline and little code.
//! Command layouts, PRP lists and the parsing of IDENTIFY data are in the `storage_cmds`
//! crate, with host tests.
//!
//! Per controller: a reset, the admin queue pair, IDENTIFY of the controller and of its
//! first active namespace (the only one used), and one I/O queue pair. One command at a
//! time, polled on the completion queue's phase bit until [`TIMEOUT_MS`]; data goes through
//! a contiguous bounce buffer described by PRP1/PRP2 or a PRP list, in pieces no larger
//! than the controller's MDTS. A timeout or an error status marks the disk failed: every
//! later request gets [`BlockError::Detached`], and its DMA memory is leaked.

use super::{BlockDevice, BlockError, DmaBuf, Mmio, TIMEOUT_MS, poll};
use crate::drivers::pci::{self, Bar};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{Ordering, fence};
use storage_cmds::nvme::{self as cmd, Cap, Command, Completion};
use storage_cmds::{check_request, chunks};

// Controller registers.
const REG_CAP: usize = 0x00;
const REG_CC: usize = 0x14;
const REG_CSTS: usize = 0x1c;
const REG_AQA: usize = 0x24;
const REG_ASQ: usize = 0x28;
const REG_ACQ: usize = 0x30;

const CC_EN: u32 = 1 << 0;
/// I/O submission and completion entry sizes (2^6 and 2^4 bytes).
const CC_ENTRY_SIZES: u32 = 6 << 16 | 4 << 20;
const CSTS_RDY: u32 = 1 << 0;
const CSTS_CFS: u32 = 1 << 1;

/// Entries per queue (at most what CAP.MQES allows); one page holds them.
const QUEUE_ENTRIES: u32 = 32;
/// Bounce buffer: 128 KiB.
const BUF_PAGES: usize = 32;
/// The I/O queue pair's id.
const IO_QUEUE: u16 = 1;

/// A submission queue and its completion queue, each in one page.
struct QueuePair {
    sq: DmaBuf,
    cq: DmaBuf,
    entries: u16,
    sq_tail: u16,
    cq_head: u16,
    /// The phase bit a new completion carries (flips on every pass through the queue).
    phase: bool,
    sq_doorbell: usize,
    cq_doorbell: usize,
    next_cid: u16,
}

impl QueuePair {
    fn new(qid: u16, entries: u16, dstrd: u8, above_4g: bool) -> Result<Self, BlockError> {
        Ok(Self {
            sq: DmaBuf::new(1, above_4g)?,
            cq: DmaBuf::new(1, above_4g)?,
            entries,
            sq_tail: 0,
            cq_head: 0,
            phase: true,
            sq_doorbell: cmd::doorbell(qid, false, dstrd),
            cq_doorbell: cmd::doorbell(qid, true, dstrd),
            next_cid: 0,
        })
    }

    /// Submits `c` (its command id is filled in) and waits for its completion.
    fn run(&mut self, regs: &Mmio, mut c: Command) -> Result<Completion, BlockError> {
        let cid = self.next_cid;
        self.next_cid = self.next_cid.wrapping_add(1);
        c[0] = (c[0] & 0xffff) | u32::from(cid) << 16;
        let at = usize::from(self.sq_tail) * cmd::SQE_BYTES;
        for (i, dw) in c.iter().enumerate() {
            self.sq.write32(at + 4 * i, *dw);
        }
        // The entry is in memory before the doorbell tells the controller to fetch it.
        fence(Ordering::SeqCst);
        self.sq_tail = (self.sq_tail + 1) % self.entries;
        regs.write32(self.sq_doorbell, u32::from(self.sq_tail));
        let at = usize::from(self.cq_head) * cmd::CQE_BYTES;
        let (cq, phase) = (&self.cq, self.phase);
        let arrived = poll(TIMEOUT_MS, || {
            (cq.read32(at + 12) & (1 << 16) != 0) == phase
        });
        if !arrived {
            return Err(BlockError::Timeout);
        }
        fence(Ordering::SeqCst);
        let done = Completion::parse([
            self.cq.read32(at),
            self.cq.read32(at + 4),
            self.cq.read32(at + 8),
            self.cq.read32(at + 12),
        ]);
        self.cq_head = (self.cq_head + 1) % self.entries;
        if self.cq_head == 0 {
            self.phase = !self.phase;
        }
        regs.write32(self.cq_doorbell, u32::from(self.cq_head));
        if done.cid != cid || !done.ok() {
            return Err(BlockError::Io);
        }
        Ok(done)
    }

    fn leak(&mut self) {
        self.sq.leak();
        self.cq.leak();
    }
}

/// One NVMe namespace.
pub struct NvmeDisk {
    regs: Mmio,
    admin: QueuePair,
    io: QueuePair,
    /// Bounce buffer, and the page that holds PRP lists for it.
    buf: DmaBuf,
    prp_list: DmaBuf,
    nsid: u32,
    sectors: u64,
    sector_size: u32,
    /// Sectors per command: bounce buffer and MDTS allow.
    max_sectors: u32,
    failed: bool,
}

/// Sets up every NVMe controller.
pub fn probe() -> Vec<Result<Box<dyn BlockDevice>, String>> {
    pci::functions()
        .iter()
        .filter(|f| (f.class, f.subclass, f.prog_if) == (0x01, 0x08, 0x02))
        .map(|f| {
            NvmeDisk::new(f)
                .map(|d| Box::new(d) as Box<dyn BlockDevice>)
                .map_err(|e| format!("nvme at {f}: {e}"))
        })
        .collect()
}

/// Waits until CSTS.RDY is `ready`; false on timeout, a fatal status, or a controller
/// that reads as all ones (gone).
fn wait_ready(regs: &Mmio, ready: bool, ms: u64) -> bool {
    let mut ok = false;
    poll(ms, || {
        let s = regs.read32(REG_CSTS);
        if s == u32::MAX || s & CSTS_CFS != 0 {
            return true;
        }
        ok = (s & CSTS_RDY != 0) == ready;
        ok
    });
    ok
}

impl NvmeDisk {
    fn new(f: &pci::Function) -> Result<Self, String> {
        let Bar::Memory { addr, size, .. } = f.bars[0] else {
            return Err(String::from("no register BAR"));
        };
        f.enable_memory_and_dma();
        let early = Mmio::map(addr, 0x1000).ok_or("cannot map registers")?;
        let cap = Cap::parse(early.read64(REG_CAP));
        if !cap.nvm || !cap.supports_4k_pages() {
            return Err(String::from("no NVM command set or 4 KiB pages"));
        }
        // Registers up to the I/O queue's doorbells.
        let need = cmd::doorbell(IO_QUEUE, true, cap.dstrd) + 4;
        if size < need as u64 {
            return Err(String::from("register BAR too small"));
        }
        let regs = Mmio::map(addr, need).ok_or("cannot map registers")?;
        let ready_ms = cap.timeout_ms.clamp(500, 30_000);

        // Reset: disable, and wait until the controller says so.
        regs.write32(REG_CC, regs.read32(REG_CC) & !CC_EN);
        if !wait_ready(&regs, false, ready_ms) {
            return Err(String::from("controller does not stop"));
        }
        let entries = QUEUE_ENTRIES.min(cap.max_queue_entries) as u16;
        // The controller does 64-bit DMA (NVMe requires it).
        let mem = |e: BlockError| String::from(e.message());
        let mut disk = Self {
            regs,
            admin: QueuePair::new(0, entries, cap.dstrd, true).map_err(mem)?,
            io: QueuePair::new(IO_QUEUE, entries, cap.dstrd, true).map_err(mem)?,
            buf: DmaBuf::new(BUF_PAGES, true).map_err(mem)?,
            prp_list: DmaBuf::new(1, true).map_err(mem)?,
            nsid: 0,
            sectors: 0,
            sector_size: 512,
            max_sectors: 0,
            // Until the controller is set up, dropping the disk leaks its memory.
            failed: true,
        };
        let n = u32::from(entries) - 1;
        regs.write32(REG_AQA, n << 16 | n);
        regs.write64(REG_ASQ, disk.admin.sq.phys());
        regs.write64(REG_ACQ, disk.admin.cq.phys());
        regs.write32(REG_CC, CC_ENTRY_SIZES | CC_EN);
        if !wait_ready(&regs, true, ready_ms) {
            return Err(String::from("controller does not become ready"));
        }
        let ctrl = disk
            .identify(cmd::CNS_CONTROLLER, 0)
            .and_then(|d| cmd::parse_controller(&d).map_err(BlockError::from))
            .map_err(|e| format!("IDENTIFY controller: {}", e.message()))?;
        // The first active namespace; controllers before NVMe 1.1 know only namespace 1.
        let nsid = disk
            .identify(cmd::CNS_ACTIVE_NAMESPACES, 0)
            .ok()
            .map_or(Some(1), |d| cmd::first_namespace(&d))
            .ok_or("no active namespace")?;
        let ns = disk
            .identify(cmd::CNS_NAMESPACE, nsid)
            .map_err(|e| format!("IDENTIFY namespace {nsid}: {}", e.message()))
            .and_then(|d| {
                cmd::parse_namespace(&d).map_err(|e| format!("namespace {nsid} refused: {e}"))
            })?;
        let limit = cmd::max_transfer(ctrl.mdts, cap.page_min_shift)
            .unwrap_or(u64::MAX)
            .min(disk.buf.len() as u64);
        let max_sectors = (limit / u64::from(ns.sector_size)).min(u64::from(cmd::MAX_SECTORS));
        if max_sectors == 0 {
            return Err(String::from("transfer limit below one sector"));
        }
        let (cq_phys, sq_phys) = (disk.io.cq.phys(), disk.io.sq.phys());
        disk.admin_cmd(cmd::create_io_cq(0, IO_QUEUE, entries, cq_phys))
            .map_err(|e| format!("create I/O completion queue: {}", e.message()))?;
        disk.admin_cmd(cmd::create_io_sq(0, IO_QUEUE, entries, IO_QUEUE, sq_phys))
            .map_err(|e| format!("create I/O submission queue: {}", e.message()))?;
        disk.nsid = nsid;
        disk.sectors = ns.sectors;
        disk.sector_size = ns.sector_size;
        disk.max_sectors = max_sectors as u32;
        disk.failed = false;
        Ok(disk)
    }

    fn admin_cmd(&mut self, c: Command) -> Result<Completion, BlockError> {
        self.admin.run(&self.regs, c)
    }

    /// IDENTIFY into the bounce buffer; returns its first page.
    fn identify(&mut self, cns: u32, nsid: u32) -> Result<[u8; 4096], BlockError> {
        let c = cmd::identify(0, cns, nsid, self.buf.phys());
        self.admin_cmd(c)?;
        let mut page = [0u8; 4096];
        self.buf.read_bytes(0, &mut page);
        Ok(page)
    }

    /// Runs one I/O command; a failure gives the disk up.
    fn io_cmd(&mut self, c: Command) -> Result<(), BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        match self.io.run(&self.regs, c) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// One READ or WRITE of `sectors` at `lba` through the bounce buffer.
    fn transfer(&mut self, write: bool, lba: u64, sectors: u32) -> Result<(), BlockError> {
        let bytes = sectors as usize * self.sector_size as usize;
        let mut list = [0u64; BUF_PAGES];
        let prps = cmd::prps(self.buf.phys(), bytes, self.prp_list.phys(), &mut list)?;
        for (i, e) in list.iter().enumerate() {
            self.prp_list.write32(8 * i, *e as u32);
            self.prp_list.write32(8 * i + 4, (*e >> 32) as u32);
        }
        let c = cmd::read_write(write, 0, self.nsid, lba, sectors, prps)?;
        self.io_cmd(c)
    }

    fn check(&self, lba: u64, len: usize) -> Result<u64, BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        Ok(check_request(lba, len, self.sector_size, self.sectors)?)
    }
}

impl Drop for NvmeDisk {
    fn drop(&mut self) {
        self.regs.write32(REG_CC, self.regs.read32(REG_CC) & !CC_EN);
        if self.failed || !wait_ready(&self.regs, false, TIMEOUT_MS) {
            // The controller may still read or write them.
            self.admin.leak();
            self.io.leak();
            self.buf.leak();
            self.prp_list.leak();
        }
    }
}

impl BlockDevice for NvmeDisk {
    fn model(&self) -> &'static str {
        "nvme"
    }
    fn sector_size(&self) -> usize {
        self.sector_size as usize
    }
    fn sectors(&self) -> u64 {
        self.sectors
    }
    fn read_only(&self) -> bool {
        false
    }
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let n = self.check(lba, buf.len())?;
        let ss = self.sector_size;
        for c in chunks(lba, n, ss, self.max_sectors) {
            let bytes = c.sectors as usize * ss as usize;
            self.transfer(false, c.lba, c.sectors)?;
            self.buf.read_bytes(0, &mut buf[c.offset..c.offset + bytes]);
        }
        Ok(())
    }
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        let n = self.check(lba, buf.len())?;
        let ss = self.sector_size;
        for c in chunks(lba, n, ss, self.max_sectors) {
            let bytes = c.sectors as usize * ss as usize;
            self.buf.write_bytes(0, &buf[c.offset..c.offset + bytes]);
            self.transfer(true, c.lba, c.sectors)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        let c = cmd::flush(0, self.nsid);
        self.io_cmd(c)
    }
}
