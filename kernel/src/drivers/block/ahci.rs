//! AHCI: SATA disks behind an AHCI host bus adapter (PCI class 01:06:01), the disk
//! controller of most desktops and of QEMU's q35 machine.
//!
//! Written by hand: the registry's AHCI crates are either interrupt-driven with their own
//! DMA/MMIO abstraction crates, or an early preview without deadlines; this driver needs
//! polling with a deadline and a few hundred lines. Command and FIS layouts and the
//! parsing of IDENTIFY data are in the `storage_cmds` crate, with host tests.
//!
//! One command at a time per port (slot 0), polled until done or [`TIMEOUT_MS`]; data goes
//! through a contiguous bounce buffer, below 4 GiB unless the HBA has 64-bit addressing.
//! A timeout or a task-file error marks the disk failed: every later request gets
//! [`BlockError::Detached`], and its DMA memory is leaked, since the HBA may still write it.
//! ATAPI devices (CD/DVD drives; QEMU's `-cdrom` is one on q35) are left alone and noted.

use super::{BlockDevice, BlockError, DmaBuf, Mmio, TIMEOUT_MS, poll};
use crate::drivers::pci::{self, Bar};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{Ordering, fence};
use storage_cmds::{ata, check_request, chunks};

// HBA registers.
const CAP: usize = 0x00;
const GHC: usize = 0x04;
const IS: usize = 0x08;
const PI: usize = 0x0c;
const CAP2: usize = 0x24;
const BOHC: usize = 0x28;

const CAP_S64A: u32 = 1 << 31;
const CAP_SSS: u32 = 1 << 27;
const GHC_HR: u32 = 1 << 0;
const GHC_IE: u32 = 1 << 1;
const GHC_AE: u32 = 1 << 31;
const CAP2_BOH: u32 = 1 << 0;
const BOHC_BOS: u32 = 1 << 0;
const BOHC_OOS: u32 = 1 << 1;

// Port registers, from the port's base (0x100 + 0x80 * port).
const PX_CLB: usize = 0x00;
const PX_FB: usize = 0x08;
const PX_IS: usize = 0x10;
const PX_IE: usize = 0x14;
const PX_CMD: usize = 0x18;
const PX_TFD: usize = 0x20;
const PX_SIG: usize = 0x24;
const PX_SSTS: usize = 0x28;
const PX_SERR: usize = 0x30;
const PX_CI: usize = 0x38;

const CMD_ST: u32 = 1 << 0;
const CMD_SUD: u32 = 1 << 1;
const CMD_POD: u32 = 1 << 2;
const CMD_FRE: u32 = 1 << 4;
const CMD_FR: u32 = 1 << 14;
const CMD_CR: u32 = 1 << 15;
const IS_TFES: u32 = 1 << 30;
const TFD_ERR: u32 = 1 << 0;
const TFD_DRQ: u32 = 1 << 3;
const TFD_DF: u32 = 1 << 5;
const TFD_BSY: u32 = 1 << 7;

/// Where things are in a port's control page: the command list (32 headers of 32 bytes),
/// the received-FIS area (256 bytes, 256-aligned) and the command table of slot 0 (the
/// command FIS, then one PRD at 0x80).
const CLB_OFFSET: usize = 0;
const FB_OFFSET: usize = 0x400;
const TABLE_OFFSET: usize = 0x800;
const PRD_OFFSET: usize = TABLE_OFFSET + 0x80;

/// Bytes moved per command: the bounce buffer (128 KiB).
const BUF_PAGES: usize = 32;
/// How long the HBA and ports get to reset, stop or start.
const RESET_MS: u64 = 1_000;

/// One SATA disk on one port.
pub struct AhciDisk {
    port: Mmio,
    ctl: DmaBuf,
    buf: DmaBuf,
    id: ata::Identity,
    failed: bool,
}

/// Sets up every AHCI controller and its disks.
pub fn probe() -> Vec<Result<Box<dyn BlockDevice>, String>> {
    let mut out = Vec::new();
    for f in pci::functions()
        .iter()
        .filter(|f| (f.class, f.subclass, f.prog_if) == (0x01, 0x06, 0x01))
    {
        if let Err(e) = controller(f, &mut out) {
            out.push(Err(format!("ahci at {f}: {e}")));
        }
    }
    out
}

