extern crate std;

use super::*;
use hadris_fat::{FatKind, FatOptions};
use hadris_storage::{BlockSize, MemDevice};
use std::vec::Vec;

type Dev = MemDevice<Vec<u8>>;

/// 2026-11-30 12:00:00 UTC, as seconds since 1970.
const NOW: i64 = 1_796_040_000;

struct TestClock;
impl Clock for TestClock {
    fn now(&self) -> DateTime {
        DateTime::new(NOW, 0).unwrap()
    }
}
static CLOCK: TestClock = TestClock;

fn image(kind: FatKind, bytes: usize) -> Vec<u8> {
    let mut dev = MemDevice::new(vec![0u8; bytes], BlockSize::new(512).unwrap());
    hadris_fat::sync::format(&mut dev, &FatOptions::new().with_kind(kind)).expect("format");
    dev.into_inner()
}

fn dev(img: Vec<u8>) -> Dev {
    MemDevice::new(img, BlockSize::new(512).unwrap())
}

/// Mounts `img` at /mnt/d in a fresh tree and loads it.
fn load(img: Vec<u8>) -> (Mount<Dev>, Fs<'static>, Vec<String>) {
    let mut ram = Fs::new();
    let (mut m, mut warnings) = Mount::open(dev(img), "/mnt/d", &CLOCK).expect("mount");
    warnings.extend(m.load(&mut ram).expect("load"));
    (m, ram, warnings)
}

fn unmount(m: Mount<Dev>, ram: &Fs<'_>) -> Vec<u8> {
    m.unmount(ram)
        .map_err(|(e, _)| e)
        .expect("unmount")
        .into_inner()
}

fn is_clean(img: &mut Vec<u8>) -> bool {
    let mut d = dev(core::mem::take(img));
    let mut scratch = vec![0u8; 256 * 1024];
    let r =
        hadris_fat::sync::check(&mut d, &mut scratch, |f| std::println!("finding: {f}")).unwrap();
    *img = d.into_inner();
    r.is_clean()
}

fn pattern(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

#[test]
fn write_sync_remount_read_back_on_every_fat_kind() {
    for (kind, size) in [
        (FatKind::Fat12, 4 << 20),
        (FatKind::Fat16, 32 << 20),
        (FatKind::Fat32, 64 << 20),
    ] {
        let (mut m, mut ram, w) = load(image(kind, size));
        assert!(w.is_empty(), "{w:?}");
        assert!(!m.read_only);
        let big = pattern(3 << 20, 7);
        ram.write("/mnt/d/A long file name with spaces.txt", b"hello")
            .unwrap();
        ram.mkdir_all("/mnt/d/one/two/three").unwrap();
        ram.write("/mnt/d/one/two/three/big.bin", &big).unwrap();
        for i in 0..40 {
            ram.write(
                &format!("/mnt/d/one/many file {i}.txt"),
                format!("{i}").as_bytes(),
            )
            .unwrap();
        }
        let r = m.sync(&ram).unwrap();
        assert_eq!((r.written, r.created_dirs), (42, 3), "{kind:?}");
        // A second sync with nothing changed writes nothing.
        assert_eq!(m.sync(&ram).unwrap().written, 0);
        // Changes and removals.
        ram.append("/mnt/d/A long file name with spaces.txt", b" world")
            .unwrap();
        ram.remove("/mnt/d/one/many file 3.txt", false).unwrap();
        ram.rename("/mnt/d/one/many file 4.txt", "/mnt/d/renamed.txt")
            .unwrap();
        let mut img = unmount(m, &ram);
        assert!(is_clean(&mut img), "{kind:?} is consistent");
        let (_m, ram2, w) = load(img);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            ram2.read("/mnt/d/A long file name with spaces.txt")
                .unwrap(),
            b"hello world"
        );
        assert_eq!(ram2.read("/mnt/d/one/two/three/big.bin").unwrap(), &big[..]);
        assert_eq!(ram2.read("/mnt/d/renamed.txt").unwrap(), b"4");
        assert!(ram2.read("/mnt/d/one/many file 3.txt").is_err());
        assert!(ram2.read("/mnt/d/one/many file 4.txt").is_err());
        assert_eq!(ram2.read_dir("/mnt/d/one").unwrap().len(), 39);
    }
}

