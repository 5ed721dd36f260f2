//! Walks, completion, error messages and the empty tree.

use super::*;

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
        FsError::NoSpace,
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
