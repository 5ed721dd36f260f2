//! The node API, part 2: operations on paths relative to a directory, with POSIX meaning,
//! for a WASI host (`path_open`, `path_create_directory`, `path_unlink_file`,
//! `path_remove_directory`, `path_rename`, `path_symlink`, `path_link`, `path_readlink`,
//! `path_filestat_get`).
//!
//! Every path resolves through `resolve.rs`, confined to [`At::root`]. The rules each
//! operation adds are those of POSIX (and Linux where POSIX leaves a choice): creating
//! never follows a link in the last component except `open` with create and follow, which
//! creates the file the dangling link points to; removing and renaming act on the link,
//! not its target; a trailing slash requires a directory. Renaming replaces its
//! destination: a file (or link) replaces a non-directory, a directory an empty directory;
//! renaming a name onto another name of the same node does nothing. The string API's
//! `mv` (`Fs::rename`) uses the same rename after choosing its destination.
//!
//! An empty path names nothing ([`FsError::NotFound`]), as in POSIX. Errors, in the order
//! they are checked, follow Linux so a WASI layer can map them 1:1: see each method.

use crate::FsError;
use crate::node::{Body, Data, Entry, Found, Fs, Result, Text, name_string, oom};
use crate::path::{MAX_PATH_LEN, check_name};
use crate::quota::entry_cost;
use crate::resolve::{MAX_SYMLINKS, Parent, Scope};
use crate::types::{At, Metadata, NodeId, OpenOptions};
use alloc::vec::Vec;

/// Where a path leads, for operations that may create what it names.
// Lives on the stack for one call; boxing the name would allocate on every lookup.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Located {
    /// It names this node (a trailing slash followed it).
    Existing { node: usize, trailing: bool },
    /// Nothing has the name yet; it would be `name` in `dir` (never `.`, `..` or empty).
    Missing(Parent),
}

/// Names that refer to a directory itself rather than an entry in it.
fn is_special(name: &str) -> bool {
    matches!(name, "" | "." | "..")
}

impl<'a> Fs<'a> {
    /// The scope and start directory of `at`.
    fn scope_of(&self, at: At) -> Result<(Scope, usize)> {
        let root = self.slot(at.root)?;
        let dir = self.slot(at.dir)?;
        self.dir(dir)?;
        Ok((Scope { root, clamp: false }, dir))
    }

    /// The node `path` names. A link in the last component is followed if `follow`.
    pub fn lookup_at(&self, at: At, path: &str, follow: bool) -> Result<NodeId> {
        let (scope, start) = self.scope_of(at)?;
        let node = self.resolve_path(scope, start, path, follow, &mut 0)?;
        Ok(self.id(node))
    }

    /// Metadata of what `path` names (`stat`, or `lstat` without `follow`).
    pub fn stat_at(&self, at: At, path: &str, follow: bool) -> Result<Metadata> {
        let (scope, start) = self.scope_of(at)?;
        self.metadata_of(self.resolve_path(scope, start, path, follow, &mut 0)?)
    }

    /// The target of the symbolic link `path` names (a trailing slash follows it, so
    /// `link/` is `InvalidArgument`, as is anything but a link).
    pub fn read_link_at(&self, at: At, path: &str) -> Result<&str> {
        let (scope, start) = self.scope_of(at)?;
        let node = self.resolve_path(scope, start, path, false, &mut 0)?;
        self.node(node)?
            .symlink_target()
            .ok_or(FsError::InvalidArgument)
    }

    /// Opens (and with `create`, creates) what `path` names, as POSIX `openat` does; see
    /// [`OpenOptions`]. Errors: `AlreadyExists` (create + exclusive, the name exists),
    /// `Loop` (a link last without `follow`), `NotADirectory` (`directory` or a trailing
    /// slash, and it is not one), `IsADirectory` (truncating a directory, or creating a
    /// file named with a trailing slash), `InvalidArgument` (create + directory for a
    /// missing name), `NotFound`, and the resolution errors.
    pub fn open_at(&mut self, at: At, path: &str, opts: OpenOptions) -> Result<NodeId> {
        let (scope, start) = self.scope_of(at)?;
        let node = self.open_in(scope, start, path, opts)?;
        Ok(self.id(node))
    }

