//! The xHCI host controller: taking it from the firmware, resetting it, and the three
//! things every USB operation is built from — commands, control transfers and events.
//!
//! Registers, TRBs and contexts are the `xhci` crate's types. Three places write registers
//! directly instead, because of that crate (0.9): its USB Legacy Support view puts
//! USBLEGCTLSTS at the capability's base instead of base + 4, its doorbell array is one
//! entry short (MaxSlots instead of MaxSlots + 1), and its port array writes all four
//! port registers back on update, where only PORTSC should be written.
//!
//! Nothing here waits without a deadline: register polls spin for at most a few hundred
//! milliseconds, and commands and transfers are awaited with timeouts while the event ring
//! keeps being drained (see [`Controller::service`]), so a dead controller or device costs
//! a log line, never a hung kernel.
//!
//! The command ring and the event ring live apart from the rest, in a [`Core`] behind its
//! own lock, because a second party uses them: a USB stick's block requests come from
//! whatever task reads a file, synchronously, at moments when the USB task may be parked
//! in the middle of an operation holding the controller. The core's lock is only ever
//! held for a few register and memory accesses — never across an await, never in an
//! interrupt handler, never while printing — so it is always free when someone wants it.
//! Whoever drains the event ring keeps the events it waits for and queues the others for
//! the USB task, which dispatches them in order at its next pass.

use super::dma::DmaPage;
use super::ring::{EventRing, Ring};
use super::{Error, device::Device, now_ms};
use crate::drivers::pci;
use crate::log;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::num::NonZeroUsize;
use spin::Mutex;
use usb::request::SetupPacket;
use xhci::Registers;
use xhci::context::{EndpointType, Input32Byte, Input64Byte, InputHandler, SlotHandler};
use xhci::extended_capabilities::usb_legacy_support_capability::UsbLegacySupport;
use xhci::extended_capabilities::xhci_supported_protocol::XhciSupportedProtocol;
use xhci::registers::operational::PortStatusAndControlRegister;
use xhci::ring::trb::command;
use xhci::ring::trb::event::{self, CompletionCode};

/// How long a command may take (Address Device talks to the device: allow for slow ones).
const COMMAND_TIMEOUT_MS: u64 = 1000;
/// How long a control transfer may take.
const CONTROL_TIMEOUT_MS: u64 = 1000;
/// How long the firmware gets to let go of the controller.
const HANDOFF_TIMEOUT_MS: u64 = 1000;

/// Maps the controller's physical register addresses to the uncached window they were
/// mapped at (the whole BAR is mapped once, up front).
#[derive(Clone, Debug)]
pub struct Mmio {
    phys: usize,
    virt: usize,
}

impl xhci::accessor::Mapper for Mmio {
    unsafe fn map(&mut self, phys: usize, _bytes: usize) -> NonZeroUsize {
        let virt = self.virt.wrapping_add(phys.wrapping_sub(self.phys));
        // The window lies in the higher half, so this is never zero.
        NonZeroUsize::new(virt).unwrap_or(NonZeroUsize::MIN)
    }

    fn unmap(&mut self, _virt: usize, _bytes: usize) {}
}

/// Busy-waits (bounded) until `done` holds. Only for register handshakes that take
/// microseconds to milliseconds.
fn spin_until(timeout_ms: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = now_ms() + timeout_ms;
    loop {
        if done() {
            return true;
        }
        if now_ms() > deadline {
            return done();
        }
        core::hint::spin_loop();
    }
}

/// Events kept for the USB task at most (beyond, the oldest go: the controller produces
/// only a few per queued transfer, so this is never reached in practice).
const QUEUED_MAX: usize = 4096;

/// The parts of a controller that code outside the USB task uses too: the command ring,
/// the event ring, and the doorbells (see the module documentation).
pub struct Core {
    cmd: Ring,
    events: EventRing,
    /// Virtual address of interrupter 0's ERDP register.
    erdp: usize,
    /// Virtual address of the doorbell array.
    doorbells: usize,
    max_slots: u8,
    /// Events drained by someone else, oldest first, for the USB task.
    queued: VecDeque<[u32; 4]>,
}

impl Core {
    /// Queues a command and rings the host controller's doorbell; returns the command
    /// TRB's address, which its completion event names.
    pub fn push_command(&mut self, raw: [u32; 4]) -> u64 {
        let trb = self.cmd.push(raw);
        self.ring_doorbell(0, 0);
        trb
    }

