//! Path resolution through the tree: symbolic links, `..`, trailing slashes, confinement.
//!
//! # Why one resolver
//!
//! Symbolic links make `..` physical: after following `lib -> usr/lib`, `lib/..` is `usr`,
//! which only the tree knows. Both APIs resolve through this one walker:
//!
//! * the node API (`posix.rs`) hands it a path relative to a directory, confined to a
//!   root directory: `..` at the root, an absolute path and a link to an absolute path
//!   fail with [`FsError::EscapesRoot`], as WASI requires of a directory handle;
//! * the shell's string API hands it an absolute path it has already normalized lexically
//!   (see `path.rs`), from `/`; there `..` at `/` stays at `/` and absolute link targets
//!   start from `/`, as on any Unix.
//!
//! # The rules (POSIX path resolution)
//!
//! Every component but the last must be a directory or a link to one; links there are
//! always followed. A link in the last component is followed when the caller asks (stat
//! vs lstat) and always when a slash follows it. A trailing slash requires a directory.
//! Following more than [`MAX_SYMLINKS`] links in one resolution fails with
//! [`FsError::Loop`] (Linux's limit). A link's target is resolved from the directory that
//! holds the link; an empty target names nothing ([`FsError::NotFound`]).
//!
//! # No heap
//!
//! The parts of the path still to walk are a stack of string slices, borrowed from the
//! input and from link targets in the tree: one slice is pushed per followed link, so the
//! stack is bounded by the link limit and resolution never allocates.

use crate::FsError;
use crate::node::{Fs, NIL, ROOT, Result};
use crate::path::{MAX_DEPTH, MAX_NAME_LEN, MAX_PATH_LEN, check_name};

/// Most symbolic links one path resolution follows (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;

/// How far a resolution may go and what `..` at its root does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    pub(crate) root: usize,
    /// `true`: `..` at `root` stays there and absolute paths start at `root` (the string
    /// API). `false`: both fail with `EscapesRoot` (the node API).
    pub(crate) clamp: bool,
}

impl Scope {
    /// The string API's scope: the whole tree.
    pub(crate) const WHOLE: Scope = Scope {
        root: ROOT,
        clamp: true,
    };
}

/// A name copied out of a path or link target, so a caller can change the tree while
/// holding it (names are at most [`MAX_NAME_LEN`] bytes).
#[derive(Clone, Copy)]
pub(crate) struct NameBuf {
    bytes: [u8; MAX_NAME_LEN],
    len: usize,
}

