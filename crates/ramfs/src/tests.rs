//! Host tests. Archives are built by a tiny ustar writer below, so the tests need no
//! fixtures; one test also checks archives made by the host's `tar`, when there is one.

extern crate std;

use crate::archive::{self, End, Header};
use crate::*;
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use std::println;

// ------------------------------------------------------------------ ustar writer

const BLOCK: usize = 512;

/// A minimal tar writer: POSIX ustar headers unless told otherwise.
#[derive(Default)]
struct Tar {
    buf: Vec<u8>,
}

fn put(hdr: &mut [u8], at: usize, bytes: &[u8]) {
    hdr[at..at + bytes.len()].copy_from_slice(bytes);
}

fn set_checksum(hdr: &mut [u8]) {
    hdr[148..156].copy_from_slice(b"        ");
    let sum: u32 = hdr[..BLOCK].iter().map(|&b| u32::from(b)).sum();
    hdr[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn header(name: &[u8], prefix: &[u8], typeflag: u8, size: usize, gnu: bool) -> [u8; BLOCK] {
    assert!(name.len() <= 100 && prefix.len() <= 155);
    let mut h = [0u8; BLOCK];
    put(&mut h, 0, name);
    put(&mut h, 100, b"0000644\0");
    put(&mut h, 108, b"0001750\0");
    put(&mut h, 116, b"0001750\0");
    put(&mut h, 124, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, b"14712345670\0");
    h[156] = typeflag;
    if gnu {
        put(&mut h, 257, b"ustar  \0");
    } else {
        put(&mut h, 257, b"ustar\0");
        put(&mut h, 263, b"00");
    }
    put(&mut h, 345, prefix);
    set_checksum(&mut h);
    h
}

impl Tar {
    fn new() -> Self {
        Self::default()
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    fn data(&mut self, data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(data);
        let pad = data.len().next_multiple_of(BLOCK) - data.len();
        self.buf.extend(core::iter::repeat_n(0, pad));
        self
    }

    fn entry(&mut self, name: &str, typeflag: u8, data: &[u8]) -> &mut Self {
        let h = header(name.as_bytes(), b"", typeflag, data.len(), false);
        self.raw(&h).data(data)
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', data)
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(name, b'5', b"")
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        let mut h = header(name.as_bytes(), b"", b'2', 0, false);
        put(&mut h, 157, target.as_bytes());
        set_checksum(&mut h);
        self.raw(&h)
    }

    fn prefixed(&mut self, prefix: &str, name: &str, data: &[u8]) -> &mut Self {
        let h = header(name.as_bytes(), prefix.as_bytes(), b'0', data.len(), false);
        self.raw(&h).data(data)
    }

    /// A GNU long name: an `L` record with the name, then the entry with the name cut
    /// to 100 bytes (as GNU tar writes it).
    fn gnu_long(&mut self, name: &str, typeflag: u8, data: &[u8]) -> &mut Self {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        let h = header(b"././@LongLink", b"", b'L', long.len(), true);
        self.raw(&h).data(&long);
        let cut = &name.as_bytes()[..name.len().min(100)];
        let h = header(cut, b"", typeflag, data.len(), true);
        self.raw(&h).data(data)
    }

    /// A pax extended header with `records`, then a file named `name`.
    fn pax(&mut self, records: &[(&str, &str)], name: &str, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = format!(" {k}={v}\n");
            // The length field counts itself.
            let mut len = rest.len() + 1;
            while format!("{len}").len() + rest.len() != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len}{rest}").as_bytes());
        }
        let h = header(b"PaxHeaders/x", b"", b'x', body.len(), false);
        self.raw(&h).data(&body);
        self.file(name, data)
    }

    /// Appends the end-of-archive marker and returns the archive.
    fn finish(&mut self) -> Vec<u8> {
        let mut v = core::mem::take(&mut self.buf);
        v.extend_from_slice(&[0; 2 * BLOCK]);
        v
    }

    /// The archive without an end marker.
    fn unfinished(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

/// Builds the tree and checks the invariants.
fn load(bytes: &[u8]) -> (Fs<'_>, Option<Warning>) {
    let (fs, w) = Fs::from_tar(bytes);
    fs.check_invariants();
    (fs, w)
}

fn names(fs: &Fs<'_>, dir: &str) -> Vec<String> {
    fs.read_dir(dir)
        .unwrap()
        .iter()
        .map(|e| e.name.to_string())
        .collect()
}

/// Every path in the tree (walk order).
fn all_paths(fs: &Fs<'_>) -> Vec<String> {
    let mut v = Vec::new();
    fs.walk("/", |e| v.push(e.path.to_string())).unwrap();
    v
}

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

/// A tiny deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

// ------------------------------------------------------------------ archive reading

#[test]
fn serves_files_borrowed_from_the_archive() {
    let tar = Tar::new()
        .file("hello.txt", b"Hello, world\n")
        .file("etc/motd", b"welcome")
        .dir("empty/")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/hello.txt").unwrap(), b"Hello, world\n");
    assert_eq!(fs.read("/etc/motd").unwrap(), b"welcome");
    assert!(within(&tar, fs.read("/etc/motd").unwrap()));
    assert!(fs.is_borrowed("/etc/motd"));
    let m = fs.metadata("/etc/motd").unwrap();
    assert_eq!(
        m,
        Metadata {
            kind: Kind::File,
            size: 7,
            in_ram: false
        }
    );
    assert_eq!(fs.metadata("/empty").unwrap().kind, Kind::Dir);
    assert_eq!(names(&fs, "/"), ["empty", "etc", "hello.txt"]);
    let s = fs.stats();
    assert_eq!((s.files, s.dirs, s.initrd_files), (2, 2, 2));
    assert_eq!((s.initrd_bytes, s.ram_bytes), (20, 0));
    assert_eq!(s.archive_bytes, tar.len());
}

#[test]
fn infers_directories_from_paths() {
    let tar = Tar::new().file("a/b/c/d.txt", b"x").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    for d in ["/a", "/a/b", "/a/b/c"] {
        assert_eq!(fs.metadata(d).unwrap().kind, Kind::Dir, "{d}");
        assert!(!fs.metadata(d).unwrap().in_ram);
    }
    assert_eq!(
        all_paths(&fs),
        ["/", "/a", "/a/b", "/a/b/c", "/a/b/c/d.txt"]
    );
}

#[test]
fn normalizes_archive_names() {
    let tar = Tar::new()
        .dir("./")
        .file("./a.txt", b"1")
        .file("/abs//b.txt", b"2")
        .file("x/./y/../z.txt", b"3")
        .file("../../up.txt", b"4")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/a.txt").unwrap(), b"1");
    assert_eq!(fs.read("/abs/b.txt").unwrap(), b"2");
    assert_eq!(fs.read("/x/z.txt").unwrap(), b"3");
    assert_eq!(fs.read("/up.txt").unwrap(), b"4");
    assert_eq!(fs.metadata("/x/y").unwrap_err(), FsError::NotFound);
}

#[test]
fn later_duplicate_wins() {
    let tar = Tar::new()
        .file("f", b"old")
        .dir("d/")
        .dir("d/")
        .file("f", b"newer")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/f").unwrap(), b"newer");
    assert_eq!(fs.stats().files, 1);
    assert_eq!(fs.stats().dirs, 1);
}

#[test]
fn file_directory_conflicts_are_skipped_and_counted() {
    let tar = Tar::new()
        .file("a", b"file a")
        .file("a/b", b"under a file") // needs /a to be a directory
        .dir("d/")
        .file("d", b"file over dir") // /d is a directory
        .file("x", b"x")
        .dir("x/") // /x is a file
        .file("/", b"root") // a file named "/"
        .file("ok", b"ok")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!(w.conflicts, 4);
    assert_eq!((w.files, w.dirs, w.damage), (3, 1, None));
    assert_eq!(fs.read("/a").unwrap(), b"file a");
    assert_eq!(fs.read("/x").unwrap(), b"x");
    assert_eq!(fs.read("/ok").unwrap(), b"ok");
    assert_eq!(fs.metadata("/d").unwrap().kind, Kind::Dir);
    assert_eq!(
        w.to_string(),
        "initrd: served 3 files, 1 dirs; 4 skipped (file/directory conflict)"
    );
}

#[test]
fn non_files_are_skipped_and_counted() {
    let tar = Tar::new()
        .file("bin/sh", b"#!")
        .symlink("bin/bash", "sh")
        .entry("bin/hard", b'1', b"")
        .entry("dev/tty", b'3', b"")
        .entry("dev/sda", b'4', b"")
        .entry("run/fifo", b'6', b"")
        .file("last", b"!")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!(w.skipped, 5);
    assert_eq!(w.damage, None);
    assert_eq!(names(&fs, "/bin"), ["sh"]);
    assert_eq!(fs.read("/last").unwrap(), b"!");
    assert!(!fs.exists("/dev"), "skipped entries create no directories");
    assert_eq!(
        w.to_string(),
        "initrd: served 2 files, 1 dirs; 5 skipped (not a file or directory)"
    );
}

#[test]
fn zero_length_files() {
    let tar = Tar::new()
        .file("empty", b"")
        .file("also/empty", b"")
        .file("after", b"data")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/empty").unwrap(), b"");
    assert_eq!(fs.metadata("/also/empty").unwrap().size, 0);
    assert_eq!(fs.read("/after").unwrap(), b"data");
}

#[test]
fn ustar_prefix_gives_255_byte_names() {
    let prefix = format!("{}/{}", "p".repeat(100), "q".repeat(54)); // 155 bytes
    let name = "n".repeat(100);
    let tar = Tar::new()
        .prefixed(&prefix, &name, b"long")
        .file("short", b"s")
        .finish();
    assert!(tar_no_std::TarArchiveRef::new(&tar).is_ok());
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    let path = format!("/{prefix}/{name}");
    assert_eq!(path.len(), 1 + 155 + 1 + 100);
    assert_eq!(fs.read(&path).unwrap(), b"long");
    // A 255-byte single component via the GNU long-name record.
    let long = "L".repeat(255);
    let tar = Tar::new().gnu_long(&long, b'0', b"x").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read(&format!("/{long}")).unwrap(), b"x");
}

#[test]
fn gnu_prefix_field_is_not_a_prefix() {
    // GNU headers (magic "ustar  ") use the prefix area for other data.
    let h = header(b"gnu.txt", b"garbage", b'0', 2, true);
    let tar = Tar::new().raw(&h).data(b"ok").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/gnu.txt").unwrap(), b"ok");
}

#[test]
fn gnu_long_names_are_applied() {
    let long = format!("{}/{}", "dir".repeat(40), "file".repeat(30));
    let tar = Tar::new()
        .file("before", b"b")
        .gnu_long(&long, b'0', b"long contents")
        .gnu_long(&format!("{}/", "d".repeat(120)), b'5', b"")
        .file("after", b"a")
        .finish();
    // tar-no-std rejects the 'L' type flag; the walker reads the whole archive.
    assert!(tar_no_std::TarArchiveRef::new(&tar).is_err());
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read(&format!("/{long}")).unwrap(), b"long contents");
    assert_eq!(
        fs.metadata(&format!("/{}", "d".repeat(120))).unwrap().kind,
        Kind::Dir
    );
    assert_eq!(fs.read("/before").unwrap(), b"b");
    assert_eq!(fs.read("/after").unwrap(), b"a");
    assert_eq!(fs.stats().files, 3);
}

#[test]
fn gnu_long_name_with_bad_name_is_counted() {
    let tar = Tar::new()
        .gnu_long(&"x".repeat(300), b'0', b"too long a component")
        .file("ok", b"")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!((w.bad_names, w.files, w.damage), (1, 1, None));
    assert!(fs.exists("/ok"));
}

#[test]
fn pax_path_records_are_applied() {
    let long = "p".repeat(150);
    let tar = Tar::new()
        .pax(&[("mtime", "1.5"), ("path", &long)], "trunc", b"pax")
        .pax(&[("mtime", "2")], "plain", b"plain")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read(&format!("/{long}")).unwrap(), b"pax");
    assert_eq!(fs.read("/plain").unwrap(), b"plain");
    assert!(!fs.exists("/trunc"));
}

