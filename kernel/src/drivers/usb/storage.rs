//! USB mass storage: sticks speaking SCSI over the Bulk-Only Transport, as block devices
//! (`usb0`, `usb1`, ...).
//!
//! The USB task configures a stick (its two bulk endpoints, then INQUIRY, TEST UNIT READY,
//! READ CAPACITY, MODE SENSE for the write-protect bit) and hands it to the block layer,
//! which mounts its FAT partitions; when the stick is unplugged, or stops answering, its
//! requests fail and it leaves the block layer and the file tree again.
//!
//! Who drives the transfers: block requests come from whichever task reads or writes a
//! file, synchronously (the FAT code cannot wait asynchronously), and may arrive while the
//! USB task is parked in the middle of an operation holding the controller. So a stick's
//! transfers never need the controller: everything they touch is in [`Storage`] — its own
//! control and bulk rings and DMA buffers — plus the controller's shared [`Core`] (command
//! ring, event ring, doorbells), whose lock is only held for a few accesses at a time. A
//! request queues its TRBs, rings the doorbell, and drains the event ring itself until its
//! own completion arrives or its deadline passes; events of other devices are queued for
//! the USB task. Nothing waits without a deadline, no lock is held across an await or
//! taken by an interrupt handler, and the driver never prints while holding the core (its
//! messages are logged by the USB task).
//!
//! Failure policy: a command the device rejects (CHECK CONDITION) is answered by REQUEST
//! SENSE and retried when the sense says so (unit attention, becoming ready); a transport
//! failure (STALL, a bad status wrapper, a transfer error) gets the BOT reset recovery
//! and one retry; a timeout, or a second transport failure, marks the stick failed: every
//! later request gets `Detached`, and the USB task reports it and detaches the disk.
//!
//! Limits: LUN 0 only; 64 KiB per command; after a CLEAR_FEATURE(HALT) on an endpoint that
//! was not halted on the host side (only after a timeout), the host's data toggle is not
//! reset (that needs a Configure Endpoint cycle; such a stick is given up anyway).

use super::dma::DmaPage;
use super::ring::Ring;
use super::xhci::{self as hc, Controller, Core};
use super::{Error, now_ms};
use crate::drivers::block::{self, BlockDevice, BlockError};
use crate::log;
use ::xhci::context::EndpointType;
use ::xhci::ring::trb::{command, transfer};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::mem::ManuallyDrop;
use spin::Mutex;
use storage_cmds::scsi::{
    self, Capacity, Capacity10, Command, Direction, Inquiry, Sense, SenseAction,
};
use usb::descriptor::{Configuration, Endpoint};
use usb::request::SetupPacket;
use usb::storage::{BotInterface, CSW_LEN, Csw, CswError, Status};

/// Bytes moved by one SCSI command at most (one TRB per page).
const MAX_TRANSFER: usize = 64 * 1024;
const DATA_PAGES: usize = MAX_TRANSFER / DmaPage::SIZE;
/// Offsets in the small page: the command wrapper, the status wrapper, control data.
const CBW_AT: usize = 0;
const CSW_AT: usize = 512;
const CONTROL_AT: usize = 1024;
const CONTROL_MAX: usize = DmaPage::SIZE - CONTROL_AT;
/// Deadlines: commands; control transfers; a command wrapper; a data or status stage.
const COMMAND_MS: u64 = 1000;
const CONTROL_MS: u64 = 2000;
const CBW_MS: u64 = 2000;
const DATA_MS: u64 = block::TIMEOUT_MS;
/// How long a stick may stay "becoming ready" after it is plugged in.
const READY_MS: u64 = 10_000;
/// TRB addresses whose late events are swallowed, at most.
const STALE_MAX: usize = 32;
/// Completion codes (xHCI 1.2 table 6-90).
const CC_SUCCESS: u8 = 1;
const CC_STALL: u8 = 6;
const CC_SHORT_PACKET: u8 = 13;
/// Event TRB types.
const TRB_TRANSFER_EVENT: u32 = 32;
const TRB_COMMAND_COMPLETION: u32 = 33;
const TRB_PORT_STATUS_CHANGE: u32 = 34;

/// Why a transfer or command went wrong.
#[derive(Debug, Clone)]
enum Fail {
    Stall,
    Timeout,
    /// Unplugged (or failed earlier).
    Gone,
    /// A completion code other than success, short packet or stall.
    Transfer(u8),
    Csw(CswError),
    PhaseError,
    /// The command failed; the sense data says why.
    Check(Sense),
    /// Fewer bytes than a read asked for.
    Short {
        asked: u32,
        got: u32,
    },
    Command(&'static str, u8),
    Answer(&'static str),
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stall => f.write_str("endpoint stalled"),
            Self::Timeout => f.write_str("timed out"),
            Self::Gone => f.write_str("device gone"),
            Self::Transfer(cc) => write!(f, "transfer failed (completion code {cc})"),
            Self::Csw(e) => write!(f, "{e}"),
            Self::PhaseError => f.write_str("phase error"),
            Self::Check(s) => write!(f, "command failed: {s}"),
            Self::Short { asked, got } => write!(f, "{got} of {asked} bytes transferred"),
            Self::Command(what, cc) => write!(f, "{what} failed (completion code {cc})"),
            Self::Answer(what) => f.write_str(what),
        }
    }
}