impl NameBuf {
    fn new(name: &str) -> Result<Self> {
        let mut bytes = [0; MAX_NAME_LEN];
        bytes
            .get_mut(..name.len())
            .ok_or(FsError::NameTooLong)?
            .copy_from_slice(name.as_bytes());
        Ok(Self {
            bytes,
            len: name.len(),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        // Copied whole from a `&str`, so always valid UTF-8.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// The directory a path's last component is in, and that component.
#[derive(Clone, Copy)]
pub(crate) struct Parent {
    pub(crate) dir: usize,
    /// The last component, possibly `.` or `..`; empty when the path has none (`/`).
    pub(crate) name: NameBuf,
    /// A slash followed the last component.
    pub(crate) trailing: bool,
}

/// What is left to walk: path slices, the next one on top.
struct Segments<'s> {
    stack: [&'s str; MAX_DEPTH + MAX_SYMLINKS + 1],
    len: usize,
}

impl<'s> Segments<'s> {
    fn new() -> Self {
        Self {
            stack: [""; MAX_DEPTH + MAX_SYMLINKS + 1],
            len: 0,
        }
    }

    fn push(&mut self, s: &'s str) -> Result<()> {
        // Cannot fill up: at most MAX_DEPTH initial slices plus one per followed link.
        let slot = self.stack.get_mut(self.len).ok_or(FsError::Loop)?;
        *slot = s;
        self.len += 1;
        Ok(())
    }

    /// The next component, whether it is the last one, and whether a slash follows it.
    fn next(&mut self) -> Option<(&'s str, bool, bool)> {
        let comp = loop {
            let top = self.stack.get_mut(self.len.checked_sub(1)?)?;
            let s = top.trim_start_matches('/');
            if s.is_empty() {
                self.len -= 1;
                continue;
            }
            let end = s.find('/').unwrap_or(s.len());
            let (comp, rest) = s.split_at(end);
            *top = rest;
            break comp;
        };
        // Drop what holds no more components, noting whether a slash was in it.
        let mut trailing = false;
        while let Some(&top) = self.len.checked_sub(1).and_then(|t| self.stack.get(t)) {
            if !top.bytes().all(|b| b == b'/') {
                break;
            }
            trailing |= !top.is_empty();
            self.len -= 1;
        }
        Some((comp, self.len == 0, trailing))
    }
}

/// What a walk stops at.
enum Goal {
    /// The node the whole path names, following a link last if asked.
    Node { follow: bool },
    /// The directory holding the last component.
    Parent,
}

// Lives on the stack for one call; boxing the name would allocate on every lookup.
#[allow(clippy::large_enum_variant)]
enum Walked {
    Node(usize),
    Parent(Parent),
}

impl Fs<'_> {
    /// The node `path` names, relative to `start` (see the module docs); a link in the last
    /// component is followed if `follow`. `links` counts the links followed so far.
    pub(crate) fn resolve_path(
        &self,
        scope: Scope,
        start: usize,
        path: &str,
        follow: bool,
        links: &mut usize,
    ) -> Result<usize> {
        let (start, segs) = self.begin(scope, start, path)?;
        match self.step_through(scope, start, segs, Goal::Node { follow }, links)? {
            Walked::Node(n) => Ok(n),
            Walked::Parent(_) => Err(FsError::NotFound),
        }
    }

    /// The directory holding `path`'s last component, and that component (not followed
    /// even if it is a link).
    pub(crate) fn resolve_parent(
        &self,
        scope: Scope,
        start: usize,
        path: &str,
        links: &mut usize,
    ) -> Result<Parent> {
        let (start, segs) = self.begin(scope, start, path)?;
        match self.step_through(scope, start, segs, Goal::Parent, links)? {
            Walked::Parent(p) => Ok(p),
            Walked::Node(_) => Err(FsError::NotFound),
        }
    }

    /// The node at the lexically normalized components `comps`, from `/` (the string API).
    pub(crate) fn resolve_components(&self, comps: &[&str], follow: bool) -> Result<usize> {
        let mut segs = Segments::new();
        for c in comps.iter().rev() {
            segs.push(c)?;
        }
        self.node(ROOT)?;
        match self.step_through(Scope::WHOLE, ROOT, segs, Goal::Node { follow }, &mut 0)? {
            Walked::Node(n) => Ok(n),
            Walked::Parent(_) => Err(FsError::NotFound),
        }
    }

    /// Checks `path` and finds where its walk starts.
    fn begin<'p>(
        &self,
        scope: Scope,
        start: usize,
        path: &'p str,
    ) -> Result<(usize, Segments<'p>)> {
        if path.is_empty() {
            return Err(FsError::NotFound);
        }
        if path.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        let start = match path.starts_with('/') {
            false => start,
            true if scope.clamp => scope.root,
            true => return Err(FsError::EscapesRoot),
        };
        self.node(start)?;
        let mut segs = Segments::new();
        segs.push(path)?;
        Ok((start, segs))
    }

    fn step_through<'s>(
        &'s self,
        scope: Scope,
        mut cur: usize,
        mut segs: Segments<'s>,
        goal: Goal,
        links: &mut usize,
    ) -> Result<Walked> {
        // A slash after the path's last component requires a directory, also when that
        // component is a link whose target's components come after it.
        let mut trailing = false;
        while let Some((comp, is_last, slash)) = segs.next() {
            trailing |= is_last && slash;
            let dir = self.dir(cur)?;
            if is_last && matches!(goal, Goal::Parent) {
                if comp.len() > MAX_NAME_LEN {
                    return Err(FsError::NameTooLong);
                }
                return Ok(Walked::Parent(Parent {
                    dir: cur,
                    name: NameBuf::new(comp)?,
                    trailing,
                }));
            }
            match comp {
                "." => {}
                ".." if cur == scope.root || cur == ROOT => {
                    if !scope.clamp {
                        return Err(FsError::EscapesRoot);
                    }
                }
                ".." if dir.parent == NIL => return Err(FsError::NotFound), // removed
                ".." => cur = dir.parent,
                name => {
                    check_name(name)?;
                    let child = self.child(cur, name)?.ok_or(FsError::NotFound)?;
                    let target = self.node(child)?.symlink_target();
                    let follow = match goal {
                        Goal::Node { follow } => follow,
                        Goal::Parent => true,
                    };
                    match target {
                        Some(target) if !is_last || follow || trailing => {
                            *links += 1;
                            if *links > MAX_SYMLINKS {
                                return Err(FsError::Loop);
                            }
                            if target.is_empty() {
                                return Err(FsError::NotFound);
                            }
                            if target.starts_with('/') {
                                if !scope.clamp {
                                    return Err(FsError::EscapesRoot);
                                }
                                cur = scope.root;
                            }
                            // `cur` stays the link's directory, where the target starts.
                            segs.push(target)?;
                        }
                        _ => cur = child,
                    }
                }
            }
        }
        match goal {
            Goal::Node { .. } if trailing && !self.is_dir(cur) => Err(FsError::NotADirectory),
            Goal::Node { .. } => Ok(Walked::Node(cur)),
            // No components at all (`/`): the name is empty.
            Goal::Parent => Ok(Walked::Parent(Parent {
                dir: cur,
                name: NameBuf::new("")?,
                trailing: true,
            })),
        }
    }
}
