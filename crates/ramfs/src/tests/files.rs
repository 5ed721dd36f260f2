//! Reading and writing files in the RAM layer.

use super::*;

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
    let e = entries[5];
    assert_eq!((e.name, e.kind, e.size), ("dir", Kind::Dir, 1));
    assert_eq!(e.node.ino(), fs.metadata("/dir").unwrap().ino);
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
        basic(fs.metadata("/etc/new").unwrap()),
        (Kind::File, 0, true)
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

/// Initrd files are served from the archive in place: every kind of change (overwrite,
/// write at an offset, append, truncate up and down, hard-linked names) copies the file to
/// RAM first, and the archive's bytes never change.
#[test]
fn changing_initrd_files_never_touches_the_archive() {
    let tar = small_initrd();
    let before = tar.clone();
    let (mut fs, _) = load(&tar);
    for path in ["/etc/motd", "/readme", "/etc/sub/deep/file"] {
        assert!(fs.is_borrowed(path), "{path} starts in the archive");
    }
    let readme = fs.read("/readme").unwrap().to_vec();
    let motd = fs.read("/etc/motd").unwrap().to_vec();
    let deep = fs.read("/etc/sub/deep/file").unwrap().to_vec();

    // Overwrite in the middle through the node API (a hard-linked file: both names see it).
    let node = fs.lookup_at(top(&fs), "readme", true).unwrap();
    fs.write_at(node, 1, b"XY").unwrap();
    let mut expected = readme.clone();
    expected[1..3].copy_from_slice(b"XY");
    assert_eq!(fs.read("/readme").unwrap(), expected.as_slice());
    assert_eq!(fs.read("/hard").unwrap(), expected.as_slice());
    assert!(!fs.is_borrowed("/readme"));

    // Append, and grow past the end with set_len.
    fs.append("/etc/motd", b"!").unwrap();
    let node = fs.lookup_at(top(&fs), "etc/motd", true).unwrap();
    fs.set_len(node, motd.len() as u64 + 4).unwrap();
    let mut expected = motd.clone();
    expected.extend_from_slice(b"!\0\0\0");
    assert_eq!(fs.read("/etc/motd").unwrap(), expected.as_slice());

    // Shrink, then write into what was cut off.
    fs.truncate("/etc/sub/deep/file", 1).unwrap();
    fs.append("/etc/sub/deep/file", b"zz").unwrap();
    let mut expected = deep[..1].to_vec();
    expected.extend_from_slice(b"zz");
    assert_eq!(fs.read("/etc/sub/deep/file").unwrap(), expected.as_slice());

    assert_eq!(tar, before, "the archive's bytes are unchanged");
    // A fresh tree from the same archive still serves the original contents.
    let (again, _) = load(&tar);
    assert_eq!(again.read("/readme").unwrap(), readme.as_slice());
    assert_eq!(again.read("/etc/motd").unwrap(), motd.as_slice());
    assert_eq!(again.read("/etc/sub/deep/file").unwrap(), deep.as_slice());
    fs.check_invariants();
}