/// Where the stick stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Being set up by the USB task.
    Starting,
    Ready,
    /// Present but not used (not a disk, no medium): the reason.
    Unused(String),
    /// Given up after an error: the reason. Reported and detached by the USB task.
    Failed(String),
    Unplugged,
}

/// A bulk endpoint and its transfer ring.
struct Pipe {
    ring: Ring,
    dci: u8,
    address: u8,
    max_packet: u16,
}

/// The memory the controller may read and write for a stick.
struct Buffers {
    ep0: Ring,
    bulk_in: Pipe,
    bulk_out: Pipe,
    small: DmaPage,
    data: Vec<DmaPage>,
}

/// What a data stage moves.
enum Data<'a> {
    None,
    In(&'a mut [u8]),
    Out(&'a [u8]),
}

/// One stick: what its transfers need, shared by the USB task and its block device.
pub struct Storage {
    core: Arc<Mutex<Core>>,
    slot: u8,
    interface: u8,
    /// Root port (and its PORTSC's address): an unplug there ends waits at once.
    root_port: u8,
    portsc: usize,
    buf: ManuallyDrop<Buffers>,
    tag: u32,
    /// TRBs of finished TDs whose (late) events are dropped.
    stale: Vec<u64>,
    pub state: State,
    /// The failure was reported by the USB task.
    reported: bool,
    /// The controller may still own the buffers: never free them.
    leak: bool,
    pub inquiry: Option<Inquiry>,
    pub capacity: Option<Capacity>,
    pub read_only: bool,
    /// The block layer's name once attached (`usb0`).
    pub name: Option<String>,
    /// Where it is plugged in (`5`, `1.3`), for messages.
    pub port: String,
}

impl Drop for Storage {
    fn drop(&mut self) {
        if !self.leak {
            // SAFETY: `buf` is dropped exactly once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.buf) };
        }
    }
}

/// Spins or halts briefly between two looks at the event ring: spinning first (an
/// answer usually comes within microseconds), then one timer tick at a time.
fn idle(started_ms: u64) {
    if now_ms().saturating_sub(started_ms) < 2 || !x86_64::instructions::interrupts::are_enabled() {
        for _ in 0..64 {
            core::hint::spin_loop();
        }
    } else {
        x86_64::instructions::hlt();
    }
}

/// A transfer event's or command completion's fields.
fn event_type(raw: &[u32; 4]) -> u32 {
    (raw[3] >> 10) & 0x3f
}
fn event_pointer(raw: &[u32; 4]) -> u64 {
    u64::from(raw[0]) | u64::from(raw[1]) << 32
}
fn event_code(raw: &[u32; 4]) -> u8 {
    (raw[2] >> 24) as u8
}
fn event_residual(raw: &[u32; 4]) -> u32 {
    raw[2] & 0xff_ffff
}
fn event_slot(raw: &[u32; 4]) -> u8 {
    (raw[3] >> 24) as u8
}

impl Storage {
    /// `usb0, 64 MiB, read-only` for `lsusb`.
    pub fn summary(&self) -> String {
        let mut s = self.name.clone().unwrap_or_default();
        if let Some(c) = self.capacity {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(&format!(
                "{} MiB",
                c.blocks.saturating_mul(u64::from(c.block_size)) >> 20
            ));
        }
        if self.read_only {
            s.push_str(", read-only");
        }
        match &self.state {
            State::Unused(why) => s.push_str(&format!("not used: {why}")),
            State::Failed(why) => s.push_str(&format!(", failed: {why}")),
            _ => {}
        }
        s
    }

    /// Called when the device was unplugged: every later request fails.
    pub fn unplugged(&mut self) {
        self.state = State::Unplugged;
    }

    fn fail(&mut self, why: String) {
        if matches!(self.state, State::Ready | State::Starting) {
            self.state = State::Failed(why);
        }
    }

    fn connected(&self) -> bool {
        // SAFETY: PORTSC of a root port that exists, inside the mapped BAR (its address
        // was computed by the controller from a port it attached this device on).
        let v = unsafe { (self.portsc as *const u32).read_volatile() };
        v & 1 == 1
    }

    /// Waits for the event of any TRB in `want` (a transfer event of this slot or a
    /// command completion), draining the event ring and queueing the rest for the USB
    /// task.
    fn wait(&mut self, want: &[u64], timeout_ms: u64) -> Result<[u32; 4], Fail> {
        let start = now_ms();
        let deadline = start + timeout_ms;
        loop {
            let mut got = None;
            let mut port_changed = false;
            {
                let (slot, root, stale) = (self.slot, self.root_port, &mut self.stale);
                let mut core = self.core.lock();
                core.drain(|raw| {
                    let ty = event_type(&raw);
                    let ptr = event_pointer(&raw);
                    let mine = (ty == TRB_TRANSFER_EVENT && event_slot(&raw) == slot)
                        || ty == TRB_COMMAND_COMPLETION;
                    if mine && want.contains(&ptr) {
                        if got.is_none() {
                            got = Some(raw);
                        }
                        return None;
                    }
                    if ty == TRB_TRANSFER_EVENT
                        && event_slot(&raw) == slot
                        && let Some(i) = stale.iter().position(|&s| s == ptr)
                    {
                        stale.swap_remove(i);
                        return None;
                    }
                    if ty == TRB_PORT_STATUS_CHANGE && (raw[0] >> 24) as u8 == root {
                        port_changed = true;
                    }
                    Some(raw)
                });
            }
            if let Some(ev) = got {
                return Ok(ev);
            }
            if port_changed && !self.connected() {
                self.state = State::Unplugged;
                return Err(Fail::Gone);
            }
            if now_ms() > deadline {
                return Err(if self.connected() {
                    Fail::Timeout
                } else {
                    self.state = State::Unplugged;
                    Fail::Gone
                });
            }
            idle(start);
        }
    }

    fn forget_later(&mut self, trbs: &[u64]) {
        for &t in trbs {
            if self.stale.len() >= STALE_MAX {
                self.stale.remove(0);
            }
            self.stale.push(t);
        }
    }

    // --- commands and control transfers ---------------------------------------------------

    fn command(&mut self, raw: [u32; 4], what: &'static str) -> Result<(), Fail> {
        let trb = self.core.lock().push_command(raw);
        let ev = self.wait(&[trb], COMMAND_MS)?;
        match event_code(&ev) {
            CC_SUCCESS => Ok(()),
            cc => Err(Fail::Command(what, cc)),
        }
    }

    /// The host side of recovering endpoint `dci`: Reset Endpoint if halted (else Stop
    /// Endpoint), then its dequeue pointer moved past everything queued.
    fn recover_endpoint(&mut self, dci: u8) -> Result<(), Fail> {
        let mut r = command::ResetEndpoint::new();
        r.set_slot_id(self.slot).set_endpoint_id(dci);
        if let Err(e) = self.command(r.into_raw(), "Reset Endpoint") {
            if matches!(e, Fail::Gone | Fail::Timeout) {
                return Err(e);
            }
            let mut s = command::StopEndpoint::new();
            s.set_slot_id(self.slot).set_endpoint_id(dci);
            let _ = self.command(s.into_raw(), "Stop Endpoint");
        }
        let dequeue = match dci {
            1 => self.buf.ep0.dequeue_state(),
            d if d == self.buf.bulk_in.dci => self.buf.bulk_in.ring.dequeue_state(),
            _ => self.buf.bulk_out.ring.dequeue_state(),
        };
        let mut d = command::SetTrDequeuePointer::new();
        d.set_slot_id(self.slot)
            .set_endpoint_id(dci)
            .set_new_tr_dequeue_pointer(dequeue & !0xf);
        if dequeue & 1 == 1 {
            d.set_dequeue_cycle_state();
        }
        self.command(d.into_raw(), "Set TR Dequeue Pointer")
    }

    /// A control transfer on endpoint 0; IN transfers return the bytes read.
    fn control(&mut self, setup: SetupPacket) -> Result<Vec<u8>, Fail> {
        let len = usize::from(setup.length).min(CONTROL_MAX);
        let data_phys = self.buf.small.phys() + CONTROL_AT as u64;
        self.buf.ep0.reserve(3);
        let [setup_trb, data_trb, status] = self.buf.ep0.push_control(&setup, len, data_phys);
        let mut trbs = alloc::vec![setup_trb];
        if data_trb != 0 {
            trbs.push(data_trb);
        }
        trbs.push(status);
        self.core.lock().ring_doorbell(self.slot, 1);
        let mut received = len;
        loop {
            let ev = match self.wait(&trbs, CONTROL_MS) {
                Ok(ev) => ev,
                Err(e) => {
                    self.forget_later(&trbs);
                    if matches!(e, Fail::Timeout) {
                        let _ = self.recover_endpoint(1);
                    }
                    return Err(e);
                }
            };
            let ptr = event_pointer(&ev);
            match event_code(&ev) {
                CC_SUCCESS if ptr == status => break,
                CC_SUCCESS => {}
                CC_SHORT_PACKET => {
                    received = len.saturating_sub(event_residual(&ev) as usize);
                    if ptr == status {
                        break;
                    }
                }
                cc => {
                    self.forget_later(&trbs);
                    let _ = self.recover_endpoint(1);
                    return Err(if cc == CC_STALL {
                        Fail::Stall
                    } else {
                        Fail::Transfer(cc)
                    });
                }
            }
        }
        let mut out = alloc::vec![0u8; if setup.is_in() { received } else { 0 }];
        self.buf.small.read_bytes(CONTROL_AT, &mut out);
        Ok(out)
    }

    /// Both sides of clearing a halted bulk pipe.
    fn clear_halt(&mut self, inward: bool) -> Result<(), Fail> {
        let (dci, address) = if inward {
            (self.buf.bulk_in.dci, self.buf.bulk_in.address)
        } else {
            (self.buf.bulk_out.dci, self.buf.bulk_out.address)
        };
        self.recover_endpoint(dci)?;
        self.control(SetupPacket::clear_endpoint_halt(address))
            .map(|_| ())
    }

    /// Reset recovery (BOT section 5.3.4): mass storage reset, then both pipes cleared.
    fn reset_recovery(&mut self) -> Result<(), Fail> {
        self.control(SetupPacket::storage_reset(self.interface))?;
        self.clear_halt(true)?;
        self.clear_halt(false)
    }

    // --- bulk transfers -------------------------------------------------------------------

    /// One TD on a bulk pipe over `segments` (physical address, length) — at most a page
    /// each, so none crosses a 64 KiB boundary — chained, with an event at the end or at
    /// a short packet. Returns the bytes moved, or the completion code that stopped it.
    fn bulk(&mut self, inward: bool, segments: &[(u64, u32)], timeout: u64) -> Result<u32, Fail> {
        let total: u32 = segments.iter().map(|s| s.1).sum();
        let pipe = if inward {
            &mut self.buf.bulk_in
        } else {
            &mut self.buf.bulk_out
        };
        pipe.ring.reserve(segments.len());
        let mut trbs = Vec::with_capacity(segments.len());
        let mut after = total;
        for (i, &(phys, len)) in segments.iter().enumerate() {
            after -= len;
            let mut n = transfer::Normal::new();
            n.set_data_buffer_pointer(phys)
                .set_trb_transfer_length(len)
                .set_td_size(usb::xhci_td_size(after as usize, pipe.max_packet))
                .set_interrupt_on_short_packet();
            if i + 1 < segments.len() {
                n.set_chain_bit();
            } else {
                n.set_interrupt_on_completion();
            }
            trbs.push(pipe.ring.push(n.into_raw()));
        }
        let dci = pipe.dci;
        // A TRB address reused by this TD is not stale any more.
        self.stale.retain(|s| !trbs.contains(s));
        self.core.lock().ring_doorbell(self.slot, dci);
        let ev = match self.wait(&trbs, timeout) {
            Ok(ev) => ev,
            Err(e) => {
                self.forget_later(&trbs);
                return Err(e);
            }
        };
        let at = trbs
            .iter()
            .position(|&t| t == event_pointer(&ev))
            .unwrap_or(trbs.len() - 1);
        // Events of the TD's other TRBs may still come (after a short packet).
        let others: Vec<u64> = trbs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != at)
            .map(|(_, &t)| t)
            .collect();
        self.forget_later(&others);
        let before: u32 = segments[..at].iter().map(|s| s.1).sum();
        let moved = before + segments[at].1.saturating_sub(event_residual(&ev));
        match event_code(&ev) {
            CC_SUCCESS | CC_SHORT_PACKET => Ok(moved.min(total)),
            CC_STALL => Err(Fail::Stall),
            cc => Err(Fail::Transfer(cc)),
        }
    }

    /// One command through the three BOT stages. Returns the status wrapper and the
    /// bytes the data stage moved. On a transport failure, reset recovery is done here.
    fn transact(&mut self, cmd: &Command, data: &mut Data) -> Result<(Csw, u32), Fail> {
        match self.state {
            State::Unplugged | State::Failed(_) => return Err(Fail::Gone),
            _ => {}
        }
        self.tag = self.tag.wrapping_add(1);
        let tag = self.tag;
        self.buf
            .small
            .write_bytes(CBW_AT, &usb::storage::cbw(cmd, tag, 0));
        let cbw = self.buf.small.phys() + CBW_AT as u64;
        if let Err(e) = self.bulk(false, &[(cbw, usb::storage::CBW_LEN as u32)], CBW_MS) {
            return Err(self.recover_from(e));
        }
        let len = (cmd.length as usize).min(MAX_TRANSFER);
        let mut moved = 0;
        if cmd.direction != Direction::None && len > 0 {
            if let Data::Out(src) = data {
                for (page, part) in self.buf.data.iter().zip(src.chunks(DmaPage::SIZE)) {
                    page.copy_in(0, part);
                }
            }
            let segments: Vec<(u64, u32)> = self
                .buf
                .data
                .iter()
                .zip((0..len).step_by(DmaPage::SIZE))
                .map(|(p, at)| (p.phys(), (len - at).min(DmaPage::SIZE) as u32))
                .collect();
            match self.bulk(cmd.direction == Direction::In, &segments, DATA_MS) {
                Ok(n) => moved = n,
                // The device ends the data stage early with a stall: clear it, then the
                // status wrapper tells what happened.
                Err(Fail::Stall) => {
                    if let Err(e) = self.clear_halt(cmd.direction == Direction::In) {
                        return Err(self.recover_from(e));
                    }
                }
                Err(e) => return Err(self.recover_from(e)),
            }
        }
        let csw = self.read_csw(tag, cmd.length)?;
        if csw.status == Status::PhaseError {
            return Err(self.recover_from(Fail::PhaseError));
        }
        if let Data::In(dst) = data {
            let n = (moved as usize).min(dst.len());
            for (page, part) in self.buf.data.iter().zip(dst[..n].chunks_mut(DmaPage::SIZE)) {
                page.copy_out(0, part);
            }
        }
        Ok((csw, moved))
    }

    /// The status stage: a stall is cleared and the read tried once more.
    fn read_csw(&mut self, tag: u32, expected: u32) -> Result<Csw, Fail> {
        let at = self.buf.small.phys() + CSW_AT as u64;
        let mut tries = 0;
        let n = loop {
            self.buf.small.write_bytes(CSW_AT, &[0; CSW_LEN]);
            // The device does the work of a command without data (a cache flush) before
            // it answers here: as long a deadline as a data stage.
            match self.bulk(true, &[(at, CSW_LEN as u32)], DATA_MS) {
                Ok(n) => break n,
                Err(Fail::Stall) if tries == 0 => {
                    tries += 1;
                    if let Err(e) = self.clear_halt(true) {
                        return Err(self.recover_from(e));
                    }
                }
                Err(e) => return Err(self.recover_from(e)),
            }
        };
        let mut raw = [0u8; CSW_LEN];
        let n = (n as usize).min(CSW_LEN);
        self.buf.small.read_bytes(CSW_AT, &mut raw[..n]);
        usb::storage::parse_csw(&raw[..n], tag, expected)
            .map_err(|e| self.recover_from(Fail::Csw(e)))
    }

    /// Reset recovery after a transport failure (not after a timeout or an unplug, when
    /// the device is given up anyway). Returns the original failure.
    fn recover_from(&mut self, e: Fail) -> Fail {
        if !matches!(e, Fail::Gone | Fail::Timeout)
            && let Err(r) = self.reset_recovery()
        {
            return match r {
                Fail::Gone | Fail::Timeout => r,
                _ => Fail::Answer("reset recovery failed"),
            };
        }
        e
    }

    /// A SCSI command with its sense data on failure. Returns the bytes the data stage
    /// moved (what the device says it processed, bounded by what crossed the bus).
    fn scsi(&mut self, cmd: &Command, mut data: Data) -> Result<u32, Fail> {
        let (csw, moved) = self.transact(cmd, &mut data)?;
        match csw.status {
            Status::Passed => Ok(usb::storage::transferred(
                cmd.length.min(MAX_TRANSFER as u32),
                moved,
                csw.residue,
            )),
            _ => {
                let mut raw = [0u8; scsi::SENSE_LEN as usize];
                let (sense_csw, n) =
                    self.transact(&Command::request_sense(), &mut Data::In(&mut raw))?;
                if sense_csw.status != Status::Passed {
                    return Err(Fail::Answer("REQUEST SENSE failed"));
                }
                let sense = Sense::parse(&raw[..(n as usize).min(raw.len())])
                    .map_err(|_| Fail::Answer("unreadable sense data"))?;
                Err(Fail::Check(sense))
            }
        }
    }

    /// A command that moves data (reads, writes, flushes) with the retry policy of the
    /// module documentation, as a block-layer result.
    fn io(&mut self, cmd: &Command, mut data: Data) -> Result<(), BlockError> {
        let mut last = Fail::Answer("no attempt");
        let mut transport_failures = 0;
        for _ in 0..4 {
            let d = match &mut data {
                Data::None => Data::None,
                Data::In(b) => Data::In(b),
                Data::Out(b) => Data::Out(b),
            };
            match self.scsi(cmd, d) {
                Ok(n) if n >= cmd.length.min(MAX_TRANSFER as u32) => return Ok(()),
                Ok(n) => {
                    last = Fail::Short {
                        asked: cmd.length,
                        got: n,
                    }
                }
                Err(Fail::Check(s)) => match s.action() {
                    SenseAction::Retry => last = Fail::Check(s),
                    SenseAction::ReadOnly => return Err(BlockError::ReadOnly),
                    _ => return Err(BlockError::Io),
                },
                Err(Fail::Gone) => return Err(BlockError::Removed),
                Err(Fail::Timeout) => {
                    self.fail(String::from("timed out"));
                    return Err(BlockError::Timeout);
                }
                Err(e) => {
                    // Reset recovery was done; a second transport failure gives the
                    // device up.
                    transport_failures += 1;
                    if transport_failures >= 2 {
                        self.fail(e.to_string());
                        return Err(BlockError::Io);
                    }
                    last = e;
                }
            }
        }
        self.fail(last.to_string());
        Err(BlockError::Io)
    }

    fn usable(&self) -> Result<(), BlockError> {
        match self.state {
            State::Ready => Ok(()),
            State::Unplugged => Err(BlockError::Removed),
            _ => Err(BlockError::Detached),
        }
    }

    fn read_blocks(&mut self, lba: u64, buf: &mut [u8], bs: usize) -> Result<(), BlockError> {
        self.usable()?;
        let per = MAX_TRANSFER / bs;
        for (i, chunk) in buf.chunks_mut(per * bs).enumerate() {
            let at = lba + (i * per) as u64;
            let cmd = Command::read_write(false, at, (chunk.len() / bs) as u32, bs as u32)
                .ok_or(BlockError::OutOfRange)?;
            self.io(&cmd, Data::In(chunk))?;
        }
        Ok(())
    }

    fn write_blocks(&mut self, lba: u64, buf: &[u8], bs: usize) -> Result<(), BlockError> {
        self.usable()?;
        let per = MAX_TRANSFER / bs;
        for (i, chunk) in buf.chunks(per * bs).enumerate() {
            let at = lba + (i * per) as u64;
            let cmd = Command::read_write(true, at, (chunk.len() / bs) as u32, bs as u32)
                .ok_or(BlockError::OutOfRange)?;
            self.io(&cmd, Data::Out(chunk))?;
        }
        Ok(())
    }

    // --- set-up ---------------------------------------------------------------------------

    /// One step of the set-up: a command with an IN data stage; the bytes it returned.
    fn ask(&mut self, cmd: &Command) -> Result<Vec<u8>, Fail> {
        let mut buf = alloc::vec![0u8; cmd.length as usize];
        let n = self.scsi(cmd, Data::In(&mut buf))?;
        buf.truncate(n as usize);
        Ok(buf)
    }

    fn read_capacity(&mut self) -> Result<Capacity, Fail> {
        let raw = self.ask(&Command::read_capacity_10())?;
        match scsi::parse_capacity_10(&raw) {
            Ok(Capacity10::Known(c)) => Ok(c),
            Ok(Capacity10::TooLarge) => {
                let raw = self.ask(&Command::read_capacity_16())?;
                scsi::parse_capacity_16(&raw)
                    .map_err(|_| Fail::Answer("unusable READ CAPACITY(16) answer"))
            }
            Err(_) => Err(Fail::Answer("unusable READ CAPACITY answer")),
        }
    }
}

