extern crate std;

use super::*;
use alloc::vec;
use std::vec::Vec;

const SS: usize = 512;

/// A disk in memory.
struct Disk(Vec<u8>);

impl Disk {
    fn new(sectors: u64) -> Self {
        Disk(vec![0; sectors as usize * SS])
    }
    fn sectors(&self) -> u64 {
        (self.0.len() / SS) as u64
    }
    fn sector(&mut self, lba: u64) -> &mut [u8] {
        let at = lba as usize * SS;
        &mut self.0[at..at + SS]
    }
    fn table(&self) -> Result<Table, Error> {
        let data = &self.0;
        let mut read = |lba: u64, buf: &mut [u8]| -> Result<(), ()> {
            let at = usize::try_from(lba)
                .map_err(|_| ())?
                .checked_mul(SS)
                .ok_or(())?;
            let src = data.get(at..at + buf.len()).ok_or(())?;
            buf.copy_from_slice(src);
            Ok(())
        };
        read_table(SS, self.sectors(), &mut read)
    }
    fn mbr_entry(&mut self, lba: u64, slot: usize, kind: u8, start: u32, len: u32) {
        let s = self.sector(lba);
        let e = &mut s[446 + 16 * slot..462 + 16 * slot];
        e[4] = kind;
        e[8..12].copy_from_slice(&start.to_le_bytes());
        e[12..16].copy_from_slice(&len.to_le_bytes());
        s[510] = 0x55;
        s[511] = 0xaa;
    }
    /// Writes a GPT header at `lba` with its entry array at `entries_lba`.
    fn gpt(&mut self, lba: u64, entries_lba: u64, parts: &[(u64, u64, [u8; 16], &str)]) {
        let disk = self.sectors();
        let mut table = vec![0u8; 128 * 128];
        for (i, (first, last, guid, name)) in parts.iter().enumerate() {
            let e = &mut table[i * 128..(i + 1) * 128];
            e[0..16].copy_from_slice(guid);
            e[16] = i as u8 + 1;
            e[32..40].copy_from_slice(&first.to_le_bytes());
            e[40..48].copy_from_slice(&last.to_le_bytes());
            for (k, u) in name.encode_utf16().enumerate() {
                e[56 + 2 * k..58 + 2 * k].copy_from_slice(&u.to_le_bytes());
            }
        }
        let at = entries_lba as usize * SS;
        self.0[at..at + table.len()].copy_from_slice(&table);
        let h = self.sector(lba);
        h.fill(0);
        h[0..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        h[24..32].copy_from_slice(&lba.to_le_bytes());
        h[32..40].copy_from_slice(&(if lba == 1 { disk - 1 } else { 1 }).to_le_bytes());
        h[40..48].copy_from_slice(&34u64.to_le_bytes());
        h[48..56].copy_from_slice(&(disk - 34).to_le_bytes());
        h[72..80].copy_from_slice(&entries_lba.to_le_bytes());
        h[80..84].copy_from_slice(&128u32.to_le_bytes());
        h[84..88].copy_from_slice(&128u32.to_le_bytes());
        h[88..92].copy_from_slice(&crc32fast::hash(&table).to_le_bytes());
        let crc = crc32fast::hash(&h[..92]);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
    }
    /// A protective MBR and both GPT copies.
    fn full_gpt(&mut self, parts: &[(u64, u64, [u8; 16], &str)]) {
        let n = self.sectors();
        self.mbr_entry(0, 0, 0xee, 1, (n - 1) as u32);
        self.gpt(1, 2, parts);
        self.gpt(n - 1, n - 33, parts);
    }
}

fn esp(first: u64, last: u64) -> (u64, u64, [u8; 16], &'static str) {
    (first, last, GUID_EFI_SYSTEM, "EFI system partition")
}

#[test]
fn gpt_with_protective_mbr() {
    let mut d = Disk::new(4096);
    d.full_gpt(&[esp(2048, 3000), (3001, 4000, GUID_BASIC_DATA, "data")]);
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::Gpt);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert_eq!(t.partitions.len(), 2);
    assert_eq!(t.partitions[0].first_lba, 2048);
    assert_eq!(t.partitions[0].sectors, 953);
    assert_eq!(t.partitions[0].kind.describe(), "EFI system");
    match &t.partitions[1].kind {
        Kind::Gpt { name, .. } => assert_eq!(name, "data"),
        k => panic!("{k:?}"),
    }
    assert_eq!(t.partitions[1].number, 2);
}

