//! Symbolic and hard links through the shell's string API, and from the tar initrd.

use super::*;

#[test]
fn symlinks_are_followed_except_by_lstat_readlink_remove_and_rename() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.symlink("etc/motd", "/motd").unwrap(); // relative: from the link's directory
    fs.symlink("/etc", "/conf").unwrap();
    assert_eq!(fs.read("/motd").unwrap(), b"hello");
    assert_eq!(fs.read("/conf/motd").unwrap(), b"hello");
    assert_eq!(names(&fs, "/conf"), ["empty", "motd"]);
    assert_eq!(fs.read_link_path("/motd").unwrap(), "etc/motd");
    assert_eq!(fs.read_link_path("/readme"), Err(FsError::InvalidArgument));
    let l = fs.symlink_metadata("/motd").unwrap();
    assert_eq!((l.kind, l.size, l.nlink), (Kind::Symlink, 8, 1));
    assert_eq!(fs.metadata("/motd").unwrap().kind, Kind::File);
    assert_eq!(fs.metadata("/conf").unwrap().kind, Kind::Dir);
    let kinds: Vec<(String, Kind)> = fs
        .entries("/")
        .unwrap()
        .map(|e| (e.name.to_string(), e.kind))
        .collect();
    assert!(kinds.contains(&("conf".to_string(), Kind::Symlink)));
    // Writing goes through the link.
    fs.append("/motd", b"!").unwrap();
    assert_eq!(fs.read("/etc/motd").unwrap(), b"hello!");
    // Removing and renaming act on the link.
    fs.rename("/motd", "/m2").unwrap();
    assert_eq!(fs.read("/m2").unwrap(), b"hello!");
    fs.remove("/m2", false).unwrap();
    assert!(fs.exists("/etc/motd") && !fs.exists("/m2"));
    fs.remove("/conf", false).unwrap();
    assert!(fs.exists("/etc/motd"));
    assert_eq!(fs.stats().symlinks, 0);
    fs.check_invariants();
}

#[test]
fn dangling_links_and_creating_through_them() {
    let mut fs = Fs::new();
    fs.symlink("target", "/dangling").unwrap();
    assert!(!fs.exists("/dangling"));
    assert_eq!(fs.metadata("/dangling"), Err(FsError::NotFound));
    assert_eq!(
        fs.symlink_metadata("/dangling").unwrap().kind,
        Kind::Symlink
    );
    // `>` through a dangling link creates what it points to.
    fs.write("/dangling", b"made").unwrap();
    assert_eq!(fs.read("/target").unwrap(), b"made");
    assert_eq!(
        fs.symlink_metadata("/dangling").unwrap().kind,
        Kind::Symlink
    );
    fs.symlink("/nowhere/x", "/deep").unwrap();
    assert_eq!(fs.touch("/deep"), Err(FsError::NotFound));
    assert_eq!(fs.mkdir("/dangling"), Err(FsError::AlreadyExists));
    assert_eq!(fs.symlink("x", "/dangling"), Err(FsError::AlreadyExists));
    assert_eq!(fs.symlink("", "/empty"), Err(FsError::NotFound));
    fs.check_invariants();
}

#[test]
fn loops_stop_at_forty_links() {
    let mut fs = Fs::new();
    fs.symlink("b", "/a").unwrap();
    fs.symlink("a", "/b").unwrap();
    fs.symlink("self", "/self").unwrap();
    assert_eq!(fs.read("/a"), Err(FsError::Loop));
    assert_eq!(fs.metadata("/self"), Err(FsError::Loop));
    assert_eq!(fs.write("/self", b"x"), Err(FsError::Loop));
    assert_eq!(fs.read_link_path("/a").unwrap(), "b");
    // A chain of exactly MAX_SYMLINKS links resolves; one more is a loop.
    fs.write("/end", b"end").unwrap();
    let mut prev = "end".to_string();
    for i in 0..=MAX_SYMLINKS {
        let name = format!("c{i}");
        fs.symlink(&prev, &format!("/{name}")).unwrap();
        prev = name;
    }
    let last = MAX_SYMLINKS - 1;
    assert_eq!(fs.read(&format!("/c{last}")).unwrap(), b"end");
    assert_eq!(fs.read(&format!("/c{MAX_SYMLINKS}")), Err(FsError::Loop));
    assert_eq!(FsError::Loop.errno_name(), "ELOOP");
}