/// What the USB task hands over to the block layer, outside the controller's lock.
pub enum Event {
    /// A stick is ready: attach it and mount its file systems.
    Attach(Arc<Mutex<Storage>>),
    /// Unplugged or failed: unmount and detach it.
    Detach(Arc<Mutex<Storage>>),
}

/// Carries out a storage event (called by the USB task without any controller locked:
/// mounting reads the stick through its block device).
pub fn handle(event: Event) {
    match event {
        Event::Attach(st) => {
            let (disk, what, port) = {
                let s = st.lock();
                let (Some(c), State::Ready) = (s.capacity, &s.state) else {
                    return;
                };
                let disk = UsbDisk {
                    st: st.clone(),
                    block_size: c.block_size as usize,
                    blocks: c.blocks,
                    read_only: s.read_only,
                };
                let what = s.inquiry.as_ref().map(Inquiry::name).unwrap_or_default();
                (disk, what, s.port.clone())
            };
            let ro = disk.read_only;
            let line = block::attach("usb", Box::new(disk));
            let name = line.split(' ').next().unwrap_or_default().to_string();
            log!(
                "usb: mass storage on port {port} ({what}): {line}{}",
                if ro { ", write-protected" } else { "" }
            );
            st.lock().name = Some(name.clone());
            for l in crate::fs::automount_disk(&name) {
                log!("{l}");
            }
        }
        Event::Detach(st) => {
            let (name, why) = {
                let mut s = st.lock();
                let why = match &s.state {
                    State::Failed(why) => Some(why.clone()),
                    _ => None,
                };
                (s.name.take(), why)
            };
            let Some(name) = name else {
                return;
            };
            if let Some(why) = why {
                log!("usb: {name}: {why}; detached");
            }
            for l in crate::fs::forget_disk(&name) {
                log!("{l}");
            }
            block::detach(&name);
            log!("usb: {name} detached");
        }
    }
}

