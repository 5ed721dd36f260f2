//! Devices on an xHCI controller: enumeration (slot, address, descriptors), the classes
//! the stack drives — USB 2.0 hubs, HID boot keyboards and (in `storage`) mass-storage
//! sticks — and removal.
//!
//! Everything a device says is parsed by the `usb` crate, which refuses garbage with an
//! error; any error during enumeration disables the slot and drops the device with a log
//! line. Other devices (a tablet, a mouse) are addressed and named, so `lsusb` shows
//! them, but not configured.

use super::dma::DmaPage;
use super::ring::Ring;
use super::xhci::{self as hc, Controller};
use super::{Error, now_ms};
use crate::log;
use ::xhci::context::EndpointType;
use ::xhci::ring::trb::event::{CompletionCode, TransferEvent};
use ::xhci::ring::trb::transfer::Normal;
use alloc::string::String;
use alloc::vec::Vec;
use usb::Speed;
use usb::descriptor::{self, Configuration, DeviceDescriptor, HubDescriptor, Interface, kind};
use usb::hid::{BootKeyboard, Repeater};
use usb::hub::{PortStatus, feature};
use usb::request::SetupPacket;
use usb::route::PortPath;

/// Interrupt transfers kept queued per keyboard, so that reports arriving faster than the
/// driver looks are not lost (each TRB takes one report).
const KEYBOARD_TRBS: usize = 8;
/// Bytes reserved per queued report.
const REPORT_SLOT: usize = 64;

/// Hub fields of the slot context.
#[derive(Debug, Clone, Copy)]
pub struct HubFields {
    pub ports: u8,
    pub multi_tt: bool,
    pub think_time: u8,
}

/// An interrupt IN endpoint with transfers queued on it.
pub struct InterruptPipe {
    pub dci: u8,
    ring: Ring,
    buf: DmaPage,
    size: u16,
    /// Queued TRBs and the buffer offset each one fills.
    inflight: Vec<(u64, usize)>,
}

impl InterruptPipe {
    fn new(dci: u8, size: u16, above_4g: bool) -> Result<Self, Error> {
        Ok(Self {
            dci,
            ring: Ring::new(above_4g).ok_or(Error::NoMemory)?,
            buf: DmaPage::new(above_4g).ok_or(Error::NoMemory)?,
            size: size.clamp(1, REPORT_SLOT as u16),
            inflight: Vec::new(),
        })
    }

    /// Queues a transfer into the buffer slot at `offset`.
    fn queue(&mut self, offset: usize) {
        let mut n = Normal::new();
        n.set_data_buffer_pointer(self.buf.phys() + offset as u64)
            .set_trb_transfer_length(u32::from(self.size))
            .set_interrupt_on_short_packet()
            .set_interrupt_on_completion();
        let trb = self.ring.push(n.into_raw());
        self.inflight.push((trb, offset));
    }

    /// Takes the completed transfer `trb`: the bytes received, and its buffer offset.
    fn complete(&mut self, trb: u64, residual: u32) -> Option<(Vec<u8>, usize)> {
        let i = self.inflight.iter().position(|&(t, _)| t == trb)?;
        let (_, offset) = self.inflight.swap_remove(i);
        let len = usize::from(self.size).saturating_sub(residual as usize);
        let mut data = alloc::vec![0u8; len];
        self.buf.read_bytes(offset, &mut data);
        Some((data, offset))
    }
}

pub struct Keyboard {
    pub pipe: InterruptPipe,
    state: BootKeyboard,
    repeat: Repeater,
    /// Key events this keyboard produced (shown by `lsusb`).
    pub events: u64,
}

pub struct Hub {
    pub desc: HubDescriptor,
    pub pipe: InterruptPipe,
}

