//! Operations that change the tree: writing, creating, removing, moving and copying.
//!
//! Each one does all of its allocating before it changes anything, so a full heap leaves
//! the tree as it was. `mkdir_all` and recursive copy, which allocate as they go, remove
//! what they created when they fail (freeing never allocates).

use crate::FsError;
use crate::node::{Body, Data, Dir, Entry, Found, Fs, NIL, ROOT, Result, name_string, oom, owned};
use crate::path::{MAX_DEPTH, check_name};
use crate::quota::{entry_cost, owned_bytes};
use alloc::vec::Vec;

impl<'a> Fs<'a> {
    /// The file at `path`, created empty if missing.
    pub(crate) fn open_or_create(&mut self, path: &str) -> Result<usize> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        match self.child(parent, name)? {
            Some(c) if self.is_dir(c) => Err(FsError::IsADirectory),
            Some(c) => Ok(c),
            None => self.create(parent, name, Body::File(Data::Owned(Vec::new()))),
        }
    }

    /// Changes a file's contents with `change` and marks the file as modified, unless
    /// `change` fails (it must then leave the contents alone). `owned_after` is how many
    /// bytes of contents the file will hold on the heap afterwards: the change is refused
    /// with [`FsError::NoSpace`] before it starts if they do not fit under the limit.
    pub(crate) fn modify(
        &mut self,
        i: usize,
        owned_after: usize,
        change: impl FnOnce(&mut Data<'a>) -> Result<()>,
    ) -> Result<()> {
        let before = owned_bytes(&self.node(i)?.body);
        if self.is_dir(i) {
            return Err(FsError::IsADirectory);
        }
        self.check_space(owned_after.saturating_sub(before))?;
        let node = self.node_mut(i)?;
        match &mut node.body {
            Body::File(data) => change(data)?,
            Body::Dir(_) => return Err(FsError::IsADirectory),
        }
        node.from_initrd = false;
        let after = owned_bytes(&node.body);
        self.refund(before);
        self.charge(after);
        Ok(())
    }

    /// Creates or overwrites a file with a copy of `data` (`>` in a shell). The parent
    /// directory must exist.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<()> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        let new = owned(data)?;
        match self.child(parent, name)? {
            Some(c) if self.is_dir(c) => Err(FsError::IsADirectory),
            Some(f) => self.modify(f, data.len(), |d| {
                *d = Data::Owned(new);
                Ok(())
            }),
            None => self
                .create(parent, name, Body::File(Data::Owned(new)))
                .map(|_| ()),
        }
    }

    /// Appends to a file, creating it if missing (`>>`). An initrd file is copied to the
    /// heap first.
    pub fn append(&mut self, path: &str, data: &[u8]) -> Result<()> {
        // Validate and reserve before creating, so a failure creates nothing.
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        let f = match self.child(parent, name)? {
            Some(c) if self.is_dir(c) => return Err(FsError::IsADirectory),
            Some(c) => c,
            None => return self.write(path, data),
        };
        let total = self.file_data(f)?.len().saturating_add(data.len());
        self.modify(f, total, |d| {
            match d {
                Data::Owned(v) => {
                    v.try_reserve(data.len()).map_err(oom)?;
                    v.extend_from_slice(data);
                }
                Data::Borrowed(old) => {
                    let total = old.len().checked_add(data.len());
                    let mut v = Vec::new();
                    v.try_reserve_exact(total.ok_or(FsError::OutOfMemory)?)
                        .map_err(oom)?;
                    v.extend_from_slice(old);
                    v.extend_from_slice(data);
                    *d = Data::Owned(v);
                }
            }
            Ok(())
        })
    }

    /// Creates an empty file if nothing exists at `path`; otherwise does nothing.
    pub fn touch(&mut self, path: &str) -> Result<()> {
        let comps = Self::parse(path)?;
        if self.lookup(comps.as_slice()).is_ok() {
            return Ok(());
        }
        self.open_or_create(path).map(|_| ())
    }

    /// Sets a file's length, cutting it or padding with zeros. Shortening an initrd file
    /// just narrows the borrowed slice.
    pub fn truncate(&mut self, path: &str, len: usize) -> Result<()> {
        let f = self.lookup(Self::parse(path)?.as_slice())?;
        let owned_after = match &self.node(f)?.body {
            Body::File(Data::Borrowed(b)) if len <= b.len() => 0,
            _ => len,
        };
        self.modify(f, owned_after, |d| {
            match d {
                Data::Owned(v) => {
                    if len > v.len() {
                        v.try_reserve(len - v.len()).map_err(oom)?;
                    }
                    v.resize(len, 0);
                }
                Data::Borrowed(b) if len <= b.len() => {
                    let whole: &'a [u8] = b;
                    *b = whole.get(..len).unwrap_or(whole);
                }
                Data::Borrowed(b) => {
                    let mut v = owned(b)?;
                    v.try_reserve(len - v.len()).map_err(oom)?;
                    v.resize(len, 0);
                    *d = Data::Owned(v);
                }
            }
            Ok(())
        })
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

    /// Creates a directory and any missing parents (`mkdir -p`); fine if it exists.
    pub fn mkdir_all(&mut self, path: &str) -> Result<()> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let mut cur = ROOT;
        let last = comps.as_slice().len().saturating_sub(1);
        // Only the path's existing part is checked before creating, so a failure later
        // undoes what was created.
        let mut first_new = None;
        for (i, &name) in comps.as_slice().iter().enumerate() {
            cur = match self.child(cur, name)? {
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

    /// Removes entry `pos` of `dir` and frees what it named (with everything below it).
    pub(crate) fn unlink_entry(&mut self, dir: usize, pos: usize) -> Result<()> {
        let e = self.remove_entry(dir, pos)?;
        self.free_subtree(e.node);
        Ok(())
    }

    /// Removes a file, an empty directory, or (with `recursive`) a whole subtree.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<()> {
        let comps = Self::parse(path)?;
        let i = self.lookup(comps.as_slice())?;
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
    /// directory, else to `to` itself (whose parent must be a directory).
    fn destination<'p>(&self, src_name: &'p str, to: &'p str) -> Result<(usize, &'p str)> {
        let tc = Self::parse(to)?;
        match self.lookup(tc.as_slice()) {
            Ok(t) if self.is_dir(t) => Ok((t, src_name)),
            Ok(_) | Err(FsError::NotFound) => self.parent_of(&tc),
            Err(e) => Err(e),
        }
    }

    /// Moves or renames (`mv`): into `to` if it is a directory, else to the path `to`,
    /// replacing a file there (or an empty directory, when moving a directory).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let fc = Self::parse(from)?;
        let src = self.lookup(fc.as_slice())?;
        if src == ROOT {
            return Err(FsError::InvalidArgument);
        }
        let (src_parent, src_name) = self.parent_of(&fc)?;
        let (parent, name) = self.destination(src_name, to)?;
        let src_is_dir = self.is_dir(src);
        if src_is_dir && self.is_within(parent, src) {
            return Err(FsError::InvalidArgument);
        }
        let replaced = match self.child(parent, name)? {
            Some(d) if d == src => return Ok(()),
            Some(d) => match (src_is_dir, self.entries_of(d)) {
                (false, Err(_)) => Some(d),
                (false, Ok(_)) => return Err(FsError::IsADirectory),
                (true, Err(_)) => return Err(FsError::NotADirectory),
                (true, Ok([])) => Some(d),
                (true, Ok(_)) => return Err(FsError::DirectoryNotEmpty),
            },
            None => None,
        };
        self.check_fits(parent, name, src)?;
        self.check_space(entry_cost(name).saturating_sub(entry_cost(src_name)))?;
        let new_name = name_string(name)?;
        self.dir_mut(parent)?.entries.try_reserve(1).map_err(oom)?;
        // Nothing below allocates.
        if replaced.is_some()
            && let Found::Yes(pos, _) = self.find(parent, name)?
        {
            self.unlink_entry(parent, pos)?;
        }
        if let Found::Yes(pos, _) = self.find(src_parent, src_name)? {
            self.remove_entry(src_parent, pos)?;
        }
        if let Ok(d) = self.dir_mut(src) {
            d.parent = parent;
            d.name_len = new_name.len();
        }
        self.insert_entry(
            parent,
            Entry {
                name: new_name,
                node: src,
            },
        )
    }

    /// Copies (`cp`, or `cp -r` with `recursive`): into `to` if it is a directory, else to
    /// the path `to`, overwriting a file there. Copies of initrd files share the archive
    /// bytes. A recursive copy refuses an existing destination directory (no merging).
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
        let existing = self.child(parent, name)?;
        if !src_is_dir {
            if existing == Some(src) {
                return Err(FsError::InvalidArgument);
            }
            let data = match &self.node(src)?.body {
                Body::File(data) => data.try_clone()?,
                Body::Dir(_) => return Err(FsError::IsADirectory),
            };
            return match existing {
                Some(d) if self.is_dir(d) => Err(FsError::IsADirectory),
                Some(f) => {
                    let owned_after = match &data {
                        Data::Owned(v) => v.len(),
                        Data::Borrowed(_) => 0,
                    };
                    self.modify(f, owned_after, |d| {
                        *d = data;
                        Ok(())
                    })
                }
                None => self.create(parent, name, Body::File(data)).map(|_| ()),
            };
        }
        if self.is_within(parent, src) {
            return Err(FsError::InvalidArgument);
        }
        if existing.is_some() {
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
            };
            let is_dir = matches!(body, Body::Dir(_));
            let new = self.create(dst, &name, body)?;
            if is_dir {
                self.copy_children(c, new, depth_left)?;
            }
        }
        Ok(())
    }
}

/// An empty directory (its parent and name are filled in when it is linked).
pub(crate) fn new_dir<'a>() -> Body<'a> {
    Body::Dir(Dir::new(NIL, 0))
}
