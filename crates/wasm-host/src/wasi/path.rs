//! Path resolution beneath a directory descriptor: WASI's sandbox rules, in one place.
//!
//! The rules (those of wasmtime and of Linux's `openat2(RESOLVE_BENEATH)`):
//! - a path is relative to a directory descriptor; an absolute path is `EPERM`;
//! - components are resolved one at a time; `.` stays, `..` goes back up, and going above
//!   the starting directory, by `..` or by a symbolic link, is `EPERM`;
//! - symbolic links in the middle of a path are always followed (their target is spliced into
//!   the components still to resolve, so `..` inside a target works as on Linux); the last
//!   component is followed only when asked, or when a trailing slash demands a directory;
//!   a symbolic link to an absolute path is `EPERM`; more than [`MAX_SYMLINKS`] links in one
//!   resolution is `ELOOP`;
//! - a trailing slash means "must be a directory": `file/` is `ENOTDIR`;
//! - a name longer than [`MAX_NAME`] bytes or a path longer than [`MAX_PATH`] bytes is
//!   `ENAMETOOLONG`, and a NUL byte is `EINVAL`.
//!
//! The result tells what the last component names: an existing inode (and the directory
//! entry it was found through), or a name that does not exist yet in an existing directory
//! (for the calls that create something).

use super::Errno;
use super::fs::{FileSystem, Ino, Kind};
use alloc::string::String;
use alloc::vec::Vec;

/// Most symbolic links followed in one resolution (Linux's limit).
pub const MAX_SYMLINKS: u32 = 40;
/// Longest path component, in bytes.
pub const MAX_NAME: usize = 255;
/// Longest path, in bytes.
pub const MAX_PATH: usize = 4096;

/// How to treat a symbolic link in the last component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Last {
    /// Follow it (`LOOKUPFLAGS_SYMLINK_FOLLOW`).
    Follow,
    /// Do not follow it, unless a trailing slash asks for a directory.
    NoFollow,
    /// Never follow it: the call acts on the directory entry itself (unlink, rename, ...).
    /// A trailing slash then needs the entry to be a real directory.
    Entry,
}

/// Where the walk may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Beneath the starting directory only (WASI calls).
    Beneath,
    /// Anywhere: `..` at the root stays at the root and a leading `/` starts at the root
    /// (the host choosing what to preopen).
    Anywhere,
}

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Walk {
    /// An existing inode. `entry` is the directory and name it was found through, or `None`
    /// when the path ended at `.`/`..` or the starting directory itself.
    Found {
        ino: Ino,
        kind: Kind,
        entry: Option<(Ino, String)>,
    },
    /// Everything up to the last component exists; the last component `name` does not exist
    /// in directory `dir`. `dir_only` is set when a trailing slash asked for a directory.
    Missing {
        dir: Ino,
        name: String,
        dir_only: bool,
    },
}

/// Resolves `path` starting at directory `base` (see the module docs).
pub fn walk(
    fs: &mut dyn FileSystem,
    base: Ino,
    path: &str,
    last: Last,
    scope: Scope,
) -> Result<Walk, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.len() > MAX_PATH {
        return Err(Errno::Nametoolong);
    }
    if path.contains('\0') {
        return Err(Errno::Inval);
    }
    let mut stack: Vec<Ino> = Vec::new();
    stack.push(base);
    if path.starts_with('/') {
        match scope {
            Scope::Beneath => return Err(Errno::Perm),
            Scope::Anywhere => {
                stack.clear();
                stack.push(fs.root());
            }
        }
    }
    let mut trailing = path.ends_with('/');
    let mut pending: Vec<String> = Vec::new();
    push_components(&mut pending, path)?;
    let mut links = 0;
    loop {
        let top = *stack.last().ok_or(Errno::Noent)?;
        let Some(name) = pending.pop() else {
            return Ok(Walk::Found {
                ino: top,
                kind: Kind::Dir,
                entry: None,
            });
        };
        let is_last = pending.is_empty();
        if name == "." {
            continue;
        }
        if name == ".." {
            if stack.len() > 1 {
                stack.pop();
            } else if scope == Scope::Beneath {
                return Err(Errno::Perm);
            } else {
                let up = fs.parent(top)?;
                stack[0] = up;
            }
            continue;
        }
        let child = match fs.lookup(top, &name) {
            Ok(ino) => ino,
            Err(Errno::Noent) if is_last => {
                return Ok(Walk::Missing {
                    dir: top,
                    name,
                    dir_only: trailing,
                });
            }
            Err(e) => return Err(e),
        };
        let kind = fs.stat(child)?.kind;
        let follow = match (kind, is_last) {
            (Kind::Symlink, false) => true,
            (Kind::Symlink, true) => match last {
                Last::Follow => true,
                Last::NoFollow => trailing,
                Last::Entry => {
                    if trailing {
                        return Err(Errno::Notdir);
                    }
                    false
                }
            },
            _ => false,
        };
        if follow {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(Errno::Loop);
            }
            let target = fs.readlink(child)?;
            if target.is_empty() {
                return Err(Errno::Noent);
            }
            if target.starts_with('/') {
                return Err(Errno::Perm);
            }
            if is_last && target.ends_with('/') {
                trailing = true;
            }
            push_components(&mut pending, &target)?;
            continue;
        }
        match kind {
            Kind::Dir => {
                stack.push(child);
                if is_last {
                    return Ok(Walk::Found {
                        ino: child,
                        kind,
                        entry: Some((top, name)),
                    });
                }
            }
            _ if !is_last || trailing => return Err(Errno::Notdir),
            _ => {
                return Ok(Walk::Found {
                    ino: child,
                    kind,
                    entry: Some((top, name)),
                });
            }
        }
    }
}

