//! The file tree and its operations.
//!
//! Nodes live in one arena (`Vec` of slots) and refer to each other by index: a directory
//! holds the indices of its children sorted by name, so lookups are binary searches and
//! listings come out sorted for free; every node knows its parent, so `..`-free upward
//! walks (cycle checks, depth checks) need no extra memory. Freed slots form an intrusive
//! free list, so deleting never allocates.
//!
//! Every operation that allocates does all of its allocating (with `try_reserve`) before it
//! changes anything, so running out of memory returns [`FsError::OutOfMemory`] and leaves
//! the tree as it was. `mkdir_all` and recursive copy, which allocate as they go, remove
//! what they created when they fail (freeing never allocates). [`Fs::from_tar`] stops
//! indexing instead, and says so in its warning. No code path indexes with `[]` or unwraps: the tree's invariants make the
//! fallbacks unreachable, but a bug then gives an error rather than a kernel panic.

use crate::archive::{self, Assembler, Damage, End, Item};
use crate::path::{Components, MAX_DEPTH, MAX_PATH_LEN, check_name};
use crate::{FsError, Warning};
use alloc::string::String;
use alloc::vec::Vec;

type Result<T> = core::result::Result<T, FsError>;

const ROOT: usize = 0;
const NIL: usize = usize::MAX;

/// File or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
}

/// What [`Fs::metadata`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: Kind,
    /// Bytes for a file, number of entries for a directory.
    pub size: usize,
    /// `false` for a file still exactly as the initrd archive had it (its contents are read
    /// straight from the archive's memory) and for directories that came from the archive;
    /// `true` for anything created or modified since boot.
    pub in_ram: bool,
}

/// One entry of [`Fs::read_dir`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'f> {
    pub name: &'f str,
    pub kind: Kind,
    /// As in [`Metadata::size`].
    pub size: usize,
}

/// One node visited by [`Fs::walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkEntry<'f> {
    /// Normalized absolute path.
    pub path: &'f str,
    /// Last path component (`"/"` for the root).
    pub name: &'f str,
    /// 0 for the node the walk started at, 1 for its children, and so on.
    pub depth: usize,
    pub kind: Kind,
    /// As in [`Metadata::size`].
    pub size: usize,
    /// Whether this is the last entry of its directory (for drawing `└──` vs `├──`).
    pub is_last: bool,
}

/// Totals for `df`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files, in RAM or not.
    pub files: usize,
    /// Directories, not counting `/`.
    pub dirs: usize,
    /// Files whose contents are unchanged from the archive.
    pub initrd_files: usize,
    /// Bytes of file contents read straight from the archive's memory (a copied initrd
    /// file shares the archive bytes and counts here again).
    pub initrd_bytes: usize,
    /// Bytes of file contents held on the heap.
    pub ram_bytes: usize,
    /// Size of the whole archive in memory.
    pub archive_bytes: usize,
}

#[derive(Debug)]
enum Data<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Data<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Owned(v) => v,
        }
    }

    fn try_clone(&self) -> Result<Self> {
        Ok(match self {
            Data::Borrowed(b) => Data::Borrowed(b),
            Data::Owned(v) => Data::Owned(owned(v)?),
        })
    }
}

#[derive(Debug)]
enum NodeKind<'a> {
    Dir(Vec<usize>),
    File(Data<'a>),
}

#[derive(Debug)]
struct Node<'a> {
    name: String,
    parent: usize,
    kind: NodeKind<'a>,
    /// Unchanged since it was read from the archive.
    from_initrd: bool,
}

#[derive(Debug)]
enum Slot<'a> {
    /// Free; holds the next free slot or `NIL`.
    Free(usize),
    Used(Node<'a>),
}

/// The file tree. `'a` is the lifetime of the archive memory (`'static` in the kernel).
#[derive(Debug)]
pub struct Fs<'a> {
    slots: Vec<Slot<'a>>,
    free: usize,
    archive_bytes: usize,
}

impl Default for Fs<'_> {
    fn default() -> Self {
        Self::new()
    }
}

fn owned(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|_| FsError::OutOfMemory)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

fn name_string(name: &str) -> Result<String> {
    let mut s = String::new();
    s.try_reserve_exact(name.len())
        .map_err(|_| FsError::OutOfMemory)?;
    s.push_str(name);
    Ok(s)
}

