//! Lexical path handling, for the shell's string API.
//!
//! The shell keeps its current directory as a string and normalizes every path on the
//! string alone, as `cd` does in POSIX shells by default: `a/b/..` is `a` whatever `b` is,
//! even a symbolic link (resolution through the tree, links included, comes after, in
//! `resolve.rs`). Paths are split into a fixed-size stack of borrowed components, so this
//! never touches the heap (it cannot fail for lack of memory, and it is cheap enough to do
//! on every shell command). The limits below bound that stack, the kernel-stack depth of
//! anything that walks the tree, and the size of any path string we ever build.

use crate::FsError;
use alloc::string::String;

/// Longest file or directory name, in bytes.
pub const MAX_NAME_LEN: usize = 255;
/// Longest path, in bytes, both as given and once normalized.
pub const MAX_PATH_LEN: usize = 4096;
/// Most components in a normalized path (`/a/b` has 2). Also the deepest a node can be
/// (paths of the node API may be longer, through `..` and links, but lead no deeper).
pub const MAX_DEPTH: usize = 64;

/// A normalized absolute path: the components from the root, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Components<'p> {
    parts: [&'p str; MAX_DEPTH],
    len: usize,
}

impl<'p> Components<'p> {
    pub(crate) const fn root() -> Self {
        Self {
            parts: [""; MAX_DEPTH],
            len: 0,
        }
    }

    /// `path` relative to `cwd` (ignored when `path` is absolute). `cwd` itself is read as
    /// an absolute path even without a leading '/'.
    pub(crate) fn parse(cwd: &'p str, path: &'p str) -> Result<Self, FsError> {
        if path.is_empty() {
            return Err(FsError::InvalidPath);
        }
        let mut c = Self::root();
        if !path.starts_with('/') {
            c.push_path(cwd)?;
        }
        c.push_path(path)?;
        Ok(c)
    }

    /// Applies every component of `path` (a leading '/' is not special here: callers
    /// start from the root). Fails on the first bad component, leaving `self` partly
    /// updated; callers discard it then.
    pub(crate) fn push_path(&mut self, path: &'p str) -> Result<(), FsError> {
        if path.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => self.len = self.len.saturating_sub(1),
                name => {
                    check_name(name)?;
                    let slot = self.parts.get_mut(self.len).ok_or(FsError::TooDeep)?;
                    *slot = name;
                    self.len += 1;
                }
            }
        }
        if self.string_len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[&'p str] {
        self.parts.get(..self.len).unwrap_or(&[])
    }

    /// The parent's components and the last name; `None` for the root.
    pub(crate) fn split_last(&self) -> Option<(&'p str, &[&'p str])> {
        self.as_slice()
            .split_last()
            .map(|(last, rest)| (*last, rest))
    }

    /// Length of the normalized string form (`"/"` for the root).
    pub(crate) fn string_len(&self) -> usize {
        self.as_slice()
            .iter()
            .map(|p| p.len() + 1)
            .sum::<usize>()
            .max(1)
    }

    /// The normalized string form, e.g. `"/a/b"`.
    pub(crate) fn to_string(self) -> Result<String, FsError> {
        let mut s = String::new();
        s.try_reserve_exact(self.string_len())
            .map_err(|_| FsError::OutOfMemory)?;
        if self.len == 0 {
            s.push('/');
        }
        for part in self.as_slice() {
            s.push('/');
            s.push_str(part);
        }
        Ok(s)
    }
}

/// Checks one name (a single path component).
pub(crate) fn check_name(name: &str) -> Result<(), FsError> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(FsError::InvalidPath);
    }
    if name.contains('\0') {
        return Err(FsError::InvalidPath);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(FsError::NameTooLong);
    }
    Ok(())
}