    /// Rings doorbell `slot` (0: the host controller) for `target`.
    pub fn ring_doorbell(&self, slot: u8, target: u8) {
        if slot > self.max_slots {
            return;
        }
        // Order every TRB and context write before the doorbell.
        core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
        let addr = self.doorbells + 4 * usize::from(slot);
        // SAFETY: slot <= max_slots, so the doorbell lies inside the array that the
        // layout check in `Controller::start` found inside the mapped BAR.
        unsafe { (addr as *mut u32).write_volatile(u32::from(target)) };
    }

    /// Takes every event the controller has written, passing each to `f`, which returns
    /// the events it does not want: those are queued for the USB task.
    pub fn drain(&mut self, mut f: impl FnMut([u32; 4]) -> Option<[u32; 4]>) {
        let mut any = false;
        while let Some(raw) = self.events.pop() {
            any = true;
            if let Some(other) = f(raw) {
                if self.queued.len() >= QUEUED_MAX {
                    self.queued.pop_front();
                }
                self.queued.push_back(other);
            }
        }
        if any {
            let dequeue = self.events.dequeue_pointer();
            // ERDP: the new dequeue pointer (segment index 0) with Event Handler Busy
            // (bit 3, write 1 to clear) cleared; low half first, as 32-bit writes go.
            let low = (dequeue as u32 & !0xf) | 1 << 3;
            // SAFETY: interrupter 0's ERDP lies inside the runtime registers, which the
            // layout check in `Controller::start` found inside the mapped BAR.
            unsafe {
                (self.erdp as *mut u32).write_volatile(low);
                ((self.erdp + 4) as *mut u32).write_volatile((dequeue >> 32) as u32);
            }
        }
    }
}

/// One xHCI controller and everything attached to it.
pub struct Controller {
    /// The PCI function, e.g. `00:04.0`.
    pub pci: pci::Function,
    regs: Registers<Mmio>,
    /// Virtual address of the register space.
    base: usize,
    /// Operational registers' offset (CAPLENGTH).
    op: usize,
    /// 64-bit DMA addresses are allowed (AC64).
    pub ac64: bool,
    /// Contexts are 64 bytes (CSZ).
    csz64: bool,
    pub max_slots: u8,
    pub ports: u8,
    /// USB major revision (2 or 3) of each root port, 0 if the controller did not say.
    port_major: Vec<u8>,
    dcbaa: DmaPage,
    _scratchpad: Vec<DmaPage>,
    /// Command ring, event ring, doorbells: shared with USB sticks' block requests.
    pub core: Arc<Mutex<Core>>,
    /// Completion events (commands, control transfers) not collected yet, by TRB address.
    done: BTreeMap<u64, [u32; 4]>,
    /// Attached devices by slot ID.
    pub devices: BTreeMap<u8, Device>,
    /// Root ports whose status changed and must be looked at.
    pub pending_ports: Vec<u8>,
    /// Hub ports (hub slot, port) whose status changed.
    pub pending_hub_ports: Vec<(u8, u8)>,
    /// Interrupt endpoints that stalled and need a reset (slot, DCI).
    pub pending_resets: Vec<(u8, u8)>,
    /// Events the crate could not decode (logged once).
    bad_events: u64,
    /// Something `lsusb` shows changed since the device list was last published.
    pub changed: bool,
    /// Sticks to hand to (or take from) the block layer once the controller is let go.
    pub storage_events: Vec<super::storage::Event>,
    /// Appended to log lines about devices when there are several controllers
    /// (`, xHCI 00:04.0`), so that "port 5" says which one.
    pub tag: String,
}

