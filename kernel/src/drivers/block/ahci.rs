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
//! A timeout, or a task-file error on a disk, marks the device failed: every later request
//! gets [`BlockError::Detached`], and its DMA memory is leaked, since the HBA may still
//! write it.
//!
//! CD/DVD drives (ATAPI; QEMU's `-cdrom` is one on q35) are read-only block devices
//! (`cd0`, ...): IDENTIFY PACKET DEVICE, then SCSI commands (`storage_cmds::scsi`, shared
//! with USB sticks) in PACKET commands, data by DMA. There a task-file error is a normal
//! answer (CHECK CONDITION: no medium, medium changed): the port is restarted, REQUEST
//! SENSE says why, and unit attention or "becoming ready" is retried a few times. A drive
//! without a medium at boot is passed over with a note: drives are probed once, at boot.
//! A medium ejected later makes reads fail with an I/O error; one put back is read again,
//! with the size read at boot (a mounted CD's files are in RAM and stay).

use super::{BlockDevice, BlockError, DmaBuf, Mmio, TIMEOUT_MS, poll};
use crate::drivers::pci::{self, Bar};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{Ordering, fence};
use storage_cmds::scsi::{self, Capacity10, Command, Direction, Sense, SenseAction};
use storage_cmds::{ata, check_capacity, check_request, chunks};

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
/// `PxSCTL.DET` = 1: COMRESET.
const PX_SCTL: usize = 0x2c;

/// Where things are in a port's control page: the command list (32 headers of 32 bytes),
/// the received-FIS area (256 bytes, 256-aligned) and the command table of slot 0 (the
/// command FIS, the ATAPI command area at 0x40, then one PRD at 0x80).
const CLB_OFFSET: usize = 0;
const FB_OFFSET: usize = 0x400;
const TABLE_OFFSET: usize = 0x800;
const ACMD_OFFSET: usize = TABLE_OFFSET + ata::ACMD_OFFSET;
const PRD_OFFSET: usize = TABLE_OFFSET + 0x80;

/// Bytes moved per command: the bounce buffer (128 KiB).
const BUF_PAGES: usize = 32;
/// How long the HBA and ports get to reset, stop or start.
const RESET_MS: u64 = 1_000;
/// How often a CD command is retried after unit attention or "becoming ready".
const CD_RETRIES: u32 = 8;
/// Pause between those retries.
const CD_RETRY_PAUSE_MS: u64 = 100;

