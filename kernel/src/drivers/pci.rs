//! PCI: finds every device once at boot, reads its BARs, and lets drivers turn on memory
//! decoding and bus mastering for the devices they drive.
//!
//! Configuration space is reached through ECAM (memory-mapped, the ACPI MCFG table says
//! where) when the firmware describes it, else through the legacy ports 0xCF8/0xCFC. The
//! first 256 bytes of each function, which is all this kernel reads, look the same through
//! both. The scan starts at bus 0 and follows PCI-to-PCI bridges to their secondary buses,
//! so it sees every bus the firmware numbered without probing 256 empty buses.
//!
//! BARs are sized on first use ([`Bars`]), one at a time, not during the scan: sizing turns
//! the function's decoding off and on, which briefly hides a live device (the boot
//! framebuffer) on real hardware and makes QEMU remap every BAR of that kind twice (0.3-1.2
//! ms per function under software emulation: most of the scan's time). A driver sizes the
//! BARs it uses, `lspci -v` the rest; each BAR is sized once.

use crate::mem::paging;
use alloc::vec::Vec;
use core::fmt;
use spin::Mutex;
use x86_64::instructions::port::Port;

/// A base address register, decoded and sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    None,
    Io {
        port: u32,
        size: u32,
    },
    Memory {
        addr: u64,
        size: u64,
        prefetchable: bool,
        bits64: bool,
    },
}

impl fmt::Display for Bar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bar::None => Ok(()),
            Bar::Io { port, size } => write!(f, "I/O {port:#x} ({size} bytes)"),
            Bar::Memory {
                addr,
                size,
                prefetchable,
                bits64,
            } => {
                write!(f, "mem {addr:#x} ({}", Size(size))?;
                if bits64 {
                    f.write_str(", 64-bit")?;
                }
                if prefetchable {
                    f.write_str(", prefetchable")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// A size in bytes, shown in the largest whole unit.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            s if s >= 1 << 30 && s % (1 << 30) == 0 => write!(f, "{} GiB", s >> 30),
            s if s >= 1 << 20 && s % (1 << 20) == 0 => write!(f, "{} MiB", s >> 20),
            s if s >= 1 << 10 && s % (1 << 10) == 0 => write!(f, "{} KiB", s >> 10),
            s => write!(f, "{s} bytes"),
        }
    }
}

/// One PCI function, as found at boot.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
    pub vendor: u16,
    pub device_id: u16,
    pub class: u8,
    pub subclass: u8,
    pub prog_if: u8,
    pub revision: u8,
    pub header_type: u8,
    pub irq_line: u8,
    pub bars: Bars,
}

/// A function's base address registers, each sized on first use (see the module docs):
/// index it (`f.bars[5]`) or iterate it like the array of six [`Bar`]s it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Bars {
    /// The function's place in [`FUNCTIONS`] (and [`SIZED`]).
    slot: usize,
}

impl Bars {
    /// BAR `i`, sized now if this is the first request for it; [`Bar::None`] for `i` past
    /// the function's BARs.
    pub fn get(&self, i: usize) -> &'static Bar {
        static NONE: Bar = Bar::None;
        let (Some(f), Some(once)) = (
            functions().get(self.slot),
            SIZED
                .get()
                .and_then(|s| s.get(self.slot))
                .and_then(|b| b.get(i)),
        ) else {
            return &NONE;
        };
        once.call_once(|| size_bar(f, i))
    }

    /// All six, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Bar> + use<> {
        let bars = *self;
        (0..6).map(move |i| bars.get(i))
    }
}

impl core::ops::Index<usize> for Bars {
    type Output = Bar;

    /// BAR `i` (see [`Bars::get`]).
    fn index(&self, i: usize) -> &Bar {
        self.get(i)
    }
}

