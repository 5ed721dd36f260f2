//! USB: xHCI host controllers, USB 2.0 hubs and HID boot keyboards.
//!
//! One task drives every controller. It finds them on PCI at boot, takes them over, and
//! then loops: drain each event ring, look at ports whose status changed (enumerating
//! what was plugged in, removing what was unplugged), and sleep one timer tick.
//!
//! Why polling from a task instead of interrupts: the event ring is checked every
//! millisecond (the PIT tick wakes the task), which adds at most 1 ms to a key press —
//! less than the 8-10 ms a keyboard waits between its own reports — and it needs no
//! interrupt routing at all (MSI would need the local APIC, which this kernel leaves to
//! the 8259 PICs; a legacy INTx line's PIC number depends on firmware routing and may be
//! shared). Everything runs in task context, so the driver may allocate and lock freely,
//! and a slow device only ever delays this task, never an interrupt handler.
//!
//! Keyboards turn their reports into `pc_keyboard::KeyEvent`s (crate `usb`), queued here
//! for the input layer, which decodes them with the same decoder and layout as the PS/2
//! keyboard. Mass-storage sticks become block devices (`storage`): their transfers are run
//! by whoever reads or writes the disk, beside this task (see `xhci::Core`). Pure logic
//! (descriptors, requests, hub bits, reports, SCSI and Bulk-Only wrappers) lives in the
//! `usb` crate.

mod device;
mod dma;
mod ring;
mod storage;
mod xhci;

use crate::drivers::pci;
use crate::log;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use futures_util::task::AtomicWaker;
use keys::KeyEvent;
use spin::Mutex;

