//! Creating, removing, moving and copying in the RAM layer.

use super::*;
use alloc::vec;

#[test]
fn mkdir_and_mkdir_all() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.mkdir("/tmp").unwrap();
    assert_eq!(basic(fs.metadata("/tmp").unwrap()), (Kind::Dir, 0, true));
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
