//! Lexical path normalization and the path limits.

use super::*;
use alloc::vec;

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