#[test]
fn dot_dot_in_a_target_is_physical() {
    let mut fs = Fs::new();
    fs.mkdir_all("/usr/lib/x").unwrap();
    fs.write("/usr/hello", b"hi").unwrap();
    fs.symlink("usr/lib", "/lib").unwrap();
    fs.symlink("../hello", "/usr/lib/up").unwrap();
    // /lib/up -> /usr/lib/../hello = /usr/hello, not /hello.
    assert_eq!(fs.read("/lib/up").unwrap(), b"hi");
    fs.symlink("x/../../hello", "/usr/lib/via").unwrap();
    assert_eq!(fs.read("/lib/via").unwrap(), b"hi");
    // `..` above / stays at / in the string API, and absolute targets start at /.
    fs.symlink("../../../../usr/hello", "/usr/lib/x/far")
        .unwrap();
    assert_eq!(fs.read("/lib/x/far").unwrap(), b"hi");
    // Paths given to the string API are normalized lexically first (like `cd -L`).
    assert_eq!(fs.resolve("/", "/lib/..").unwrap(), "/");
    assert_eq!(fs.read("/lib/../usr/hello").unwrap(), b"hi");
    // A file in the middle of a target.
    fs.symlink("hello/x", "/usr/bad").unwrap();
    assert_eq!(fs.read("/usr/bad"), Err(FsError::NotADirectory));
}

#[test]
fn copy_follows_the_source_and_copies_links_below_it() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.symlink("motd", "/etc/link").unwrap();
    fs.symlink("/etc", "/etc-link").unwrap();
    fs.copy("/etc/link", "/copied", false).unwrap();
    assert_eq!(fs.symlink_metadata("/copied").unwrap().kind, Kind::File);
    fs.copy("/etc-link", "/etc2", true).unwrap();
    assert_eq!(fs.read_link_path("/etc2/link").unwrap(), "motd");
    assert_eq!(fs.read("/etc2/link").unwrap(), b"hello");
    // Copying a file onto a link to itself is copying it onto itself.
    assert_eq!(
        fs.copy("/etc/motd", "/etc/link", false),
        Err(FsError::InvalidArgument)
    );
    // `mv` into a link to a directory moves into the directory.
    fs.rename("/copied", "/etc-link").unwrap();
    assert_eq!(fs.read("/etc/copied").unwrap(), b"hello");
    fs.check_invariants();
}

#[test]
fn hard_links_share_one_node_until_the_last_name_goes() {
    let mut fs = Fs::new();
    let base = fs.usage();
    fs.write("/a", b"shared").unwrap();
    fs.mkdir("/d").unwrap();
    fs.hard_link("/a", "/d/b").unwrap();
    let (ma, mb) = (fs.metadata("/a").unwrap(), fs.metadata("/d/b").unwrap());
    assert_eq!((ma.ino, ma.nlink), (mb.ino, 2));
    fs.append("/d/b", b"!").unwrap();
    assert_eq!(fs.read("/a").unwrap(), b"shared!");
    assert_eq!(fs.stats().files, 1, "one file, two names");
    assert_eq!(fs.hard_link("/a", "/d/b"), Err(FsError::AlreadyExists));
    assert_eq!(fs.hard_link("/d", "/d2"), Err(FsError::NotPermitted));
    assert_eq!(fs.hard_link("/nope", "/x"), Err(FsError::NotFound));
    // Hard-linking a symbolic link links the link itself.
    fs.symlink("a", "/sl").unwrap();
    fs.hard_link("/sl", "/sl2").unwrap();
    assert_eq!(fs.symlink_metadata("/sl2").unwrap().nlink, 2);
    fs.remove("/a", false).unwrap();
    assert_eq!(fs.read("/d/b").unwrap(), b"shared!");
    assert_eq!(fs.metadata("/d/b").unwrap().nlink, 1);
    assert_eq!(fs.read("/sl"), Err(FsError::NotFound), "now dangling");
    // Removing the directory holding the last name frees the file.
    fs.remove("/d", true).unwrap();
    fs.remove("/sl", false).unwrap();
    fs.remove("/sl2", false).unwrap();
    assert_eq!(fs.usage(), base);
    assert_eq!(all_paths(&fs), ["/"]);
    fs.check_invariants();
}