#[test]
fn removed_directories_and_kind_changes() {
    let (mut m, mut ram, _) = load(image(FatKind::Fat16, 16 << 20));
    ram.mkdir_all("/mnt/d/x/y").unwrap();
    ram.write("/mnt/d/x/y/f", b"1").unwrap();
    ram.write("/mnt/d/z", b"file").unwrap();
    m.sync(&ram).unwrap();
    ram.remove("/mnt/d/x", true).unwrap();
    ram.remove("/mnt/d/z", false).unwrap();
    ram.mkdir("/mnt/d/z").unwrap();
    let r = m.sync(&ram).unwrap();
    assert_eq!((r.removed, r.created_dirs), (4, 1));
    let mut img = unmount(m, &ram);
    assert!(is_clean(&mut img));
    let (_m, ram2, _) = load(img);
    assert!(ram2.metadata("/mnt/d/x").is_err());
    assert_eq!(ram2.metadata("/mnt/d/z").unwrap().kind, Kind::Dir);
}

#[test]
fn a_full_volume_says_no_space_and_stays_consistent() {
    let (mut m, mut ram, _) = load(image(FatKind::Fat12, 1 << 20));
    ram.write("/mnt/d/small", b"fits").unwrap();
    ram.write("/mnt/d/huge", &pattern(2 << 20, 1)).unwrap();
    let e = m.sync(&ram).unwrap_err();
    assert!(e.contains("space") || e.contains("full"), "{e}");
    ram.remove("/mnt/d/huge", false).unwrap();
    m.sync(&ram).unwrap();
    let mut img = unmount(m, &ram);
    assert!(is_clean(&mut img));
    let (_m, ram2, _) = load(img);
    assert_eq!(ram2.read("/mnt/d/small").unwrap(), b"fits");
}

#[test]
fn bad_boot_sectors_are_refused() {
    let mut img = image(FatKind::Fat32, 64 << 20);
    img[11] = 3; // bytes per sector
    assert!(Mount::open(dev(img), "/mnt/d", &CLOCK).is_err());
    let mut img = image(FatKind::Fat16, 16 << 20);
    img[510] = 0;
    img[13] = 0; // sectors per cluster
    assert!(Mount::open(dev(img), "/mnt/d", &CLOCK).is_err());
    assert!(Mount::open(dev(vec![0u8; 1 << 20]), "/mnt/d", &CLOCK).is_err());
}

/// Offset of FAT entry `cluster` of the first FAT, and the data cluster's byte offset.
fn fat32_layout(img: &[u8]) -> (usize, usize, usize) {
    let bps = usize::from(u16::from_le_bytes([img[11], img[12]]));
    let spc = usize::from(img[13]);
    let reserved = usize::from(u16::from_le_bytes([img[14], img[15]]));
    let fats = usize::from(img[16]);
    let fat_sectors = u32::from_le_bytes([img[36], img[37], img[38], img[39]]) as usize;
    let fat = reserved * bps;
    let data = fat + fats * fat_sectors * bps;
    (fat, data, spc * bps)
}

#[test]
fn looping_and_cross_linked_chains_are_read_defensively() {
    // A volume with a directory and a file, then damaged: the directory's chain loops back
    // on itself and the file's chain is cross-linked into it.
    let (mut m, mut ram, _) = load(image(FatKind::Fat32, 64 << 20));
    ram.mkdir("/mnt/d/dir").unwrap();
    for i in 0..5 {
        ram.write(&format!("/mnt/d/dir/f{i}"), &pattern(10_000, i))
            .unwrap();
    }
    m.sync(&ram).unwrap();
    let mut img = unmount(m, &ram);
    let (fat, _data, _cluster) = fat32_layout(&img);
    // Every allocated cluster >= 3 that ends a chain now points back to cluster 3.
    let entries = 512;
    for c in 3..entries {
        let at = fat + 4 * c;
        let v = u32::from_le_bytes([img[at], img[at + 1], img[at + 2], img[at + 3]]) & 0x0fff_ffff;
        if v >= 0x0fff_fff8 {
            img[at..at + 4].copy_from_slice(&3u32.to_le_bytes());
        }
    }
    assert!(!is_clean(&mut img));
    // Mounted read-only with a warning; loading ends.
    let mut ram2 = Fs::new();
    let (mut m2, warnings) = Mount::open(dev(img), "/mnt/d", &CLOCK).expect("damaged but readable");
    assert!(m2.read_only);
    assert!(
        warnings.iter().any(|w| w.contains("read-only")),
        "{warnings:?}"
    );
    let _ = m2.load(&mut ram2);
    // Writing is refused, not attempted.
    ram2.write("/mnt/d/new", b"x").unwrap();
    assert!(m2.sync(&ram2).unwrap_err().contains("read-only"));
}