/// Sets up every AHCI controller, its disks and its CD drives.
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
        match open(p, above_4g) {
            Ok(d) => out.push(Ok(d)),
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

/// Sets up the device on a port: a disk or a CD drive with a medium.
fn open(regs: Mmio, above_4g: bool) -> Result<Box<dyn BlockDevice>, String> {
    let (port, sig) = Port::open(regs, above_4g)?;
    match sig {
        ata::SIG_ATA => Ok(Box::new(AhciDisk::new(port)?)),
        ata::SIG_ATAPI => Ok(Box::new(AhciCd::new(port)?)),
        sig => Err(format!(
            "signature {sig:#x} is neither a disk nor a CD drive; not used"
        )),
    }
}

/// Why a command did not complete.
enum Fault {
    /// Refused or gave up: the port is failed (or was before).
    Block(BlockError),
    /// The device ended the command with an error (task-file error); the port was
    /// restarted and takes commands again. The value is `PxTFD` (status, error register).
    Device(u32),
}

/// One port with a device: its registers, command list, FIS area and bounce buffer.
struct Port {
    regs: Mmio,
    ctl: DmaBuf,
    buf: DmaBuf,
    failed: bool,
}

impl Port {
    /// Points the port at fresh command and FIS memory and enables FIS reception; returns
    /// it with the device's signature, the command engine still stopped.
    fn open(regs: Mmio, above_4g: bool) -> Result<(Self, u32), String> {
        if !stop(&regs) {
            return Err(String::from("command engine does not stop"));
        }
        let ctl = DmaBuf::new(1, above_4g).map_err(|e| String::from(e.message()))?;
        let buf = DmaBuf::new(BUF_PAGES, above_4g).map_err(|e| String::from(e.message()))?;
        let port = Self {
            regs,
            ctl,
            buf,
            failed: false,
        };
        regs.write64(PX_CLB, port.ctl.phys() + CLB_OFFSET as u64);
        regs.write64(PX_FB, port.ctl.phys() + FB_OFFSET as u64);
        regs.write32(PX_SERR, u32::MAX);
        regs.write32(PX_IS, u32::MAX);
        regs.write32(PX_IE, 0);
        regs.write32(PX_CMD, regs.read32(PX_CMD) | CMD_FRE);
        // On an error from here on, dropping `port` stops FIS reception (or leaks the
        // memory the HBA may still write).
        if !poll(RESET_MS, || regs.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) == 0) {
            return Err(String::from("device stays busy"));
        }
        let sig = regs.read32(PX_SIG);
        if matches!(sig, ata::SIG_ATA | ata::SIG_ATAPI) {
            regs.write32(PX_CMD, regs.read32(PX_CMD) | CMD_ST);
        }
        Ok((port, sig))
    }

    /// Runs an IDENTIFY command (`what` names it in errors) and returns its 512 bytes.
    fn identify(&mut self, command: u8, what: &str) -> Result<[u8; 512], String> {
        let fis = ata::fis(command, 0, 0, 0);
        self.issue(&fis, None, false, 512).map_err(|e| match e {
            Fault::Block(e) => format!("{what}: {}", e.message()),
            Fault::Device(tfd) => format!("{what}: device error (TFD {tfd:#x})"),
        })?;
        let mut raw = [0u8; 512];
        self.buf.read_bytes(0, &mut raw);
        Ok(raw)
    }

    /// Runs one command in slot 0: the command FIS, the ATAPI command block `packet` if
    /// any, and `bytes` of the bounce buffer moved to the device (`write`) or from it.
    /// Waits for it until the deadline. A timeout fails the port; a task-file error
    /// restarts it and is returned as [`Fault::Device`].
    fn issue(
        &mut self,
        fis: &ata::Fis,
        packet: Option<&[u8; ata::ACMD_LEN]>,
        write: bool,
        bytes: usize,
    ) -> Result<(), Fault> {
        if self.failed {
            return Err(Fault::Block(BlockError::Detached));
        }
        let p = self.regs;
        if p.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) != 0 || p.read32(PX_CI) & 1 != 0 {
            self.fail();
            return Err(Fault::Block(BlockError::Io));
        }
        let table = self.ctl.phys() + TABLE_OFFSET as u64;
        let prds = u16::from(bytes > 0);
        let header = match packet {
            Some(_) => ata::packet_header(prds, table),
            None => ata::command_header(write, prds, table),
        };
        for (i, dw) in header.iter().chain([0u32; 4].iter()).enumerate() {
            self.ctl.write32(CLB_OFFSET + 4 * i, *dw);
        }
        self.ctl.write_bytes(TABLE_OFFSET, fis);
        if let Some(cdb) = packet {
            self.ctl.write_bytes(ACMD_OFFSET, cdb);
        }
        if bytes > 0 {
            let prd =
                ata::prd(self.buf.phys(), bytes).map_err(|e| Fault::Block(BlockError::from(e)))?;
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
            return Err(Fault::Block(BlockError::Timeout));
        }
        let tfd = p.read32(PX_TFD);
        if error || tfd & (TFD_ERR | TFD_DF) != 0 {
            if !self.restart() {
                self.fail();
                return Err(Fault::Block(BlockError::Io));
            }
            return Err(Fault::Device(tfd));
        }
        Ok(())
    }

    /// After a task-file error (AHCI 1.3.1 section 6.2.2.1): stops the command engine,
    /// clears the errors, resets the link if the device is still busy, and starts the
    /// engine again. Returns whether the port takes commands again.
    fn restart(&mut self) -> bool {
        let p = self.regs;
        p.write32(PX_CMD, p.read32(PX_CMD) & !CMD_ST);
        if !poll(RESET_MS, || p.read32(PX_CMD) & CMD_CR == 0) {
            return false;
        }
        p.write32(PX_SERR, u32::MAX);
        p.write32(PX_IS, u32::MAX);
        if p.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) != 0 {
            // COMRESET: DET = 1 for at least 1 ms, then 0; the link comes back.
            p.write32(PX_SCTL, (p.read32(PX_SCTL) & !0xf) | 1);
            poll(2, || false);
            p.write32(PX_SCTL, p.read32(PX_SCTL) & !0xf);
            if !poll(RESET_MS, || p.read32(PX_SSTS) & 0xf == 3)
                || !poll(RESET_MS, || p.read32(PX_TFD) & (TFD_BSY | TFD_DRQ) == 0)
            {
                return false;
            }
            p.write32(PX_SERR, u32::MAX);
        }
        p.write32(PX_CMD, p.read32(PX_CMD) | CMD_ST);
        true
    }

    /// Gives the device up: later requests are refused; the command engine is stopped.
    fn fail(&mut self) {
        self.failed = true;
        let _ = stop(&self.regs);
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        if self.failed || !stop(&self.regs) {
            // The HBA may still write into them.
            self.ctl.leak();
            self.buf.leak();
        }
    }
}