#[test]
fn v7_directory_with_trailing_slash() {
    let mut h = [0u8; BLOCK];
    put(&mut h, 0, b"olddir/");
    put(&mut h, 100, b"0000755\0");
    put(&mut h, 124, b"00000000000\0");
    set_checksum(&mut h);
    let tar = Tar::new().raw(&h).file("olddir/f", b"f").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.metadata("/olddir").unwrap().kind, Kind::Dir);
    assert_eq!(fs.read("/olddir/f").unwrap(), b"f");
}

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

#[test]
fn deep_paths() {
    let path: Vec<String> = (0..40).map(|i| format!("level{i}")).collect();
    let path = path.join("/");
    let tar = Tar::new().gnu_long(&path, b'0', b"bottom").finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read(&path).unwrap(), b"bottom");
    let mut depths = Vec::new();
    fs.walk("/", |e| depths.push(e.depth)).unwrap();
    assert_eq!(depths, (0..=40).collect::<Vec<_>>());
}

#[test]
fn thousands_of_files() {
    let mut t = Tar::new();
    for i in 0..5000 {
        t.file(
            &format!("d{:02}/sub{}/file{i:05}", i % 50, i % 7),
            format!("{i}").as_bytes(),
        );
    }
    let tar = t.finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    let s = fs.stats();
    assert_eq!((s.files, s.dirs), (5000, 50 + 50 * 7));
    for i in (0..5000).step_by(97) {
        let p = format!("/d{:02}/sub{}/file{i:05}", i % 50, i % 7);
        assert_eq!(fs.read(&p).unwrap(), format!("{i}").as_bytes());
    }
    let listing = names(&fs, "/d07/sub0");
    let mut sorted = listing.clone();
    sorted.sort();
    assert_eq!(listing, sorted);
}