/// What the driver does with a device.
pub enum Role {
    /// Being enumerated.
    New,
    /// Named and left alone.
    Ignored(&'static str),
    Keyboard(Keyboard),
    Hub(Hub),
    /// A mass-storage stick; its state is shared with the block device it backs.
    Storage(alloc::sync::Arc<spin::Mutex<super::storage::Storage>>),
}

/// One addressed device.
pub struct Device {
    pub slot: u8,
    pub path: PortPath,
    pub speed: Speed,
    /// Transaction translator (hub slot, hub port) for low/full-speed devices behind a
    /// high-speed hub.
    pub tt: Option<(u8, u8)>,
    pub hub_fields: Option<HubFields>,
    pub desc: Option<DeviceDescriptor>,
    pub manufacturer: String,
    pub serial: String,
    pub product: String,
    pub role: Role,
    out_ctx: DmaPage,
    input: DmaPage,
    pub ep0: Ring,
    pub buf: DmaPage,
    pub max_packet0: u16,
}

impl Device {
    /// `keyboard`, `hub`, or the class of whatever it is.
    pub fn kind(&self) -> &'static str {
        match &self.role {
            Role::New => "new device",
            Role::Ignored(what) => what,
            Role::Keyboard(_) => "keyboard",
            Role::Hub(_) => "hub",
            Role::Storage(_) => "mass storage",
        }
    }

    /// What `lsusb` adds after the name.
    pub fn detail(&self) -> String {
        let role = match &self.role {
            Role::Keyboard(k) => alloc::format!("{} key events", k.events),
            Role::Hub(h) => alloc::format!("{} ports", h.desc.ports),
            Role::Storage(st) => st.try_lock().map(|s| s.summary()).unwrap_or_default(),
            _ => String::new(),
        };
        match (self.serial.is_empty(), role.is_empty()) {
            (true, _) => role,
            (false, true) => alloc::format!("serial {}", self.serial),
            (false, false) => alloc::format!("serial {}, {role}", self.serial),
        }
    }

    /// The product name, or vendor:product IDs when it has none.
    pub fn name(&self) -> String {
        match (&self.desc, self.product.is_empty()) {
            (_, false) => self.product.clone(),
            (Some(d), true) => alloc::format!("{:04x}:{:04x}", d.vendor, d.product),
            (None, true) => String::from("unknown device"),
        }
    }
}

impl Controller {
    /// Enumerates the device at `path` (its port already reset and enabled) and sets it
    /// up for what it is. On any error the slot is given back.
    pub async fn attach(
        &mut self,
        path: PortPath,
        speed: Speed,
        tt: Option<(u8, u8)>,
    ) -> Result<u8, Error> {
        let slot = self.enable_slot().await?;
        let above = self.ac64();
        let dev = (|| {
            Some(Device {
                slot,
                path,
                speed,
                tt,
                hub_fields: None,
                desc: None,
                manufacturer: String::new(),
                serial: String::new(),
                product: String::new(),
                role: Role::New,
                out_ctx: DmaPage::new(above)?,
                input: DmaPage::new(above)?,
                ep0: Ring::new(above)?,
                buf: DmaPage::new(above)?,
                max_packet0: speed.default_ep0_max_packet(),
            })
        })();
        let Some(dev) = dev else {
            let _ = self.disable_slot(slot).await;
            return Err(Error::NoMemory);
        };
        self.set_device_context(slot, dev.out_ctx.phys());
        self.devices.insert(slot, dev);
        match self.enumerate(slot).await {
            Ok(()) => {
                super::publish(self);
                Ok(slot)
            }
            Err(e) => {
                let name = self.devices.get(&slot).map(|d| d.name());
                log!(
                    "usb: device on port {path} ({}{}) dropped: {e}",
                    name.as_deref().unwrap_or("?"),
                    self.tag
                );
                self.release(slot).await;
                Err(e)
            }
        }
    }