/// Resets one HBA and adds a result per port with a device on it.
fn controller(
    f: &pci::Function,
    out: &mut Vec<Result<Box<dyn BlockDevice>, String>>,
) -> Result<(), &'static str> {
    let Bar::Memory { addr, size, .. } = f.bars[5] else {
        return Err("no register BAR (ABAR)");
    };
    if size < 0x180 {
        return Err("register BAR too small");
    }
    f.enable_memory_and_dma();
    let len = usize::try_from(size.min(0x1100)).map_err(|_| "register BAR too big")?;
    let hba = Mmio::map(addr, len).ok_or("cannot map registers")?;

    // Take the HBA from the firmware, if it says it owns it.
    if hba.read32(CAP2) & CAP2_BOH != 0 {
        hba.write32(BOHC, hba.read32(BOHC) | BOHC_OOS);
        poll(RESET_MS, || hba.read32(BOHC) & BOHC_BOS == 0);
    }
    // Reset: whatever the firmware left running (command lists in memory the kernel
    // now uses) stops.
    hba.write32(GHC, hba.read32(GHC) | GHC_AE);
    hba.write32(GHC, hba.read32(GHC) | GHC_HR);
    if !poll(RESET_MS, || hba.read32(GHC) & GHC_HR == 0) {
        return Err("HBA reset did not complete");
    }
    hba.write32(GHC, (hba.read32(GHC) | GHC_AE) & !GHC_IE);
    hba.write32(IS, u32::MAX);

    let cap = hba.read32(CAP);
    let above_4g = cap & CAP_S64A != 0;
    let ports = hba.read32(PI);
    let max_ports = (len - 0x100) / 0x80;
    let port_regs = |i: usize| hba.window(0x100 + 0x80 * i, 0x80);
    // Spin up and power on every port, then give the links a moment to come up.
    if cap & CAP_SSS != 0 {
        for i in (0..32.min(max_ports)).filter(|i| ports & (1 << i) != 0) {
            if let Some(p) = port_regs(i) {
                p.write32(PX_CMD, p.read32(PX_CMD) | CMD_SUD | CMD_POD);
            }
        }
    }
    // DET: 1 = device seen, link not up yet; 3 = link up.
    poll(200, || {
        (0..32.min(max_ports))
            .filter(|i| ports & (1 << i) != 0)
            .filter_map(port_regs)
            .all(|p| p.read32(PX_SSTS) & 0xf != 1)
    });
    for i in (0..32.min(max_ports)).filter(|i| ports & (1 << i) != 0) {
        let Some(p) = port_regs(i) else { continue };
        let ssts = p.read32(PX_SSTS);
        if ssts & 0xf != 3 || (ssts >> 8) & 0xf != 1 {
            continue; // no device, or a link in power saving
        }
        match AhciDisk::new(p, above_4g) {
            Ok(Some(d)) => out.push(Ok(Box::new(d))),
            Ok(None) => {}
            Err(e) => out.push(Err(format!("ahci at {f} port {i}: {e}"))),
        }
    }
    Ok(())
}

/// Stops a port's command engine and FIS reception.
fn stop(p: &Mmio) -> bool {
    p.write32(PX_CMD, p.read32(PX_CMD) & !CMD_ST);
    if !poll(RESET_MS, || p.read32(PX_CMD) & CMD_CR == 0) {
        return false;
    }
    p.write32(PX_CMD, p.read32(PX_CMD) & !CMD_FRE);
    poll(RESET_MS, || p.read32(PX_CMD) & CMD_FR == 0)
}