impl Controller {
    /// Maps, takes over, resets and starts the controller of PCI function `f`.
    pub fn start(f: &pci::Function) -> Result<Self, &'static str> {
        let pci::Bar::Memory { addr, size, .. } = f.bars[0] else {
            return Err("BAR 0 is not a memory BAR");
        };
        if !(0x1000..=1 << 24).contains(&size) {
            return Err("register space of an implausible size");
        }
        f.enable_memory_and_dma();
        route_intel_ports(f);
        let base = crate::mem::paging::map_mmio(addr, size)
            .map_err(|_| "cannot map the registers")?
            .as_u64() as usize;
        let size = size as usize;
        let read = |off: usize| -> u32 {
            // SAFETY: callers check `off + 4 <= size`; the BAR is mapped uncached at `base`.
            unsafe { ((base + off) as *const u32).read_volatile() }
        };
        // Check the layout before the `xhci` crate computes addresses from it (it asserts
        // on misalignment and zero counts, and would read outside the BAR).
        let caplength = (read(0) & 0xff) as usize;
        let hcsparams1 = read(0x04);
        let hccparams1 = read(0x10);
        let dboff = (read(0x14) & !3) as usize;
        let rtsoff = (read(0x18) & !0x1f) as usize;
        let max_slots = hcsparams1 as u8;
        let ports = (hcsparams1 >> 24) as u8;
        if caplength < 0x20
            || caplength + 0x400 + 0x10 * usize::from(ports) > size
            || dboff + 4 * (usize::from(max_slots) + 1) > size
            || rtsoff + 0x40 > size
            || max_slots == 0
            || ports == 0
            || read(0) == u32::MAX
        {
            return Err("register layout out of range (no device, or a broken one)");
        }
        let mmio = Mmio {
            phys: addr as usize,
            virt: base,
        };
        let xecp = ((hccparams1 >> 16) as usize) << 2;
        let caps = ext_caps(&read, xecp, size);
        for &(off, id) in &caps {
            if id == 1 {
                // SAFETY: `off` is a USB Legacy Support capability inside the mapped BAR.
                unsafe { bios_handoff(&mmio, addr as usize + off, base + off) };
            }
        }
        // SAFETY: the layout was checked above; this driver is the only user of these
        // registers (one `Controller` per function).
        let mut regs = unsafe { Registers::new(addr as usize, mmio.clone()) };
        let mut port_major = alloc::vec![0u8; usize::from(ports)];
        for &(off, id) in &caps {
            if id != 2 {
                continue;
            }
            // SAFETY: a Supported Protocol capability inside the mapped BAR (its
            // speed-ID array is at most 15 entries, inside the capability).
            let p = unsafe { XhciSupportedProtocol::new(addr as usize + off, mmio.clone()) };
            let h = p.header.read_volatile();
            let first = usize::from(h.compatible_port_offset());
            let count = usize::from(h.compatible_port_count());
            for port in first..first + count {
                if let Some(m) = port.checked_sub(1).and_then(|i| port_major.get_mut(i)) {
                    *m = h.major_revision();
                }
            }
        }
        let cap1 = regs.capability.hccparams1.read_volatile();
        let ac64 = cap1.addressing_capability();
        let csz64 = cap1.context_size();

        // Stop, then reset.
        if !regs.operational.usbsts.read_volatile().hc_halted() {
            regs.operational.usbcmd.update_volatile(|c| {
                c.clear_run_stop();
            });
            spin_until(20, || regs.operational.usbsts.read_volatile().hc_halted());
        }
        regs.operational.usbcmd.update_volatile(|c| {
            c.set_host_controller_reset();
        });
        // Some controllers must not be read for 1 ms after the reset starts.
        let t = now_ms() + 2;
        while now_ms() < t {
            core::hint::spin_loop();
        }
        let reset_done = spin_until(1000, || {
            !regs
                .operational
                .usbcmd
                .read_volatile()
                .host_controller_reset()
                && !regs
                    .operational
                    .usbsts
                    .read_volatile()
                    .controller_not_ready()
        });
        if !reset_done {
            return Err("the controller did not come out of reset");
        }
        if read(caplength + 0x08) & 1 == 0 {
            return Err("4 KiB pages not supported");
        }
        regs.operational.config.update_volatile(|c| {
            c.set_max_device_slots_enabled(max_slots);
        });

        // DCBAA, with the scratchpad array in entry 0.
        let dcbaa = DmaPage::new(ac64).ok_or("out of memory")?;
        let scratch_count = regs
            .capability
            .hcsparams2
            .read_volatile()
            .max_scratchpad_buffers() as usize;
        if scratch_count > DmaPage::SIZE / 8 {
            return Err("more scratchpad buffers than supported");
        }
        let mut scratchpad = Vec::new();
        if scratch_count > 0 {
            let array = DmaPage::new(ac64).ok_or("out of memory")?;
            for i in 0..scratch_count {
                let page = DmaPage::new(ac64).ok_or("out of memory")?;
                array.write64(8 * i, page.phys());
                scratchpad.push(page);
            }
            dcbaa.write64(0, array.phys());
            scratchpad.push(array);
        }
        regs.operational
            .dcbaap
            .update_volatile(|d| d.set(dcbaa.phys()));