/// Why a USB operation failed.
#[derive(Debug, Clone, Copy)]
pub enum Error {
    Timeout,
    Stall,
    Completion(&'static str, u8),
    BadEvent,
    NoMemory,
    TooLarge,
    Gone,
    Descriptor(usb::descriptor::Error),
    Unsupported(&'static str),
}

impl From<usb::descriptor::Error> for Error {
    fn from(e: usb::descriptor::Error) -> Self {
        Self::Descriptor(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out"),
            Self::Stall => f.write_str("stalled"),
            Self::Completion(what, code) => write!(f, "{what} failed (completion code {code})"),
            Self::BadEvent => f.write_str("malformed event from the controller"),
            Self::NoMemory => f.write_str("out of memory"),
            Self::TooLarge => f.write_str("descriptor too large"),
            Self::Gone => f.write_str("device gone"),
            Self::Descriptor(e) => write!(f, "bad descriptor: {e}"),
            Self::Unsupported(what) => f.write_str(what),
        }
    }
}

/// Milliseconds from the TSC (works with interrupts off, unlike the tick count).
pub(crate) fn now_ms() -> u64 {
    crate::arch::clock::since_entry_us() / 1000
}

// --- keys -----------------------------------------------------------------------------

/// Key events from every USB keyboard, oldest first, for the input layer.
static KEYS: Mutex<VecDeque<KeyEvent>> = Mutex::new(VecDeque::new());
/// Most events kept; a reader that stopped reading loses the newest, not memory.
const KEYS_MAX: usize = 512;
/// Woken when a key event is queued.
pub static WAKER: AtomicWaker = AtomicWaker::new();
/// Events dropped because the queue was full.
pub static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Key events queued since boot.
pub static RECEIVED: AtomicU64 = AtomicU64::new(0);
/// TSC when the last event was queued (for the keystroke-latency benchmark).
pub static LAST_EVENT_TSC: AtomicU64 = AtomicU64::new(0);

fn push_key_event(ev: KeyEvent) {
    let mut q = KEYS.lock();
    if q.len() >= KEYS_MAX {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    q.push_back(ev);
    drop(q);
    RECEIVED.fetch_add(1, Ordering::Relaxed);
    LAST_EVENT_TSC.store(crate::arch::clock::rdtsc(), Ordering::Relaxed);
    WAKER.wake();
}

/// The next key event from a USB keyboard.
pub fn pop_key_event() -> Option<KeyEvent> {
    KEYS.lock().pop_front()
}

// --- what lsusb shows -------------------------------------------------------------------

/// One line of `lsusb`.
#[derive(Clone)]
pub struct DeviceInfo {
    pub controller: String,
    pub port: String,
    pub depth: usize,
    pub speed: &'static str,
    pub vendor: u16,
    pub product: u16,
    pub kind: &'static str,
    pub name: String,
    pub manufacturer: String,
    /// Keyboards: key events so far; hubs: ports.
    pub detail: String,
}

/// Controllers (description, devices) as last published by the driver.
static TREE: Mutex<Vec<(String, Vec<DeviceInfo>)>> = Mutex::new(Vec::new());

/// Publishes a controller's device list for `lsusb`.
fn publish(c: &mut xhci::Controller) {
    c.changed = false;
    let label = alloc::format!("{}", c.pci);
    let mut devices: Vec<DeviceInfo> = c
        .devices
        .values()
        .map(|d| DeviceInfo {
            controller: label.clone(),
            port: alloc::format!("{}", d.path),
            depth: d.path.depth(),
            speed: d.speed.name(),
            vendor: d.desc.map(|x| x.vendor).unwrap_or(0),
            product: d.desc.map(|x| x.product).unwrap_or(0),
            kind: d.kind(),
            name: d.name(),
            manufacturer: d.manufacturer.clone(),
            detail: d.detail(),
        })
        .collect();
    devices.sort_by(|a, b| a.port.cmp(&b.port));
    let mut tree = TREE.lock();
    let desc = c.describe();
    match tree.iter_mut().find(|(d, _)| d.contains(&label)) {
        Some(entry) => *entry = (desc, devices),
        None => tree.push((desc, devices)),
    }
}

/// Every controller with its devices (for `lsusb`).
pub fn tree() -> Vec<(String, Vec<DeviceInfo>)> {
    TREE.lock().clone()
}

// --- the task ---------------------------------------------------------------------------

/// Finds the xHCI controllers; if there are any, starts the USB task. Returns a line for
/// the boot log.
pub fn init() -> String {
    let found: Vec<pci::Function> = pci::functions()
        .iter()
        .filter(|f| f.class == 0x0c && f.subclass == 0x03 && f.prog_if == 0x30)
        .copied()
        .collect();
    if found.is_empty() {
        return String::from("usb: no xHCI controller");
    }
    let n = found.len();
    crate::task::executor::spawn(run(found));
    alloc::format!("usb: {n} xHCI controller(s), starting")
}

/// The controllers in use. The USB task holds the lock while it works on them (also across
/// its waits for a device); everyone else only tries it (see [`poll_now`]), so it is never
/// waited for. Never touched by interrupt handlers.
static CONTROLLERS: Mutex<Vec<xhci::Controller>> = Mutex::new(Vec::new());

async fn run(functions: Vec<pci::Function>) {
    for f in &functions {
        match xhci::Controller::start(f) {
            Ok(mut c) => {
                log!("usb: {}", c.describe());
                if functions.len() > 1 {
                    c.tag = alloc::format!(", xHCI {f}");
                }
                publish(&mut c);
                CONTROLLERS.lock().push(c);
            }
            Err(e) => log!("usb: xHCI {f}: not used: {e}"),
        }
    }
    if CONTROLLERS.lock().is_empty() {
        return;
    }
    loop {
        let mut storage_events = Vec::new();
        let busy = {
            let mut controllers = CONTROLLERS.lock();
            for c in controllers.iter_mut() {
                c.service();
                while let Some(port) = c.pending_ports.pop() {
                    c.root_port_changed(port).await;
                }
                while let Some((hub, port)) =
                    (!c.pending_hub_ports.is_empty()).then(|| c.pending_hub_ports.remove(0))
                {
                    c.hub_port_changed(hub, port).await;
                }
                while let Some((slot, dci)) = c.pending_resets.pop() {
                    c.reset_interrupt_endpoint(slot, dci).await;
                }
                c.check_storage();
                storage_events.append(&mut c.storage_events);
                if c.changed {
                    publish(c);
                }
            }
            controllers.iter().any(|c| c.has_interrupt_pipes())
        };
        // Mounting reads the stick, which needs the controllers' shared core, not the
        // controllers: done with them unlocked, so `poll_now` keeps working meanwhile.
        let any_storage = !storage_events.is_empty();
        for ev in storage_events {
            storage::handle(ev);
        }
        if any_storage && let Some(mut controllers) = CONTROLLERS.try_lock() {
            controllers.iter_mut().for_each(publish);
        }
        // Every tick while something reports on an interrupt endpoint (key latency), else
        // a slower look for plugged-in devices.
        crate::task::sleep::sleep_ms(if busy { 1 } else { 10 }).await;
    }
}

/// Drains the event rings now, for code that runs long without yielding to the USB task
/// (output loops looking for Ctrl-C). Does nothing while the task is in the middle of an
/// operation (it holds the controllers then).
pub fn poll_now() {
    if let Some(mut controllers) = CONTROLLERS.try_lock() {
        for c in controllers.iter_mut() {
            c.service();
        }
    }
}
