extern crate std;

use super::*;
use std::vec;
use std::vec::Vec;

/// Physical memory made of a few regions; anything else is unreadable.
struct Mem(Vec<(u64, Vec<u8>)>);

impl PhysMemory for Mem {
    fn read(&self, phys: u64, len: usize) -> Option<&[u8]> {
        self.0.iter().find_map(|(base, bytes)| {
            let off = usize::try_from(phys.checked_sub(*base)?).ok()?;
            bytes.get(off..off.checked_add(len)?)
        })
    }
}

fn fix_checksum(t: &mut [u8], at: usize) {
    t[at] = 0;
    let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    t[at] = 0u8.wrapping_sub(sum);
}

fn table(sig: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(sig);
    t.extend_from_slice(body);
    let len = t.len() as u32;
    t[4..8].copy_from_slice(&len.to_le_bytes());
    fix_checksum(&mut t, 9);
    t
}

const RSDP: u64 = 0xe_0000;
const XSDT: u64 = 0x10_0000;
const FADT: u64 = 0x10_1000;
const DSDT: u64 = 0x10_2000;
const MCFG: u64 = 0x10_3000;

fn dsdt() -> Vec<u8> {
    // Name(_S5_, Package(4) {5, 5, 0, 0}) after some unrelated AML.
    let mut aml = vec![0x10, 0x42, 0x05, b'_', b'S', b'B', b'_'];
    aml.extend_from_slice(&[
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x0a, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
    ]);
    table(b"DSDT", &aml)
}

fn fadt() -> Vec<u8> {
    let mut body = vec![0u8; 276 - 36];
    body[40 - 36..44 - 36].copy_from_slice(&(DSDT as u32).to_le_bytes());
    body[64 - 36..68 - 36].copy_from_slice(&0x604u32.to_le_bytes());
    body[140 - 36..148 - 36].copy_from_slice(&DSDT.to_le_bytes());
    table(b"FACP", &body)
}

fn xsdt(entries: &[u64]) -> Vec<u8> {
    let body: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
    table(b"XSDT", &body)
}

fn rsdp(xsdt: u64) -> Vec<u8> {
    let mut r = vec![0u8; 36];
    r[..8].copy_from_slice(b"RSD PTR ");
    r[15] = 2;
    r[20..24].copy_from_slice(&36u32.to_le_bytes());
    r[24..32].copy_from_slice(&xsdt.to_le_bytes());
    fix_checksum(&mut r[..20], 8);
    fix_checksum(&mut r, 32);
    r
}

fn mcfg() -> Vec<u8> {
    let mut body = vec![0u8; 8];
    body.extend_from_slice(&0xb000_0000u64.to_le_bytes());
    body.extend_from_slice(&[0, 0, 0, 0xff, 0, 0, 0, 0]);
    table(b"MCFG", &body)
}

fn machine(entries: &[u64]) -> Mem {
    Mem(vec![
        (RSDP, rsdp(XSDT)),
        (XSDT, xsdt(entries)),
        (FADT, fadt()),
        (DSDT, dsdt()),
        (MCFG, mcfg()),
    ])
}

#[test]
fn finds_power_off_and_mcfg_on_a_good_machine() {
    let mem = machine(&[MCFG, FADT]);
    let t = Tables::new(&mem, RSDP).unwrap();
    let p = t.s5_power_off().unwrap();
    assert_eq!(
        p,
        PowerOff {
            pm1a: 0x604,
            pm1b: None,
            slp_typ_a: 5,
            slp_typ_b: 5
        }
    );
    assert_eq!(PowerOff::control_value(5), 0x3400);
    let w: Vec<EcamWindow> = t.mcfg().unwrap().collect();
    assert_eq!(
        w,
        [EcamWindow {
            base: 0xb000_0000,
            segment: 0,
            first_bus: 0,
            last_bus: 0xff
        }]
    );
    assert_eq!(t.find(b"APIC").unwrap_err(), AcpiError::NotFound(*b"APIC"));
}

#[test]
fn hostile_root_entries_are_skipped_not_followed() {
    // Past 2^47, at the top of the address space, unmapped, and the null address.
    let mem = machine(&[1 << 47, u64::MAX - 3, 0xdead_0000, 0, FADT]);
    let t = Tables::new(&mem, RSDP).unwrap();
    assert_eq!(t.s5_power_off().unwrap().pm1a, 0x604);
    let mem = machine(&[1 << 47, u64::MAX]);
    let t = Tables::new(&mem, RSDP).unwrap();
    assert_eq!(t.s5_power_off().unwrap_err(), AcpiError::NotFound(*b"FACP"));
}

#[test]
fn bad_checksums_and_lengths_are_refused() {
    let mut mem = machine(&[FADT]);
    mem.0[0].1[9] ^= 1; // RSDP v1 checksum region
    assert_eq!(Tables::new(&mem, RSDP).err(), Some(AcpiError::BadRsdp));

    let mut mem = machine(&[FADT]);
    mem.0[0].1[33] ^= 1; // extended checksum region only
    assert_eq!(Tables::new(&mem, RSDP).err(), Some(AcpiError::BadRsdp));

    let mut mem = machine(&[FADT]);
    mem.0[3].1[50] ^= 0x40; // DSDT body
    let t = Tables::new(&mem, RSDP).unwrap();
    assert_eq!(t.s5_power_off().unwrap_err(), AcpiError::BadChecksum(DSDT));

    let mut mem = machine(&[FADT]);
    mem.0[1].1[4..8].copy_from_slice(&u32::MAX.to_le_bytes()); // XSDT claims 4 GiB
    let t = Tables::new(&mem, RSDP).unwrap();
    assert_eq!(t.find(b"FACP").unwrap_err(), AcpiError::BadLength(XSDT));

    assert_eq!(Tables::new(&mem, 0x1234).err(), Some(AcpiError::NoRsdp));
}

#[test]
fn missing_s5_is_reported() {
    let mut mem = machine(&[FADT]);
    let d = table(b"DSDT", &[0x10, 0x00, b'_', b'S', b'B', b'_']);
    mem.0[3].1 = d;
    let t = Tables::new(&mem, RSDP).unwrap();
    assert_eq!(t.s5_power_off().unwrap_err(), AcpiError::NoS5);
}

/// Every single-byte corruption of every table, and random bytes: never a panic.
#[test]
fn corruptions_never_panic() {
    let good = machine(&[MCFG, FADT]);
    let mut seed = 0x0123_4567_89ab_cdefu64;
    for region in 0..good.0.len() {
        for i in 0..good.0[region].1.len() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut mem = machine(&[MCFG, FADT]);
            mem.0[region].1[i] = seed as u8;
            if let Ok(t) = Tables::new(&mem, RSDP) {
                let _ = t.s5_power_off();
                let _ = t.mcfg().map(|w| w.count());
            }
        }
    }
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let bytes: Vec<u8> = (0..300).map(|k| (seed >> (k % 57)) as u8).collect();
        let _ = s5_sleep_types(&bytes);
    }
}