/// One SATA disk on one port.
pub struct AhciDisk {
    port: Port,
    id: ata::Identity,
}

impl AhciDisk {
    /// Identifies the disk on a started port.
    fn new(mut port: Port) -> Result<Self, String> {
        let raw = port.identify(ata::IDENTIFY_DEVICE, "IDENTIFY DEVICE")?;
        let id = ata::parse_identify(&raw).map_err(|e| format!("IDENTIFY data refused: {e}"))?;
        Ok(Self { port, id })
    }

    /// Runs one ATA command; any error gives the disk up.
    fn issue(&mut self, fis: &ata::Fis, write: bool, bytes: usize) -> Result<(), BlockError> {
        match self.port.issue(fis, None, write, bytes) {
            Ok(()) => Ok(()),
            Err(Fault::Block(e)) => Err(e),
            Err(Fault::Device(_)) => {
                self.port.fail();
                Err(BlockError::Io)
            }
        }
    }

    fn max_sectors(&self) -> u32 {
        let per_cmd = if self.id.lba48 {
            ata::MAX_SECTORS_LBA48
        } else {
            ata::MAX_SECTORS_LBA28
        };
        ((self.port.buf.len() / self.id.sector_size as usize) as u32).min(per_cmd)
    }

    fn check(&self, lba: u64, len: usize) -> Result<u64, BlockError> {
        if self.port.failed {
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
            self.port
                .buf
                .read_bytes(0, &mut buf[c.offset..c.offset + bytes]);
        }
        Ok(())
    }
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        let n = self.check(lba, buf.len())?;
        let ss = self.id.sector_size;
        for c in chunks(lba, n, ss, self.max_sectors()) {
            let bytes = c.sectors as usize * ss as usize;
            let fis = ata::rw_fis(true, c.lba, c.sectors, self.id.lba48)?;
            self.port
                .buf
                .write_bytes(0, &buf[c.offset..c.offset + bytes]);
            self.issue(&fis, true, bytes)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        self.issue(&ata::flush_fis(self.id.lba48), false, 0)
    }
}

/// Why a CD command failed.
enum CdError {
    /// The drive holds no medium.
    NoMedium,
    Block(BlockError),
}

impl From<BlockError> for CdError {
    fn from(e: BlockError) -> Self {
        CdError::Block(e)
    }
}

impl CdError {
    fn message(&self) -> &'static str {
        match self {
            CdError::NoMedium => "no medium",
            CdError::Block(e) => e.message(),
        }
    }

    /// As a block error: no medium (ejected since boot) reads as an I/O error.
    fn block(self) -> BlockError {
        match self {
            CdError::NoMedium => BlockError::Io,
            CdError::Block(e) => e,
        }
    }
}

/// A CD/DVD drive with a medium (read-only, usually 2048-byte sectors).
pub struct AhciCd {
    port: Port,
    id: ata::PacketIdentity,
    capacity: scsi::Capacity,
}

impl AhciCd {
    /// Identifies the drive on a started port, waits for its medium to be ready, and
    /// reads the medium's size. An empty drive is refused ("no medium").
    fn new(mut port: Port) -> Result<Self, String> {
        let raw = port.identify(ata::IDENTIFY_PACKET_DEVICE, "IDENTIFY PACKET DEVICE")?;
        let id = ata::parse_identify_packet(&raw)
            .map_err(|e| format!("IDENTIFY PACKET DEVICE data refused: {e}"))?;
        if id.device_type != ata::DEVICE_TYPE_CD {
            return Err(format!(
                "ATAPI device type {:#x} ({}) is not a CD drive; not used",
                id.device_type,
                id.model()
            ));
        }
        let mut cd = Self {
            port,
            id,
            capacity: scsi::Capacity {
                blocks: 0,
                block_size: 2048,
            },
        };
        let what = |e: CdError| format!("CD drive ({}): {}", id.model(), e.message());
        cd.command(&Command::test_unit_ready()).map_err(what)?;
        cd.command(&Command::read_capacity_10()).map_err(what)?;
        let mut raw = [0u8; 8];
        cd.port.buf.read_bytes(0, &mut raw);
        cd.capacity = match scsi::parse_capacity_10(&raw) {
            Ok(Capacity10::Known(c)) => c,
            Ok(Capacity10::TooLarge) => return Err(what(CdError::Block(BlockError::OutOfRange))),
            Err(e) => return Err(format!("CD drive ({}): capacity refused: {e}", id.model())),
        };
        check_capacity(cd.capacity.blocks, cd.capacity.block_size)
            .map_err(|e| format!("CD drive ({}): capacity refused: {e}", id.model()))?;
        Ok(cd)
    }

