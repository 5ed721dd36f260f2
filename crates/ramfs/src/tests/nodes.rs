//! The node API: paths relative to a directory handle, confinement, POSIX `open`,
//! `rename`, `unlink`, `rmdir`, links, reading and writing at offsets, and holding nodes.

use super::*;

/// A tree with /pre (the "preopened" directory) holding a file, a subdirectory and links.
fn setup() -> (Fs<'static>, At) {
    let mut fs = Fs::new();
    fs.mkdir_all("/pre/sub").unwrap();
    fs.write("/pre/file", b"0123456789").unwrap();
    fs.write("/outside", b"secret").unwrap();
    fs.symlink("file", "/pre/link").unwrap();
    fs.symlink("sub", "/pre/dirlink").unwrap();
    fs.symlink("nowhere", "/pre/dangling").unwrap();
    let pre = fs.lookup_at(At::dir(fs.root()), "pre", true).unwrap();
    (fs, At::dir(pre))
}

fn opts(f: impl FnOnce(&mut OpenOptions)) -> OpenOptions {
    let mut o = OpenOptions {
        follow: true,
        ..OpenOptions::default()
    };
    f(&mut o);
    o
}

#[test]
fn paths_stay_inside_their_directory() {
    let (fs, pre) = setup();
    let file = fs.lookup_at(pre, "file", true).unwrap();
    assert_eq!(fs.contents(file).unwrap(), b"0123456789");
    assert_eq!(fs.lookup_at(pre, "sub/../file", true), Ok(file));
    assert_eq!(fs.lookup_at(pre, "./sub/./..//file", true), Ok(file));
    for escape in [
        "..",
        "../outside",
        "sub/../..",
        "/outside",
        "/",
        "sub/../../pre/file",
    ] {
        assert_eq!(
            fs.lookup_at(pre, escape, true),
            Err(FsError::EscapesRoot),
            "{escape}"
        );
    }
    let mut fs = fs;
    fs.symlink("../outside", "/pre/up").unwrap();
    fs.symlink("/outside", "/pre/abs").unwrap();
    assert_eq!(fs.lookup_at(pre, "up", true), Err(FsError::EscapesRoot));
    assert_eq!(fs.lookup_at(pre, "abs", true), Err(FsError::EscapesRoot));
    // Not following the last link never leaves.
    assert!(fs.lookup_at(pre, "up", false).is_ok());
    assert_eq!(fs.read_link_at(pre, "abs").unwrap(), "/outside");
    // A handle on a subdirectory with the preopen as its root may climb to the root only.
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    let inner = At {
        dir: sub,
        root: pre.dir,
    };
    assert_eq!(fs.lookup_at(inner, "../file", true), Ok(file));
    assert_eq!(
        fs.lookup_at(inner, "../../outside", true),
        Err(FsError::EscapesRoot)
    );
    assert_eq!(
        fs.lookup_at(At::dir(sub), "..", true),
        Err(FsError::EscapesRoot)
    );
    // The shell's string API is not confined.
    assert_eq!(fs.read("/pre/up").unwrap(), b"secret");
    assert_eq!(FsError::EscapesRoot.errno_name(), "ENOTCAPABLE");
}

#[test]
fn resolution_errors() {
    let (fs, pre) = setup();
    assert_eq!(fs.lookup_at(pre, "", true), Err(FsError::NotFound));
    assert_eq!(fs.lookup_at(pre, "nope", true), Err(FsError::NotFound));
    assert_eq!(
        fs.lookup_at(pre, "file/x", true),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.lookup_at(pre, "file/", true),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.lookup_at(pre, "file/.", true),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.lookup_at(pre, "link/", true),
        Err(FsError::NotADirectory)
    );
    assert_eq!(fs.lookup_at(pre, "dangling", true), Err(FsError::NotFound));
    assert!(fs.lookup_at(pre, "dangling", false).is_ok());
    assert_eq!(
        fs.lookup_at(pre, &"n".repeat(MAX_NAME_LEN + 1), true),
        Err(FsError::NameTooLong)
    );
    assert_eq!(
        fs.lookup_at(pre, &"a/".repeat(MAX_PATH_LEN), true),
        Err(FsError::NameTooLong)
    );
    assert_eq!(fs.lookup_at(pre, "a\0b", true), Err(FsError::InvalidPath));
    // A trailing slash follows a link even when not following.
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    assert_eq!(fs.lookup_at(pre, "dirlink/", false), Ok(sub));
    assert_ne!(fs.lookup_at(pre, "dirlink", false), Ok(sub));
    assert_eq!(
        fs.stat_at(pre, "dirlink", false).unwrap().kind,
        Kind::Symlink
    );
    assert_eq!(fs.stat_at(pre, "dirlink", true).unwrap().kind, Kind::Dir);
    let file = fs.lookup_at(pre, "file", true).unwrap();
    assert_eq!(
        fs.lookup_at(At::dir(file), "x", true),
        Err(FsError::NotADirectory)
    );
}