impl Function {
    /// What kind of device this is, in a few words.
    pub fn class_name(&self) -> &'static str {
        class_name(self.class, self.subclass, self.prog_if)
    }

    /// Reads a 32-bit register of this function's configuration space.
    pub fn read32(&self, offset: u8) -> u32 {
        read32(self.bus, self.device, self.function, offset)
    }

    /// Writes a 32-bit register of this function's configuration space.
    pub fn write32(&self, offset: u8, value: u32) {
        write32(self.bus, self.device, self.function, offset, value)
    }

    /// Turns on memory decoding and bus mastering (DMA), and leaves legacy interrupts off
    /// (drivers here poll).
    pub fn enable_memory_and_dma(&self) {
        let v = self.read32(0x04);
        let command = (v as u16) | COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE;
        // The upper half is the status register: writing its bits back would clear them.
        self.write32(0x04, u32::from(command));
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

const COMMAND_IO: u16 = 1 << 0;
const COMMAND_MEMORY: u16 = 1 << 1;
const COMMAND_BUS_MASTER: u16 = 1 << 2;
const COMMAND_INTX_DISABLE: u16 = 1 << 10;

/// How configuration space is reached.
enum Access {
    Ports,
    /// ECAM: physical base for `start_bus`, the bus range, and the functions' pages mapped
    /// so far (by [`page_key`]), sorted.
    Ecam {
        base: u64,
        start_bus: u8,
        end_bus: u8,
        mapped: Vec<(u16, u64)>,
    },
}

static ACCESS: Mutex<Access> = Mutex::new(Access::Ports);
static FUNCTIONS: spin::Once<Vec<Function>> = spin::Once::new();
/// Each function's BARs once sized, in the order of [`FUNCTIONS`].
static SIZED: spin::Once<Vec<[spin::Once<Bar>; 6]>> = spin::Once::new();

/// A function's number in ECAM order: bus, device, function.
fn page_key(bus: u8, dev: u8, func: u8) -> u16 {
    u16::from(bus) << 8 | u16::from(dev & 31) << 3 | u16::from(func & 7)
}

/// Virtual address of a function's 4 KiB ECAM page, mapped on first use. Page by page, not
/// a bus (1 MiB) at a time: the scan reads ~40 of a bus's 256 pages, and each page mapped
/// costs about a microsecond under emulation.
fn ecam_page(access: &mut Access, bus: u8, dev: u8, func: u8) -> Option<u64> {
    let Access::Ecam {
        base,
        start_bus,
        end_bus,
        mapped,
    } = access
    else {
        return None;
    };
    if bus < *start_bus || bus > *end_bus {
        return None;
    }
    let key = page_key(bus, dev, func);
    match mapped.binary_search_by_key(&key, |&(k, _)| k) {
        Ok(i) => Some(mapped[i].1),
        Err(i) => {
            let offset = u64::from(key - page_key(*start_bus, 0, 0)) << 12;
            let v = paging::map_mmio(*base + offset, 1 << 12).ok()?.as_u64();
            mapped.insert(i, (key, v));
            Some(v)
        }
    }
}

fn port_address(bus: u8, dev: u8, func: u8, offset: u8) -> u32 {
    0x8000_0000
        | u32::from(bus) << 16
        | u32::from(dev & 31) << 11
        | u32::from(func & 7) << 8
        | u32::from(offset & 0xfc)
}

/// Reads a 32-bit configuration register (`offset` is rounded down to 4).
pub fn read32(bus: u8, dev: u8, func: u8, offset: u8) -> u32 {
    let mut access = ACCESS.lock();
    if let Some(page) = ecam_page(&mut access, bus, dev, func) {
        let addr = (page + u64::from(offset & 0xfc)) as *const u32;
        // SAFETY: `page` is this function's configuration page, mapped uncached by
        // `ecam_page`; the offset is aligned and below 4 KiB.
        return unsafe { addr.read_volatile() };
    }
    let mut addr_port: Port<u32> = Port::new(0xcf8);
    let mut data_port: Port<u32> = Port::new(0xcfc);
    // SAFETY: the configuration address/data ports; the lock keeps the pair of accesses
    // together.
    unsafe {
        addr_port.write(port_address(bus, dev, func, offset));
        data_port.read()
    }
}

/// Writes a 32-bit configuration register.
pub fn write32(bus: u8, dev: u8, func: u8, offset: u8, value: u32) {
    let mut access = ACCESS.lock();
    if let Some(page) = ecam_page(&mut access, bus, dev, func) {
        let addr = (page + u64::from(offset & 0xfc)) as *mut u32;
        // SAFETY: as in `read32`; callers write only registers they own.
        unsafe { addr.write_volatile(value) };
        return;
    }
    let mut addr_port: Port<u32> = Port::new(0xcf8);
    let mut data_port: Port<u32> = Port::new(0xcfc);
    // SAFETY: as in `read32`.
    unsafe {
        addr_port.write(port_address(bus, dev, func, offset));
        data_port.write(value);
    }
}

/// Sizes one BAR by writing all ones and reading back what sticks (decoding must be off).
/// Returns the BAR and whether it took two slots (64-bit).
fn probe_bar(bus: u8, dev: u8, func: u8, index: usize) -> (Bar, bool) {
    let off = 0x10 + 4 * index as u8;
    let orig = read32(bus, dev, func, off);
    if orig & 1 == 1 {
        write32(bus, dev, func, off, u32::MAX);
        let mask = read32(bus, dev, func, off) & 0xffff_fffc;
        write32(bus, dev, func, off, orig);
        if mask == 0 {
            return (Bar::None, false);
        }
        let size = (!mask).wrapping_add(1) & 0xffff;
        return (
            Bar::Io {
                port: orig & 0xffff_fffc,
                size,
            },
            false,
        );
    }
    let bits64 = (orig >> 1) & 3 == 2;
    let prefetchable = orig & 8 != 0;
    write32(bus, dev, func, off, u32::MAX);
    let lo_mask = read32(bus, dev, func, off) & 0xffff_fff0;
    write32(bus, dev, func, off, orig);
    let (addr, mask) = if bits64 && index < 5 {
        let hi = read32(bus, dev, func, off + 4);
        write32(bus, dev, func, off + 4, u32::MAX);
        let hi_mask = read32(bus, dev, func, off + 4);
        write32(bus, dev, func, off + 4, hi);
        (
            u64::from(hi) << 32 | u64::from(orig & 0xffff_fff0),
            u64::from(hi_mask) << 32 | u64::from(lo_mask),
        )
    } else {
        (
            u64::from(orig & 0xffff_fff0),
            0xffff_ffff_0000_0000 | u64::from(lo_mask),
        )
    };
    if lo_mask == 0 && mask >> 32 == 0xffff_ffff {
        return (Bar::None, bits64);
    }
    let size = (!mask).wrapping_add(1);
    (
        Bar::Memory {
            addr,
            size,
            prefetchable,
            bits64,
        },
        bits64,
    )
}

/// Sizes BAR `i` of `f` (a device has six, a bridge two, other headers none; the upper
/// half of a 64-bit BAR is [`Bar::None`]). Only the decoding of the BAR's kind (I/O or
/// memory) is turned off meanwhile, and only if it was on: each change of a decode bit
/// unmaps or maps every BAR of that kind.
fn size_bar(f: &Function, i: usize) -> Bar {
    let (bus, dev, func) = (f.bus, f.device, f.function);
    let count = match f.header_type & 0x7f {
        0 => 6,
        1 => 2,
        _ => 0,
    };
    if i >= count {
        return Bar::None;
    }
    // Which registers start a BAR: a 64-bit memory BAR takes the next register too.
    let mut j = 0;
    while j < i {
        let v = read32(bus, dev, func, 0x10 + 4 * j as u8);
        j += if v & 1 == 0 && (v >> 1) & 3 == 2 {
            2
        } else {
            1
        };
    }
    if j != i {
        return Bar::None;
    }
    let orig = read32(bus, dev, func, 0x10 + 4 * i as u8);
    let decode = if orig & 1 == 1 {
        COMMAND_IO
    } else {
        COMMAND_MEMORY
    };
    // Decoding off while the BAR briefly holds all ones, then back as it was.
    let cmd = read32(bus, dev, func, 0x04) as u16;
    let toggle = cmd & decode != 0;
    if toggle {
        write32(bus, dev, func, 0x04, u32::from(cmd & !decode));
    }
    let (bar, _) = probe_bar(bus, dev, func, i);
    if toggle {
        write32(bus, dev, func, 0x04, u32::from(cmd));
    }
    bar
}

/// Reads a function's identity (its BARs are sized later, see [`Bars`]); `slot` is where
/// it will be in [`FUNCTIONS`].
fn probe_function(bus: u8, dev: u8, func: u8, slot: usize) -> Option<Function> {
    let id = read32(bus, dev, func, 0);
    let vendor = id as u16;
    if vendor == 0xffff || vendor == 0 {
        return None;
    }
    let class = read32(bus, dev, func, 0x08);
    let header = read32(bus, dev, func, 0x0c);
    let irq = read32(bus, dev, func, 0x3c);
    Some(Function {
        bus,
        device: dev,
        function: func,
        vendor,
        device_id: (id >> 16) as u16,
        class: (class >> 24) as u8,
        subclass: (class >> 16) as u8,
        prog_if: (class >> 8) as u8,
        revision: class as u8,
        header_type: (header >> 16) as u8,
        irq_line: irq as u8,
        bars: Bars { slot },
    })
}

fn scan_bus(bus: u8, seen: &mut [bool; 256], out: &mut Vec<Function>) {
    if core::mem::replace(&mut seen[usize::from(bus)], true) {
        return; // a bus reached twice (a loop in broken bridge numbering)
    }
    for dev in 0..32 {
        let Some(f0) = probe_function(bus, dev, 0, out.len()) else {
            continue;
        };
        let functions = if f0.header_type & 0x80 != 0 { 8 } else { 1 };
        let mut found = Some(f0);
        for func in 0..functions {
            let f = if func == 0 {
                found.take()
            } else {
                probe_function(bus, dev, func, out.len())
            };
            let Some(f) = f else {
                continue;
            };
            out.push(f);
            if f.header_type & 0x7f == 1 {
                let secondary = (f.read32(0x18) >> 8) as u8;
                if secondary != 0 {
                    scan_bus(secondary, seen, out);
                }
            }
        }
    }
}

/// Finds every function. `ecam` is segment 0's window from the ACPI MCFG table, if the
/// firmware lists one. Returns a line for the boot log.
pub fn init(ecam: Option<acpi_tables::EcamWindow>) -> alloc::string::String {
    let how = match ecam {
        Some(w) => {
            *ACCESS.lock() = Access::Ecam {
                base: w.base,
                start_bus: w.first_bus,
                end_bus: w.last_bus,
                mapped: Vec::new(),
            };
            alloc::format!("ECAM at {:#x}", w.base)
        }
        None => alloc::string::String::from("ports 0xcf8/0xcfc"),
    };
    let mut found = Vec::new();
    let mut seen = [false; 256];
    scan_bus(0, &mut seen, &mut found);
    let n = found.len();
    SIZED.call_once(|| {
        (0..n)
            .map(|_| core::array::from_fn(|_| spin::Once::new()))
            .collect()
    });
    FUNCTIONS.call_once(|| found);
    alloc::format!("pci: {n} functions ({how})")
}

/// Every function found at boot.
pub fn functions() -> &'static [Function] {
    FUNCTIONS.get().map(|v| v.as_slice()).unwrap_or(&[])
}