/// A stick as the block layer sees it.
pub struct UsbDisk {
    st: Arc<Mutex<Storage>>,
    block_size: usize,
    blocks: u64,
    read_only: bool,
}

impl UsbDisk {
    fn check(&self, lba: u64, len: usize) -> Result<(), BlockError> {
        let n = (len / self.block_size) as u64;
        if !len.is_multiple_of(self.block_size)
            || lba.checked_add(n).is_none_or(|end| end > self.blocks)
        {
            return Err(BlockError::OutOfRange);
        }
        Ok(())
    }
}

impl BlockDevice for UsbDisk {
    fn model(&self) -> &'static str {
        "usb-storage"
    }
    fn sector_size(&self) -> usize {
        self.block_size
    }
    fn sectors(&self) -> u64 {
        self.blocks
    }
    fn read_only(&self) -> bool {
        self.read_only
    }
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.check(lba, buf.len())?;
        self.st.lock().read_blocks(lba, buf, self.block_size)
    }
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        self.check(lba, buf.len())?;
        if self.read_only {
            return Err(BlockError::ReadOnly);
        }
        self.st.lock().write_blocks(lba, buf, self.block_size)
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        let mut st = self.st.lock();
        st.usable()?;
        st.io(&Command::synchronize_cache_10(), Data::None)
    }
}

