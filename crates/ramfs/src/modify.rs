//! The shell's operations that change the tree: writing, creating, removing, moving,
//! copying and linking, on absolute path strings (see the crate docs for how those are
//! read).
//!
//! Each one does all of its allocating, and checks the space limit, before it changes
//! anything, so a failure leaves the tree as it was. `mkdir_all` and recursive copy, which
//! allocate as they go, remove what they created when they fail (freeing never allocates).
//! Links: writing through a symbolic link writes its target (creating it if the link
//! dangles, like `>` in a shell); removing, renaming and `mkdir` act on the link itself.

use crate::FsError;
use crate::node::{Body, Data, Dir, Found, Fs, NIL, ROOT, Result, name_string, owned};
use crate::path::{MAX_DEPTH, check_name};
use crate::posix::Located;
use crate::resolve::Scope;
use alloc::vec::Vec;

impl<'a> Fs<'a> {
    /// Where the string `path` leads, following links (see [`Fs::locate`]).
    fn locate_path(&self, path: &str) -> Result<Located> {
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        self.locate(Scope::WHOLE, parent, name, true)
    }

    /// Creates or overwrites a file with a copy of `data` (`>` in a shell). The parent
    /// directory must exist.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<()> {
        self.ensure_root()?;
        let located = self.locate_path(path)?;
        let new = owned(data)?;
        match located {
            Located::Existing { node, .. } if self.is_dir(node) => Err(FsError::IsADirectory),
            Located::Existing { node, .. } => self.replace_contents(node, Data::Owned(new)),
            Located::Missing(p) => self
                .create(p.dir, p.name.as_str(), Body::File(Data::Owned(new)))
                .map(|_| ()),
        }
    }

    /// Appends to a file, creating it if missing (`>>`). An initrd file is copied to the
    /// heap first.
    pub fn append(&mut self, path: &str, data: &[u8]) -> Result<()> {
        match self.locate_path(path)? {
            Located::Existing { node, .. } if self.is_dir(node) => Err(FsError::IsADirectory),
            Located::Existing { node, .. } => self.append_contents(node, data),
            Located::Missing(_) => self.write(path, data),
        }
    }

    /// Creates an empty file if nothing exists at `path`; otherwise does nothing.
    pub fn touch(&mut self, path: &str) -> Result<()> {
        self.ensure_root()?;
        match self.locate_path(path)? {
            Located::Existing { .. } => Ok(()),
            Located::Missing(p) => self
                .create(p.dir, p.name.as_str(), Body::File(Data::Owned(Vec::new())))
                .map(|_| ()),
        }
    }

    /// Sets a file's length, cutting it or padding with zeros. Shortening an initrd file
    /// just narrows the borrowed slice.
    pub fn truncate(&mut self, path: &str, len: usize) -> Result<()> {
        let f = self.lookup(Self::parse(path)?.as_slice())?;
        self.set_len_contents(f, len as u64)
    }

    /// Creates a directory; its parent must exist.
    pub fn mkdir(&mut self, path: &str) -> Result<()> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let Some((name, parent)) = comps.split_last() else {
            return Err(FsError::AlreadyExists);
        };
        let parent = self.lookup(parent)?;
        match self.child(parent, name)? {
            Some(_) => Err(FsError::AlreadyExists),
            None => self.create(parent, name, new_dir()).map(|_| ()),
        }
    }

    /// Creates a directory and any missing parents (`mkdir -p`); fine if it exists (also
    /// through a link to a directory).
    pub fn mkdir_all(&mut self, path: &str) -> Result<()> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let mut cur = ROOT;
        let last = comps.as_slice().len().saturating_sub(1);
        // Only the path's existing part is checked before creating, so a failure later
        // undoes what was created.
        let mut first_new = None;
        for (i, &name) in comps.as_slice().iter().enumerate() {
            let existing = match self.child(cur, name)? {
                // A link counts as what it leads to; a dangling one as something in the way.
                Some(c) if self.node(c)?.symlink_target().is_some() => Some(
                    self.resolve_path(Scope::WHOLE, cur, name, true, &mut 0)
                        .map_err(|_| FsError::AlreadyExists)?,
                ),
                c => c,
            };
            cur = match existing {
                Some(c) if self.is_dir(c) => c,
                Some(_) if i == last => return Err(FsError::AlreadyExists),
                Some(_) => return Err(FsError::NotADirectory),
                None => match self.create(cur, name, new_dir()) {
                    Ok(c) => {
                        first_new.get_or_insert((cur, c));
                        c
                    }
                    Err(e) => return Err(self.undo_create(first_new, e)),
                },
            };
        }
        Ok(())
    }

    /// Removes what a failed operation created (node `created.1` in directory
    /// `created.0`) and returns that operation's error.
    fn undo_create(&mut self, created: Option<(usize, usize)>, e: FsError) -> FsError {
        if let Some((parent, node)) = created {
            let pos = self
                .entries_of(parent)
                .ok()
                .and_then(|es| es.iter().position(|x| x.node == node));
            if let Some(pos) = pos {
                let _ = self.unlink_entry(parent, pos);
            }
        }
        e
    }

    /// Removes a file, a link, an empty directory, or (with `recursive`) a whole subtree.
    /// A file with other names (hard links) stays under those.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<()> {
        let comps = Self::parse(path)?;
        let i = self.lookup_nofollow(comps.as_slice())?;
        if i == ROOT {
            return Err(FsError::InvalidArgument);
        }
        if !recursive && self.entries_of(i).is_ok_and(|c| !c.is_empty()) {
            return Err(FsError::DirectoryNotEmpty);
        }
        let (parent, name) = self.parent_of(&comps)?;
        let Found::Yes(pos, _) = self.find(parent, name)? else {
            return Err(FsError::NotFound);
        };
        self.unlink_entry(parent, pos)
    }

    /// Where `from` would go for `mv from to` / `cp from to`: into `to` when it is a
    /// directory (or a link to one), else to `to` itself (whose parent must be a
    /// directory).
    fn destination<'p>(&self, src_name: &'p str, to: &'p str) -> Result<(usize, &'p str)> {
        let tc = Self::parse(to)?;
        match self.lookup(tc.as_slice()) {
            Ok(t) if self.is_dir(t) => Ok((t, src_name)),
            Ok(_) | Err(FsError::NotFound) => self.parent_of(&tc),
            Err(e) => Err(e),
        }
    }

    /// Moves or renames (`mv`): into `to` if it is a directory, else to the path `to`,
    /// replacing a file there (or an empty directory, when moving a directory). A link is
    /// moved, not its target.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let fc = Self::parse(from)?;
        if self.lookup_nofollow(fc.as_slice())? == ROOT {
            return Err(FsError::InvalidArgument);
        }
        let (src_parent, src_name) = self.parent_of(&fc)?;
        let (parent, name) = self.destination(src_name, to)?;
        let mut links = 0;
        let src = self.resolve_parent(Scope::WHOLE, src_parent, src_name, &mut links)?;
        let dst = self.resolve_parent(Scope::WHOLE, parent, name, &mut links)?;
        self.rename_entry(&src, &dst)
    }

    /// Copies (`cp`, or `cp -r` with `recursive`): into `to` if it is a directory, else to
    /// the path `to`, overwriting a file there. Copies of initrd files share the archive
    /// bytes. A recursive copy refuses an existing destination directory (no merging).
    /// Links: `from` itself is followed; links below it are copied as links; each name of
    /// a hard-linked file becomes a file of its own.
    pub fn copy(&mut self, from: &str, to: &str, recursive: bool) -> Result<()> {
        let fc = Self::parse(from)?;
        let src = self.lookup(fc.as_slice())?;
        let src_name = fc.split_last().map_or("", |(n, _)| n);
        let src_is_dir = self.is_dir(src);
        if src_is_dir && !recursive {
            return Err(FsError::IsADirectory);
        }
        if src == ROOT {
            return Err(FsError::InvalidArgument);
        }
        let (parent, name) = self.destination(src_name, to)?;
        check_name(name)?;
        if !src_is_dir {
            let located = self.locate(Scope::WHOLE, parent, name, true)?;
            let data = match &self.node(src)?.body {
                Body::File(data) => data.try_clone()?,
                _ => return Err(FsError::InvalidArgument),
            };
            return match located {
                Located::Existing { node, .. } if node == src => Err(FsError::InvalidArgument),
                Located::Existing { node, .. } if self.is_dir(node) => Err(FsError::IsADirectory),
                Located::Existing { node, .. } => self.replace_contents(node, data),
                Located::Missing(p) => self
                    .create(p.dir, p.name.as_str(), Body::File(data))
                    .map(|_| ()),
            };
        }
        if self.is_within(parent, src) {
            return Err(FsError::InvalidArgument);
        }
        if self.child(parent, name)?.is_some() {
            return Err(FsError::AlreadyExists);
        }
        self.check_fits(parent, name, src)?;
        let dst = self.create(parent, name, new_dir())?;
        self.copy_children(src, dst, MAX_DEPTH)
            .map_err(|e| self.undo_create(Some((parent, dst)), e))
    }

    fn copy_children(&mut self, src: usize, dst: usize, depth_left: usize) -> Result<()> {
        let depth_left = depth_left.checked_sub(1).ok_or(FsError::TooDeep)?;
        let mut i = 0;
        // `dst` is not below `src`, so `src`'s entries do not change while we copy.
        while let Some(e) = self.entries_of(src)?.get(i) {
            i += 1;
            let (c, name) = (e.node, name_string(&e.name)?);
            let body = match &self.node(c)?.body {
                Body::Dir(_) => new_dir(),
                Body::File(data) => Body::File(data.try_clone()?),
                Body::Symlink(t) => Body::Symlink(t.try_clone()?),
            };
            let is_dir = matches!(body, Body::Dir(_));
            let new = self.create(dst, &name, body)?;
            if is_dir {
                self.copy_children(c, new, depth_left)?;
            }
        }
        Ok(())
    }

    /// Creates a symbolic link at `path` pointing to `target` (`ln -s target path`). The
    /// target is stored as given; relative targets are resolved from the link's directory.
    pub fn symlink(&mut self, target: &str, path: &str) -> Result<()> {
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        self.symlink_in(target, Scope::WHOLE, parent, name)
            .map(|_| ())
    }

    /// Gives the file (or link) at `existing` another name, `new` (`ln existing new`).
    /// Directories cannot be hard-linked ([`FsError::NotPermitted`]).
    pub fn hard_link(&mut self, existing: &str, new: &str) -> Result<()> {
        let src = self.lookup_nofollow(Self::parse(existing)?.as_slice())?;
        let comps = Self::parse(new)?;
        let (parent, name) = self.parent_of(&comps)?;
        self.link_in(src, Scope::WHOLE, parent, name)
    }
}

/// An empty directory (its parent and name are filled in when it is named).
pub(crate) fn new_dir<'a>() -> Body<'a> {
    Body::Dir(Dir::new(NIL, 0))
}