/// A few words naming a PCI class (PCI Code and ID Assignment specification).
pub fn class_name(class: u8, subclass: u8, prog_if: u8) -> &'static str {
    match (class, subclass, prog_if) {
        (0x00, _, _) => "unclassified device",
        (0x01, 0x00, _) => "SCSI controller",
        (0x01, 0x01, _) => "IDE controller",
        (0x01, 0x05, _) => "ATA controller",
        (0x01, 0x06, _) => "SATA controller",
        (0x01, 0x08, _) => "NVMe controller",
        (0x01, _, _) => "storage controller",
        (0x02, 0x00, _) => "Ethernet controller",
        (0x02, _, _) => "network controller",
        (0x03, 0x00, _) => "VGA display controller",
        (0x03, _, _) => "display controller",
        (0x04, 0x01, _) => "audio device",
        (0x04, 0x03, _) => "audio device (HD Audio)",
        (0x04, _, _) => "multimedia device",
        (0x05, _, _) => "memory controller",
        (0x06, 0x00, _) => "host bridge",
        (0x06, 0x01, _) => "ISA bridge",
        (0x06, 0x04, _) => "PCI-to-PCI bridge",
        (0x06, _, _) => "bridge",
        (0x07, 0x00, _) => "serial controller",
        (0x07, _, _) => "communication controller",
        (0x08, _, _) => "system peripheral",
        (0x09, _, _) => "input controller",
        (0x0c, 0x03, 0x00) => "USB controller (UHCI)",
        (0x0c, 0x03, 0x10) => "USB controller (OHCI)",
        (0x0c, 0x03, 0x20) => "USB controller (EHCI)",
        (0x0c, 0x03, 0x30) => "USB controller (xHCI)",
        (0x0c, 0x03, _) => "USB controller",
        (0x0c, 0x05, _) => "SMBus controller",
        (0x0c, _, _) => "serial bus controller",
        (0x0d, _, _) => "wireless controller",
        (0x10, _, _) => "encryption controller",
        (0x11, _, _) => "signal processing controller",
        _ => "other device",
    }
}