impl Controller {
    /// Sets up a Bulk-Only stick: its bulk endpoints, the configuration, then the SCSI
    /// questions; a stick that answers them is queued for the block layer.
    pub async fn setup_storage(
        &mut self,
        slot: u8,
        config: &Configuration,
        bot: BotInterface,
    ) -> Result<(), Error> {
        let above = self.ac64();
        let pipe = |ep: &Endpoint| -> Result<Pipe, Error> {
            Ok(Pipe {
                ring: Ring::new(above).ok_or(Error::NoMemory)?,
                dci: ep.dci(),
                address: ep.address,
                max_packet: ep.max_packet(),
            })
        };
        let bulk_in = pipe(&bot.bulk_in)?;
        let bulk_out = pipe(&bot.bulk_out)?;
        self.add_bulk_endpoints(slot, &bot, &bulk_in, &bulk_out)
            .await?;
        self.control(slot, SetupPacket::set_configuration(config.value), &[])
            .await?;
        let mut data = Vec::with_capacity(DATA_PAGES);
        for _ in 0..DATA_PAGES {
            data.push(DmaPage::new(above).ok_or(Error::NoMemory)?);
        }
        let small = DmaPage::new(above).ok_or(Error::NoMemory)?;
        let fresh = Ring::new(above).ok_or(Error::NoMemory)?;
        let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
        let root_port = dev.path.root_port();
        let port = format!("{}", dev.path);
        // Endpoint 0 is the storage driver's from here on (the context keeps pointing at
        // this ring; the device gets an unused one in its place).
        let ep0 = core::mem::replace(&mut dev.ep0, fresh);
        let st = Arc::new(Mutex::new(Storage {
            core: self.core.clone(),
            slot,
            interface: bot.interface,
            root_port,
            portsc: self.portsc_addr(root_port),
            buf: ManuallyDrop::new(Buffers {
                ep0,
                bulk_in,
                bulk_out,
                small,
                data,
            }),
            tag: 0,
            stale: Vec::new(),
            state: State::Starting,
            reported: false,
            leak: false,
            inquiry: None,
            capacity: None,
            read_only: false,
            name: None,
            port: port.clone(),
        }));
        self.set_role(slot, super::device::Role::Storage(st.clone()));
        let result = self.identify(&st).await;
        let mut s = st.lock();
        match result {
            Ok(()) => {
                s.state = State::Ready;
                drop(s);
                self.storage_events.push(Event::Attach(st));
                Ok(())
            }
            Err(Fail::Answer(why)) if matches!(s.state, State::Starting) => {
                // Present but unusable as a disk: shown by lsusb, left alone.
                let what = s.inquiry.as_ref().map(Inquiry::name).unwrap_or_default();
                s.state = State::Unused(String::from(why));
                drop(s);
                log!(
                    "usb: mass storage on port {port} ({what}{}) not used: {why}",
                    self.tag
                );
                Ok(())
            }
            Err(e) => {
                // The controller may still hold TDs on these rings if it timed out.
                s.leak = matches!(e, Fail::Timeout);
                s.state = State::Failed(e.to_string());
                s.reported = true;
                Err(Error::Unsupported(match e {
                    Fail::Gone => "unplugged during set-up",
                    Fail::Timeout => "mass storage set-up timed out",
                    _ => "mass storage set-up failed",
                }))
            }
        }
    }

