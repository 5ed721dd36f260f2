//! Damaged archives: everything before the damage is served, and the warning says where.

use super::*;
use alloc::vec;

#[test]
fn corrupt_checksum_in_the_middle() {
    let mut t = Tar::new();
    for i in 0..12 {
        t.file(&format!("dir{}/f{i}", i % 3), &[b'a'; 600]); // 3 blocks each
    }
    let offset = t.buf.len();
    assert_eq!(offset, 12 * 3 * BLOCK);
    t.file("lost1", b"x").file("lost2", b"y");
    let mut tar = t.finish();
    tar[offset + 10] ^= 0x40; // corrupt the 13th header's name
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!(w.damage, Some((offset, Damage::BadChecksum)));
    assert_eq!(w.files, 12);
    assert!(!fs.exists("/lost2"));
    assert_eq!(fs.read("/dir2/f11").unwrap(), &[b'a'; 600][..]);
    assert_eq!(
        w.to_string(),
        "initrd: corrupt archive (bad header checksum) at offset 18432, rest ignored; \
         served 12 files, 3 dirs"
    );
}

#[test]
fn truncated_in_a_header() {
    let mut t = Tar::new();
    t.file("a", b"aaa").file("b", b"bbb");
    let cut = t.buf.len() + 100;
    let tar = t.file("c", b"ccc").finish();
    let (fs, w) = load(&tar[..cut]);
    let w = w.unwrap();
    assert_eq!(w.damage, Some((2 * 2 * BLOCK, Damage::TruncatedHeader)));
    assert_eq!(all_paths(&fs), ["/", "/a", "/b"]);
}

#[test]
fn truncated_in_a_file_body() {
    let mut t = Tar::new();
    t.file("a", b"aaa");
    let at = t.buf.len();
    let tar = t.file("big", &[7; 2000]).finish();
    let (fs, w) = load(&tar[..at + BLOCK + 1000]);
    assert_eq!(w.unwrap().damage, Some((at, Damage::TruncatedData)));
    assert_eq!(all_paths(&fs), ["/", "/a"]);
}

#[test]
fn missing_end_marker_serves_everything() {
    let tar = Tar::new().file("a", b"1").file("b", b"2").unfinished();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!(w.damage, Some((tar.len(), Damage::MissingEnd)));
    assert_eq!(w.files, 2);
    assert_eq!(fs.read("/b").unwrap(), b"2");
    // Only one zero block at the very end is fine (no warning).
    let mut one = tar.clone();
    one.extend_from_slice(&[0; BLOCK]);
    assert_eq!(load(&one).1, None);
}

#[test]
fn unpadded_last_file_is_served() {
    let tar = Tar::new()
        .file("a", b"1")
        .file("tail", b"0123456789")
        .unfinished();
    let cut = tar.len() - BLOCK + 10; // the module ends right after the data
    let (fs, w) = load(&tar[..cut]);
    assert_eq!(fs.read("/tail").unwrap(), b"0123456789");
    assert_eq!(w.unwrap().damage, Some((cut, Damage::MissingEnd)));
}

#[test]
fn garbage_empty_and_zeros() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    let (fs, w) = load(&garbage);
    assert_eq!(w.unwrap().damage, Some((0, Damage::BadChecksum)));
    assert_eq!(all_paths(&fs), ["/"]);

    let (fs, w) = load(&[]);
    let w = w.unwrap();
    assert_eq!(w.damage, Some((0, Damage::Empty)));
    assert_eq!(
        w.to_string(),
        "initrd: archive is empty; served 0 files, 0 dirs"
    );
    assert_eq!(names(&fs, "/"), Vec::<String>::new());

    for len in [1, 511, 512, 1024, 10240] {
        let zeros = vec![0; len];
        let (fs, w) = load(&zeros);
        assert_eq!(w, None, "{len} zero bytes is an empty archive");
        assert_eq!(fs.stats().files, 0);
    }
    let (_, w) = load(b"short");
    assert_eq!(w.unwrap().damage, Some((0, Damage::TruncatedHeader)));
}

#[test]
fn lone_zero_block_then_data() {
    let mut t = Tar::new();
    t.file("a", b"1");
    let at = t.buf.len();
    t.raw(&[0; BLOCK]).file("b", b"2");
    let tar = t.finish();
    let (fs, w) = load(&tar);
    assert_eq!(w.unwrap().damage, Some((at, Damage::LoneZeroBlock)));
    assert!(fs.exists("/a") && !fs.exists("/b"));
}

#[test]
fn bad_size_field() {
    let mut h = header(b"bad", b"", b'0', 0, false);
    put(&mut h, 124, b"0000000009x\0");
    set_checksum(&mut h);
    let tar = Tar::new().file("good", b"g").raw(&h).finish();
    let (fs, w) = load(&tar);
    assert_eq!(w.unwrap().damage, Some((2 * BLOCK, Damage::BadSize)));
    assert!(fs.exists("/good"));
}

#[test]
fn numeric_fields_with_spaces_and_signed_checksums() {
    // Leading spaces in the size (old tars) and a signed-byte checksum.
    let mut h = header("é".as_bytes(), b"", b'0', 0, false);
    put(&mut h, 124, b"         3 ");
    h[200] = 0xff; // a high byte makes signed and unsigned sums differ
    h[148..156].copy_from_slice(b"        ");
    let signed: i64 = h.iter().map(|&b| i64::from(b as i8)).sum();
    put(&mut h, 148, format!("{signed:06o}\0 ").as_bytes());
    let tar = Tar::new().raw(&h).data(b"abc").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/é").unwrap(), b"abc");
}

#[test]
fn unknown_type_flags_are_skipped_with_their_data() {
    let tar = Tar::new()
        .entry("sparse", b'S', &[1; 700])
        .entry("vol", b'V', b"")
        .file("after", b"still here")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!((w.skipped, w.damage), (2, None));
    assert_eq!(fs.read("/after").unwrap(), b"still here");
}

#[test]
fn bad_names_are_skipped_and_counted() {
    let deep = vec!["d"; MAX_DEPTH].join("/");
    let too_deep = vec!["d"; MAX_DEPTH + 1].join("/");
    let tar = Tar::new()
        .raw(&header(b"bad\xff", b"", b'0', 0, false))
        .gnu_long(&deep, b'0', b"deepest")
        .gnu_long(&too_deep, b'0', b"too deep")
        .file("ok", b"")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!((w.bad_names, w.files), (2, 2));
    assert_eq!(fs.read(&deep).unwrap(), b"deepest");
    assert_eq!(
        w.to_string(),
        format!(
            "initrd: served 2 files, {} dirs; 2 skipped (bad name)",
            MAX_DEPTH - 1
        )
    );
}