/// Pushes the components of `path` onto `pending` so that the first one is popped first.
fn push_components(pending: &mut Vec<String>, path: &str) -> Result<(), Errno> {
    let start = pending.len();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        if c.len() > MAX_NAME {
            return Err(Errno::Nametoolong);
        }
        pending.try_reserve(1).map_err(|_| Errno::Nomem)?;
        pending.push(String::from(c));
    }
    pending[start..].reverse();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasi::memfs::MemFs;

    fn setup() -> (MemFs, Ino) {
        let mut fs = MemFs::new();
        let base = fs.put_dir("/sandbox");
        fs.put_file("/sandbox/dir/file", b"x");
        fs.put_file("/secret", b"s");
        let d = fs.find("/sandbox/dir").unwrap();
        let now = 0;
        fs.create_symlink(base, "to_file", "dir/file", now).unwrap();
        fs.create_symlink(base, "to_dir", "dir", now).unwrap();
        fs.create_symlink(base, "dangling", "nope", now).unwrap();
        fs.create_symlink(base, "loop", "loop", now).unwrap();
        fs.create_symlink(base, "escape", "../secret", now).unwrap();
        fs.create_symlink(base, "abs", "/secret", now).unwrap();
        fs.create_symlink(d, "up", "../dir/file", now).unwrap();
        (fs, base)
    }

    fn found(w: Result<Walk, Errno>) -> Ino {
        match w {
            Ok(Walk::Found { ino, .. }) => ino,
            other => panic!("expected Found, got {other:?}"),
        }
    }

    #[test]
    fn plain_and_dotted_paths() {
        let (mut fs, base) = setup();
        let file = fs.find("/sandbox/dir/file").unwrap();
        let w = |fs: &mut MemFs, p| walk(fs, base, p, Last::NoFollow, Scope::Beneath);
        assert_eq!(found(w(&mut fs, "dir/file")), file);
        assert_eq!(found(w(&mut fs, "dir/.//./../dir/file")), file);
        assert_eq!(found(w(&mut fs, ".")), base);
        assert_eq!(found(w(&mut fs, "dir/..")), base);
        assert_eq!(w(&mut fs, "dir/file/"), Err(Errno::Notdir));
        assert_eq!(w(&mut fs, "dir/file/."), Err(Errno::Notdir));
        assert_eq!(w(&mut fs, ""), Err(Errno::Noent));
        assert_eq!(w(&mut fs, "dir/file\0"), Err(Errno::Inval));
        assert_eq!(w(&mut fs, "nope/x"), Err(Errno::Noent));
        assert!(matches!(
            w(&mut fs, "dir/new/"),
            Ok(Walk::Missing { dir_only: true, .. })
        ));
    }

    #[test]
    fn sandbox_escapes_are_eperm() {
        let (mut fs, base) = setup();
        let w = |fs: &mut MemFs, p, l| walk(fs, base, p, l, Scope::Beneath);
        assert_eq!(w(&mut fs, "..", Last::NoFollow), Err(Errno::Perm));
        assert_eq!(
            w(&mut fs, "dir/../../secret", Last::NoFollow),
            Err(Errno::Perm)
        );
        assert_eq!(w(&mut fs, "/sandbox", Last::NoFollow), Err(Errno::Perm));
        assert_eq!(w(&mut fs, "escape", Last::Follow), Err(Errno::Perm));
        assert_eq!(w(&mut fs, "abs", Last::Follow), Err(Errno::Perm));
        // Not followed: the link itself is fine to look at.
        assert!(matches!(
            w(&mut fs, "escape", Last::NoFollow),
            Ok(Walk::Found {
                kind: Kind::Symlink,
                ..
            })
        ));
    }

    #[test]
    fn symlinks() {
        let (mut fs, base) = setup();
        let file = fs.find("/sandbox/dir/file").unwrap();
        let dir = fs.find("/sandbox/dir").unwrap();
        let w = |fs: &mut MemFs, p, l| walk(fs, base, p, l, Scope::Beneath);
        assert_eq!(found(w(&mut fs, "to_file", Last::Follow)), file);
        assert_eq!(found(w(&mut fs, "to_dir/file", Last::NoFollow)), file);
        assert_eq!(found(w(&mut fs, "to_dir/", Last::NoFollow)), dir);
        assert_eq!(found(w(&mut fs, "dir/up", Last::Follow)), file);
        assert_eq!(w(&mut fs, "to_dir/", Last::Entry), Err(Errno::Notdir));
        assert_eq!(w(&mut fs, "loop", Last::Follow), Err(Errno::Loop));
        assert_eq!(w(&mut fs, "loop/x", Last::NoFollow), Err(Errno::Loop));
        assert!(matches!(
            w(&mut fs, "dangling", Last::Follow),
            Ok(Walk::Missing { ref name, .. }) if name == "nope"
        ));
        assert!(matches!(
            w(&mut fs, "to_file", Last::NoFollow),
            Ok(Walk::Found {
                kind: Kind::Symlink,
                ..
            })
        ));
    }

    #[test]
    fn anywhere_scope_clamps_at_root() {
        let (mut fs, base) = setup();
        let secret = fs.find("/secret").unwrap();
        let w = |fs: &mut MemFs, p| walk(fs, base, p, Last::Follow, Scope::Anywhere);
        assert_eq!(found(w(&mut fs, "/../../secret")), secret);
        assert_eq!(found(w(&mut fs, "../secret")), secret);
        assert_eq!(found(w(&mut fs, "/")), 1);
    }

    #[test]
    fn long_names() {
        let (mut fs, base) = setup();
        let long: String = core::iter::repeat_n('a', 256).collect();
        assert_eq!(
            walk(&mut fs, base, &long, Last::Follow, Scope::Beneath),
            Err(Errno::Nametoolong)
        );
    }
}