    /// The SCSI questions, with the USB task's pauses between retries.
    async fn identify(&mut self, st: &Arc<Mutex<Storage>>) -> Result<(), Fail> {
        // LUN 0 only; a stall here just means "one LUN".
        let interface = st.lock().interface;
        let _ = st
            .lock()
            .control(SetupPacket::storage_get_max_lun(interface));
        let raw = st.lock().ask(&Command::inquiry())?;
        let inquiry = Inquiry::parse(&raw).map_err(|_| Fail::Answer("unusable INQUIRY answer"))?;
        let disk = inquiry.is_disk();
        let device_type = inquiry.device_type;
        st.lock().inquiry = Some(inquiry);
        if !disk {
            log!("usb: mass storage LUN 0 is SCSI device type {device_type:#x}, not a disk");
            return Err(Fail::Answer("not a disk"));
        }
        let deadline = now_ms() + READY_MS;
        loop {
            let r = st.lock().scsi(&Command::test_unit_ready(), Data::None);
            match r {
                Ok(_) => break,
                Err(Fail::Check(s)) => match s.action() {
                    SenseAction::NoMedium => return Err(Fail::Answer("no medium")),
                    SenseAction::Retry if now_ms() < deadline => {}
                    _ => return Err(Fail::Check(s)),
                },
                Err(e) => return Err(e),
            }
            self.pause(50).await;
        }
        // A unit attention may still come first.
        let mut capacity = st.lock().read_capacity();
        if let Err(Fail::Check(s)) = &capacity
            && s.action() == SenseAction::Retry
        {
            capacity = st.lock().read_capacity();
        }
        let capacity = capacity?;
        // MODE SENSE is optional for sticks: one that refuses it is taken as writable.
        let protected = st
            .lock()
            .ask(&Command::mode_sense_6())
            .ok()
            .and_then(|raw| scsi::parse_write_protect(&raw).ok())
            .unwrap_or(false);
        let mut s = st.lock();
        s.capacity = Some(capacity);
        s.read_only = protected;
        Ok(())
    }