        let cmd = Ring::new(ac64).ok_or("out of memory")?;
        regs.operational.crcr.update_volatile(|c| {
            c.set_command_ring_pointer(cmd.phys());
            c.set_ring_cycle_state();
        });
        let events = EventRing::new(ac64).ok_or("out of memory")?;
        {
            let mut i = regs.interrupter_register_set.interrupter_mut(0);
            i.erstsz.update_volatile(|s| s.set(1));
            i.erdp
                .update_volatile(|d| d.set_event_ring_dequeue_pointer(events.dequeue_pointer()));
            i.erstba.update_volatile(|b| b.set(events.table_phys()));
            // Polled, not interrupt-driven: see the module documentation of `usb`.
            i.iman.update_volatile(|m| {
                m.clear_interrupt_enable();
                m.clear_interrupt_pending();
            });
        }
        regs.operational.usbcmd.update_volatile(|c| {
            c.clear_interrupter_enable();
            c.set_run_stop();
        });
        if !spin_until(100, || !regs.operational.usbsts.read_volatile().hc_halted()) {
            return Err("the controller did not start");
        }
        let mut c = Self {
            pci: *f,
            regs,
            base,
            op: caplength,
            ac64,
            csz64,
            max_slots,
            ports,
            port_major,
            dcbaa,
            _scratchpad: scratchpad,
            core: Arc::new(Mutex::new(Core {
                cmd,
                events,
                erdp: base + rtsoff + 0x20 + 0x18,
                doorbells: base + dboff,
                max_slots,
                queued: VecDeque::new(),
            })),
            done: BTreeMap::new(),
            devices: BTreeMap::new(),
            pending_ports: (1..=ports).collect(),
            pending_hub_ports: Vec::new(),
            pending_resets: Vec::new(),
            bad_events: 0,
            changed: false,
            storage_events: Vec::new(),
            tag: String::new(),
        };
        // Ports of controllers with power switching come up unpowered.
        if cap1.port_power_control() {
            for port in 1..=ports {
                if !c.portsc(port).port_power() {
                    c.write_portsc(port, |p| {
                        p.set_port_power();
                    });
                }
            }
        }
        Ok(c)
    }

    /// The USB major revision of a root port (2 or 3; 0 if unknown).
    pub fn port_major(&self, port: u8) -> u8 {
        self.port_major
            .get(usize::from(port).wrapping_sub(1))
            .copied()
            .unwrap_or(0)
    }

    pub fn ac64(&self) -> bool {
        self.ac64
    }

    // --- ports --------------------------------------------------------------------------

    /// Virtual address of root port `port`'s PORTSC (1-based; callers check the range).
    pub fn portsc_addr(&self, port: u8) -> usize {
        self.base + self.op + 0x400 + 0x10 * (usize::from(port).max(1) - 1)
    }

    /// PORTSC of root port `port` (1-based; callers check the range).
    pub fn portsc(&self, port: u8) -> PortStatusAndControlRegister {
        self.regs
            .port_register_set
            .read_volatile_at(usize::from(port) - 1)
            .portsc
    }

    /// Writes PORTSC: the current value with every write-1-to-clear bit (and PED, which
    /// disables the port when written as 1) zeroed, then changed by `f`.
    pub fn write_portsc(&mut self, port: u8, f: impl FnOnce(&mut PortStatusAndControlRegister)) {
        let mut v = self.portsc(port);
        v.set_0_port_enabled_disabled()
            .set_0_connect_status_change()
            .set_0_port_enabled_disabled_change()
            .set_0_warm_port_reset_change()
            .set_0_over_current_change()
            .set_0_port_reset_change()
            .set_0_port_link_state_change()
            .set_0_port_config_error_change()
            .clear_port_link_state_write_strobe();
        f(&mut v);
        // SAFETY: `PortStatusAndControlRegister` is a `repr(transparent)` `u32`.
        let raw: u32 = unsafe { core::mem::transmute(v) };
        let addr = self.base + self.op + 0x400 + 0x10 * (usize::from(port) - 1);
        // SAFETY: PORTSC of a port that exists (1..=ports, checked by callers), inside
        // the mapped BAR.
        unsafe { (addr as *mut u32).write_volatile(raw) };
    }

    // --- doorbells, events ----------------------------------------------------------------

    fn ring_doorbell(&mut self, slot: u8, target: u8) {
        self.core.lock().ring_doorbell(slot, target);
    }

    /// Rings the doorbell of endpoint `dci` of `slot`.
    pub fn ring_endpoint(&mut self, slot: u8, dci: u8) {
        if slot != 0 && slot <= self.max_slots {
            self.ring_doorbell(slot, dci);
        }
    }

    /// Drains the event ring: completions are kept for their waiters, interrupt transfers
    /// and port changes are handled on the spot. Called from every wait, so devices are
    /// served while enumeration of another one is in progress.
    pub fn service(&mut self) {
        let mut events = Vec::new();
        // Only ever held briefly by others (see `Core`): if it is taken, this pass is
        // skipped rather than waited for.
        if let Some(mut core) = self.core.try_lock() {
            events.extend(core.queued.drain(..));
            core.drain(|raw| {
                events.push(raw);
                None
            });
        }
        for raw in events {
            self.dispatch(raw);
        }
        self.tick_devices();
    }

    fn dispatch(&mut self, raw: [u32; 4]) {
        match event::Allowed::try_from(raw) {
            Ok(event::Allowed::CommandCompletion(c)) => {
                self.keep(c.command_trb_pointer(), raw);
            }
            Ok(event::Allowed::TransferEvent(t)) => {
                if t.endpoint_id() == 1 {
                    self.keep(t.trb_pointer(), raw);
                } else {
                    self.interrupt_transfer(t);
                }
            }
            Ok(event::Allowed::PortStatusChange(p)) => {
                let port = p.port_id();
                if (1..=self.ports).contains(&port) && !self.pending_ports.contains(&port) {
                    self.pending_ports.push(port);
                }
            }
            Ok(event::Allowed::HostController(h)) => {
                log!(
                    "usb: {}: host controller event {:?}",
                    self.pci,
                    h.completion_code()
                );
            }
            Ok(_) => {}
            Err(raw) => {
                self.bad_events += 1;
                if self.bad_events == 1 {
                    log!(
                        "usb: {}: undecodable event {:08x?} (ignored)",
                        self.pci,
                        raw
                    );
                }
            }
        }
    }

    fn keep(&mut self, trb: u64, raw: [u32; 4]) {
        // Completions nobody waits for any more (after a timeout) must not pile up.
        if self.done.len() >= 64 {
            self.done.clear();
        }
        self.done.insert(trb, raw);
    }

    /// Waits for the completion event of any of `trbs`, serving the ring meanwhile.
    async fn wait_for(&mut self, trbs: &[u64], timeout_ms: u64) -> Result<[u32; 4], Error> {
        let deadline = now_ms() + timeout_ms;
        loop {
            self.service();
            if let Some(ev) = trbs.iter().find_map(|t| self.done.remove(t)) {
                return Ok(ev);
            }
            if now_ms() > deadline {
                return Err(Error::Timeout);
            }
            crate::task::sleep::sleep_ms(1).await;
        }
    }

    /// Sleeps `ms` milliseconds while serving the event ring.
    pub async fn pause(&mut self, ms: u64) {
        let deadline = now_ms() + ms;
        while now_ms() < deadline {
            self.service();
            crate::task::sleep::sleep_ms(1).await;
        }
    }

    // --- commands -------------------------------------------------------------------------

    /// Runs a command; returns its completion event if it succeeded.
    async fn command(
        &mut self,
        raw: [u32; 4],
        what: &'static str,
    ) -> Result<event::CommandCompletion, Error> {
        let trb = self.core.lock().push_command(raw);
        let ev = match self.wait_for(&[trb], COMMAND_TIMEOUT_MS).await {
            Ok(ev) => ev,
            Err(e) => {
                // Abort it, so the ring can take the next command.
                self.regs.operational.crcr.update_volatile(|c| {
                    c.set_command_abort();
                });
                self.pause(50).await;
                self.done.remove(&trb);
                log!("usb: {}: {what} timed out", self.pci);
                return Err(e);
            }
        };
        let cc = event::CommandCompletion::try_from(ev).map_err(|_| Error::BadEvent)?;
        match cc.completion_code() {
            Ok(CompletionCode::Success) => Ok(cc),
            Ok(code) => Err(Error::Completion(what, code as u8)),
            Err(code) => Err(Error::Completion(what, code)),
        }
    }

    /// Enable Slot: a new device slot ID.
    pub async fn enable_slot(&mut self) -> Result<u8, Error> {
        let cc = self
            .command(command::EnableSlot::new().into_raw(), "Enable Slot")
            .await?;
        match cc.slot_id() {
            0 => Err(Error::BadEvent),
            s if s > self.max_slots => Err(Error::BadEvent),
            s => Ok(s),
        }
    }

    /// Disable Slot: the controller lets go of the device's contexts and rings.
    pub async fn disable_slot(&mut self, slot: u8) -> Result<(), Error> {
        let mut c = command::DisableSlot::new();
        c.set_slot_id(slot);
        self.command(c.into_raw(), "Disable Slot").await?;
        self.dcbaa.write64(8 * usize::from(slot), 0);
        Ok(())
    }

    /// Points DCBAA entry `slot` at a device's output context.
    pub fn set_device_context(&mut self, slot: u8, phys: u64) {
        self.dcbaa.write64(8 * usize::from(slot), phys);
    }

    /// Address Device with the input context prepared in `input`.
    pub async fn address_device(&mut self, slot: u8, input: u64) -> Result<(), Error> {
        let mut c = command::AddressDevice::new();
        c.set_input_context_pointer(input).set_slot_id(slot);
        self.command(c.into_raw(), "Address Device")
            .await
            .map(|_| ())
    }

    /// Evaluate Context (the control endpoint's packet size after the first read).
    pub async fn evaluate_context(&mut self, slot: u8, input: u64) -> Result<(), Error> {
        let mut c = command::EvaluateContext::new();
        c.set_input_context_pointer(input).set_slot_id(slot);
        self.command(c.into_raw(), "Evaluate Context")
            .await
            .map(|_| ())
    }

    /// Configure Endpoint (adds the interrupt endpoint, and hub fields of the slot).
    pub async fn configure_endpoint(&mut self, slot: u8, input: u64) -> Result<(), Error> {
        let mut c = command::ConfigureEndpoint::new();
        c.set_input_context_pointer(input).set_slot_id(slot);
        self.command(c.into_raw(), "Configure Endpoint")
            .await
            .map(|_| ())
    }

    /// Brings a halted or stuck endpoint back: Reset Endpoint (if halted) or Stop
    /// Endpoint, then moves its dequeue pointer past everything queued.
    pub async fn recover_endpoint(&mut self, slot: u8, dci: u8, dequeue: u64) -> Result<(), Error> {
        let mut r = command::ResetEndpoint::new();
        r.set_slot_id(slot).set_endpoint_id(dci);
        if self.command(r.into_raw(), "Reset Endpoint").await.is_err() {
            // Not halted (e.g. a timeout): stop it instead.
            let mut s = command::StopEndpoint::new();
            s.set_slot_id(slot).set_endpoint_id(dci);
            let _ = self.command(s.into_raw(), "Stop Endpoint").await;
        }
        let mut d = command::SetTrDequeuePointer::new();
        d.set_slot_id(slot)
            .set_endpoint_id(dci)
            .set_new_tr_dequeue_pointer(dequeue & !0xf);
        if dequeue & 1 == 1 {
            d.set_dequeue_cycle_state();
        }
        self.command(d.into_raw(), "Set TR Dequeue Pointer")
            .await
            .map(|_| ())
    }

    // --- contexts -------------------------------------------------------------------------

    /// Builds an input context in `page` (zeroed first) with the crate's 32- or 64-byte
    /// layout, as the controller's CSZ bit asks.
    pub fn build_input(&self, page: &mut DmaPage, f: impl FnOnce(&mut dyn InputHandler)) {
        page.zero();
        if self.csz64 {
            // SAFETY: a 64-byte input context is 2112 bytes of u32 words: it fits the
            // page, and any bit pattern (here: zeroes) is valid.
            let ctx = unsafe { page.as_mut::<Input64Byte>() };
            f(ctx);
        } else {
            // SAFETY: as above, 1056 bytes.
            let ctx = unsafe { page.as_mut::<Input32Byte>() };
            f(ctx);
        }
    }

    // --- control transfers ------------------------------------------------------------------

    /// A control transfer on a device's endpoint 0. IN transfers return the bytes read;
    /// OUT transfers send `out` (at most one page).
    pub async fn control(
        &mut self,
        slot: u8,
        setup: SetupPacket,
        out: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let len = usize::from(setup.length);
        if len > DmaPage::SIZE {
            return Err(Error::TooLarge);
        }
        let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
        if matches!(dev.role, super::device::Role::Storage(_)) {
            // Its control endpoint belongs to the storage driver now.
            return Err(Error::Unsupported(
                "control endpoint in use by the storage driver",
            ));
        }
        if !setup.is_in() {
            dev.buf.write_bytes(0, &out[..out.len().min(len)]);
        }
        dev.ep0.reserve(3);
        let phys = dev.buf.phys();
        let [setup_trb, data_trb, status_trb] = dev.ep0.push_control(&setup, len, phys);
        self.ring_doorbell(slot, 1);
        let mut received = len;
        loop {
            let ev = match self
                .wait_for(&[setup_trb, data_trb, status_trb], CONTROL_TIMEOUT_MS)
                .await
            {
                Ok(ev) => ev,
                Err(e) => {
                    self.recover_ep0(slot).await;
                    return Err(e);
                }
            };
            let t = event::TransferEvent::try_from(ev).map_err(|_| Error::BadEvent)?;
            match t.completion_code() {
                Ok(CompletionCode::Success) if t.trb_pointer() == status_trb => break,
                Ok(CompletionCode::Success) => {}
                Ok(CompletionCode::ShortPacket) => {
                    received = len.saturating_sub(t.trb_transfer_length() as usize);
                    if t.trb_pointer() == status_trb {
                        break;
                    }
                }
                Ok(CompletionCode::StallError) => {
                    self.recover_ep0(slot).await;
                    return Err(Error::Stall);
                }
                Ok(code) => {
                    self.recover_ep0(slot).await;
                    return Err(Error::Completion("control transfer", code as u8));
                }
                Err(code) => {
                    self.recover_ep0(slot).await;
                    return Err(Error::Completion("control transfer", code));
                }
            }
        }
        let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
        let mut data = alloc::vec![0u8; if setup.is_in() { received } else { 0 }];
        dev.buf.read_bytes(0, &mut data);
        Ok(data)
    }

    async fn recover_ep0(&mut self, slot: u8) {
        let Some(dequeue) = self.devices.get(&slot).map(|d| d.ep0.dequeue_state()) else {
            return;
        };
        if let Err(e) = self.recover_endpoint(slot, 1, dequeue).await {
            log!(
                "usb: {}: slot {slot}: control endpoint not recovered: {e}",
                self.pci
            );
        }
    }

    /// Describes the controller for logs and `lsusb`.
    pub fn describe(&self) -> String {
        let usb3 = self.port_major.iter().filter(|&&m| m == 3).count();
        alloc::format!(
            "xHCI {} ({:04x}:{:04x}), {} ports ({} USB 3), {} slots{}",
            self.pci,
            self.pci.vendor,
            self.pci.device_id,
            self.ports,
            usb3,
            self.max_slots,
            if self.ac64 { "" } else { ", 32-bit DMA" }
        )
    }
}