    async fn enumerate(&mut self, slot: u8) -> Result<(), Error> {
        // Address Device: slot context and endpoint 0.
        let mut input = self.take_input(slot)?;
        {
            let dev = self.devices.get(&slot).ok_or(Error::Gone)?;
            let (mps, deq) = (dev.max_packet0, dev.ep0.dequeue_state());
            self.build_input(&mut input, |ctx| {
                hc::add_contexts(ctx, &[0, 1]);
                hc::fill_slot(ctx.device_mut().slot_mut(), dev, 1);
                hc::fill_ep0(ctx, mps, deq);
            });
        }
        let phys = input.phys();
        self.put_input(slot, input);
        self.address_device(slot, phys).await?;
        // The first 8 bytes hold the control endpoint's real packet size.
        let speed = self.devices.get(&slot).ok_or(Error::Gone)?.speed;
        let head = self
            .control(
                slot,
                SetupPacket::get_descriptor(kind::DEVICE, 0, 0, 8),
                &[],
            )
            .await?;
        let mps = DeviceDescriptor::ep0_max_packet_from_prefix(&head, speed.is_superspeed())?;
        if mps != self.devices.get(&slot).ok_or(Error::Gone)?.max_packet0 {
            let mut input = self.take_input(slot)?;
            self.build_input(&mut input, |ctx| {
                hc::add_contexts(ctx, &[1]);
                ctx.device_mut().endpoint_mut(1).set_max_packet_size(mps);
            });
            let phys = input.phys();
            self.put_input(slot, input);
            self.evaluate_context(slot, phys).await?;
            if let Some(d) = self.devices.get_mut(&slot) {
                d.max_packet0 = mps;
            }
        }
        let raw = self
            .control(
                slot,
                SetupPacket::get_descriptor(kind::DEVICE, 0, 0, DeviceDescriptor::LEN as u16),
                &[],
            )
            .await?;
        let desc = DeviceDescriptor::parse(&raw)?;
        let config = self.read_configuration(slot).await?;
        let [manufacturer, product, serial] = self.read_names(slot, &desc).await;
        if let Some(d) = self.devices.get_mut(&slot) {
            d.desc = Some(desc);
            d.manufacturer = manufacturer;
            d.serial = serial;
            d.product = product;
        }
        let path = self.devices.get(&slot).ok_or(Error::Gone)?.path;
        if desc.class == descriptor::class::HUB {
            if speed.is_superspeed() {
                // A USB 3 hub is also a USB 2 hub on the USB 2 port next to this one; that
                // half is driven, this one is left alone.
                self.set_role(slot, Role::Ignored("USB 3 hub (its USB 2 half is used)"));
                return Ok(());
            }
            return self.setup_hub(slot, &config, &desc).await;
        }
        if let Some(iface) = config.default_interfaces().find(|i| i.is_boot_keyboard()) {
            let iface = iface.clone();
            return self.setup_keyboard(slot, &config, &iface).await;
        }
        if let Some(bot) = usb::storage::find_bot_interface(&config) {
            return self.setup_storage(slot, &config, bot).await;
        }
        let what = config
            .default_interfaces()
            .next()
            .map(Interface::describe)
            .filter(|_| desc.class == 0)
            .unwrap_or_else(|| descriptor::class_name(desc.class, desc.subclass, desc.protocol));
        let name = self
            .devices
            .get(&slot)
            .map(Device::name)
            .unwrap_or_default();
        log!("usb: {name} ({what}{}) on port {path} ignored", self.tag);
        self.set_role(slot, Role::Ignored(what));
        Ok(())
    }

    pub(super) fn set_role(&mut self, slot: u8, role: Role) {
        if let Some(d) = self.devices.get_mut(&slot) {
            d.role = role;
        }
    }

    /// The device's input-context page, taken out so the controller can be borrowed
    /// while it is filled.
    pub(super) fn take_input(&mut self, slot: u8) -> Result<DmaPage, Error> {
        let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
        let fresh = DmaPage::new(self.ac64).ok_or(Error::NoMemory)?;
        Ok(core::mem::replace(&mut dev.input, fresh))
    }

    pub(super) fn put_input(&mut self, slot: u8, page: DmaPage) {
        if let Some(d) = self.devices.get_mut(&slot) {
            d.input = page;
        }
    }

    /// Configuration 0: the 9-byte header for its total length, then all of it.
    async fn read_configuration(&mut self, slot: u8) -> Result<Configuration, Error> {
        let len = descriptor::CONFIG_HEADER_LEN as u16;
        let head = self
            .control(
                slot,
                SetupPacket::get_descriptor(kind::CONFIGURATION, 0, 0, len),
                &[],
            )
            .await?;
        let total = descriptor::config_total_length(&head)?;
        if usize::from(total) > DmaPage::SIZE {
            return Err(Error::TooLarge);
        }
        let all = self
            .control(
                slot,
                SetupPacket::get_descriptor(kind::CONFIGURATION, 0, 0, total),
                &[],
            )
            .await?;
        Ok(Configuration::parse(&all)?)
    }