#[test]
fn damaged_primary_gpt_falls_back_to_the_backup() {
    let mut d = Disk::new(4096);
    d.full_gpt(&[esp(2048, 3000)]);
    d.sector(1)[100] ^= 0xff; // past the header size: CRC still fine
    d.sector(1)[40] ^= 1; // inside: header CRC fails
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::Gpt);
    assert_eq!(t.warnings, ["primary GPT damaged: using the backup"]);
    assert_eq!(t.partitions.len(), 1);
}

#[test]
fn damaged_entry_array_is_refused() {
    let mut d = Disk::new(4096);
    d.full_gpt(&[esp(2048, 3000)]);
    d.sector(2)[32] ^= 1; // primary entries: entries CRC fails
    let t = d.table().unwrap();
    assert_eq!(t.warnings, ["primary GPT damaged: using the backup"]);
    // Both copies broken: no GPT, and the protective MBR alone gives nothing.
    let n = d.sectors();
    d.sector(n - 33)[32] ^= 1;
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::Mbr);
    assert!(t.partitions.is_empty());
    assert!(t.warnings[0].contains("no valid GPT"));
}

#[test]
fn gpt_entries_outside_the_usable_range_are_dropped() {
    let mut d = Disk::new(4096);
    d.full_gpt(&[esp(2048, 9000), esp(10, 20), esp(3000, 2000), esp(100, 200)]);
    let t = d.table().unwrap();
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.partitions[0].first_lba, 100);
}

#[test]
fn hybrid_mbr_of_an_iso_on_a_stick() {
    let mut d = Disk::new(4096);
    d.full_gpt(&[esp(100, 199), (200, 4000, GUID_BASIC_DATA, "ISO9660")]);
    // isohybrid: the MBR lists the ISO and the EFI image next to the 0xEE entry.
    d.mbr_entry(0, 0, 0x00, 0, 4096);
    d.mbr_entry(0, 1, 0xef, 100, 100);
    d.mbr_entry(0, 2, 0xee, 1, 99);
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::HybridGpt);
    assert_eq!(t.partitions.len(), 2);
    // Without a GPT, the MBR entries of the hybrid are used.
    d.sector(1)[0] = b'X';
    let n = d.sectors();
    d.sector(n - 1)[0] = b'X';
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::Mbr);
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.partitions[0].kind, Kind::Mbr(0xef));
    assert_eq!(t.partitions[0].number, 2);
}

#[test]
fn mbr_primary_and_logical_partitions() {
    let mut d = Disk::new(10_000);
    d.mbr_entry(0, 0, 0x0c, 2048, 2000);
    d.mbr_entry(0, 1, 0x05, 5000, 4000);
    // Two logical partitions, each EBR pointing to the next (relative to the extended start).
    d.mbr_entry(5000, 0, 0x06, 63, 500);
    d.mbr_entry(5000, 1, 0x05, 1000, 1000);
    d.mbr_entry(6000, 0, 0x83, 63, 800);
    let t = d.table().unwrap();
    assert_eq!(t.scheme, Scheme::Mbr);
    let nums: Vec<(u32, u64, u64)> = t
        .partitions
        .iter()
        .map(|p| (p.number, p.first_lba, p.sectors))
        .collect();
    assert_eq!(nums, [(1, 2048, 2000), (5, 5063, 500), (6, 6063, 800)]);
    assert_eq!(t.partitions[0].kind.describe(), "FAT32");
}