/// Headers as each reader reports them.
/// A header without its payload bytes (which would make failure messages huge).
type Brief<'a> = (usize, u8, Option<&'a str>, Option<&'a str>, usize, usize);

fn brief<'a>(h: &Header<'a>) -> Brief<'a> {
    let p = h.payload;
    (
        h.offset,
        h.typeflag,
        h.prefix,
        h.name,
        p.as_ptr() as usize,
        p.len(),
    )
}

fn headers_tar_no_std(bytes: &[u8]) -> Option<(Vec<Brief<'_>>, End)> {
    let mut v = Vec::new();
    let end = archive::read_tar_no_std(bytes, &mut |h| {
        v.push(brief(&h));
        true
    })?;
    Some((v, end))
}

fn headers_walker(bytes: &[u8]) -> (Vec<Brief<'_>>, End) {
    let mut v = Vec::new();
    let end = archive::walk_blocks(bytes, &mut |h| {
        v.push(brief(&h));
        true
    });
    (v, end)
}

#[test]
fn walker_agrees_with_tar_no_std() {
    let tar = Tar::new()
        .file("a", b"1")
        .dir("d/")
        .prefixed("pre/fix", "name", b"p")
        .symlink("l", "a")
        .pax(&[("path", "paxed")], "x", b"pax")
        .entry("c", b'3', b"")
        .entry("cont", b'7', b"contiguous")
        .file("z", &[9; 1025])
        .finish();
    let (a, end) = headers_tar_no_std(&tar).expect("tar-no-std accepts it");
    assert_eq!(end, End::Clean);
    assert_eq!(headers_walker(&tar), (a.clone(), End::Clean));
    assert_eq!(a.len(), 9);
    let (fs, w) = load(&tar);
    assert_eq!(w.unwrap().skipped, 2);
    assert_eq!(fs.read("/paxed").unwrap(), b"pax");
    assert_eq!(fs.read("/cont").unwrap(), b"contiguous");
    assert_eq!(fs.read("/pre/fix/name").unwrap(), b"p");
}