    /// Manufacturer, product and serial number strings; each empty when the device has
    /// none or fails to send it (at most 64 characters are kept).
    async fn read_names(&mut self, slot: u8, d: &DeviceDescriptor) -> [String; 3] {
        let indices = [d.manufacturer_index, d.product_index, d.serial_index];
        let mut names = [String::new(), String::new(), String::new()];
        if indices.iter().all(|&i| i == 0) {
            return names;
        }
        let req = SetupPacket::get_descriptor(kind::STRING, 0, 0, 255);
        let lang = match self.control(slot, req, &[]).await {
            Ok(b) => descriptor::first_language(&b)
                .ok()
                .flatten()
                .unwrap_or(0x0409),
            Err(_) => return names,
        };
        for (name, index) in names.iter_mut().zip(indices) {
            if index == 0 {
                continue;
            }
            let req = SetupPacket::get_descriptor(kind::STRING, index, lang, 255);
            if let Ok(b) = self.control(slot, req, &[]).await {
                let text = descriptor::parse_string(&b).unwrap_or_default();
                *name = text.trim().chars().take(64).collect();
            }
        }
        names
    }

    /// Configure Endpoint for one interrupt IN endpoint (plus the slot's hub fields).
    /// With `every_ms`, the endpoint is polled at least every millisecond whatever its
    /// descriptor asks (keyboards: Linux's `usbhid.kbpoll=1` does the same), so a key
    /// reaches the driver within 1 ms instead of the usual 8-10, and bursts drain fast.
    async fn add_interrupt_endpoint(
        &mut self,
        slot: u8,
        ep: &descriptor::Endpoint,
        pipe: &InterruptPipe,
        every_ms: bool,
    ) -> Result<(), Error> {
        let mut input = self.take_input(slot)?;
        let dci = ep.dci();
        let interval = {
            let speed = self.devices.get(&slot).ok_or(Error::Gone)?.speed;
            let interval = usb::xhci_interval(speed, false, ep.interval);
            // 2^3 x 125 us = 1 ms.
            if every_ms { interval.min(3) } else { interval }
        };
        let mps = ep.max_packet().max(1);
        let deq = pipe.ring.dequeue_state();
        {
            let dev = self.devices.get(&slot).ok_or(Error::Gone)?;
            self.build_input(&mut input, |ctx| {
                hc::add_contexts(ctx, &[0, dci]);
                hc::fill_slot(ctx.device_mut().slot_mut(), dev, dci);
                let e = ctx.device_mut().endpoint_mut(usize::from(dci));
                e.set_endpoint_type(EndpointType::InterruptIn);
                e.set_max_packet_size(mps);
                e.set_interval(interval);
                e.set_error_count(3);
                e.set_tr_dequeue_pointer(deq & !0xf);
                if deq & 1 == 1 {
                    e.set_dequeue_cycle_state();
                }
                e.set_average_trb_length(mps);
                e.set_max_endpoint_service_time_interval_payload_low(mps);
            });
        }
        let phys = input.phys();
        self.put_input(slot, input);
        self.configure_endpoint(slot, phys).await
    }

    async fn setup_keyboard(
        &mut self,
        slot: u8,
        config: &Configuration,
        iface: &Interface,
    ) -> Result<(), Error> {
        let ep = *iface.interrupt_in().ok_or(Error::Unsupported(
            "keyboard without an interrupt IN endpoint",
        ))?;
        let mut pipe = InterruptPipe::new(ep.dci(), ep.max_packet().max(8), self.ac64())?;
        self.add_interrupt_endpoint(slot, &ep, &pipe, true).await?;
        self.control(slot, SetupPacket::set_configuration(config.value), &[])
            .await?;
        // Boot protocol: the fixed 8-byte report. Refusing it is tolerated (most keyboards
        // send that format anyway), as is refusing SET_IDLE, which is optional.
        if let Err(e) = self
            .control(slot, SetupPacket::hid_set_protocol(iface.number, true), &[])
            .await
        {
            log!("usb: keyboard refused the boot protocol ({e}); using its reports as they come");
        }
        let _ = self
            .control(slot, SetupPacket::hid_set_idle(iface.number, 0), &[])
            .await;
        for i in 0..KEYBOARD_TRBS {
            pipe.queue(i * REPORT_SLOT);
        }
        let dci = pipe.dci;
        let (path, name) = {
            let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
            dev.role = Role::Keyboard(Keyboard {
                pipe,
                state: BootKeyboard::new(),
                repeat: Repeater::new(),
                events: 0,
            });
            (dev.path, dev.name())
        };
        self.ring_endpoint(slot, dci);
        log!("usb: keyboard on port {path} ({name}{})", self.tag);
        Ok(())
    }