impl AhciDisk {
    /// Sets up a port with a device on it: `None` for devices that are not disks.
    fn new(port: Mmio, above_4g: bool) -> Result<Option<Self>, String> {
        if !stop(&port) {
            return Err(String::from("command engine does not stop"));
        }
        let mut ctl = DmaBuf::new(1, above_4g).map_err(|e| String::from(e.message()))?;
        let buf = DmaBuf::new(BUF_PAGES, above_4g).map_err(|e| String::from(e.message()))?;
        port.write64(PX_CLB, ctl.phys() + CLB_OFFSET as u64);
        port.write64(PX_FB, ctl.phys() + FB_OFFSET as u64);
        port.write32(PX_SERR, u32::MAX);
        port.write32(PX_IS, u32::MAX);
        port.write32(PX_IE, 0);
        port.write32(PX_CMD, port.read32(PX_CMD) | CMD_FRE);
        if !poll(RESET_MS, || port.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) == 0) {
            // The FIS area may still be written: leak it.
            let mut ctl = ctl;
            ctl.leak();
            return Err(String::from("device stays busy"));
        }
        match port.read32(PX_SIG) {
            ata::SIG_ATA => {}
            ata::SIG_ATAPI => {
                if !stop(&port) {
                    ctl.leak(); // FIS reception still running
                }
                return Err(String::from("ATAPI device (CD/DVD drive) not used"));
            }
            sig => {
                if !stop(&port) {
                    ctl.leak();
                }
                return Err(format!("signature {sig:#x} is not a disk; not used"));
            }
        }
        port.write32(PX_CMD, port.read32(PX_CMD) | CMD_ST);
        let mut disk = Self {
            port,
            ctl,
            buf,
            id: ata::Identity {
                sectors: 0,
                sector_size: 512,
                lba48: false,
                model: [b' '; 40],
                model_len: 0,
            },
            failed: false,
        };
        let fis = ata::fis(ata::IDENTIFY_DEVICE, 0, 0, 0);
        disk.issue(&fis, false, 512)
            .map_err(|e| format!("IDENTIFY DEVICE: {}", e.message()))?;
        let mut raw = [0u8; 512];
        disk.buf.read_bytes(0, &mut raw);
        disk.id = ata::parse_identify(&raw).map_err(|e| format!("IDENTIFY data refused: {e}"))?;
        Ok(Some(disk))
    }

    /// Runs one command in slot 0: the command FIS, and `bytes` of the bounce buffer
    /// moved to the device (`write`) or from it. Waits for it until the deadline.
    fn issue(&mut self, fis: &ata::Fis, write: bool, bytes: usize) -> Result<(), BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        let p = self.port;
        if p.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) != 0 || p.read32(PX_CI) & 1 != 0 {
            self.fail();
            return Err(BlockError::Io);
        }
        let table = self.ctl.phys() + TABLE_OFFSET as u64;
        let header = ata::command_header(write, u16::from(bytes > 0), table);
        for (i, dw) in header.iter().chain([0u32; 4].iter()).enumerate() {
            self.ctl.write32(CLB_OFFSET + 4 * i, *dw);
        }
        self.ctl.write_bytes(TABLE_OFFSET, fis);
        if bytes > 0 {
            let prd = ata::prd(self.buf.phys(), bytes)?;
            for (i, dw) in prd.iter().enumerate() {
                self.ctl.write32(PRD_OFFSET + 4 * i, *dw);
            }
        }
        // The command list and table are written before the HBA is told to read them.
        fence(Ordering::SeqCst);
        p.write32(PX_IS, u32::MAX);
        p.write32(PX_CI, 1);
        let mut error = false;
        let done = poll(TIMEOUT_MS, || {
            error = p.read32(PX_IS) & IS_TFES != 0;
            error || p.read32(PX_CI) & 1 == 0
        });
        fence(Ordering::SeqCst);
        if !done {
            self.fail();
            return Err(BlockError::Timeout);
        }
        if error || p.read32(PX_TFD) & (TFD_ERR | TFD_DF) != 0 {
            self.fail();
            return Err(BlockError::Io);
        }
        Ok(())
    }

    /// Gives the disk up: later requests are refused; the command engine is stopped.
    fn fail(&mut self) {
        self.failed = true;
        let _ = stop(&self.port);
    }

    fn max_sectors(&self) -> u32 {
        let per_cmd = if self.id.lba48 {
            ata::MAX_SECTORS_LBA48
        } else {
            ata::MAX_SECTORS_LBA28
        };
        ((self.buf.len() / self.id.sector_size as usize) as u32).min(per_cmd)
    }

    fn check(&self, lba: u64, len: usize) -> Result<u64, BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        Ok(check_request(
            lba,
            len,
            self.id.sector_size,
            self.id.sectors,
        )?)
    }
}

impl Drop for AhciDisk {
    fn drop(&mut self) {
        if self.failed || !stop(&self.port) {
            // The HBA may still write into them.
            self.ctl.leak();
            self.buf.leak();
        }
    }
}

impl BlockDevice for AhciDisk {
    fn model(&self) -> &'static str {
        "ahci"
    }
    fn sector_size(&self) -> usize {
        self.id.sector_size as usize
    }
    fn sectors(&self) -> u64 {
        self.id.sectors
    }
    fn read_only(&self) -> bool {
        false
    }
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let n = self.check(lba, buf.len())?;
        let ss = self.id.sector_size;
        for c in chunks(lba, n, ss, self.max_sectors()) {
            let bytes = c.sectors as usize * ss as usize;
            let fis = ata::rw_fis(false, c.lba, c.sectors, self.id.lba48)?;
            self.issue(&fis, false, bytes)?;
            self.buf.read_bytes(0, &mut buf[c.offset..c.offset + bytes]);
        }
        Ok(())
    }
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        let n = self.check(lba, buf.len())?;
        let ss = self.id.sector_size;
        for c in chunks(lba, n, ss, self.max_sectors()) {
            let bytes = c.sectors as usize * ss as usize;
            let fis = ata::rw_fis(true, c.lba, c.sectors, self.id.lba48)?;
            self.buf.write_bytes(0, &buf[c.offset..c.offset + bytes]);
            self.issue(&fis, true, bytes)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        self.issue(&ata::flush_fis(self.id.lba48), false, 0)
    }
}