    pub(crate) fn open_in(
        &mut self,
        scope: Scope,
        start: usize,
        path: &str,
        opts: OpenOptions,
    ) -> Result<usize> {
        let exclusive = opts.create && opts.exclusive;
        match self.locate(scope, start, path, opts.follow && !exclusive)? {
            Located::Existing { node, trailing } => {
                let n = self.node(node)?;
                if exclusive {
                    return Err(FsError::AlreadyExists);
                }
                if n.symlink_target().is_some() {
                    return Err(FsError::Loop);
                }
                if (opts.directory || trailing) && !n.is_dir() {
                    return Err(FsError::NotADirectory);
                }
                if opts.truncate {
                    if n.is_dir() {
                        return Err(FsError::IsADirectory);
                    }
                    self.set_len_contents(node, 0)?;
                }
                Ok(node)
            }
            Located::Missing(p) => {
                if !opts.create {
                    return Err(FsError::NotFound);
                }
                if p.trailing {
                    return Err(FsError::IsADirectory);
                }
                if opts.directory {
                    return Err(FsError::InvalidArgument);
                }
                self.create(p.dir, p.name.as_str(), Body::File(Data::Owned(Vec::new())))
            }
        }
    }

    /// Finds what `path` names, following links in the last component if `follow` (or a
    /// trailing slash asks), or where a new file would go: through a dangling link, where
    /// the link points.
    pub(crate) fn locate(
        &self,
        scope: Scope,
        start: usize,
        path: &str,
        follow: bool,
    ) -> Result<Located> {
        let mut links = 0;
        let mut p = self.resolve_parent(scope, start, path, &mut links)?;
        loop {
            let name = p.name.as_str();
            if is_special(name) {
                let name = if name.is_empty() { "." } else { name };
                let node = self.resolve_path(scope, p.dir, name, true, &mut links)?;
                return Ok(Located::Existing {
                    node,
                    trailing: p.trailing,
                });
            }
            check_name(name)?;
            let Some(node) = self.child(p.dir, name)? else {
                self.check_alive_dir(p.dir)?;
                return Ok(Located::Missing(p));
            };
            let target = match self.node(node)?.symlink_target() {
                Some(t) if follow || p.trailing => t,
                _ => {
                    return Ok(Located::Existing {
                        node,
                        trailing: p.trailing,
                    });
                }
            };
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(FsError::Loop);
            }
            let trailing = p.trailing;
            p = self.resolve_parent(scope, p.dir, target, &mut links)?;
            p.trailing |= trailing;
        }
    }

    /// Creates directory `path` (`mkdirat`). Errors: `AlreadyExists` (anything has the
    /// name, even a dangling link; or the path ends in `.` or `..`), `NotFound` (the parent
    /// is missing or was removed), and the resolution errors.
    pub fn mkdir_at(&mut self, at: At, path: &str) -> Result<NodeId> {
        let (scope, start) = self.scope_of(at)?;
        let p = self.resolve_parent(scope, start, path, &mut 0)?;
        let name = p.name.as_str();
        if is_special(name) || self.child(p.dir, name)?.is_some() {
            return Err(FsError::AlreadyExists);
        }
        check_name(name)?;
        let node = self.create(p.dir, name, crate::modify::new_dir())?;
        Ok(self.id(node))
    }

    /// Creates a symbolic link at `path` whose target is `target` (`symlinkat`). The
    /// target is stored as given, even absolute or dangling; following it is what is
    /// checked. Errors: `NotFound` (empty target, or a trailing slash on a new name),
    /// `NameTooLong` (target over [`MAX_PATH_LEN`]), `InvalidPath` (NUL in the target),
    /// `AlreadyExists`, and the resolution errors.
    pub fn symlink_at(&mut self, target: &str, at: At, path: &str) -> Result<NodeId> {
        let (scope, start) = self.scope_of(at)?;
        let node = self.symlink_in(target, scope, start, path)?;
        Ok(self.id(node))
    }

    pub(crate) fn symlink_in(
        &mut self,
        target: &str,
        scope: Scope,
        start: usize,
        path: &str,
    ) -> Result<usize> {
        if target.is_empty() {
            return Err(FsError::NotFound);
        }
        if target.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        if target.contains('\0') {
            return Err(FsError::InvalidPath);
        }
        let p = self.resolve_parent(scope, start, path, &mut 0)?;
        let name = p.name.as_str();
        if is_special(name) || self.child(p.dir, name)?.is_some() {
            return Err(FsError::AlreadyExists);
        }
        if p.trailing {
            return Err(FsError::NotFound);
        }
        check_name(name)?;
        let target = Text::Owned(name_string(target)?);
        self.create(p.dir, name, Body::Symlink(target))
    }

    /// Gives the node `from_path` names another name, `to_path` (`linkat`; a link in
    /// `from_path`'s last component is followed if `follow`). Errors: `NotPermitted` (a
    /// directory), `AlreadyExists`, `NotFound` (a trailing slash on the new name), and the
    /// resolution errors.
    pub fn link_at(
        &mut self,
        from: At,
        from_path: &str,
        follow: bool,
        to: At,
        to_path: &str,
    ) -> Result<()> {
        let (scope, start) = self.scope_of(from)?;
        let src = self.resolve_path(scope, start, from_path, follow, &mut 0)?;
        let (scope, start) = self.scope_of(to)?;
        self.link_in(src, scope, start, to_path)
    }

    /// Gives `node`, which the caller already holds, another name, `to_path` (`linkat`
    /// for a host that resolved the source path itself, e.g. a WASI layer). Errors as
    /// [`Fs::link_at`], `StaleHandle` for a node that is gone, and `NotFound` for one that
    /// lost its last name (held open, it is not given a name again, as on Linux).
    pub fn link_node(&mut self, node: NodeId, to: At, to_path: &str) -> Result<()> {
        let src = self.slot(node)?;
        if self.node(src)?.nlink == 0 {
            return Err(FsError::NotFound);
        }
        let (scope, start) = self.scope_of(to)?;
        self.link_in(src, scope, start, to_path)
    }

    pub(crate) fn link_in(
        &mut self,
        src: usize,
        scope: Scope,
        start: usize,
        path: &str,
    ) -> Result<()> {
        if self.is_dir(src) {
            return Err(FsError::NotPermitted);
        }
        let p = self.resolve_parent(scope, start, path, &mut 0)?;
        let name = p.name.as_str();
        if is_special(name) || self.child(p.dir, name)?.is_some() {
            return Err(FsError::AlreadyExists);
        }
        if p.trailing {
            return Err(FsError::NotFound);
        }
        check_name(name)?;
        self.add_link(p.dir, name, src)
    }

    /// Removes the non-directory name `path` (`unlinkat`); the node goes when its last name
    /// does and nothing holds it. Errors: `IsADirectory` (a directory, or `.`/`..`),
    /// `NotADirectory` (a trailing slash), `NotFound`, and the resolution errors.
    pub fn unlink_at(&mut self, at: At, path: &str) -> Result<()> {
        let (scope, start) = self.scope_of(at)?;
        let p = self.resolve_parent(scope, start, path, &mut 0)?;
        let name = p.name.as_str();
        if is_special(name) {
            return Err(FsError::IsADirectory);
        }
        check_name(name)?;
        let Found::Yes(pos, node) = self.find(p.dir, name)? else {
            return Err(FsError::NotFound);
        };
        if self.is_dir(node) {
            return Err(FsError::IsADirectory);
        }
        if p.trailing {
            return Err(FsError::NotADirectory);
        }
        self.unlink_entry(p.dir, pos)
    }

    /// Removes the empty directory `path` (`rmdir`). Errors: `InvalidArgument` (`.`, or the
    /// root), `DirectoryNotEmpty` (also for `..`), `NotADirectory` (anything else, links
    /// included), `NotFound`, and the resolution errors.
    pub fn rmdir_at(&mut self, at: At, path: &str) -> Result<()> {
        let (scope, start) = self.scope_of(at)?;
        let p = self.resolve_parent(scope, start, path, &mut 0)?;
        match p.name.as_str() {
            "" | "." => return Err(FsError::InvalidArgument),
            ".." => return Err(FsError::DirectoryNotEmpty),
            name => check_name(name)?,
        }
        let Found::Yes(pos, node) = self.find(p.dir, p.name.as_str())? else {
            return Err(FsError::NotFound);
        };
        match self.entries_of(node) {
            Err(_) => Err(FsError::NotADirectory),
            Ok([]) => self.unlink_entry(p.dir, pos),
            Ok(_) => Err(FsError::DirectoryNotEmpty),
        }
    }

    /// Renames `from_path` to `to_path` (`renameat`), replacing what is there; see the
    /// module docs. Errors: `InvalidArgument` (`.`/`..`/root as either name, or a
    /// directory into itself), `NotADirectory` (a directory onto a non-directory, or a
    /// trailing slash on a non-directory), `IsADirectory` (a non-directory onto a
    /// directory), `DirectoryNotEmpty`, `NotFound`, the limits, and the resolution errors.
    pub fn rename_at(&mut self, from: At, from_path: &str, to: At, to_path: &str) -> Result<()> {
        let (scope, start) = self.scope_of(from)?;
        let src = self.resolve_parent(scope, start, from_path, &mut 0)?;
        let (scope, start) = self.scope_of(to)?;
        let dst = self.resolve_parent(scope, start, to_path, &mut 0)?;
        self.rename_entry(&src, &dst)
    }

    /// Moves the entry `src` names to the name `dst` names (POSIX `rename`).
    pub(crate) fn rename_entry(&mut self, src: &Parent, dst: &Parent) -> Result<()> {
        let (sname, dname) = (src.name.as_str(), dst.name.as_str());
        if is_special(sname) || is_special(dname) {
            return Err(FsError::InvalidArgument);
        }
        check_name(sname)?;
        check_name(dname)?;
        let Some(node) = self.child(src.dir, sname)? else {
            return Err(FsError::NotFound);
        };
        let is_dir = self.is_dir(node);
        if (src.trailing || dst.trailing) && !is_dir {
            return Err(FsError::NotADirectory);
        }
        self.check_alive_dir(dst.dir)?;
        if is_dir && self.is_within(dst.dir, node) {
            return Err(FsError::InvalidArgument);
        }
        let replaced = match self.child(dst.dir, dname)? {
            Some(d) if d == node => return Ok(()),
            Some(d) => match (is_dir, self.entries_of(d)) {
                (false, Err(_)) => true,
                (false, Ok(_)) => return Err(FsError::IsADirectory),
                (true, Err(_)) => return Err(FsError::NotADirectory),
                (true, Ok([])) => true,
                (true, Ok(_)) => return Err(FsError::DirectoryNotEmpty),
            },
            None => false,
        };
        self.check_fits(dst.dir, dname, node)?;
        self.check_space(entry_cost(dname).saturating_sub(entry_cost(sname)))?;
        let new_name = name_string(dname)?;
        self.dir_mut(dst.dir)?.entries.try_reserve(1).map_err(oom)?;
        // Nothing below allocates or fails.
        if replaced && let Found::Yes(pos, _) = self.find(dst.dir, dname)? {
            self.unlink_entry(dst.dir, pos)?;
        }
        if let Found::Yes(pos, _) = self.find(src.dir, sname)? {
            self.remove_entry(src.dir, pos)?;
        }
        if let Ok(d) = self.dir_mut(node) {
            d.parent = dst.dir;
            d.name_len = new_name.len();
        }
        self.insert_entry(
            dst.dir,
            Entry {
                name: new_name,
                node,
            },
        )?;
        self.stamp_changed(src.dir);
        self.stamp_changed(dst.dir);
        let now = self.now();
        if let Ok(n) = self.node_mut(node) {
            n.ctime = now;
        }
        Ok(())
    }
}