    async fn setup_hub(
        &mut self,
        slot: u8,
        config: &Configuration,
        desc: &DeviceDescriptor,
    ) -> Result<(), Error> {
        let raw = self
            .control(slot, SetupPacket::hub_get_descriptor(false, 71), &[])
            .await?;
        let hub = HubDescriptor::parse(&raw)?;
        let iface = config
            .default_interfaces()
            .find(|i| i.class == descriptor::class::HUB)
            .ok_or(Error::Unsupported("hub without a hub interface"))?;
        let ep = *iface
            .interrupt_in()
            .ok_or(Error::Unsupported("hub without a status endpoint"))?;
        let ports = hub.ports.min(HubDescriptor::MAX_ROUTABLE_PORTS);
        let speed = self.devices.get(&slot).ok_or(Error::Gone)?.speed;
        if let Some(d) = self.devices.get_mut(&slot) {
            d.hub_fields = Some(HubFields {
                ports,
                // Device protocol 2: a high-speed hub with one TT per port.
                multi_tt: speed == Speed::High && desc.protocol == 2,
                think_time: if speed == Speed::High {
                    hub.tt_think_time_bits() / 8 - 1
                } else {
                    0
                },
            });
        }
        let mut pipe = InterruptPipe::new(ep.dci(), ep.max_packet().max(1), self.ac64())?;
        self.add_interrupt_endpoint(slot, &ep, &pipe, false).await?;
        self.control(slot, SetupPacket::set_configuration(config.value), &[])
            .await?;
        for port in 1..=ports {
            self.control(
                slot,
                SetupPacket::hub_set_port_feature(port, feature::PORT_POWER),
                &[],
            )
            .await?;
        }
        self.pause(u64::from(hub.power_on_to_good_ms).clamp(20, 500))
            .await;
        pipe.queue(0);
        let dci = pipe.dci;
        let path = {
            let dev = self.devices.get_mut(&slot).ok_or(Error::Gone)?;
            dev.role = Role::Hub(Hub { desc: hub, pipe });
            dev.path
        };
        self.ring_endpoint(slot, dci);
        log!("usb: hub on port {path} ({ports} ports{})", self.tag);
        // Look at every port once: devices may already be plugged in.
        for port in 1..=ports {
            if !self.pending_hub_ports.contains(&(slot, port)) {
                self.pending_hub_ports.push((slot, port));
            }
        }
        Ok(())
    }

    /// A completed transfer on an interrupt endpoint (called while draining events).
    pub fn interrupt_transfer(&mut self, t: TransferEvent) {
        let slot = t.slot_id();
        let dci = t.endpoint_id();
        let Some(dev) = self.devices.get_mut(&slot) else {
            return;
        };
        let code = t.completion_code();
        let ok = matches!(
            code,
            Ok(CompletionCode::Success | CompletionCode::ShortPacket)
        );
        let residual = t.trb_transfer_length();
        let now = now_ms();
        let path = dev.path;
        let mut requeue = None;
        match &mut dev.role {
            Role::Keyboard(k) if k.pipe.dci == dci => {
                let Some((report, offset)) = k.pipe.complete(t.trb_pointer(), residual) else {
                    return;
                };
                if ok {
                    if let Ok(events) = k.state.update(&report) {
                        k.events += events.len() as u64;
                        self.changed |= !events.is_empty();
                        for ev in events.iter() {
                            k.repeat.on_event(&ev, now);
                            super::push_key_event(ev);
                        }
                    }
                    k.pipe.queue(offset);
                    requeue = Some(dci);
                }
            }
            Role::Hub(h) if h.pipe.dci == dci => {
                let Some((bitmap, offset)) = h.pipe.complete(t.trb_pointer(), residual) else {
                    return;
                };
                if ok {
                    let ports = h.desc.ports.min(HubDescriptor::MAX_ROUTABLE_PORTS);
                    for port in usb::hub::changed_ports(&bitmap, ports) {
                        if !self.pending_hub_ports.contains(&(slot, port)) {
                            self.pending_hub_ports.push((slot, port));
                        }
                    }
                    h.pipe.queue(offset);
                    requeue = Some(dci);
                }
            }
            _ => return,
        }
        match (requeue, code) {
            (Some(dci), _) => self.ring_endpoint(slot, dci),
            (None, Ok(CompletionCode::StallError)) => {
                if !self.pending_resets.contains(&(slot, dci)) {
                    self.pending_resets.push((slot, dci));
                }
            }
            // The device went away (its port change comes next) or broke: stop polling it.
            (None, code) => log!("usb: device on port {path}: interrupt transfer failed: {code:?}"),
        }
    }