#[test]
fn recursive_remove_keeps_files_linked_from_outside() {
    let mut fs = Fs::new();
    fs.mkdir_all("/t/u").unwrap();
    fs.write("/t/u/f", b"keep").unwrap();
    fs.hard_link("/t/u/f", "/outside").unwrap();
    fs.hard_link("/t/u/f", "/t/inside").unwrap();
    fs.remove("/t", true).unwrap();
    assert_eq!(fs.read("/outside").unwrap(), b"keep");
    assert_eq!(fs.metadata("/outside").unwrap().nlink, 1);
    fs.check_invariants();
}

#[test]
fn walk_and_completion_show_links_without_following_them() {
    let mut fs = Fs::new();
    fs.mkdir_all("/d/sub").unwrap();
    fs.symlink("/d", "/loop-to-d").unwrap();
    fs.symlink("/d", "/d/sub/up").unwrap(); // a cycle a walk must not follow
    fs.symlink("nowhere", "/d/dangling").unwrap();
    let mut seen = Vec::new();
    fs.walk("/", |e| seen.push((e.path.to_string(), e.kind)))
        .unwrap();
    assert_eq!(
        seen,
        [
            ("/".to_string(), Kind::Dir),
            ("/d".to_string(), Kind::Dir),
            ("/d/dangling".to_string(), Kind::Symlink),
            ("/d/sub".to_string(), Kind::Dir),
            ("/d/sub/up".to_string(), Kind::Symlink),
            ("/loop-to-d".to_string(), Kind::Symlink),
        ]
    );
    // A walk started at a link walks what it points to.
    let mut below = Vec::new();
    fs.walk("/loop-to-d", |e| below.push(e.depth)).unwrap();
    assert_eq!(below, [0, 1, 1, 2]);
    assert_eq!(fs.complete("/", "lo"), ["loop-to-d/"]);
    assert_eq!(fs.complete("/d", "da"), ["dangling"]);
    assert_eq!(fs.complete("/", "loop-to-d/s"), ["loop-to-d/sub/"]);
    assert_eq!(fs.mkdir_all("/loop-to-d/sub/new"), Ok(()));
    assert!(fs.exists("/d/sub/new"));
    assert_eq!(fs.mkdir_all("/d/dangling/x"), Err(FsError::AlreadyExists));
}

#[test]
fn initrd_links_are_served() {
    let long_target = format!("{}/file", "long".repeat(30));
    let tar = Tar::new()
        .file("bin/busybox", b"BB")
        .symlink("bin/sh", "busybox")
        .symlink("bin/abs", "/bin/busybox")
        .hard_link("bin/ls", "bin/busybox")
        .hard_link("./bin/cat", "./bin/busybox")
        .dir("etc/")
        .symlink("etc/loop", "loop")
        .gnu_long(&long_target, b'0', b"far")
        .gnu_long_link("far", b'2', &long_target)
        .pax_header(&[("linkpath", "bin/busybox")])
        .link("paxed", b'1', "ignored")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/bin/sh").unwrap(), b"BB");
    assert_eq!(fs.read("/bin/abs").unwrap(), b"BB");
    assert_eq!(fs.read_link_path("/bin/sh").unwrap(), "busybox");
    assert!(within(
        &tar,
        fs.read_link_path("/bin/sh").unwrap().as_bytes()
    ));
    let m = fs.metadata("/bin/busybox").unwrap();
    assert_eq!(m.nlink, 4);
    for name in ["/bin/ls", "/bin/cat", "/paxed"] {
        assert_eq!(fs.metadata(name).unwrap().ino, m.ino, "{name}");
    }
    assert!(
        fs.is_borrowed("/bin/ls"),
        "hard links still borrow the archive"
    );
    assert_eq!(fs.read("/etc/loop"), Err(FsError::Loop));
    assert_eq!(fs.read_link_path("/far").unwrap(), long_target);
    assert_eq!(fs.read("/far").unwrap(), b"far");
    let s = fs.stats();
    assert_eq!((s.files, s.symlinks), (2, 4));
    // The archive's modification time, in nanoseconds (the writer stores 0o14712345670).
    assert_eq!(m.mtime, 0o14712345670 * 1_000_000_000);
    assert_eq!(fs.symlink_metadata("/bin/sh").unwrap().mtime, m.mtime);
}