#[test]
fn host_tar_archives() {
    // Real archives from the host's tar in its formats; skipped without a `tar` binary.
    use std::process::Command;
    if Command::new("tar").arg("--version").output().is_err() {
        println!("no host tar; skipping");
        return;
    }
    let root = std::env::temp_dir().join(format!("ramfs-test-{}", std::process::id()));
    let src = root.join("src");
    let long_dir = "a".repeat(120);
    std::fs::create_dir_all(src.join("etc/empty")).unwrap();
    std::fs::create_dir_all(src.join(&long_dir)).unwrap();
    std::fs::write(src.join("etc/motd"), b"hi\n").unwrap();
    std::fs::write(src.join("zero"), b"").unwrap();
    std::fs::write(src.join(&long_dir).join("x.bin"), vec![5u8; 3000]).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("etc/motd", src.join("link")).unwrap();
    for format in ["gnu", "pax", "ustar", "v7"] {
        let out = root.join(format!("{format}.tar"));
        let status = Command::new("tar")
            .arg(format!("--format={format}"))
            .arg("-cf")
            .arg(&out)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .output()
            .unwrap();
        let bytes = std::fs::read(&out).unwrap();
        let (fs, w) = load(&bytes);
        println!(
            "{format}: {:?} {:?}",
            w.map(|w| w.to_string()),
            status.status
        );
        assert_eq!(fs.read("/etc/motd").unwrap(), b"hi\n", "{format}");
        assert_eq!(fs.read("/zero").unwrap(), b"", "{format}");
        assert_eq!(fs.metadata("/etc/empty").unwrap().kind, Kind::Dir);
        if format != "v7" && format != "ustar" {
            // ustar and v7 cannot store a 126-byte component; tar leaves it out.
            assert_eq!(
                fs.read(&format!("/{long_dir}/x.bin")).unwrap(),
                &[5u8; 3000][..],
                "{format}"
            );
        }
        let w = w.map(|w| (w.damage, w.conflicts, w.bad_names));
        assert!(matches!(w, None | Some((None, 0, 0))), "{format}: {w:?}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn timing_index_1000_files_16_mib() {
    let mut t = Tar::new();
    let body = vec![0xabu8; 16 * 1024];
    for i in 0..1000 {
        t.file(&format!("data/{:02}/file{i:04}.bin", i % 32), &body);
    }
    let tar = t.finish();
    let start = std::time::Instant::now();
    let (fs, w) = Fs::from_tar(&tar);
    let took = start.elapsed();
    assert_eq!(w, None);
    assert_eq!(fs.stats().files, 1000);
    println!(
        "indexed 1000 files / {} MiB in {took:?} (print only; build with --release for real numbers)",
        tar.len() >> 20
    );
}

// ------------------------------------------------------------------ fuzzing

/// The base archives the fuzzer mutates.
fn fuzz_bases() -> Vec<Vec<u8>> {
    let long = "long/".repeat(30);
    vec![
        Tar::new()
            .file("a.txt", b"alpha")
            .dir("dir/")
            .file("dir/b.txt", &[b'b'; 1300])
            .symlink("dir/link", "b.txt")
            .file("dir/sub/c", b"")
            .finish(),
        Tar::new()
            .gnu_long(&format!("{long}file"), b'0', b"long")
            .pax(&[("path", "p/a/x")], "short", b"pax data")
            .prefixed("pre", "fix", &[1; 513])
            .entry("dev", b'3', b"")
            .file("z", b"zz")
            .finish(),
        {
            let mut t = Tar::new();
            for i in 0..20 {
                t.file(&format!("many/{}/f{i}", i % 4), &vec![i as u8; i * 100]);
            }
            t.finish()
        },
    ]
}

fn mutate(rng: &mut Rng, tar: &mut Vec<u8>) {
    let blocks = tar.len() / BLOCK;
    match rng.below(7) {
        0 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(tar.len());
                tar[i] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let n = rng.below(tar.len() + 1);
            tar.truncate(n);
        }
        2 if blocks > 0 => {
            let from = rng.below(blocks) * BLOCK;
            let to = rng.below(blocks) * BLOCK;
            let copy = tar[from..from + BLOCK].to_vec();
            tar.splice(to..to, copy);
        }
        3 if blocks > 0 => {
            let at = rng.below(blocks) * BLOCK;
            tar.drain(at..at + BLOCK);
        }
        4 | 5 if blocks > 0 => {
            // Change a header field and fix the checksum, to get past the checksum test.
            let at = rng.below(blocks) * BLOCK;
            let hdr = &mut tar[at..at + BLOCK];
            match rng.below(5) {
                0 => {
                    let size = match rng.below(3) {
                        0 => rng.below(4096),
                        1 => rng.below(1 << 30),
                        _ => rng.next() as usize,
                    };
                    let s = format!("{size:011o}");
                    let s = &s.as_bytes()[s.len().saturating_sub(11)..];
                    hdr[124..124 + s.len()].copy_from_slice(s);
                }
                1 => hdr[156] = b"0125xgLK7S\0\xff"[rng.below(12)],
                2 => {
                    let n = rng.below(100);
                    for b in &mut hdr[..n] {
                        *b = b"ab/.\0\xc3"[rng.below(6)];
                    }
                }
                3 => hdr[124..136].copy_from_slice(b"+0000000017\0"),
                _ => {
                    for b in &mut hdr[257..265] {
                        *b = rng.next() as u8;
                    }
                }
            }
            set_checksum(hdr);
        }
        _ => {
            let at = rng.below(tar.len() + 1);
            let n = rng.below(3 * BLOCK);
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            tar.splice(at..at, junk);
        }
    }
}

/// Everything a shell could do to a freshly indexed tree must work without panicking.
fn exercise(bytes: &[u8]) {
    let (mut fs, w) = Fs::from_tar(bytes);
    fs.check_invariants();
    if let Some(w) = &w {
        assert!(!w.to_string().contains('\n'));
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    fs.walk("/", |e| {
        if e.kind == Kind::File {
            files.push(e.path.to_owned());
        } else {
            dirs.push(e.path.to_owned());
        }
    })
    .unwrap();
    for f in &files {
        let data = fs.read(f).unwrap();
        assert!(within(bytes, data), "file contents must borrow the archive");
        assert_eq!(fs.metadata(f).unwrap().size, data.len());
    }
    for d in &dirs {
        assert_eq!(fs.read_dir(d).unwrap().len(), fs.metadata(d).unwrap().size);
        let _ = fs.complete(d, "");
    }
    assert_eq!(fs.stats().files, files.len());
    if let Some(f) = files.first() {
        fs.append(f, b"more").unwrap();
        fs.rename(f, "/renamed").unwrap();
        fs.copy("/renamed", "/copied", false).unwrap();
    }
    if let Some(d) = dirs.get(1) {
        fs.remove(d, true).unwrap();
    }
    fs.check_invariants();
}

#[test]
fn fuzz_mutated_archives() {
    let bases = fuzz_bases();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut accepted, mut damaged) = (0, 0);
    for round in 0..5000 {
        let mut tar = bases[round % bases.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut tar);
        }
        exercise(&tar);
        // Wherever tar-no-std accepts an archive, the walker must read it the same way.
        if let Some((a, end)) = headers_tar_no_std(&tar) {
            accepted += 1;
            assert_eq!(end, End::Clean);
            assert_eq!(headers_walker(&tar), (a, End::Clean), "round {round}");
        } else {
            damaged += 1;
        }
    }
    println!("fuzz: {accepted} archives accepted by tar-no-std, {damaged} rejected");
    assert!(accepted > 100 && damaged > 100);
}

#[test]
fn fuzz_random_bytes() {
    let mut rng = Rng(42);
    for _ in 0..500 {
        let len = rng.below(4 * BLOCK);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.below(2) == 0 && len >= BLOCK {
            set_checksum(&mut bytes[..BLOCK]); // a "valid" header of junk
        }
        exercise(&bytes);
    }
}

// ------------------------------------------------------------------ paths