    /// Resets a stalled interrupt endpoint and queues its transfers again.
    pub async fn reset_interrupt_endpoint(&mut self, slot: u8, dci: u8) {
        let deq = match self.devices.get(&slot).map(|d| &d.role) {
            Some(Role::Keyboard(k)) => k.pipe.ring.dequeue_state(),
            Some(Role::Hub(h)) => h.pipe.ring.dequeue_state(),
            _ => return,
        };
        if self.recover_endpoint(slot, dci, deq).await.is_err() {
            return;
        }
        let Some(dev) = self.devices.get_mut(&slot) else {
            return;
        };
        let (pipe, slots) = match &mut dev.role {
            Role::Keyboard(k) => (&mut k.pipe, KEYBOARD_TRBS),
            Role::Hub(h) => (&mut h.pipe, 1),
            _ => return,
        };
        pipe.inflight.clear();
        for i in 0..slots {
            pipe.queue(i * REPORT_SLOT);
        }
        self.ring_endpoint(slot, dci);
    }

    /// True if a keyboard or hub is attached (their reports must be fetched promptly).
    pub fn has_interrupt_pipes(&self) -> bool {
        self.devices
            .values()
            .any(|d| matches!(d.role, Role::Keyboard(_) | Role::Hub(_)))
    }

    /// Auto-repeat for every keyboard (called on each service pass).
    pub fn tick_devices(&mut self) {
        let now = now_ms();
        for dev in self.devices.values_mut() {
            if let Role::Keyboard(k) = &mut dev.role
                && let Some(ev) = k.repeat.poll(now)
            {
                super::push_key_event(ev);
            }
        }
    }

    /// Looks at a root port whose status changed: attaches what was plugged in, removes
    /// what was unplugged.
    pub async fn root_port_changed(&mut self, port: u8) {
        let sc = self.portsc(port);
        let connect_changed = sc.connect_status_change();
        // Acknowledge the changes (their bits are write-1-to-clear).
        self.write_portsc(port, |p| {
            if sc.connect_status_change() {
                p.clear_connect_status_change();
            }
            if sc.port_enabled_disabled_change() {
                p.clear_port_enabled_disabled_change();
            }
            if sc.port_reset_change() {
                p.clear_port_reset_change();
            }
            if sc.warm_port_reset_change() {
                p.clear_warm_port_reset_change();
            }
            if sc.over_current_change() {
                p.clear_over_current_change();
            }
            if sc.port_link_state_change() {
                p.clear_port_link_state_change();
            }
            if sc.port_config_error_change() {
                p.clear_port_config_error_change();
            }
        });
        let path = PortPath::root(port);
        let known = self.slot_at(&path).is_some();
        if known && (!sc.current_connect_status() || connect_changed) {
            self.detach(&path).await;
        }
        if !sc.current_connect_status() || self.slot_at(&path).is_some() {
            return;
        }
        let Some(speed) = self.reset_root_port(port).await else {
            return;
        };
        let _ = self.attach(path, speed, None).await;
    }

    /// Resets a USB 2 root port (USB 3 ports train by themselves) and returns the speed of
    /// the device once the port is enabled.
    async fn reset_root_port(&mut self, port: u8) -> Option<Speed> {
        if self.port_major(port) != 3 {
            self.write_portsc(port, |p| {
                p.set_port_reset();
            });
            let deadline = now_ms() + 500;
            while !self.portsc(port).port_reset_change() {
                if now_ms() > deadline {
                    log!("usb: port {port}: reset timed out");
                    return None;
                }
                self.pause(1).await;
            }
            self.write_portsc(port, |p| {
                p.clear_port_reset_change();
            });
        }
        let deadline = now_ms() + 500;
        while !self.portsc(port).port_enabled_disabled() {
            if now_ms() > deadline || !self.portsc(port).current_connect_status() {
                log!("usb: port {port}: device connected but the port stays disabled");
                return None;
            }
            self.pause(1).await;
        }
        // Reset recovery (USB 2.0 section 7.1.7.3).
        self.pause(10).await;
        let psiv = self.portsc(port).port_speed();
        match Speed::from_xhci_psiv(psiv) {
            Some(s) => Some(s),
            None => {
                log!("usb: port {port}: unknown speed ID {psiv}");
                None
            }
        }
    }