#[test]
fn initrd_links_that_cannot_be_served() {
    let tar = Tar::new()
        .hard_link("early", "later") // a hard link names an earlier entry
        .file("later", b"l")
        .dir("d/")
        .hard_link("to-dir", "d")
        .hard_link("to-nothing", "nope")
        .symlink("link-dir", "d")
        .file("link-dir/f", b"through a link") // never extracted through a link
        .file("d/ok", b"ok")
        .symlink("bad", "")
        .finish();
    let (fs, w) = load(&tar);
    let w = w.unwrap();
    assert_eq!((w.broken_links, w.conflicts, w.bad_names), (3, 1, 1));
    assert!(!fs.exists("/early") && !fs.exists("/to-dir") && !fs.exists("/bad"));
    assert_eq!(names(&fs, "/d"), ["ok"]);
    assert_eq!(
        w.to_string(),
        "initrd: served 2 files, 1 dirs, 1 symlinks; 1 skipped (file/directory conflict); \
         1 skipped (bad name); 3 skipped (hard link to nothing)"
    );
}

#[test]
fn later_initrd_entries_replace_one_name_of_a_hard_linked_file() {
    let tar = Tar::new()
        .file("a", b"old")
        .hard_link("b", "a")
        .file("a", b"new") // extracting unlinks a and creates a new file
        .symlink("b2", "a")
        .file("b2", b"file over link")
        .finish();
    let (fs, w) = load(&tar);
    assert_eq!(w, None);
    assert_eq!(fs.read("/a").unwrap(), b"new");
    assert_eq!(fs.read("/b").unwrap(), b"old");
    assert_eq!(fs.metadata("/b").unwrap().nlink, 1);
    assert_eq!(fs.symlink_metadata("/b2").unwrap().kind, Kind::File);
    assert_eq!(fs.stats().symlinks, 0);
}

#[test]
fn host_tar_links() {
    // GNU tar's own symlinks and hard links, when the host has `tar`.
    use std::process::Command;
    if Command::new("tar").arg("--version").output().is_err() {
        std::println!("no host tar; skipping");
        return;
    }
    let root = std::env::temp_dir().join(format!("ramfs-links-{}", std::process::id()));
    let src = root.join("src");
    std::fs::create_dir_all(src.join("bin")).unwrap();
    std::fs::write(src.join("bin/prog"), b"prog").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("prog", src.join("bin/alias")).unwrap();
        std::fs::hard_link(src.join("bin/prog"), src.join("bin/hard")).unwrap();
    }
    for format in ["gnu", "pax", "ustar"] {
        let out = root.join(format!("{format}.tar"));
        let ok = Command::new("tar")
            .arg(format!("--format={format}"))
            .arg("-cf")
            .arg(&out)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .status()
            .unwrap();
        assert!(ok.success());
        let bytes = std::fs::read(&out).unwrap();
        let (fs, w) = load(&bytes);
        assert_eq!(w, None, "{format}");
        if cfg!(unix) {
            assert_eq!(fs.read("/bin/alias").unwrap(), b"prog", "{format}");
            assert_eq!(fs.metadata("/bin/hard").unwrap().nlink, 2, "{format}");
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
}