#[test]
fn looping_extended_chain_stops() {
    let mut d = Disk::new(10_000);
    d.mbr_entry(0, 0, 0x0f, 5000, 4000);
    d.mbr_entry(5000, 0, 0x06, 63, 100);
    d.mbr_entry(5000, 1, 0x05, 1000, 1000);
    d.mbr_entry(6000, 0, 0x06, 63, 100);
    d.mbr_entry(6000, 1, 0x05, 0, 1000); // back to the first: a loop... with start 0 = end
    let t = d.table().unwrap();
    assert_eq!(t.partitions.len(), 2);
    d.mbr_entry(6000, 1, 0x05, 1, 1000); // points at 5001, which points nowhere valid
    d.mbr_entry(5001, 0, 0x06, 63, 100);
    d.mbr_entry(5001, 1, 0x05, 1000, 1000); // back to 6000: a real loop
    let t = d.table().unwrap();
    assert!(
        t.warnings.iter().any(|w| w.contains("loops")),
        "{:?}",
        t.warnings
    );
    assert_eq!(t.partitions.len(), 3);
}

#[test]
fn partitions_past_the_end_are_skipped() {
    let mut d = Disk::new(1000);
    d.mbr_entry(0, 0, 0x0c, 100, 2000);
    d.mbr_entry(0, 1, 0x0c, u32::MAX, u32::MAX);
    d.mbr_entry(0, 2, 0x0c, 100, 200);
    let t = d.table().unwrap();
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.warnings.len(), 2);
}

/// Writes a FAT boot sector (as `mkfs.fat` does: jump, sector size, sectors per cluster,
/// reserved sectors, two FATs, the type string `fs.1` at offset `fs.0`, the 0x55AA signature).
fn fat_boot_sector(
    s: &mut [u8],
    sector_size: u16,
    per_cluster: u8,
    reserved: u8,
    fs: (usize, &[u8]),
) {
    s[0..3].copy_from_slice(&[0xeb, 0x58, 0x90]);
    s[11..13].copy_from_slice(&sector_size.to_le_bytes());
    s[13] = per_cluster;
    s[14] = reserved;
    s[16] = 2;
    s[fs.0..fs.0 + fs.1.len()].copy_from_slice(fs.1);
    s[510] = 0x55;
    s[511] = 0xaa;
}

#[test]
fn whole_disk_fat_and_blank_disks() {
    let mut d = Disk::new(100);
    assert_eq!(d.table().unwrap().scheme, Scheme::None);
    fat_boot_sector(d.sector(0), 512, 8, 32, (82, b"FAT32"));
    assert!(looks_like_fat(d.sector(0)));
    assert_eq!(d.table().unwrap().scheme, Scheme::Whole);
    d.sector(0)[13] = 3; // not a power of two
    assert!(!looks_like_fat(d.sector(0)));
}

/// An optical medium of 2048-byte sectors in memory, read through [`read_medium`].
fn medium_table(data: &[u8]) -> Result<Table, Error> {
    let mut read = |lba: u64, buf: &mut [u8]| -> Result<(), ()> {
        let at = usize::try_from(lba)
            .map_err(|_| ())?
            .checked_mul(2048)
            .ok_or(())?;
        buf.copy_from_slice(data.get(at..at + buf.len()).ok_or(())?);
        Ok(())
    };
    read_medium(2048, &mut read)
}