#[test]
fn open_follows_posix() {
    let (mut fs, pre) = setup();
    let file = fs.lookup_at(pre, "file", true).unwrap();
    assert_eq!(fs.open_at(pre, "file", opts(|_| {})), Ok(file));
    assert_eq!(fs.open_at(pre, "link", opts(|_| {})), Ok(file));
    assert_eq!(
        fs.open_at(pre, "link", opts(|o| o.follow = false)),
        Err(FsError::Loop)
    );
    assert_eq!(
        fs.open_at(pre, "missing", opts(|_| {})),
        Err(FsError::NotFound)
    );
    let new = fs
        .open_at(pre, "missing", opts(|o| o.create = true))
        .unwrap();
    assert_eq!(fs.stat(new).unwrap().size, 0);
    assert_eq!(
        fs.open_at(pre, "missing", opts(|o| o.create = true)),
        Ok(new)
    );
    let excl = opts(|o| {
        o.create = true;
        o.exclusive = true;
    });
    assert_eq!(
        fs.open_at(pre, "missing", excl),
        Err(FsError::AlreadyExists)
    );
    assert_eq!(
        fs.open_at(pre, "dangling", excl),
        Err(FsError::AlreadyExists)
    );
    assert_eq!(fs.open_at(pre, "sub", excl), Err(FsError::AlreadyExists));
    assert_eq!(fs.open_at(pre, ".", excl), Err(FsError::AlreadyExists));
    // Creating through a dangling link creates its target.
    let made = fs
        .open_at(pre, "dangling", opts(|o| o.create = true))
        .unwrap();
    assert_eq!(fs.lookup_at(pre, "nowhere", true), Ok(made));
    // Directories.
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    let dir = opts(|o| o.directory = true);
    assert_eq!(fs.open_at(pre, "sub", dir), Ok(sub));
    assert_eq!(fs.open_at(pre, "dirlink", dir), Ok(sub));
    assert_eq!(fs.open_at(pre, "file", dir), Err(FsError::NotADirectory));
    assert_eq!(fs.open_at(pre, ".", dir), Ok(pre.dir));
    assert_eq!(fs.open_at(pre, "sub/..", dir), Ok(pre.dir));
    assert_eq!(
        fs.open_at(pre, "sub", opts(|o| o.truncate = true)),
        Err(FsError::IsADirectory)
    );
    assert_eq!(
        fs.open_at(pre, "new/", opts(|o| o.create = true)),
        Err(FsError::IsADirectory)
    );
    assert_eq!(
        fs.open_at(
            pre,
            "new",
            opts(|o| {
                o.create = true;
                o.directory = true;
            })
        ),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(
        fs.open_at(pre, "file/", opts(|_| {})),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.open_at(pre, "nodir/new", opts(|o| o.create = true)),
        Err(FsError::NotFound)
    );
    // Truncating.
    fs.open_at(pre, "link", opts(|o| o.truncate = true))
        .unwrap();
    assert_eq!(fs.contents(file).unwrap(), b"");
    fs.check_invariants();
}

#[test]
fn mkdir_rmdir_unlink() {
    let (mut fs, pre) = setup();
    let d = fs.mkdir_at(pre, "new/").unwrap();
    assert_eq!(fs.stat(d).unwrap().kind, Kind::Dir);
    for exists in ["new", "file", "dangling", ".", "..", "sub/.."] {
        assert_eq!(
            fs.mkdir_at(pre, exists),
            Err(FsError::AlreadyExists),
            "{exists}"
        );
    }
    assert_eq!(fs.mkdir_at(pre, "no/new"), Err(FsError::NotFound));
    assert_eq!(fs.mkdir_at(pre, "../x"), Err(FsError::EscapesRoot));
    fs.write("/pre/new/f", b"").unwrap();
    assert_eq!(fs.rmdir_at(pre, "new"), Err(FsError::DirectoryNotEmpty));
    assert_eq!(fs.rmdir_at(pre, "new/f"), Err(FsError::NotADirectory));
    assert_eq!(fs.rmdir_at(pre, "dirlink"), Err(FsError::NotADirectory));
    assert_eq!(fs.rmdir_at(pre, "."), Err(FsError::InvalidArgument));
    assert_eq!(fs.rmdir_at(pre, "sub/.."), Err(FsError::DirectoryNotEmpty));
    assert_eq!(fs.rmdir_at(pre, "gone"), Err(FsError::NotFound));
    assert_eq!(fs.unlink_at(pre, "new"), Err(FsError::IsADirectory));
    assert_eq!(fs.unlink_at(pre, "."), Err(FsError::IsADirectory));
    assert_eq!(fs.unlink_at(pre, "new/f/"), Err(FsError::NotADirectory));
    fs.unlink_at(pre, "new/f").unwrap();
    assert_eq!(fs.unlink_at(pre, "new/f"), Err(FsError::NotFound));
    fs.rmdir_at(pre, "new/").unwrap();
    assert_eq!(fs.stat(d), Err(FsError::StaleHandle));
    // Unlinking a link removes the link.
    fs.unlink_at(pre, "link").unwrap();
    assert!(fs.lookup_at(pre, "file", true).is_ok());
    fs.check_invariants();
}

#[test]
fn rename_replaces_as_posix_says() {
    let (mut fs, pre) = setup();
    let file = fs.lookup_at(pre, "file", true).unwrap();
    fs.write("/pre/other", b"other").unwrap();
    let other = fs.lookup_at(pre, "other", true).unwrap();
    // A file over a file: the old one goes.
    fs.rename_at(pre, "file", pre, "other").unwrap();
    assert_eq!(fs.lookup_at(pre, "other", true), Ok(file));
    assert_eq!(fs.stat(other), Err(FsError::StaleHandle));
    assert_eq!(fs.lookup_at(pre, "file", true), Err(FsError::NotFound));
    // Directories.
    fs.mkdir_at(pre, "empty").unwrap();
    fs.mkdir_at(pre, "full").unwrap();
    fs.write("/pre/full/x", b"").unwrap();
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    assert_eq!(
        fs.rename_at(pre, "sub", pre, "other"),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.rename_at(pre, "other", pre, "sub"),
        Err(FsError::IsADirectory)
    );
    assert_eq!(
        fs.rename_at(pre, "sub", pre, "full"),
        Err(FsError::DirectoryNotEmpty)
    );
    assert_eq!(
        fs.rename_at(pre, "full", pre, "full/x/y"),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.rename_at(pre, "full", pre, "full/inner"),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.rename_at(pre, "sub", pre, "sub"), Ok(()));
    fs.rename_at(pre, "sub", pre, "empty/").unwrap();
    assert_eq!(fs.lookup_at(pre, "empty", true), Ok(sub));
    assert_eq!(fs.parent(sub), Ok(Some(pre.dir)));
    fs.rename_at(pre, "empty", pre, "full/moved").unwrap();
    assert_eq!(
        fs.parent(sub),
        Ok(Some(fs.lookup_at(pre, "full", true).unwrap()))
    );
    // Trailing slashes need directories; `.` and `..` cannot be renamed.
    assert_eq!(
        fs.rename_at(pre, "other/", pre, "x"),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.rename_at(pre, "other", pre, "x/"),
        Err(FsError::NotADirectory)
    );
    assert_eq!(
        fs.rename_at(pre, ".", pre, "x"),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(
        fs.rename_at(pre, "other", pre, ".."),
        Err(FsError::InvalidArgument)
    );
    assert_eq!(fs.rename_at(pre, "gone", pre, "x"), Err(FsError::NotFound));
    assert_eq!(
        fs.rename_at(pre, "other", pre, "../x"),
        Err(FsError::EscapesRoot)
    );
    // Two names of one file: nothing happens.
    fs.link_at(pre, "other", false, pre, "twin").unwrap();
    fs.rename_at(pre, "other", pre, "twin").unwrap();
    assert_eq!(fs.stat(file).unwrap().nlink, 2);
    assert!(fs.lookup_at(pre, "other", true).is_ok());
    // A link is renamed, not its target.
    fs.rename_at(pre, "dangling", pre, "renamed-link").unwrap();
    assert_eq!(fs.read_link_at(pre, "renamed-link").unwrap(), "nowhere");
    fs.check_invariants();
}

#[test]
fn symlink_and_link_at() {
    let (mut fs, pre) = setup();
    let l = fs.symlink_at("sub/../file", pre, "new-link").unwrap();
    assert_eq!(fs.read_link(l).unwrap(), "sub/../file");
    assert_eq!(fs.stat(l).unwrap().kind, Kind::Symlink);
    let file = fs.lookup_at(pre, "file", true).unwrap();
    assert_eq!(fs.lookup_at(pre, "new-link", true), Ok(file));
    assert_eq!(fs.symlink_at("x", pre, "file"), Err(FsError::AlreadyExists));
    assert_eq!(
        fs.symlink_at("x", pre, "dangling"),
        Err(FsError::AlreadyExists)
    );
    assert_eq!(fs.symlink_at("x", pre, "fresh/"), Err(FsError::NotFound));
    assert_eq!(fs.symlink_at("", pre, "fresh"), Err(FsError::NotFound));
    assert_eq!(
        fs.symlink_at("a\0", pre, "fresh"),
        Err(FsError::InvalidPath)
    );
    assert_eq!(
        fs.symlink_at(&"t".repeat(MAX_PATH_LEN + 1), pre, "fresh"),
        Err(FsError::NameTooLong)
    );
    assert_eq!(fs.read_link_at(pre, "file"), Err(FsError::InvalidArgument));
    assert_eq!(fs.read_link(file), Err(FsError::InvalidArgument));
    // Hard links, following the source's last link or not.
    fs.link_at(pre, "link", true, pre, "hard").unwrap();
    assert_eq!(fs.lookup_at(pre, "hard", false), Ok(file));
    fs.link_at(pre, "link", false, pre, "hard-to-link").unwrap();
    assert_eq!(
        fs.stat_at(pre, "hard-to-link", false).unwrap().kind,
        Kind::Symlink
    );
    assert_eq!(fs.stat(file).unwrap().nlink, 2);
    assert_eq!(
        fs.link_at(pre, "sub", true, pre, "x"),
        Err(FsError::NotPermitted)
    );
    assert_eq!(
        fs.link_at(pre, "file", true, pre, "hard"),
        Err(FsError::AlreadyExists)
    );
    assert_eq!(
        fs.link_at(pre, "file", true, pre, "y/"),
        Err(FsError::NotFound)
    );
    assert_eq!(
        fs.link_at(pre, "gone", true, pre, "y"),
        Err(FsError::NotFound)
    );
    // The same by node: a held node is linked as the path would be.
    fs.link_node(file, pre, "by-node").unwrap();
    assert_eq!(fs.lookup_at(pre, "by-node", false), Ok(file));
    assert_eq!(fs.stat(file).unwrap().nlink, 3);
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    assert_eq!(fs.link_node(sub, pre, "x"), Err(FsError::NotPermitted));
    assert_eq!(fs.link_node(file, pre, "hard"), Err(FsError::AlreadyExists));
    assert_eq!(fs.link_node(file, pre, "y/"), Err(FsError::NotFound));
    let at_sub = At::dir(sub);
    fs.link_node(file, at_sub, "in-sub").unwrap();
    assert_eq!(fs.lookup_at(pre, "sub/in-sub", false), Ok(file));
    assert_eq!(
        fs.link_node(file, at_sub, "../escape"),
        Err(FsError::EscapesRoot)
    );
    // A node that lost every name is not named again; one that is gone is stale.
    let tmp = fs.open_at(pre, "tmp", opts(|o| o.create = true)).unwrap();
    fs.retain(tmp).unwrap();
    fs.unlink_at(pre, "tmp").unwrap();
    assert_eq!(fs.link_node(tmp, pre, "back"), Err(FsError::NotFound));
    fs.release(tmp).unwrap();
    assert_eq!(fs.link_node(tmp, pre, "back"), Err(FsError::StaleHandle));
    assert_eq!(fs.lookup_at(pre, "back", false), Err(FsError::NotFound));
    fs.check_invariants();
}

#[test]
fn reading_and_writing_at_offsets() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    let root = At::dir(fs.root());
    let motd = fs.lookup_at(root, "etc/motd", true).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(fs.read_at(motd, 1, &mut buf), Ok(3));
    assert_eq!(&buf, b"ell");
    assert_eq!(fs.read_at(motd, 4, &mut buf), Ok(1));
    assert_eq!(fs.read_at(motd, 5, &mut buf), Ok(0));
    assert_eq!(fs.read_at(motd, u64::MAX, &mut buf), Ok(0));
    fs.write_at(motd, 1, b"EL").unwrap();
    assert_eq!(fs.contents(motd).unwrap(), b"hELlo");
    assert!(fs.stat(motd).unwrap().in_ram);
    fs.write_at(motd, 8, b"!").unwrap();
    assert_eq!(fs.contents(motd).unwrap(), b"hELlo\0\0\0!");
    fs.write_at(motd, 100, b"").unwrap();
    assert_eq!(
        fs.stat(motd).unwrap().size,
        9,
        "an empty write does not extend"
    );
    fs.append_to(motd, b"?").unwrap();
    assert_eq!(fs.contents(motd).unwrap(), b"hELlo\0\0\0!?");
    fs.set_len(motd, 2).unwrap();
    assert_eq!(fs.contents(motd).unwrap(), b"hE");
    assert_eq!(
        fs.write_at(motd, u64::MAX, b"x"),
        Err(FsError::FileTooLarge)
    );
    assert_eq!(fs.set_len(motd, u64::MAX), Err(FsError::FileTooLarge));
    fs.set_limit(Some(fs.usage() + 10));
    assert_eq!(fs.write_at(motd, 20, b"x"), Err(FsError::NoSpace));
    assert_eq!(fs.contents(motd).unwrap(), b"hE");
    let etc = fs.lookup_at(root, "etc", true).unwrap();
    assert_eq!(fs.write_at(etc, 0, b"x"), Err(FsError::IsADirectory));
    assert_eq!(fs.read_at(etc, 0, &mut buf), Err(FsError::IsADirectory));
    let names: Vec<&str> = fs.dir_entries(etc).unwrap().map(|e| e.name).collect();
    assert_eq!(names, ["empty", "motd"]);
    assert_eq!(fs.dir_entries(motd).unwrap_err(), FsError::NotADirectory);
    assert_eq!(fs.parent(fs.root()), Ok(None));
    assert_eq!(fs.parent(motd), Err(FsError::NotADirectory));
    fs.check_invariants();
}

#[test]
fn held_nodes_outlive_their_names() {
    let (mut fs, pre) = setup();
    let file = fs.open_at(pre, "file", opts(|_| {})).unwrap();
    fs.retain(file).unwrap();
    fs.unlink_at(pre, "file").unwrap();
    assert_eq!(fs.stat(file).unwrap().nlink, 0);
    assert_eq!(fs.contents(file).unwrap(), b"0123456789");
    fs.write_at(file, 0, b"still").unwrap();
    fs.check_invariants();
    fs.release(file).unwrap();
    assert_eq!(fs.stat(file), Err(FsError::StaleHandle));
    assert_eq!(fs.release(file), Err(FsError::StaleHandle));
    // The freed slot is reused, but the old handle never reaches the new node.
    let new = fs.open_at(pre, "reuse", opts(|o| o.create = true)).unwrap();
    assert_ne!(new.ino(), file.ino());
    assert_eq!(fs.contents(file), Err(FsError::StaleHandle));
    // A removed directory held open: empty, nothing can be created in it, no `..`.
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    fs.retain(sub).unwrap();
    fs.rmdir_at(pre, "sub").unwrap();
    assert_eq!(fs.stat(sub).unwrap().nlink, 0);
    assert_eq!(fs.parent(sub), Ok(None));
    assert_eq!(
        fs.open_at(At::dir(sub), "f", opts(|o| o.create = true)),
        Err(FsError::NotFound)
    );
    assert_eq!(fs.mkdir_at(At::dir(sub), "d"), Err(FsError::NotFound));
    assert_eq!(
        fs.lookup_at(
            At {
                dir: sub,
                root: pre.dir
            },
            "..",
            true
        ),
        Err(FsError::NotFound)
    );
    assert_eq!(fs.dir_entries(sub).unwrap().len(), 0);
    fs.check_invariants();
    fs.release(sub).unwrap();
    assert_eq!(fs.stat(sub), Err(FsError::StaleHandle));
    // Replacing a held file by rename keeps it too.
    let other = fs.open_at(pre, "other", opts(|o| o.create = true)).unwrap();
    fs.retain(other).unwrap();
    fs.rename_at(pre, "reuse", pre, "other").unwrap();
    assert_eq!(fs.stat(other).unwrap().nlink, 0);
    fs.check_invariants();
    fs.release(other).unwrap();
    fs.check_invariants();
    assert_eq!(fs.release(new), Err(FsError::InvalidArgument), "not held");
}

#[test]
fn inode_numbers_are_unique_and_stable() {
    let (mut fs, pre) = setup();
    let before = fs.stat_at(pre, "file", true).unwrap().ino;
    fs.rename_at(pre, "file", pre, "sub/moved").unwrap();
    assert_eq!(fs.stat_at(pre, "sub/moved", true).unwrap().ino, before);
    let mut inos = std::collections::HashSet::new();
    fs.walk("/", |e| {
        let _ = e;
    })
    .unwrap();
    let mut paths = Vec::new();
    fs.walk("/", |e| paths.push(e.path.to_string())).unwrap();
    for p in &paths {
        assert!(inos.insert(fs.symlink_metadata(p).unwrap().ino), "{p}");
    }
    assert_eq!(fs.stat(fs.root()).unwrap().ino, 1);
}

#[test]
fn every_error_has_an_errno() {
    let all = [
        (FsError::NotFound, "ENOENT"),
        (FsError::IsADirectory, "EISDIR"),
        (FsError::NotADirectory, "ENOTDIR"),
        (FsError::AlreadyExists, "EEXIST"),
        (FsError::NameTooLong, "ENAMETOOLONG"),
        (FsError::TooDeep, "ENAMETOOLONG"),
        (FsError::InvalidPath, "EINVAL"),
        (FsError::DirectoryNotEmpty, "ENOTEMPTY"),
        (FsError::OutOfMemory, "ENOMEM"),
        (FsError::InvalidArgument, "EINVAL"),
        (FsError::NoSpace, "ENOSPC"),
        (FsError::Loop, "ELOOP"),
        (FsError::EscapesRoot, "ENOTCAPABLE"),
        (FsError::NotPermitted, "EPERM"),
        (FsError::StaleHandle, "ESTALE"),
        (FsError::FileTooLarge, "EFBIG"),
    ];
    for (e, name) in all {
        assert_eq!(e.errno_name(), name, "{e:?}");
    }
}

#[test]
fn nodes_found_by_path_and_by_inode_number() {
    let (mut fs, pre) = setup();
    let file = fs.lookup_at(pre, "file", true).unwrap();
    let sub = fs.lookup_at(pre, "sub", true).unwrap();
    assert_eq!(fs.node_at("/pre/file"), Ok(file));
    assert_eq!(fs.node_at("/pre/link"), Ok(file), "links are followed");
    assert_eq!(fs.node_at("/pre/dirlink/"), Ok(sub));
    assert_eq!(fs.node_at("/"), Ok(fs.root()));
    assert_eq!(fs.node_at("/pre/../pre/./sub"), Ok(sub));
    assert_eq!(fs.node_at("/pre/nothing"), Err(FsError::NotFound));
    assert_eq!(fs.node_at("/pre/dangling"), Err(FsError::NotFound));
    assert_eq!(fs.node_at("/pre/file/x"), Err(FsError::NotADirectory));
    assert_eq!(fs.node_at(""), Err(FsError::InvalidPath));

    for id in [file, sub, fs.root(), pre.dir] {
        assert_eq!(fs.node_by_ino(id.ino()), Some(id));
    }
    let link = fs.lookup_at(pre, "link", false).unwrap();
    assert_eq!(fs.node_by_ino(link.ino()), Some(link));
    assert_eq!(fs.node_by_ino(0), None);
    assert_eq!(fs.node_by_ino(u64::MAX), None);

    // A held node is found after losing its last name; once released it is gone, and a
    // new node (reusing its slot) has a new number.
    fs.retain(file).unwrap();
    fs.unlink_at(pre, "file").unwrap();
    assert_eq!(fs.node_by_ino(file.ino()), Some(file), "held: still there");
    fs.release(file).unwrap();
    assert_eq!(fs.node_by_ino(file.ino()), None);
    let new = fs.open_at(pre, "again", opts(|o| o.create = true)).unwrap();
    assert_ne!(new.ino(), file.ino());
    assert_eq!(fs.node_by_ino(new.ino()), Some(new));
    assert_eq!(fs.node_by_ino(file.ino()), None);
}
