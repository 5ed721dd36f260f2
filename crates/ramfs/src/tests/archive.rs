//! What the tree serves from well-formed archives: files, directories, names and formats.

use super::*;

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
    assert_eq!(basic(m), (Kind::File, 7, false));
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

/// Devices and FIFOs are skipped and counted; links are served (see `links.rs`), except
/// a hard link to nothing.
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
    assert_eq!((w.skipped, w.broken_links, w.symlinks), (3, 1, 1));
    assert_eq!(w.damage, None);
    assert_eq!(names(&fs, "/bin"), ["bash", "sh"]);
    assert_eq!(fs.read("/bin/bash").unwrap(), b"#!");
    assert_eq!(fs.read("/last").unwrap(), b"!");
    assert!(!fs.exists("/dev"), "skipped entries create no directories");
    assert_eq!(
        w.to_string(),
        "initrd: served 2 files, 1 dirs, 1 symlinks; 3 skipped (not a file, directory or \
         link); 1 skipped (hard link to nothing)"
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