/// Where a name is (or would go) in a directory.
enum Found {
    /// The child's position in the parent's list and its index.
    Yes(usize, usize),
    /// Where it would be inserted.
    No(usize),
}

/// Outcome of adding one archive entry.
enum Added {
    Ok,
    Conflict,
}

impl<'a> Fs<'a> {
    /// An empty tree: just `/`.
    pub fn new() -> Self {
        let mut fs = Self {
            slots: Vec::new(),
            free: NIL,
            archive_bytes: 0,
        };
        // If even this fails, every operation reports an error until memory is available.
        let _ = fs.ensure_root();
        fs
    }

    /// Indexes a tar archive. Always returns a usable tree; the warning (one line when
    /// displayed) says what could not be served. See the crate docs for the strategy.
    pub fn from_tar(bytes: &'a [u8]) -> (Self, Option<Warning>) {
        let mut fs = Self::new();
        fs.archive_bytes = bytes.len();
        let mut warning = Warning::default();
        let mut asm = Assembler::default();
        let mut sink = |h: archive::Header<'a>| -> bool {
            match asm.feed(h) {
                None => true,
                Some(Item::Skipped) => {
                    warning.skipped += 1;
                    true
                }
                Some(Item::File { path, data }) => fs.add_entry(path, Some(data), &mut warning),
                Some(Item::Dir { path }) => fs.add_entry(path, None, &mut warning),
            }
        };
        let end = match archive::read_tar_no_std(bytes, &mut sink) {
            Some(end) => end,
            None => archive::walk_blocks(bytes, &mut sink),
        };
        warning.damage = match end {
            End::Clean => None,
            End::Stopped(offset) => Some((offset, Damage::OutOfMemory)),
            End::Damaged(offset, damage) => Some((offset, damage)),
        };
        let stats = fs.stats();
        warning.files = stats.files;
        warning.dirs = stats.dirs;
        let warning = warning.is_needed().then_some(warning);
        (fs, warning)
    }

    /// Adds one archive entry (`data` is `None` for a directory). Returns `false` to stop
    /// indexing (out of memory).
    fn add_entry(
        &mut self,
        path: archive::Path<'a>,
        data: Option<&'a [u8]>,
        warning: &mut Warning,
    ) -> bool {
        let Some((prefix, name)) = path.0 else {
            warning.bad_names += 1;
            return true;
        };
        let mut comps = Components::root();
        if name.is_empty() || comps.push_path(prefix).and(comps.push_path(name)).is_err() {
            warning.bad_names += 1;
            return true;
        }
        match self.add_archive_node(comps.as_slice(), data) {
            Ok(Added::Ok) => true,
            Ok(Added::Conflict) => {
                warning.conflicts += 1;
                true
            }
            Err(_) => false,
        }
    }

    fn add_archive_node(&mut self, comps: &[&str], data: Option<&'a [u8]>) -> Result<Added> {
        let (dirs, last) = match (data, comps.split_last()) {
            (Some(_), Some((last, dirs))) => (dirs, Some(*last)),
            (Some(_), None) => return Ok(Added::Conflict), // a file named "/"
            (None, _) => (comps, None),
        };
        let mut cur = ROOT;
        for &name in dirs {
            cur = match self.find(cur, name)? {
                Found::Yes(_, c) if self.is_dir(c) => c,
                Found::Yes(..) => return Ok(Added::Conflict),
                Found::No(_) => self.insert(cur, name, NodeKind::Dir(Vec::new()), true)?,
            };
        }
        let (Some(name), Some(data)) = (last, data) else {
            return Ok(Added::Ok);
        };
        match self.find(cur, name)? {
            Found::Yes(_, c) => {
                let node = self.node_mut(c)?;
                if let NodeKind::File(d) = &mut node.kind {
                    // A later entry for the same path wins, as when extracting.
                    *d = Data::Borrowed(data);
                    node.from_initrd = true;
                    Ok(Added::Ok)
                } else {
                    Ok(Added::Conflict)
                }
            }
            Found::No(_) => {
                self.insert(cur, name, NodeKind::File(Data::Borrowed(data)), true)?;
                Ok(Added::Ok)
            }
        }
    }

    // ---------------------------------------------------------------- arena primitives

    fn ensure_root(&mut self) -> Result<()> {
        if self.slots.is_empty() {
            self.slots
                .try_reserve(1)
                .map_err(|_| FsError::OutOfMemory)?;
            self.slots.push(Slot::Used(Node {
                name: String::new(),
                parent: NIL,
                kind: NodeKind::Dir(Vec::new()),
                from_initrd: true,
            }));
        }
        Ok(())
    }

    fn node(&self, i: usize) -> Result<&Node<'a>> {
        match self.slots.get(i) {
            Some(Slot::Used(n)) => Ok(n),
            _ => Err(FsError::NotFound),
        }
    }

    fn node_mut(&mut self, i: usize) -> Result<&mut Node<'a>> {
        match self.slots.get_mut(i) {
            Some(Slot::Used(n)) => Ok(n),
            _ => Err(FsError::NotFound),
        }
    }

    fn name_of(&self, i: usize) -> &str {
        self.node(i).map_or("", |n| n.name.as_str())
    }

    fn is_dir(&self, i: usize) -> bool {
        matches!(
            self.node(i),
            Ok(Node {
                kind: NodeKind::Dir(_),
                ..
            })
        )
    }

    fn children(&self, dir: usize) -> Result<&[usize]> {
        match &self.node(dir)?.kind {
            NodeKind::Dir(c) => Ok(c),
            NodeKind::File(_) => Err(FsError::NotADirectory),
        }
    }

    fn children_mut(&mut self, dir: usize) -> Result<&mut Vec<usize>> {
        match &mut self.node_mut(dir)?.kind {
            NodeKind::Dir(c) => Ok(c),
            NodeKind::File(_) => Err(FsError::NotADirectory),
        }
    }

    fn find(&self, dir: usize, name: &str) -> Result<Found> {
        let children = self.children(dir)?;
        Ok(
            match children.binary_search_by(|&c| self.name_of(c).cmp(name)) {
                Ok(pos) => Found::Yes(pos, children.get(pos).copied().unwrap_or(NIL)),
                Err(pos) => Found::No(pos),
            },
        )
    }

    fn size_of(&self, n: &Node<'a>) -> usize {
        match &n.kind {
            NodeKind::Dir(c) => c.len(),
            NodeKind::File(data) => data.as_slice().len(),
        }
    }

    /// Creates a child of `parent` (which must not have one named `name`).
    fn insert(
        &mut self,
        parent: usize,
        name: &str,
        kind: NodeKind<'a>,
        from_initrd: bool,
    ) -> Result<usize> {
        let name = name_string(name)?;
        self.children_mut(parent)?
            .try_reserve(1)
            .map_err(|_| FsError::OutOfMemory)?;
        if self.free == NIL {
            self.slots
                .try_reserve(1)
                .map_err(|_| FsError::OutOfMemory)?;
        }
        // Nothing below can fail.
        let node = Node {
            name,
            parent,
            kind,
            from_initrd,
        };
        let idx = self.alloc_slot(node);
        self.link(parent, idx)?;
        Ok(idx)
    }

    fn alloc_slot(&mut self, node: Node<'a>) -> usize {
        let idx = self.free;
        if let Some(slot) = self.slots.get_mut(idx) {
            self.free = match slot {
                Slot::Free(next) => *next,
                Slot::Used(_) => NIL, // unreachable: the free list only holds free slots
            };
            *slot = Slot::Used(node);
            idx
        } else {
            self.free = NIL;
            self.slots.push(Slot::Used(node));
            self.slots.len() - 1
        }
    }

    /// Inserts `idx` into `parent`'s sorted children (capacity must be reserved).
    fn link(&mut self, parent: usize, idx: usize) -> Result<()> {
        let pos = match self.find(parent, self.name_of(idx))? {
            Found::Yes(pos, _) | Found::No(pos) => pos,
        };
        let children = self.children_mut(parent)?;
        children.insert(pos.min(children.len()), idx);
        Ok(())
    }

    fn unlink(&mut self, idx: usize) -> Result<()> {
        let parent = self.node(idx)?.parent;
        let Found::Yes(pos, c) = self.find(parent, self.name_of(idx))? else {
            return Err(FsError::NotFound);
        };
        if c == idx {
            self.children_mut(parent)?.remove(pos);
        }
        Ok(())
    }

    /// Frees `idx` and everything below it, without allocating (post-order, popping
    /// children off their parent's list). The caller unlinks `idx` from its parent first.
    fn free_subtree(&mut self, idx: usize) {
        let mut cur = idx;
        let mut fuel = self.slots.len().saturating_mul(2).saturating_add(2);
        while fuel > 0 {
            fuel -= 1;
            let child = match self.node_mut(cur) {
                Ok(Node {
                    kind: NodeKind::Dir(c),
                    ..
                }) => c.pop(),
                Ok(_) => None,
                Err(_) => return,
            };
            if let Some(c) = child {
                cur = c;
                continue;
            }
            let parent = self.node(cur).map_or(NIL, |n| n.parent);
            if let Some(slot) = self.slots.get_mut(cur) {
                *slot = Slot::Free(self.free);
                self.free = cur;
            }
            if cur == idx || parent == NIL {
                return;
            }
            cur = parent;
        }
    }

    fn lookup(&self, comps: &[&str]) -> Result<usize> {
        let mut cur = ROOT;
        self.node(ROOT)?;
        for &name in comps {
            cur = match self.find(cur, name)? {
                Found::Yes(_, c) => c,
                Found::No(_) => return Err(FsError::NotFound),
            };
        }
        Ok(cur)
    }

    /// Components of `path`, relative paths taken from `/`.
    fn parse(path: &str) -> Result<Components<'_>> {
        Components::parse("", path)
    }

    /// Depth of a node (0 for the root) and the length of its path string (0 for the
    /// root, so that `len + 1 + name` is a child's length).
    fn depth_and_len(&self, mut i: usize) -> (usize, usize) {
        let (mut depth, mut len) = (0usize, 0usize);
        while i != ROOT {
            let Ok(n) = self.node(i) else { break };
            depth += 1;
            len += n.name.len() + 1;
            i = n.parent;
            if depth > self.slots.len() {
                break;
            }
        }
        (depth, len)
    }

    /// The deepest relative depth and longest relative path length below `i`.
    fn extent(&self, i: usize) -> (usize, usize) {
        let mut max = (0, 0);
        let mut lens = [0usize; MAX_DEPTH + 2];
        for (node, depth, _) in self.preorder(i).skip(1) {
            let len = lens.get(depth - 1).copied().unwrap_or(0) + 1 + self.name_of(node).len();
            if let Some(l) = lens.get_mut(depth) {
                *l = len;
            }
            max = (max.0.max(depth), max.1.max(len));
        }
        max
    }

    /// Whether `i` is `ancestor` or lies below it.
    fn is_within(&self, mut i: usize, ancestor: usize) -> bool {
        for _ in 0..=self.slots.len() {
            if i == ancestor {
                return true;
            }
            match self.node(i) {
                Ok(n) if n.parent != NIL => i = n.parent,
                _ => return false,
            }
        }
        false
    }

    /// Fails if putting `src`'s subtree under `parent` with name `name` would make a path
    /// longer or deeper than the limits.
    fn check_fits(&self, parent: usize, name: &str, src: usize) -> Result<()> {
        let (depth, len) = self.depth_and_len(parent);
        let (sub_depth, sub_len) = self.extent(src);
        if depth + 1 + sub_depth > MAX_DEPTH {
            return Err(FsError::TooDeep);
        }
        if len + 1 + name.len() + sub_len > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        Ok(())
    }

    fn preorder(&self, start: usize) -> Preorder<'_, 'a> {
        Preorder {
            fs: self,
            start: Some(start),
            stack: [(NIL, 0); MAX_DEPTH + 1],
            len: 0,
        }
    }

    /// Parent directory and name for creating `path`: the parent must exist and be a
    /// directory. `Err(AlreadyExists)`-style decisions are left to the caller.
    fn parent_of<'p>(&self, comps: &Components<'p>) -> Result<(usize, &'p str)> {
        let Some((name, parent)) = comps.split_last() else {
            return Err(FsError::IsADirectory); // "/" itself
        };
        let parent = self.lookup(parent)?;
        if !self.is_dir(parent) {
            return Err(FsError::NotADirectory);
        }
        Ok((parent, name))
    }

    /// The file at `path`, created empty if missing.
    fn open_or_create(&mut self, path: &str) -> Result<usize> {
        self.ensure_root()?;
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        match self.find(parent, name)? {
            Found::Yes(_, c) if self.is_dir(c) => Err(FsError::IsADirectory),
            Found::Yes(_, c) => Ok(c),
            Found::No(_) => {
                self.insert(parent, name, NodeKind::File(Data::Owned(Vec::new())), false)
            }
        }
    }

    /// Changes a file's contents with `change` and marks the file as modified, unless
    /// `change` fails (it must then leave the contents alone).
    fn modify(&mut self, i: usize, change: impl FnOnce(&mut Data<'a>) -> Result<()>) -> Result<()> {
        let node = self.node_mut(i)?;
        match &mut node.kind {
            NodeKind::File(data) => change(data)?,
            NodeKind::Dir(_) => return Err(FsError::IsADirectory),
        }
        node.from_initrd = false;
        Ok(())
    }

    // ---------------------------------------------------------------- public API

    /// Normalizes `path` against `cwd` into an absolute path string (`/`, `/a/b`).
    /// Purely lexical: the path need not exist.
    pub fn resolve(&self, cwd: &str, path: &str) -> Result<String> {
        Components::parse(cwd, path)?.to_string()
    }

    /// Whether anything exists at `path`.
    pub fn exists(&self, path: &str) -> bool {
        Self::parse(path)
            .and_then(|c| self.lookup(c.as_slice()))
            .is_ok()
    }

    pub fn metadata(&self, path: &str) -> Result<Metadata> {
        let n = self.node(self.lookup(Self::parse(path)?.as_slice())?)?;
        Ok(Metadata {
            kind: match n.kind {
                NodeKind::Dir(_) => Kind::Dir,
                NodeKind::File(_) => Kind::File,
            },
            size: self.size_of(n),
            in_ram: !n.from_initrd,
        })
    }

    /// A file's contents, borrowed from the archive or the heap.
    pub fn read(&self, path: &str) -> Result<&[u8]> {
        match &self.node(self.lookup(Self::parse(path)?.as_slice())?)?.kind {
            NodeKind::File(data) => Ok(data.as_slice()),
            NodeKind::Dir(_) => Err(FsError::IsADirectory),
        }
    }

    /// A directory's entries, sorted by name (bytewise).
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry<'_>>> {
        let dir = self.lookup(Self::parse(path)?.as_slice())?;
        let children = self.children(dir)?;
        let mut out = Vec::new();
        out.try_reserve_exact(children.len())
            .map_err(|_| FsError::OutOfMemory)?;
        for &c in children {
            let n = self.node(c)?;
            out.push(DirEntry {
                name: &n.name,
                kind: if matches!(n.kind, NodeKind::Dir(_)) {
                    Kind::Dir
                } else {
                    Kind::File
                },
                size: self.size_of(n),
            });
        }
        Ok(out)
    }

    /// Creates or overwrites a file with a copy of `data` (`>` in a shell). The parent
    /// directory must exist.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let new = owned(data)?;
        let f = self.open_or_create(path)?;
        self.modify(f, |d| {
            *d = Data::Owned(new);
            Ok(())
        })
    }

    /// Appends to a file, creating it if missing (`>>`). An initrd file is copied to the
    /// heap first.
    pub fn append(&mut self, path: &str, data: &[u8]) -> Result<()> {
        // Validate and reserve before creating, so a failure creates nothing.
        let comps = Self::parse(path)?;
        let (parent, name) = self.parent_of(&comps)?;
        let existing = match self.find(parent, name)? {
            Found::Yes(_, c) if self.is_dir(c) => return Err(FsError::IsADirectory),
            Found::Yes(_, c) => Some(c),
            Found::No(_) => None,
        };
        let f = match existing {
            Some(f) => f,
            None => return self.write(path, data),
        };
        self.modify(f, |d| {
            match d {
                Data::Owned(v) => {
                    v.try_reserve(data.len())
                        .map_err(|_| FsError::OutOfMemory)?;
                    v.extend_from_slice(data);
                }
                Data::Borrowed(old) => {
                    let total = old.len().checked_add(data.len());
                    let mut v = Vec::new();
                    v.try_reserve_exact(total.ok_or(FsError::OutOfMemory)?)
                        .map_err(|_| FsError::OutOfMemory)?;
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
        self.modify(f, |d| {
            match d {
                Data::Owned(v) => {
                    if len > v.len() {
                        v.try_reserve(len - v.len())
                            .map_err(|_| FsError::OutOfMemory)?;
                    }
                    v.resize(len, 0);
                }
                Data::Borrowed(b) if len <= b.len() => {
                    let whole: &'a [u8] = b;
                    *b = whole.get(..len).unwrap_or(whole);
                }
                Data::Borrowed(b) => {
                    let mut v = owned(b)?;
                    v.try_reserve(len - v.len())
                        .map_err(|_| FsError::OutOfMemory)?;
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
        match self.find(parent, name)? {
            Found::Yes(..) => Err(FsError::AlreadyExists),
            Found::No(_) => self
                .insert(parent, name, NodeKind::Dir(Vec::new()), false)
                .map(|_| ()),
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
            cur = match self.find(cur, name)? {
                Found::Yes(_, c) if self.is_dir(c) => c,
                Found::Yes(..) if i == last => return Err(FsError::AlreadyExists),
                Found::Yes(..) => return Err(FsError::NotADirectory),
                Found::No(_) => match self.insert(cur, name, NodeKind::Dir(Vec::new()), false) {
                    Ok(c) => {
                        first_new.get_or_insert(c);
                        c
                    }
                    Err(e) => return Err(self.undo_create(first_new, e)),
                },
            };
        }
        Ok(())
    }

    /// Removes a subtree created by a failed operation and returns that operation's error.
    fn undo_create(&mut self, created: Option<usize>, e: FsError) -> FsError {
        if let Some(c) = created
            && self.unlink(c).is_ok()
        {
            self.free_subtree(c);
        }
        e
    }

    /// Removes a file, an empty directory, or (with `recursive`) a whole subtree.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<()> {
        let comps = Self::parse(path)?;
        let i = self.lookup(comps.as_slice())?;
        if i == ROOT {
            return Err(FsError::InvalidArgument);
        }
        if !recursive && self.children(i).is_ok_and(|c| !c.is_empty()) {
            return Err(FsError::DirectoryNotEmpty);
        }
        self.unlink(i)?;
        self.free_subtree(i);
        Ok(())
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
        let Some((src_name, _)) = fc.split_last() else {
            return Err(FsError::InvalidArgument);
        };
        let (parent, name) = self.destination(src_name, to)?;
        let src_is_dir = self.is_dir(src);
        if src_is_dir && self.is_within(parent, src) {
            return Err(FsError::InvalidArgument);
        }
        let replaced = match self.find(parent, name)? {
            Found::Yes(_, d) if d == src => return Ok(()),
            Found::Yes(_, d) => match (src_is_dir, self.children(d)) {
                (false, Err(_)) => Some(d),
                (false, Ok(_)) => return Err(FsError::IsADirectory),
                (true, Err(_)) => return Err(FsError::NotADirectory),
                (true, Ok([])) => Some(d),
                (true, Ok(_)) => return Err(FsError::DirectoryNotEmpty),
            },
            Found::No(_) => None,
        };
        self.check_fits(parent, name, src)?;
        let new_name = name_string(name)?;
        self.children_mut(parent)?
            .try_reserve(1)
            .map_err(|_| FsError::OutOfMemory)?;
        // Nothing below allocates.
        if let Some(d) = replaced {
            self.unlink(d)?;
            self.free_subtree(d);
        }
        self.unlink(src)?;
        let node = self.node_mut(src)?;
        node.name = new_name;
        node.parent = parent;
        self.link(parent, src)
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
        let existing = match self.find(parent, name)? {
            Found::Yes(_, d) => Some(d),
            Found::No(_) => None,
        };
        if !src_is_dir {
            if existing == Some(src) {
                return Err(FsError::InvalidArgument);
            }
            let data = match &self.node(src)?.kind {
                NodeKind::File(data) => data.try_clone()?,
                NodeKind::Dir(_) => return Err(FsError::IsADirectory),
            };
            let f = match existing {
                Some(d) if self.is_dir(d) => return Err(FsError::IsADirectory),
                Some(d) => d,
                None => {
                    self.insert(parent, name, NodeKind::File(Data::Owned(Vec::new())), false)?
                }
            };
            return self.modify(f, |d| {
                *d = data;
                Ok(())
            });
        }
        if self.is_within(parent, src) {
            return Err(FsError::InvalidArgument);
        }
        if existing.is_some() {
            return Err(FsError::AlreadyExists);
        }
        self.check_fits(parent, name, src)?;
        let dst = self.insert(parent, name, NodeKind::Dir(Vec::new()), false)?;
        self.copy_children(src, dst, MAX_DEPTH)
            .map_err(|e| self.undo_create(Some(dst), e))
    }

    fn copy_children(&mut self, src: usize, dst: usize, depth_left: usize) -> Result<()> {
        let depth_left = depth_left.checked_sub(1).ok_or(FsError::TooDeep)?;
        let mut i = 0;
        // `dst` is not below `src`, so `src`'s children do not change while we copy.
        while let Some(&c) = self.children(src)?.get(i) {
            i += 1;
            let n = self.node(c)?;
            let name = name_string(&n.name)?;
            let kind = match &n.kind {
                NodeKind::Dir(_) => NodeKind::Dir(Vec::new()),
                NodeKind::File(data) => NodeKind::File(data.try_clone()?),
            };
            let is_dir = matches!(kind, NodeKind::Dir(_));
            let new = self.insert(dst, &name, kind, false)?;
            if is_dir {
                self.copy_children(c, new, depth_left)?;
            }
        }
        Ok(())
    }

    /// Visits `path` (depth 0) and everything below it in pre-order, children in name
    /// order. Allocates one path buffer.
    pub fn walk(&self, path: &str, mut f: impl FnMut(&WalkEntry<'_>)) -> Result<()> {
        let comps = Self::parse(path)?;
        let start = self.lookup(comps.as_slice())?;
        let mut buf = comps.to_string()?;
        buf.try_reserve(MAX_PATH_LEN.saturating_sub(buf.len()))
            .map_err(|_| FsError::OutOfMemory)?;
        let mut lens = [0usize; MAX_DEPTH + 2];
        if let Some(l) = lens.get_mut(0) {
            *l = if buf == "/" { 0 } else { buf.len() };
        }
        for (i, depth, is_last) in self.preorder(start) {
            let n = self.node(i)?;
            if depth > 0 {
                let base = lens.get(depth - 1).copied().unwrap_or(0);
                buf.truncate(base);
                buf.push('/');
                buf.push_str(&n.name);
                if let Some(l) = lens.get_mut(depth) {
                    *l = buf.len();
                }
            }
            let name = if i == ROOT { "/" } else { n.name.as_str() };
            f(&WalkEntry {
                path: &buf,
                name,
                depth,
                kind: if matches!(n.kind, NodeKind::Dir(_)) {
                    Kind::Dir
                } else {
                    Kind::File
                },
                size: self.size_of(n),
                is_last,
            });
        }
        Ok(())
    }

    /// Totals over the whole tree.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            archive_bytes: self.archive_bytes,
            ..Stats::default()
        };
        for (i, _, _) in self.preorder(ROOT).skip(1) {
            match self.node(i).map(|n| (&n.kind, n.from_initrd)) {
                Ok((NodeKind::Dir(_), _)) => s.dirs += 1,
                Ok((NodeKind::File(data), from_initrd)) => {
                    s.files += 1;
                    if from_initrd {
                        s.initrd_files += 1;
                    }
                    match data {
                        Data::Borrowed(b) => s.initrd_bytes += b.len(),
                        Data::Owned(v) => s.ram_bytes += v.len(),
                    }
                }
                Err(_) => {}
            }
        }
        s
    }

    /// Tab completion of the path `partial` typed in `cwd`: every entry of the directory
    /// named by `partial` up to its last '/' whose name starts with the rest, as the full
    /// replacement word (the typed directory part kept as typed), directories with a
    /// trailing '/'. Dot-files only when the typed name starts with '.'. Sorted; empty on
    /// any error.
    pub fn complete(&self, cwd: &str, partial: &str) -> Vec<String> {
        let mut out = Vec::new();
        let (dir_part, prefix) = match partial.rfind('/') {
            Some(i) => partial.split_at(i + 1),
            None => ("", partial),
        };
        let dir = if dir_part.is_empty() {
            let mut c = Components::root();
            c.push_path(cwd).map(|()| c)
        } else {
            Components::parse(cwd, dir_part)
        };
        let Ok(children) = dir
            .and_then(|d| self.lookup(d.as_slice()))
            .and_then(|d| self.children(d))
        else {
            return out;
        };
        let start = children.partition_point(|&c| self.name_of(c) < prefix);
        for &c in children.get(start..).unwrap_or(&[]) {
            let name = self.name_of(c);
            if !name.starts_with(prefix) {
                break;
            }
            if name.starts_with('.') && !prefix.starts_with('.') {
                continue;
            }
            let slash = if self.is_dir(c) { "/" } else { "" };
            let mut s = String::new();
            if s.try_reserve_exact(dir_part.len() + name.len() + slash.len())
                .is_err()
                || out.try_reserve(1).is_err()
            {
                return out;
            }
            s.push_str(dir_part);
            s.push_str(name);
            s.push_str(slash);
            out.push(s);
        }
        out
    }
}

/// Pre-order traversal without heap: a stack of (directory, next child position), bounded
/// by the tree's depth limit.
struct Preorder<'f, 'a> {
    fs: &'f Fs<'a>,
    start: Option<usize>,
    stack: [(usize, usize); MAX_DEPTH + 1],
    len: usize,
}

impl Iterator for Preorder<'_, '_> {
    /// (node, depth below the start, is last of its siblings)
    type Item = (usize, usize, bool);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(start) = self.start.take() {
            self.fs.node(start).ok()?;
            if self.fs.is_dir(start) {
                self.stack[0] = (start, 0);
                self.len = 1;
            }
            return Some((start, 0, true));
        }
        loop {
            let top = self.len.checked_sub(1)?;
            let (dir, pos) = self.stack.get(top).copied()?;
            let children = self.fs.children(dir).unwrap_or(&[]);
            let Some(&c) = children.get(pos) else {
                self.len = top;
                continue;
            };
            if let Some(entry) = self.stack.get_mut(top) {
                entry.1 += 1;
            }
            let depth = self.len;
            if self.fs.is_dir(c)
                && let Some(entry) = self.stack.get_mut(self.len)
            {
                *entry = (c, 0);
                self.len += 1;
            }
            return Some((c, depth, pos + 1 == children.len()));
        }
    }
}

#[cfg(test)]
impl Fs<'_> {
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Whether the file at `path` is still a borrowed slice of the archive.
    pub(crate) fn is_borrowed(&self, path: &str) -> bool {
        let Ok(i) = Self::parse(path).and_then(|c| self.lookup(c.as_slice())) else {
            return false;
        };
        matches!(
            self.node(i),
            Ok(Node {
                kind: NodeKind::File(Data::Borrowed(_)),
                ..
            })
        )
    }

    /// Panics (test only) if the tree's invariants do not hold.
    pub(crate) fn check_invariants(&self) {
        extern crate std;
        use std::collections::HashSet;
        if self.slots.is_empty() {
            return; // the root could not be allocated; every operation reports errors
        }
        let mut seen = HashSet::new();
        let mut stack = alloc::vec![(ROOT, 0usize, 0usize)];
        assert!(matches!(self.node(ROOT), Ok(n) if n.parent == NIL && n.name.is_empty()));
        while let Some((i, depth, len)) = stack.pop() {
            assert!(seen.insert(i), "node {i} reachable twice");
            assert!(depth <= MAX_DEPTH, "too deep");
            assert!(len <= MAX_PATH_LEN, "path too long");
            let n = self.node(i).expect("reachable node is used");
            if let NodeKind::Dir(children) = &n.kind {
                for w in children.windows(2) {
                    assert!(self.name_of(w[0]) < self.name_of(w[1]), "children unsorted");
                }
                for &c in children {
                    let cn = self.node(c).expect("child is used");
                    assert_eq!(cn.parent, i, "bad parent pointer");
                    check_name(&cn.name).expect("valid name");
                    stack.push((c, depth + 1, len + 1 + cn.name.len()));
                }
            }
        }
        let mut free = 0;
        let mut f = self.free;
        while f != NIL {
            assert!(matches!(self.slots[f], Slot::Free(_)));
            free += 1;
            assert!(free <= self.slots.len(), "free list cycle");
            let Slot::Free(next) = self.slots[f] else {
                unreachable!()
            };
            f = next;
        }
        assert_eq!(seen.len() + free, self.slots.len(), "leaked slots");
    }
}