#[test]
fn optical_media_have_no_partition_table() {
    // A hybrid ISO: an MBR in 512-byte units (an ISO 9660 entry and an EFI one) and the
    // ISO 9660 descriptor at 32 KiB. On a disk its entries are partitions; on a CD none.
    let mut d = Disk::new(256);
    d.mbr_entry(0, 0, 0x00, 0, 256);
    d.mbr_entry(0, 1, 0xef, 100, 100);
    let at = ISO9660_DESCRIPTOR_AT as usize;
    d.0[at] = 1;
    d.0[at + 1..at + 7].copy_from_slice(b"CD001\x01");
    assert!(
        !d.table().unwrap().partitions.is_empty(),
        "a disk reads the MBR"
    );
    let t = medium_table(&d.0).unwrap();
    assert_eq!((t.scheme, t.partitions.len()), (Scheme::None, 0));
    assert!(looks_like_iso9660(&d.0[at..at + 2048]));
    assert!(!looks_like_iso9660(&d.0[0..2048]));
    assert!(!looks_like_iso9660(&d.0[at..at + 6]), "cut short");
    d.0[at + 6] = 2;
    assert!(!looks_like_iso9660(&d.0[at..at + 2048]), "unknown version");
    // FAT with 2048-byte sectors on the whole medium (`mkfs.fat -S 2048`).
    let mut cd = vec![0u8; 2048 * 64];
    fat_boot_sector(&mut cd, 2048, 1, 1, (54, b"FAT12"));
    assert_eq!(medium_table(&cd).unwrap().scheme, Scheme::Whole);
    // Read errors and sector sizes as for disks.
    assert_eq!(medium_table(&cd[..1000]), Err(Error::Io));
    let mut fail = |_: u64, _: &mut [u8]| -> Result<(), ()> { Err(()) };
    assert_eq!(read_medium(2000, &mut fail), Err(Error::BadSectorSize));
}

#[test]
fn read_errors_and_sector_sizes() {
    let mut fail = |_: u64, _: &mut [u8]| -> Result<(), ()> { Err(()) };
    assert_eq!(read_table(512, 100, &mut fail), Err(Error::Io));
    assert_eq!(read_table(500, 100, &mut fail), Err(Error::BadSectorSize));
    assert_eq!(read_table(8192, 100, &mut fail), Err(Error::BadSectorSize));
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Random bytes, and valid tables with random bytes flipped: never a panic, every
/// partition inside the disk, bounded reads.
#[test]
fn random_disks_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..3000 {
        let sectors = 40 + rng.next() % 200;
        let mut d = Disk::new(sectors);
        match round % 3 {
            0 => d.0.iter_mut().for_each(|b| *b = rng.next() as u8),
            1 => {
                d.full_gpt(&[esp(34, sectors - 40), esp(1, 2)]);
                for _ in 0..1 + rng.next() % 8 {
                    let i = (rng.next() % d.0.len() as u64) as usize;
                    d.0[i] ^= 1 << (rng.next() % 8);
                }
            }
            _ => {
                for slot in 0..4 {
                    let kind = [0x05, 0x0f, 0x0c, 0xee, 0x85][(rng.next() % 5) as usize];
                    d.mbr_entry(
                        0,
                        slot,
                        kind,
                        (rng.next() % sectors) as u32,
                        (rng.next() % sectors) as u32,
                    );
                }
                for _ in 0..20 {
                    let lba = rng.next() % sectors;
                    d.mbr_entry(
                        lba,
                        (rng.next() % 2) as usize,
                        0x05,
                        (rng.next() % sectors) as u32,
                        50,
                    );
                }
            }
        }
        let mut reads = 0u32;
        let data = d.0.clone();
        let mut read = |lba: u64, buf: &mut [u8]| -> Result<(), ()> {
            reads += 1;
            let at = lba as usize * SS;
            buf.copy_from_slice(data.get(at..at + buf.len()).ok_or(())?);
            Ok(())
        };
        if let Ok(t) = read_table(SS, sectors, &mut read) {
            for p in &t.partitions {
                assert!(p.sectors > 0 && p.first_lba + p.sectors <= sectors, "{p:?}");
            }
        }
        assert!(reads < 200, "bounded reads, got {reads}");
    }
}