/// Intel chipsets that have an EHCI controller beside the xHCI one (7 and 8 series) start
/// with their USB 2 ports wired to EHCI, which this kernel does not drive: a keyboard there
/// would simply not appear. Their xHCI function has two switch registers, each with a mask
/// of the ports that may move (Intel's XUSB2PR/USB2PRM at 0xd0/0xd4 for USB 2 and
/// USB3_PSSEN/USB3PRM at 0xd8/0xdc for SuperSpeed): every port that may move, moves.
fn route_intel_ports(f: &pci::Function) {
    let has_ehci = pci::functions()
        .iter()
        .any(|g| g.class == 0x0c && g.subclass == 0x03 && g.prog_if == 0x20);
    if f.vendor != 0x8086 || !has_ehci {
        return;
    }
    let usb3 = f.read32(0xdc);
    f.write32(0xd8, usb3);
    let usb2 = f.read32(0xd4);
    f.write32(0xd0, usb2);
    log!(
        "usb: {f}: Intel port switch: USB 2 ports {usb2:#x} and USB 3 ports {usb3:#x} moved from EHCI to xHCI"
    );
}

/// Walks the extended capability list (bounded: forward-only, inside the BAR, at most 64
/// entries); returns (offset, capability ID) pairs.
fn ext_caps(read: &impl Fn(usize) -> u32, first: usize, size: usize) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    let mut off = first;
    while off != 0 && off + 16 <= size && out.len() < 64 {
        let header = read(off);
        out.push((off, header as u8));
        let next = ((header >> 8) & 0xff) as usize * 4;
        if next == 0 {
            break;
        }
        off += next;
    }
    out
}