    /// Sends one SCSI command in a PACKET command; its data (if any) is left in the bounce
    /// buffer.
    fn send(&mut self, cmd: &Command) -> Result<(), Fault> {
        let bytes = cmd.length as usize;
        if cmd.direction == Direction::Out {
            return Err(Fault::Block(BlockError::ReadOnly));
        }
        if bytes > self.port.buf.len() {
            return Err(Fault::Block(BlockError::OutOfRange));
        }
        let acmd = ata::acmd(cmd.bytes(), self.id.packet_len)
            .map_err(|e| Fault::Block(BlockError::from(e)))?;
        let fis = ata::packet_fis(bytes > 0, bytes.min(0xfffe) as u16);
        self.port.issue(&fis, Some(&acmd), false, bytes)
    }

    /// One command; the sense data when the drive ends it with CHECK CONDITION.
    fn packet(&mut self, cmd: &Command) -> Result<Result<(), Sense>, BlockError> {
        match self.send(cmd) {
            Ok(()) => Ok(Ok(())),
            Err(Fault::Block(e)) => Err(e),
            Err(Fault::Device(tfd)) => Ok(Err(self.sense(tfd))),
        }
    }

    /// Why the last command failed: REQUEST SENSE, or the sense key of the error register
    /// when that fails too.
    fn sense(&mut self, tfd: u32) -> Sense {
        let from_tfd = Sense {
            key: ata::sense_key_of_tfd(tfd),
            asc: 0,
            ascq: 0,
        };
        let mut raw = [0u8; scsi::SENSE_LEN as usize];
        // Bytes the drive does not send read as zero, not as an earlier command's data.
        self.port.buf.write_bytes(0, &raw);
        if self.send(&Command::request_sense()).is_err() {
            return from_tfd;
        }
        self.port.buf.read_bytes(0, &mut raw);
        Sense::parse(&raw).unwrap_or(from_tfd)
    }

    /// Runs a command, retrying it (a few times, with a pause) after unit attention
    /// (medium changed, reset), while the drive is becoming ready, and once after "no
    /// medium".
    fn command(&mut self, cmd: &Command) -> Result<(), CdError> {
        for attempt in 0..CD_RETRIES {
            // The first retry at once (unit attention is answered once); then pauses.
            if attempt > 1 {
                poll(CD_RETRY_PAUSE_MS, || false);
            }
            match self.packet(cmd)? {
                Ok(()) => return Ok(()),
                Err(s) => match s.action() {
                    SenseAction::Retry => {}
                    // Drives answer the first command after a medium change with "no
                    // medium", then unit attention (QEMU does, so hosts notice the
                    // change): "no medium" is believed the second time.
                    SenseAction::NoMedium if attempt == 0 => {}
                    SenseAction::NoMedium => return Err(CdError::NoMedium),
                    SenseAction::ReadOnly => return Err(BlockError::ReadOnly.into()),
                    SenseAction::Fail => return Err(BlockError::Io.into()),
                },
            }
        }
        Err(BlockError::Io.into())
    }

    fn max_sectors(&self) -> u32 {
        (self.port.buf.len() / self.capacity.block_size as usize) as u32
    }
}

impl BlockDevice for AhciCd {
    fn model(&self) -> &'static str {
        "atapi"
    }
    fn sector_size(&self) -> usize {
        self.capacity.block_size as usize
    }
    fn sectors(&self) -> u64 {
        self.capacity.blocks
    }
    fn read_only(&self) -> bool {
        true
    }
    fn is_cd(&self) -> bool {
        true
    }
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        if self.port.failed {
            return Err(BlockError::Detached);
        }
        let bs = self.capacity.block_size;
        let n = check_request(lba, buf.len(), bs, self.capacity.blocks)?;
        for c in chunks(lba, n, bs, self.max_sectors()) {
            let bytes = c.sectors as usize * bs as usize;
            let cmd =
                Command::read_write(false, c.lba, c.sectors, bs).ok_or(BlockError::OutOfRange)?;
            self.command(&cmd).map_err(CdError::block)?;
            self.port
                .buf
                .read_bytes(0, &mut buf[c.offset..c.offset + bytes]);
        }
        Ok(())
    }
    fn write(&mut self, _lba: u64, _buf: &[u8]) -> Result<(), BlockError> {
        Err(BlockError::ReadOnly)
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}