#[test]
fn resolve_normalizes() {
    let fs = Fs::new();
    let cases = [
        ("/", "a", "/a"),
        ("/x/y", "a/b", "/x/y/a/b"),
        ("/x/y", "/abs", "/abs"),
        ("/x/y", ".", "/x/y"),
        ("/x/y", "..", "/x"),
        ("/x/y", "../..", "/"),
        ("/x/y", "../../../..", "/"),
        ("/", "..", "/"),
        ("/", "/..", "/"),
        ("/x", "a//b///c/", "/x/a/b/c"),
        ("/x", "./a/./b/.", "/x/a/b"),
        ("/x", "a/../../b", "/b"),
        ("", "a", "/a"),
        ("x/y", "z", "/x/y/z"),
        ("/x//y/", "", "err"),
        ("/", "///", "/"),
        ("/", "a\0b", "err"),
    ];
    for (cwd, path, want) in cases {
        match fs.resolve(cwd, path) {
            Ok(got) => assert_eq!(got, want, "resolve({cwd:?}, {path:?})"),
            Err(e) => assert_eq!(want, "err", "resolve({cwd:?}, {path:?}): {e}"),
        }
    }
    assert_eq!(fs.resolve("/", ""), Err(FsError::InvalidPath));
    assert_eq!(fs.resolve("/", "a\0"), Err(FsError::InvalidPath));
}

#[test]
fn path_limits() {
    let fs = Fs::new();
    let name255 = "n".repeat(MAX_NAME_LEN);
    assert!(fs.resolve("/", &name255).is_ok());
    let name256 = "n".repeat(MAX_NAME_LEN + 1);
    assert_eq!(fs.resolve("/", &name256), Err(FsError::NameTooLong));
    let deep = vec!["d"; MAX_DEPTH].join("/");
    assert!(fs.resolve("/", &deep).is_ok());
    let deeper = vec!["d"; MAX_DEPTH + 1].join("/");
    assert_eq!(fs.resolve("/", &deeper), Err(FsError::TooDeep));
    // ".." brings it back within the limit.
    assert!(fs.resolve("/", &format!("{deep}/../e")).is_ok());
    let long_input = "/".repeat(MAX_PATH_LEN + 1);
    assert_eq!(fs.resolve("/", &long_input), Err(FsError::NameTooLong));
    // A long cwd plus a relative path may exceed the limit only once combined.
    let chunk = "c".repeat(200);
    let cwd = format!("/{}", vec![chunk.as_str(); 20].join("/")); // 4020 bytes
    assert!(fs.resolve(&cwd, "abc").is_ok());
    assert_eq!(fs.resolve(&cwd, &chunk), Err(FsError::NameTooLong));
}

// ------------------------------------------------------------------ the RAM layer

/// A small initrd: /bin/sh, /etc/motd, /etc/empty/, /readme.
fn sample() -> Vec<u8> {
    Tar::new()
        .file("bin/sh", b"shell")
        .file("etc/motd", b"hello")
        .dir("etc/empty/")
        .file("readme", b"read me")
        .finish()
}

#[test]
fn metadata_and_read_errors() {
    let tar = sample();
    let (fs, _) = load(&tar);
    assert_eq!(fs.metadata("/nope").unwrap_err(), FsError::NotFound);
    assert_eq!(
        fs.metadata("/readme/x").unwrap_err(),
        FsError::NotADirectory
    );
    assert_eq!(fs.read("/etc").unwrap_err(), FsError::IsADirectory);
    assert_eq!(fs.read("/").unwrap_err(), FsError::IsADirectory);
    assert_eq!(fs.read("").unwrap_err(), FsError::InvalidPath);
    assert_eq!(fs.read_dir("/readme").unwrap_err(), FsError::NotADirectory);
    assert_eq!(fs.read_dir("/nope").unwrap_err(), FsError::NotFound);
    assert_eq!(fs.metadata("/").unwrap().size, 3);
    assert_eq!(fs.read("etc/motd").unwrap(), b"hello", "relative to /");
    assert!(fs.exists("/etc/empty") && !fs.exists("/etc/full"));
}

#[test]
fn read_dir_is_sorted_with_kinds_and_sizes() {
    let mut fs = Fs::new();
    for name in ["zeta", "Alpha", "beta", "_x", "10", "9"] {
        fs.write(&format!("/{name}"), name.as_bytes()).unwrap();
    }
    fs.mkdir("/dir").unwrap();
    fs.touch("/dir/inner").unwrap();
    let entries = fs.read_dir("/").unwrap();
    let got: Vec<_> = entries.iter().map(|e| e.name).collect();
    assert_eq!(got, ["10", "9", "Alpha", "_x", "beta", "dir", "zeta"]);
    assert_eq!(
        entries[5],
        DirEntry {
            name: "dir",
            kind: Kind::Dir,
            size: 1
        }
    );
    assert_eq!(entries[2].size, 5);
    fs.check_invariants();
}

#[test]
fn write_creates_and_overwrites() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.write("/new", b"fresh").unwrap();
    assert_eq!(fs.read("/new").unwrap(), b"fresh");
    assert!(fs.metadata("/new").unwrap().in_ram);
    // Overwriting an initrd file moves it to RAM; the archive is untouched.
    fs.write("/etc/motd", b"changed").unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"changed");
    assert!(fs.metadata("/etc/motd").unwrap().in_ram);
    assert!(!fs.is_borrowed("/etc/motd"));
    assert!(tar.windows(5).any(|w| w == b"hello"));
    let s = fs.stats();
    assert_eq!((s.files, s.initrd_files), (4, 2));
    assert_eq!((s.initrd_bytes, s.ram_bytes), (5 + 7, 5 + 7));
    fs.write("/new", b"").unwrap();
    assert_eq!(fs.read("/new").unwrap(), b"");
    fs.check_invariants();
}

#[test]
fn write_errors() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    assert_eq!(fs.write("/no/such", b"x"), Err(FsError::NotFound));
    assert_eq!(fs.write("/readme/x", b"x"), Err(FsError::NotADirectory));
    assert_eq!(fs.write("/etc", b"x"), Err(FsError::IsADirectory));
    assert_eq!(fs.write("/", b"x"), Err(FsError::IsADirectory));
    assert_eq!(fs.write("", b"x"), Err(FsError::InvalidPath));
    let long = format!("/{}", "x".repeat(256));
    assert_eq!(fs.write(&long, b"x"), Err(FsError::NameTooLong));
    assert_eq!(all_paths(&fs).len(), 7, "nothing was created");
}