    /// Looks at a hub port whose status changed.
    pub async fn hub_port_changed(&mut self, hub: u8, port: u8) {
        let Some(hub_dev) = self.devices.get(&hub) else {
            return;
        };
        let (hub_path, hub_speed, hub_tt) = (hub_dev.path, hub_dev.speed, hub_dev.tt);
        let path = match hub_path.child(port) {
            Ok(p) => p,
            Err(e) => {
                log!("usb: hub on port {hub_path}: port {port} not used: {e}");
                return;
            }
        };
        let Some(st) = self.hub_port_status(hub, port).await else {
            return;
        };
        for f in st.changes_to_clear() {
            let _ = self
                .control(hub, SetupPacket::hub_clear_port_feature(port, f), &[])
                .await;
        }
        if self.slot_at(&path).is_some() && (!st.connected() || st.connection_changed()) {
            self.detach(&path).await;
        }
        if !st.connected() || self.slot_at(&path).is_some() {
            return;
        }
        // Reset the port; the hub sets C_PORT_RESET when done.
        if self
            .control(
                hub,
                SetupPacket::hub_set_port_feature(port, feature::PORT_RESET),
                &[],
            )
            .await
            .is_err()
        {
            return;
        }
        let deadline = now_ms() + 500;
        let st = loop {
            self.pause(10).await;
            let Some(st) = self.hub_port_status(hub, port).await else {
                return;
            };
            if st.reset_changed() || (!st.resetting() && st.enabled()) {
                break st;
            }
            if now_ms() > deadline {
                log!("usb: port {path}: reset timed out");
                return;
            }
        };
        let _ = self
            .control(
                hub,
                SetupPacket::hub_clear_port_feature(port, feature::C_PORT_RESET),
                &[],
            )
            .await;
        if !st.enabled() {
            log!("usb: port {path}: not enabled after reset");
            return;
        }
        self.pause(10).await;
        let speed = st.speed();
        // Low/full-speed devices behind a high-speed hub talk through its TT.
        let tt = if hub_speed == Speed::High && speed < Speed::High {
            Some((hub, port))
        } else {
            hub_tt
        };
        let _ = self.attach(path, speed, tt).await;
    }

    async fn hub_port_status(&mut self, hub: u8, port: u8) -> Option<PortStatus> {
        let raw = self
            .control(hub, SetupPacket::hub_get_port_status(port), &[])
            .await
            .ok()?;
        PortStatus::parse(&raw)
    }

    /// The slot of the device at `path`, if one is attached there.
    pub fn slot_at(&self, path: &PortPath) -> Option<u8> {
        self.devices
            .values()
            .find(|d| d.path == *path)
            .map(|d| d.slot)
    }

    /// Removes the device at `path` and everything behind it (hubs first their children).
    pub async fn detach(&mut self, path: &PortPath) {
        let mut gone: Vec<(usize, u8)> = self
            .devices
            .values()
            .filter(|d| path.contains(&d.path))
            .map(|d| (d.path.depth(), d.slot))
            .collect();
        gone.sort_unstable_by(|a, b| b.cmp(a));
        for (_, slot) in gone {
            if let Some(dev) = self.devices.get_mut(&slot) {
                if let Role::Keyboard(k) = &mut dev.role {
                    // Nothing may stay held down in the shared decoder.
                    for ev in k.state.release_all().iter() {
                        super::push_key_event(ev);
                    }
                    k.repeat.stop();
                }
                if let Role::Storage(st) = &dev.role {
                    // Its requests fail from now on; the disk leaves the block layer and
                    // the file tree once the controller is released.
                    st.lock().unplugged();
                    self.storage_events
                        .push(super::storage::Event::Detach(st.clone()));
                }
                let tag = self.tag.trim_start_matches(", ");
                let tag = if tag.is_empty() {
                    String::new()
                } else {
                    alloc::format!(" ({tag})")
                };
                log!("usb: {} on port {} removed{tag}", dev.kind(), dev.path);
            }
            self.release(slot).await;
        }
        self.pending_hub_ports
            .retain(|(hub, _)| self.devices.contains_key(hub));
        super::publish(self);
    }

    /// Disables a slot and frees its memory (leaked instead if the controller did not
    /// confirm, since it might still write there).
    async fn release(&mut self, slot: u8) {
        let ok = self.disable_slot(slot).await.is_ok();
        if let Some(dev) = self.devices.remove(&slot)
            && !ok
        {
            core::mem::forget(dev);
        }
    }
}