/// Takes the controller from the firmware (xHCI 1.2 section 4.22.1): ask for it with the
/// OS-owned semaphore, wait (bounded) for the BIOS-owned one to clear, then turn off every
/// SMI the firmware left enabled so it cannot interfere later.
///
/// # Safety
/// `phys`/`virt` must address a USB Legacy Support capability in the mapped BAR.
unsafe fn bios_handoff(mmio: &Mmio, phys: usize, virt: usize) {
    // SAFETY: the caller's contract.
    let mut leg = unsafe { UsbLegacySupport::new(phys, mmio.clone()) };
    let sup = leg.usblegsup.read_volatile();
    if sup.hc_bios_owned_semaphore() {
        leg.usblegsup.update_volatile(|s| {
            s.set_hc_os_owned_semaphore();
        });
        let released = spin_until(HANDOFF_TIMEOUT_MS, || {
            !leg.usblegsup.read_volatile().hc_bios_owned_semaphore()
        });
        if released {
            log!("usb: firmware handed over the controller");
        } else {
            // Firmware that never answers: take it anyway, as other systems do.
            leg.usblegsup.update_volatile(|s| {
                s.clear_hc_bios_owned_semaphore();
                s.set_hc_os_owned_semaphore();
            });
            log!("usb: firmware did not release the controller in time; taken over");
        }
    } else {
        leg.usblegsup.update_volatile(|s| {
            s.set_hc_os_owned_semaphore();
        });
    }
    // USBLEGCTLSTS: SMI enables (bits 0, 4, 13-15) off, SMI status bits (29-31, write 1
    // to clear) cleared; bits 1-3 and 5-12 are reserved and preserved.
    let ctl = (virt + 4) as *mut u32;
    // SAFETY: USBLEGCTLSTS is the second register of the capability (inside the BAR).
    unsafe {
        let v = ctl.read_volatile();
        let cleared = (v & !(1 | 1 << 4 | 0b111 << 13 | 0b111 << 29)) | 0b111 << 29;
        ctl.write_volatile(cleared);
    }
}