#[test]
fn append_creates_extends_and_copies_initrd_files() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.append("/log", b"one ").unwrap();
    fs.append("/log", b"two").unwrap();
    assert_eq!(fs.read("/log").unwrap(), b"one two");
    fs.append("/etc/motd", b", world").unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"hello, world");
    assert!(fs.metadata("/etc/motd").unwrap().in_ram);
    assert_eq!(fs.append("/etc", b"x"), Err(FsError::IsADirectory));
    assert_eq!(fs.append("/nope/x", b"x"), Err(FsError::NotFound));
    fs.append("/empty-append", b"").unwrap();
    assert_eq!(fs.read("/empty-append").unwrap(), b"");
    fs.check_invariants();
}

#[test]
fn touch_creates_only_when_missing() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.touch("/readme").unwrap();
    assert_eq!(fs.read("/readme").unwrap(), b"read me");
    assert!(
        !fs.metadata("/readme").unwrap().in_ram,
        "touch leaves contents alone"
    );
    fs.touch("/etc").unwrap();
    fs.touch("/etc/new").unwrap();
    assert_eq!(
        fs.metadata("/etc/new").unwrap(),
        Metadata {
            kind: Kind::File,
            size: 0,
            in_ram: true
        }
    );
    assert_eq!(fs.touch("/nope/x"), Err(FsError::NotFound));
    assert_eq!(fs.touch("/readme/x"), Err(FsError::NotADirectory));
}

#[test]
fn truncate_shrinks_and_grows() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.truncate("/readme", 4).unwrap();
    assert_eq!(fs.read("/readme").unwrap(), b"read");
    assert!(
        fs.is_borrowed("/readme"),
        "shrinking an initrd file copies nothing"
    );
    assert!(fs.metadata("/readme").unwrap().in_ram);
    fs.truncate("/readme", 6).unwrap();
    assert_eq!(fs.read("/readme").unwrap(), b"read\0\0");
    assert!(!fs.is_borrowed("/readme"));
    fs.truncate("/readme", 1).unwrap();
    assert_eq!(fs.read("/readme").unwrap(), b"r");
    fs.truncate("/readme", 0).unwrap();
    assert_eq!(fs.read("/readme").unwrap(), b"");
    fs.truncate("/bin/sh", 5).unwrap();
    assert_eq!(fs.read("/bin/sh").unwrap(), b"shell");
    assert_eq!(fs.truncate("/nope", 1), Err(FsError::NotFound));
    assert_eq!(fs.truncate("/etc", 1), Err(FsError::IsADirectory));
}

#[test]
fn mkdir_and_mkdir_all() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.mkdir("/tmp").unwrap();
    assert_eq!(
        fs.metadata("/tmp").unwrap(),
        Metadata {
            kind: Kind::Dir,
            size: 0,
            in_ram: true
        }
    );
    assert_eq!(fs.mkdir("/tmp"), Err(FsError::AlreadyExists));
    assert_eq!(fs.mkdir("/readme"), Err(FsError::AlreadyExists));
    assert_eq!(fs.mkdir("/"), Err(FsError::AlreadyExists));
    assert_eq!(fs.mkdir("/a/b"), Err(FsError::NotFound));
    assert_eq!(fs.mkdir("/readme/b"), Err(FsError::NotADirectory));
    fs.mkdir_all("/a/b/c").unwrap();
    fs.mkdir_all("/a/b/c").unwrap();
    fs.mkdir_all("/").unwrap();
    assert_eq!(fs.metadata("/a/b/c").unwrap().kind, Kind::Dir);
    assert_eq!(fs.mkdir_all("/readme/x"), Err(FsError::NotADirectory));
    assert_eq!(fs.mkdir_all("/etc/motd"), Err(FsError::AlreadyExists));
    let deeper = vec!["d"; MAX_DEPTH + 1].join("/");
    assert_eq!(fs.mkdir_all(&deeper), Err(FsError::TooDeep));
    fs.check_invariants();
}

#[test]
fn remove_files_and_directories() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.remove("/readme", false).unwrap();
    assert!(!fs.exists("/readme"));
    assert_eq!(fs.remove("/readme", false), Err(FsError::NotFound));
    assert_eq!(fs.remove("/etc", false), Err(FsError::DirectoryNotEmpty));
    fs.remove("/etc/empty", false).unwrap();
    fs.remove("/etc", true).unwrap();
    assert_eq!(names(&fs, "/"), ["bin"]);
    assert_eq!(fs.remove("/", true), Err(FsError::InvalidArgument));
    assert_eq!(fs.remove("/bin/sh/x", false), Err(FsError::NotADirectory));
    fs.check_invariants();
    // Freed slots are reused.
    let slots = fs.slot_count();
    fs.mkdir_all("/x/y").unwrap();
    fs.touch("/x/y/z").unwrap();
    assert_eq!(fs.slot_count(), slots);
    fs.check_invariants();
}

#[test]
fn recursive_remove_of_a_big_tree() {
    let mut fs = Fs::new();
    for i in 0..300 {
        fs.mkdir_all(&format!("/big/{}/{}", i % 10, i % 3)).unwrap();
        fs.write(&format!("/big/{}/{}/f{i}", i % 10, i % 3), b"x")
            .unwrap();
    }
    fs.write("/keep", b"k").unwrap();
    fs.remove("/big", true).unwrap();
    assert_eq!(all_paths(&fs), ["/", "/keep"]);
    fs.check_invariants();
}

#[test]
fn rename_files() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.rename("/readme", "/README").unwrap();
    assert_eq!(fs.read("/README").unwrap(), b"read me");
    assert!(!fs.exists("/readme"));
    assert!(
        !fs.metadata("/README").unwrap().in_ram,
        "moving keeps initrd contents"
    );
    // Into an existing directory.
    fs.rename("/README", "/etc").unwrap();
    assert_eq!(fs.read("/etc/README").unwrap(), b"read me");
    // Over an existing file.
    fs.rename("/etc/README", "/etc/motd").unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"read me");
    assert_eq!(names(&fs, "/etc"), ["empty", "motd"]);
    // Onto itself.
    fs.rename("/etc/motd", "/etc/motd").unwrap();
    fs.rename("/etc/motd", "/etc/../etc/./motd").unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"read me");
    // Relative destination paths are taken from /.
    fs.rename("/etc/motd", "motd").unwrap();
    assert_eq!(fs.read("/motd").unwrap(), b"read me");
    fs.check_invariants();
}

