//! Reboot and power-off.
//!
//! Power-off uses ACPI sleep state S5: the FADT (found from the RSDP that the bootloader
//! hands us) names the PM1 control ports, and the DSDT's `\_S5` package holds the sleep
//! type to write there. The tables are read by the `acpi-tables` crate, which trusts
//! nothing in them; this module gives it physical memory only where ACPI tables may live
//! (ACPI and reserved regions of the memory map, and the BIOS area) and only where the
//! page tables map it, so a bad pointer in a table is an error message, never a fault.

use crate::boot::{BootInfo, RegionKind};
use crate::mem::paging;
use acpi_tables::{AcpiError, PhysMemory, PowerOff, Tables};
use alloc::vec::Vec;
use x86_64::VirtAddr;
use x86_64::instructions::port::Port;

/// What `init` recorded: the RSDP's physical address and the ranges tables may be in.
struct Firmware {
    rsdp: Option<u64>,
    ranges: Vec<(u64, u64)>,
}

static FIRMWARE: spin::Once<Firmware> = spin::Once::new();

/// The legacy BIOS area, where the RSDP of a BIOS machine lives.
const BIOS_AREA: (u64, u64) = (0xe_0000, 0x10_0000);

/// Records where the RSDP is (Limine may give an HHDM address or a physical one) and
/// which memory-map ranges may hold ACPI tables. Needs the heap.
pub fn init(boot: &BootInfo) {
    let hhdm = paging::hhdm_offset();
    let rsdp = boot.rsdp.map(|a| if a >= hhdm { a - hhdm } else { a });
    let mut ranges = Vec::new();
    ranges.push(BIOS_AREA);
    for r in boot.regions() {
        if matches!(
            r.kind,
            RegionKind::AcpiReclaimable | RegionKind::AcpiNvs | RegionKind::Reserved
        ) && ranges.try_reserve(1).is_ok()
        {
            ranges.push((r.base, r.base.saturating_add(r.len)));
        }
    }
    FIRMWARE.call_once(|| Firmware { rsdp, ranges });
}

/// Physical memory as the ACPI reader may see it.
struct AcpiMemory<'f>(&'f Firmware);

impl PhysMemory for AcpiMemory<'_> {
    fn read(&self, phys: u64, len: usize) -> Option<&[u8]> {
        let end = phys.checked_add(u64::try_from(len).ok()?)?;
        if len == 0 || !self.0.ranges.iter().any(|&(s, e)| s <= phys && end <= e) {
            return None;
        }
        // Every page of the range must be mapped (in the HHDM) before it is read.
        let first = phys & !0xfff;
        let mut page = first;
        while page < end {
            let virt = paging::phys_to_virt(page);
            if paging::translate(virt).map(|p| p.as_u64()) != Some(page) {
                return None;
            }
            page = page.checked_add(0x1000)?;
        }
        let start: VirtAddr = paging::phys_to_virt(phys);
        // SAFETY: the range lies in a firmware region of the memory map (which the kernel
        // never allocates from or writes), and every page of it was just found mapped at
        // its HHDM address; the slice is only read.
        Some(unsafe { core::slice::from_raw_parts(start.as_ptr::<u8>(), len) })
    }
}

/// The firmware's ACPI tables, validated, for other drivers (PCI's MCFG).
pub fn with_tables<R>(
    f: impl FnOnce(&Tables<'_, dyn PhysMemory + '_>) -> R,
) -> Result<R, AcpiError> {
    let fw = FIRMWARE.get().ok_or(AcpiError::NoRsdp)?;
    let mem = AcpiMemory(fw);
    let tables = Tables::new(&mem as &dyn PhysMemory, fw.rsdp.ok_or(AcpiError::NoRsdp)?)?;
    Ok(f(&tables))
}

/// Powers the machine off through ACPI S5. Returns only if that was impossible, with why.
pub fn shutdown() -> alloc::string::String {
    let power: Result<PowerOff, AcpiError> = with_tables(|t| t.s5_power_off()).and_then(|r| r);
    let p = match power {
        Ok(p) => p,
        Err(e) => return alloc::format!("cannot power off: {e}"),
    };
    x86_64::instructions::interrupts::disable();
    // SAFETY: the FADT (checksummed) names these I/O ports as the PM1 control registers;
    // writing the S5 sleep type with SLP_EN is the ACPI-defined way to power off.
    unsafe {
        Port::<u16>::new(p.pm1a).write(PowerOff::control_value(p.slp_typ_a));
        if let Some(pm1b) = p.pm1b {
            Port::<u16>::new(pm1b).write(PowerOff::control_value(p.slp_typ_b));
        }
    }
    // Power-off takes a moment on real hardware.
    for _ in 0..100_000_000u64 {
        core::hint::spin_loop();
    }
    x86_64::instructions::interrupts::enable();
    alloc::string::String::from("cannot power off: the machine did not power off")
}

/// Restarts the machine: keyboard-controller reset line first, then a triple fault.
pub fn reboot() -> ! {
    x86_64::instructions::interrupts::disable();
    // SAFETY: 0xfe on the i8042 command port pulses the CPU reset line; waits are bounded.
    unsafe {
        let mut cmd: Port<u8> = Port::new(0x64);
        for _ in 0..100_000 {
            if cmd.read() & 0x02 == 0 {
                break;
            }
        }
        cmd.write(0xfe);
    }
    for _ in 0..10_000_000u64 {
        core::hint::spin_loop();
    }
    // Last resort: an empty IDT makes the next interrupt a triple fault, which resets.
    static EMPTY: x86_64::structures::idt::InterruptDescriptorTable =
        x86_64::structures::idt::InterruptDescriptorTable::new();
    // SAFETY: deliberately loads an IDT with no handlers; the breakpoint below then
    // triple-faults, resetting the CPU. Nothing runs after it.
    unsafe {
        let ptr = x86_64::structures::DescriptorTablePointer {
            limit: 0,
            base: x86_64::VirtAddr::from_ptr(&raw const EMPTY),
        };
        x86_64::instructions::tables::lidt(&ptr);
    }
    x86_64::instructions::interrupts::int3();
    crate::halt_forever()
}