    /// Configure Endpoint for the two bulk endpoints.
    async fn add_bulk_endpoints(
        &mut self,
        slot: u8,
        bot: &BotInterface,
        bulk_in: &Pipe,
        bulk_out: &Pipe,
    ) -> Result<(), Error> {
        let mut input = self.take_input(slot)?;
        let last = bulk_in.dci.max(bulk_out.dci);
        {
            let dev = self.devices.get(&slot).ok_or(Error::Gone)?;
            let superspeed = dev.speed.is_superspeed();
            self.build_input(&mut input, |ctx| {
                hc::add_contexts(ctx, &[0, bulk_in.dci, bulk_out.dci]);
                hc::fill_slot(ctx.device_mut().slot_mut(), dev, last);
                for (pipe, ep, kind) in [
                    (bulk_in, &bot.bulk_in, EndpointType::BulkIn),
                    (bulk_out, &bot.bulk_out, EndpointType::BulkOut),
                ] {
                    let deq = pipe.ring.dequeue_state();
                    let e = ctx.device_mut().endpoint_mut(usize::from(pipe.dci));
                    e.set_endpoint_type(kind);
                    e.set_max_packet_size(pipe.max_packet);
                    if superspeed {
                        e.set_max_burst_size(ep.max_burst);
                    }
                    e.set_error_count(3);
                    e.set_tr_dequeue_pointer(deq & !0xf);
                    if deq & 1 == 1 {
                        e.set_dequeue_cycle_state();
                    }
                    e.set_average_trb_length(3072);
                }
            });
        }
        let phys = input.phys();
        self.put_input(slot, input);
        self.configure_endpoint(slot, phys).await
    }

    /// Sticks whose requests failed since the last look: reported and detached (the
    /// block layer part happens in [`handle`]).
    pub fn check_storage(&mut self) {
        for dev in self.devices.values() {
            if let super::device::Role::Storage(st) = &dev.role
                && let Some(mut s) = st.try_lock()
                && matches!(s.state, State::Failed(_))
                && !s.reported
            {
                s.reported = true;
                // A timed-out TD may still be in the controller's hands.
                s.leak = true;
                drop(s);
                self.storage_events.push(Event::Detach(st.clone()));
                self.changed = true;
            }
        }
    }
}