#[test]
fn rename_directories_and_errors() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.rename("/etc", "/config").unwrap();
    assert_eq!(fs.read("/config/motd").unwrap(), b"hello");
    fs.mkdir("/dst").unwrap();
    fs.rename("/config", "/dst").unwrap();
    assert_eq!(fs.read("/dst/config/motd").unwrap(), b"hello");
    // A directory may replace an empty directory, not a full one.
    fs.mkdir_all("/a/empty").unwrap();
    fs.mkdir_all("/b/empty/x").unwrap();
    fs.mkdir("/moving").unwrap();
    fs.rename("/moving", "/a/empty").unwrap();
    assert!(fs.exists("/a/empty/moving"), "existing dir: moved inside");
    fs.mkdir("/m2").unwrap();
    fs.mkdir("/a/m2").unwrap();
    fs.rename("/m2", "/a").unwrap(); // replaces the empty /a/m2
    assert!(!fs.exists("/m2") && fs.exists("/a/m2"));
    fs.mkdir_all("/c/m3").unwrap();
    fs.mkdir("/m3").unwrap();
    fs.rename("/m3", "/c").unwrap(); // replaces the empty /c/m3
    fs.mkdir("/m4").unwrap();
    fs.mkdir_all("/d/m4/full").unwrap();
    assert_eq!(fs.rename("/m4", "/d"), Err(FsError::DirectoryNotEmpty));
    fs.write("/e/../f", b"f").unwrap();
    fs.mkdir_all("/g/f").unwrap();
    assert_eq!(fs.rename("/f", "/g"), Err(FsError::IsADirectory));
    fs.mkdir("/h").unwrap();
    fs.write("/i/x", b"").unwrap_err();
    fs.mkdir("/i").unwrap();
    fs.write("/i/h", b"").unwrap();
    assert_eq!(fs.rename("/h", "/i"), Err(FsError::NotADirectory));
    assert_eq!(fs.rename("/h", "/i/h"), Err(FsError::NotADirectory));
    // Into itself or below itself.
    // Like `mv d d`: the destination is an existing directory, so this means /dst/dst.
    assert_eq!(fs.rename("/dst", "/dst"), Err(FsError::InvalidArgument));
    assert_eq!(
        fs.rename("/dst", "/dst/config"),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(
        fs.rename("/dst", "/dst/config/new"),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.rename("/", "/x"), Err(FsError::InvalidArgument));
    assert_eq!(fs.rename("/nope", "/x"), Err(FsError::NotFound));
    assert_eq!(fs.rename("/bin", "/no/where"), Err(FsError::NotFound));
    assert_eq!(fs.rename("/bin", "/bin/sh/x"), Err(FsError::NotADirectory));
    fs.check_invariants();
}

#[test]
fn rename_respects_depth_and_length_limits() {
    let mut fs = Fs::new();
    let half = vec!["d"; MAX_DEPTH / 2].join("/");
    fs.mkdir_all(&format!("/a/{half}")).unwrap();
    fs.mkdir_all(&format!("/b/{half}")).unwrap();
    assert_eq!(
        fs.rename("/a", &format!("/b/{half}")),
        Err(FsError::TooDeep)
    );
    let name = "n".repeat(250);
    let long = [name.as_str(); 10].join("/");
    fs.mkdir_all(&format!("/l1/{long}")).unwrap();
    fs.mkdir_all(&format!("/l2/{long}")).unwrap();
    assert_eq!(
        fs.rename("/l1", &format!("/l2/{long}")),
        Err(FsError::NameTooLong)
    );
    assert_eq!(
        fs.copy("/l1", &format!("/l2/{long}"), true),
        Err(FsError::NameTooLong)
    );
    fs.check_invariants();
}

#[test]
fn copy_files() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.copy("/etc/motd", "/motd2", false).unwrap();
    assert_eq!(fs.read("/motd2").unwrap(), b"hello");
    assert!(
        fs.is_borrowed("/motd2"),
        "a copy of an initrd file shares its bytes"
    );
    assert!(fs.metadata("/motd2").unwrap().in_ram);
    let s = fs.stats();
    assert_eq!((s.initrd_bytes, s.ram_bytes), (5 + 5 + 5 + 7, 0));
    fs.append("/motd2", b"!").unwrap();
    assert_eq!(
        fs.read("/etc/motd").unwrap(),
        b"hello",
        "original untouched"
    );
    fs.copy("/motd2", "/etc", false).unwrap();
    assert_eq!(fs.read("/etc/motd2").unwrap(), b"hello!");
    fs.copy("/readme", "/etc/motd", false).unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"read me");
    assert_eq!(
        fs.copy("/readme", "/readme", false),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(
        fs.copy("/readme", "/", false),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.copy("/nope", "/x", false), Err(FsError::NotFound));
    assert_eq!(fs.copy("/readme", "/nope/x", false), Err(FsError::NotFound));
    assert_eq!(fs.copy("/etc", "/etc2", false), Err(FsError::IsADirectory));
    fs.mkdir("/etc2").unwrap();
    fs.mkdir("/etc2/readme").unwrap();
    assert_eq!(
        fs.copy("/readme", "/etc2", false),
        Err(FsError::IsADirectory)
    );
    fs.check_invariants();
}