/// Random damage anywhere in the first megabyte: open, load and sync end without a panic.
#[test]
fn random_damage_never_panics_or_hangs() {
    let base = {
        let (mut m, mut ram, _) = load(image(FatKind::Fat16, 8 << 20));
        ram.mkdir_all("/mnt/d/a/b").unwrap();
        for i in 0..20 {
            ram.write(
                &format!("/mnt/d/a/b/file with a long name {i}"),
                &pattern(3000 * i, 1),
            )
            .unwrap();
        }
        m.sync(&ram).unwrap();
        unmount(m, &ram)
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..60 {
        let mut img = base.clone();
        for _ in 0..1 + next() % 40 {
            let i = (next() % (1 << 20)) as usize;
            img[i] = next() as u8;
        }
        let mut ram = Fs::new();
        if let Ok((mut m, _)) = Mount::open(dev(img), "/mnt/d", &CLOCK)
            && m.load(&mut ram).is_ok()
        {
            let _ = ram.write("/mnt/d/new file", b"new");
            let _ = m.sync(&ram);
        }
    }
}

#[test]
fn times_survive_a_sync_and_a_remount() {
    let (mut m, mut ram, _) = load(image(FatKind::Fat32, 64 << 20));
    ram.write("/mnt/d/old.txt", b"old").unwrap();
    ram.write("/mnt/d/new.txt", b"new").unwrap();
    // Changed a day before the clock's "now"; the other at an unknown time (0: 1970).
    let day_before = (NOW as u64 - 86_400) * 1_000_000_000;
    let node = ram.node_at("/mnt/d/old.txt").unwrap();
    ram.set_times(node, SetTime::To(day_before), SetTime::To(day_before))
        .unwrap();
    let node = ram.node_at("/mnt/d/new.txt").unwrap();
    ram.set_times(node, SetTime::To(0), SetTime::To(0)).unwrap();
    m.sync(&ram).unwrap();
    let img = unmount(m, &ram);
    let (_m, ram, _) = load(img);
    // FAT keeps modification times to 2 seconds.
    let mtime = |p: &str| ram.metadata(p).unwrap().mtime / 1_000_000_000;
    assert_eq!(mtime("/mnt/d/old.txt"), NOW as u64 - 86_400);
    // Before 1980 cannot be stored: the clock's time at the write stands instead.
    assert!(
        mtime("/mnt/d/new.txt").abs_diff(NOW as u64) <= 2,
        "{}",
        mtime("/mnt/d/new.txt")
    );
}

#[test]
fn with_a_clock_only_changed_files_are_written() {
    use core::sync::atomic::{AtomicU64, Ordering};
    static T: AtomicU64 = AtomicU64::new(1_000_000_000);
    fn ticking() -> u64 {
        T.fetch_add(1_000, Ordering::Relaxed)
    }
    let mut ram = Fs::new();
    ram.set_clock(ticking);
    let (mut m, _) = Mount::open(dev(image(FatKind::Fat16, 32 << 20)), "/mnt/d", &CLOCK).unwrap();
    m.load(&mut ram).unwrap();
    ram.write("/mnt/d/a", b"one").unwrap();
    ram.write("/mnt/d/b", b"two").unwrap();
    assert_eq!(m.sync(&ram).unwrap().written, 2);
    assert_eq!(m.sync(&ram).unwrap().written, 0, "nothing changed");
    ram.write("/mnt/d/a", b"ONE!").unwrap();
    let r = m.sync(&ram).unwrap();
    assert_eq!((r.written, r.bytes), (1, 4), "only the changed file");
    ram.remove("/mnt/d/b", false).unwrap();
    ram.write("/mnt/d/b", b"new b").unwrap();
    assert_eq!(
        m.sync(&ram).unwrap().written,
        1,
        "a file replaced under the same name"
    );
    let img = unmount(m, &ram);
    let (_m, ram, _) = load(img);
    assert_eq!(ram.read("/mnt/d/a").unwrap(), b"ONE!");
    assert_eq!(ram.read("/mnt/d/b").unwrap(), b"new b");
}

#[test]
fn a_read_only_mount_reverts_what_it_cannot_write() {
    let mut img = image(FatKind::Fat16, 32 << 20);
    {
        let (mut m, mut ram, _) = load(core::mem::take(&mut img));
        ram.write("/mnt/d/kept.txt", b"on disk").unwrap();
        m.sync(&ram).unwrap();
        img = unmount(m, &ram);
    }
    let mut ram = Fs::new();
    let (mut m, _) = Mount::open(dev(img), "/mnt/d", &CLOCK).unwrap();
    m.read_only = true;
    m.load(&mut ram).unwrap();
    ram.write("/mnt/d/new.txt", b"x").unwrap();
    ram.remove("/mnt/d/kept.txt", false).unwrap();
    assert!(m.sync(&ram).unwrap_err().contains("read-only"));
    m.revert(&mut ram).unwrap();
    assert!(ram.read("/mnt/d/new.txt").is_err(), "the change is undone");
    assert_eq!(ram.read("/mnt/d/kept.txt").unwrap(), b"on disk");
    assert_eq!(m.sync(&ram).unwrap().written, 0, "nothing left to write");
}
