//! Reboot and power-off.
//!
//! Power-off uses ACPI sleep state S5: the FADT (found from the RSDP that Limine hands
//! us) names the PM1 control ports, and the DSDT's `\_S5` package holds the sleep type to
//! write there. Reading `\_S5` properly needs a full AML interpreter; like most small
//! kernels we locate the package by its name and decode its simple, fixed encoding, with
//! every access bounds-checked and every table checksum-verified. Without ACPI we say so
//! and the caller halts.

use crate::mem::paging::phys_to_virt;
use x86_64::instructions::port::Port;

static RSDP: spin::Once<u64> = spin::Once::new();

/// Records the RSDP address Limine gave us (an HHDM virtual address, or physical in
/// older protocol revisions; both are handled).
pub fn init(rsdp: Option<u64>) {
    if let Some(r) = rsdp {
        RSDP.call_once(|| r);
    }
}

/// Reads `len` bytes of physical memory through the HHDM.
fn phys_bytes(phys: u64, len: usize) -> &'static [u8] {
    // SAFETY: ACPI tables live in memory that Limine maps in the HHDM (ACPI reclaimable
    // and NVS regions are included) and that the kernel never frees or writes.
    unsafe { core::slice::from_raw_parts(phys_to_virt(phys).as_ptr::<u8>(), len) }
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// A whole ACPI table (header included) at a physical address, if its checksum holds.
fn table(phys: u64) -> Option<&'static [u8]> {
    if phys == 0 {
        return None;
    }
    let header = phys_bytes(phys, 36);
    let len = u32_at(header, 4)? as usize;
    if !(36..=16 << 20).contains(&len) {
        return None;
    }
    let t = phys_bytes(phys, len);
    (t.iter().fold(0u8, |a, &b| a.wrapping_add(b)) == 0).then_some(t)
}

/// A checksum-verified ACPI table by signature (e.g. `MCFG`), if the firmware has one.
pub fn find_table(sig: &[u8; 4]) -> Option<&'static [u8]> {
    let rsdp_addr = *RSDP.get()?;
    let hhdm = crate::mem::paging::hhdm_offset();
    let rsdp_phys = if rsdp_addr >= hhdm {
        rsdp_addr - hhdm
    } else {
        rsdp_addr
    };
    let rsdp = phys_bytes(rsdp_phys, 36);
    if &rsdp[..8] != b"RSD PTR " {
        return None;
    }
    let (root, entry_size) = match (rsdp[15], u64_at(rsdp, 24)) {
        (r, Some(xsdt)) if r >= 2 && xsdt != 0 => (xsdt, 8),
        _ => (u32_at(rsdp, 16)? as u64, 4),
    };
    let root = table(root)?;
    let entries = &root[36..];
    for e in entries.chunks_exact(entry_size) {
        let addr = if entry_size == 8 {
            u64_at(e, 0)?
        } else {
            u32_at(e, 0)? as u64
        };
        if let Some(t) = table(addr)
            && &t[..4] == sig
        {
            return Some(t);
        }
    }
    None
}

/// Decodes an AML integer constant at `b[0..]`: (value, bytes used).
fn aml_int(b: &[u8]) -> Option<(u16, usize)> {
    match *b.first()? {
        0x00 => Some((0, 1)),
        0x01 => Some((1, 1)),
        0x0a => Some((*b.get(1)? as u16, 2)),
        0x0b => Some((u16::from_le_bytes([*b.get(1)?, *b.get(2)?]), 3)),
        v if v < 0x0a => Some((v as u16, 1)),
        _ => None,
    }
}

/// Finds `\_S5` in the DSDT: (SLP_TYPa, SLP_TYPb).
fn s5_sleep_types(dsdt: &[u8]) -> Option<(u16, u16)> {
    let pos = dsdt.windows(4).position(|w| w == b"_S5_")?;
    let mut i = pos + 4;
    if *dsdt.get(i)? != 0x12 {
        return None; // not a package
    }
    i += 1;
    let lead = *dsdt.get(i)?;
    i += 1 + (lead >> 6) as usize; // skip PkgLength
    i += 1; // NumElements
    let (a, used) = aml_int(dsdt.get(i..)?)?;
    let (b, _) = aml_int(dsdt.get(i + used..)?).unwrap_or((0, 0));
    Some((a, b))
}

/// Powers the machine off through ACPI S5. Returns only if that was impossible, with why.
pub fn shutdown() -> &'static str {
    let Some(fadt) = find_table(b"FACP") else {
        return "no ACPI tables (FADT) found";
    };
    let pm1a = u32_at(fadt, 64).unwrap_or(0);
    let pm1b = u32_at(fadt, 68).unwrap_or(0);
    let dsdt_addr = match u64_at(fadt, 140) {
        Some(x) if fadt.len() >= 148 && x != 0 => x,
        _ => u32_at(fadt, 40).unwrap_or(0) as u64,
    };
    let Some(dsdt) = table(dsdt_addr) else {
        return "the ACPI DSDT is missing or corrupt";
    };
    let Some((typ_a, typ_b)) = s5_sleep_types(dsdt) else {
        return "the DSDT has no \\_S5 sleep state";
    };
    if pm1a == 0 || pm1a > 0xffff {
        return "the FADT has no PM1a control port";
    }
    const SLP_EN: u16 = 1 << 13;
    x86_64::instructions::interrupts::disable();
    // SAFETY: the FADT names these I/O ports as the PM1 control registers; writing the
    // S5 sleep type with SLP_EN is the ACPI-defined way to power off.
    unsafe {
        Port::<u16>::new(pm1a as u16).write((typ_a << 10) | SLP_EN);
        if pm1b != 0 && pm1b <= 0xffff {
            Port::<u16>::new(pm1b as u16).write((typ_b << 10) | SLP_EN);
        }
    }
    // Power-off takes a moment on real hardware.
    for _ in 0..100_000_000u64 {
        core::hint::spin_loop();
    }
    "the machine did not power off"
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