/// Sets the fields every input context's slot context repeats.
pub fn fill_slot(slot: &mut dyn SlotHandler, dev: &Device, context_entries: u8) {
    slot.set_route_string(dev.path.route_string());
    slot.set_speed(dev.speed.xhci_psiv());
    slot.set_context_entries(context_entries.clamp(1, 31));
    slot.set_root_hub_port_number(dev.path.root_port());
    if let Some((hub_slot, port)) = dev.tt {
        slot.set_parent_hub_slot_id(hub_slot);
        slot.set_parent_port_number(port);
    }
    if let Some(h) = &dev.hub_fields {
        slot.set_hub();
        slot.set_number_of_ports(h.ports);
        if h.multi_tt {
            slot.set_multi_tt();
        }
        slot.set_tt_think_time(h.think_time);
    }
}

/// Fills endpoint 0's context.
pub fn fill_ep0(input: &mut dyn InputHandler, max_packet: u16, ring_dequeue: u64) {
    let ep = input.device_mut().endpoint_mut(1);
    ep.set_endpoint_type(EndpointType::Control);
    ep.set_max_packet_size(max_packet);
    ep.set_error_count(3);
    ep.set_tr_dequeue_pointer(ring_dequeue & !0xf);
    if ring_dequeue & 1 == 1 {
        ep.set_dequeue_cycle_state();
    }
    ep.set_average_trb_length(8);
}

/// Sets an input context's add flags.
pub fn add_contexts(input: &mut dyn InputHandler, dcis: &[u8]) {
    let c = input.control_mut();
    for &d in dcis {
        c.set_add_context_flag(usize::from(d));
    }
}