#[test]
fn copy_directories_recursively() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.write("/etc/empty/ram", b"ram").unwrap();
    fs.copy("/etc", "/etc.bak", true).unwrap();
    let mut copied = Vec::new();
    fs.walk("/etc.bak", |e| copied.push(e.path.to_string()))
        .unwrap();
    assert_eq!(
        copied,
        [
            "/etc.bak",
            "/etc.bak/empty",
            "/etc.bak/empty/ram",
            "/etc.bak/motd"
        ]
    );
    assert_eq!(fs.read("/etc.bak/motd").unwrap(), b"hello");
    assert_eq!(fs.read("/etc.bak/empty/ram").unwrap(), b"ram");
    fs.write("/etc.bak/empty/ram", b"changed").unwrap();
    assert_eq!(fs.read("/etc/empty/ram").unwrap(), b"ram", "deep copy");
    fs.mkdir("/backups").unwrap();
    fs.copy("/etc", "/backups", true).unwrap();
    assert!(fs.exists("/backups/etc/motd"));
    assert_eq!(
        fs.copy("/etc", "/backups", true),
        Err(FsError::AlreadyExists)
    );
    assert_eq!(
        fs.copy("/etc", "/etc/inside", true),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.copy("/etc", "/etc", true), Err(FsError::InvalidArgument));
    assert_eq!(
        fs.copy("/", "/rootcopy", true),
        Err(FsError::InvalidArgument)
    );
    fs.check_invariants();
}

#[test]
fn walk_reports_depth_and_last_sibling() {
    let tar = sample();
    let (fs, _) = load(&tar);
    let mut lines = Vec::new();
    fs.walk("/", |e| {
        lines.push(format!(
            "{} {} {} {:?} {} {}",
            e.depth, e.name, e.path, e.kind, e.size, e.is_last
        ));
    })
    .unwrap();
    assert_eq!(
        lines,
        [
            "0 / / Dir 3 true",
            "1 bin /bin Dir 1 false",
            "2 sh /bin/sh File 5 true",
            "1 etc /etc Dir 2 false",
            "2 empty /etc/empty Dir 0 false",
            "2 motd /etc/motd File 5 true",
            "1 readme /readme File 7 true",
        ]
    );
    let mut one = Vec::new();
    fs.walk("etc/motd", |e| one.push((e.path.to_string(), e.depth)))
        .unwrap();
    assert_eq!(one, [("/etc/motd".to_string(), 0)]);
    assert_eq!(fs.walk("/nope", |_| {}), Err(FsError::NotFound));
}

#[test]
fn complete_paths() {
    let tar = Tar::new()
        .file("bin/sh", b"")
        .file("bin/shutdown", b"")
        .file("bin/cat", b"")
        .dir("bin/share/")
        .file("home/.hidden", b"")
        .file("home/notes", b"")
        .finish();
    let (fs, _) = load(&tar);
    assert_eq!(fs.complete("/", "bi"), ["bin/"]);
    assert_eq!(
        fs.complete("/", "/bin/sh"),
        ["/bin/sh", "/bin/share/", "/bin/shutdown"]
    );
    assert_eq!(fs.complete("/bin", "s"), ["sh", "share/", "shutdown"]);
    assert_eq!(fs.complete("/bin", "../home/"), ["../home/notes"]);
    assert_eq!(fs.complete("/bin", "../home/."), ["../home/.hidden"]);
    assert_eq!(fs.complete("/home", ""), ["notes"]);
    assert_eq!(fs.complete("/", "bin//c"), ["bin//cat"]);
    assert!(fs.complete("/", "x").is_empty());
    assert!(fs.complete("/", "nope/").is_empty());
    assert!(fs.complete("/", "bin/sh/").is_empty());
    assert!(fs.complete("/nope", "").is_empty());
    assert_eq!(fs.complete("", "h"), ["home/"]);
}

#[test]
fn errors_display_for_the_shell() {
    assert_eq!(
        FsError::NotFound.context("cat", "/x").to_string(),
        "cat: /x: no such file or directory"
    );
    let all = [
        FsError::NotFound,
        FsError::IsADirectory,
        FsError::NotADirectory,
        FsError::AlreadyExists,
        FsError::NameTooLong,
        FsError::TooDeep,
        FsError::InvalidPath,
        FsError::DirectoryNotEmpty,
        FsError::OutOfMemory,
        FsError::InvalidArgument,
    ];
    let mut seen = std::collections::HashSet::new();
    for e in all {
        let s = e.to_string();
        assert!(
            !s.is_empty() && s == s.to_lowercase() && seen.insert(s.clone()),
            "{s}"
        );
    }
}

#[test]
fn empty_fs() {
    let mut fs = Fs::default();
    assert_eq!(all_paths(&fs), ["/"]);
    assert_eq!(fs.stats(), Stats::default());
    fs.write("/a", b"a").unwrap();
    assert_eq!(fs.stats().ram_bytes, 1);
}

/// Random operations on a small namespace: nothing panics and the tree stays consistent.
#[test]
fn random_operations_keep_the_tree_consistent() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    let mut rng = Rng(7);
    let parts = ["a", "b", "etc", "motd", "..", ".", "bin", "sh"];
    let path = |rng: &mut Rng| {
        let n = 1 + rng.below(4);
        let mut p = String::new();
        for _ in 0..n {
            p.push('/');
            p.push_str(parts[rng.below(parts.len())]);
        }
        p
    };
    let mut ok = 0;
    for _ in 0..20_000 {
        let (p, q) = (path(&mut rng), path(&mut rng));
        let r = match rng.below(11) {
            0 => fs.write(&p, p.as_bytes()),
            1 => fs.append(&p, b"+"),
            2 => fs.touch(&p),
            3 => fs.truncate(&p, rng.below(8)),
            4 => fs.mkdir(&p),
            5 => fs.mkdir_all(&p),
            6 => fs.remove(&p, rng.below(2) == 0),
            7 => fs.rename(&p, &q),
            8 => fs.copy(&p, &q, rng.below(2) == 0),
            9 => fs.read(&p).map(|_| ()),
            _ => fs.read_dir(&p).map(|_| ()),
        };
        ok += usize::from(r.is_ok());
        fs.check_invariants();
    }
    let s = fs.stats();
    let mut files = 0;
    fs.walk("/", |e| files += usize::from(e.kind == Kind::File))
        .unwrap();
    assert_eq!(s.files, files);
    println!("random ops: {ok} of 20000 succeeded; {s:?}");
}
