//! Node storage: one arena of slots, nodes referring to each other by index.
//!
//! A node is a file or a directory (an inode, in Unix terms); it has no name. Names live
//! in the directory entries that point at nodes, so a directory is a list of (name, node)
//! entries sorted by name: lookups are binary searches, listings come out sorted for free,
//! and one file can have several names. A directory also knows its parent, so upward walks
//! (cycle checks, depth checks, `..`) need no extra memory. Freed slots form an intrusive
//! free list, so deleting never allocates.
//!
//! Every primitive that allocates does all of its allocating (with `try_reserve`) before it
//! changes anything, so running out of memory is an [`FsError::OutOfMemory`] and leaves the
//! tree as it was. No code path indexes with `[]` or unwraps: the tree's invariants make the
//! fallbacks unreachable, but a bug then gives an error rather than a kernel panic.

use crate::FsError;
use crate::quota::{NODE_OVERHEAD, entry_cost, node_cost, owned_bytes};
pub(crate) use crate::work::count_work;
use alloc::string::String;
use alloc::vec::Vec;

pub(crate) type Result<T> = core::result::Result<T, FsError>;

pub(crate) const ROOT: usize = 0;
pub(crate) const NIL: usize = usize::MAX;

pub(crate) fn oom<T>(_: T) -> FsError {
    FsError::OutOfMemory
}

/// A file's contents: a slice of the archive, or bytes on the heap.
#[derive(Debug)]
pub(crate) enum Data<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Data<'_> {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Owned(v) => v,
        }
    }

    pub(crate) fn try_clone(&self) -> Result<Self> {
        Ok(match self {
            Data::Borrowed(b) => Data::Borrowed(b),
            Data::Owned(v) => Data::Owned(owned(v)?),
        })
    }
}

/// A name in a directory.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) node: usize,
}

#[derive(Debug)]
pub(crate) struct Dir {
    /// Sorted by name (bytewise), except while tar import builds the tree.
    pub(crate) entries: Vec<Entry>,
    /// The directory holding this one's entry; `NIL` for the root.
    pub(crate) parent: usize,
    /// Length of this directory's name, for the path-length limit.
    pub(crate) name_len: usize,
}

impl Dir {
    pub(crate) fn new(parent: usize, name_len: usize) -> Self {
        Self {
            entries: Vec::new(),
            parent,
            name_len,
        }
    }
}

#[derive(Debug)]
pub(crate) enum Body<'a> {
    File(Data<'a>),
    Dir(Dir),
}

#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub(crate) body: Body<'a>,
    /// Unchanged since it was read from the archive.
    pub(crate) from_initrd: bool,
}

impl<'a> Node<'a> {
    pub(crate) fn new(body: Body<'a>, from_initrd: bool) -> Self {
        Self { body, from_initrd }
    }

    /// Bytes for a file, number of entries for a directory.
    pub(crate) fn size(&self) -> usize {
        match &self.body {
            Body::Dir(d) => d.entries.len(),
            Body::File(data) => data.as_slice().len(),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }
}

#[derive(Debug)]
pub(crate) enum Slot<'a> {
    /// Free; holds the next free slot or `NIL`.
    Free(usize),
    Used(Node<'a>),
}

/// The file tree. `'a` is the lifetime of the archive memory (`'static` in the kernel).
#[derive(Debug)]
pub struct Fs<'a> {
    pub(crate) slots: Vec<Slot<'a>>,
    pub(crate) free: usize,
    pub(crate) archive_bytes: usize,
    /// Bytes accounted for, and the cap (`usize::MAX`: none); see `quota.rs`.
    pub(crate) used: usize,
    pub(crate) limit: usize,
}

impl Default for Fs<'_> {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn owned(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len()).map_err(oom)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

pub(crate) fn name_string(name: &str) -> Result<String> {
    let mut s = String::new();
    s.try_reserve_exact(name.len()).map_err(oom)?;
    s.push_str(name);
    Ok(s)
}

/// Where a name is in a directory.
pub(crate) enum Found {
    /// The entry's position in the directory and the node it names.
    Yes(usize, usize),
    /// Not there.
    No,
}

impl<'a> Fs<'a> {
    /// An empty tree: just `/`.
    pub fn new() -> Self {
        let mut fs = Self {
            slots: Vec::new(),
            free: NIL,
            archive_bytes: 0,
            used: 0,
            limit: usize::MAX,
        };
        // If even this fails, every operation reports an error until memory is available.
        let _ = fs.ensure_root();
        fs
    }

    pub(crate) fn ensure_root(&mut self) -> Result<()> {
        if self.slots.is_empty() {
            self.slots.try_reserve(1).map_err(oom)?;
            let root = Node::new(Body::Dir(Dir::new(NIL, 0)), true);
            self.charge(node_cost(&root));
            self.slots.push(Slot::Used(root));
        }
        Ok(())
    }

    pub(crate) fn node(&self, i: usize) -> Result<&Node<'a>> {
        match self.slots.get(i) {
            Some(Slot::Used(n)) => Ok(n),
            _ => Err(FsError::NotFound),
        }
    }

    pub(crate) fn node_mut(&mut self, i: usize) -> Result<&mut Node<'a>> {
        match self.slots.get_mut(i) {
            Some(Slot::Used(n)) => Ok(n),
            _ => Err(FsError::NotFound),
        }
    }

    pub(crate) fn is_dir(&self, i: usize) -> bool {
        self.node(i).is_ok_and(Node::is_dir)
    }

    pub(crate) fn dir(&self, i: usize) -> Result<&Dir> {
        match &self.node(i)?.body {
            Body::Dir(d) => Ok(d),
            _ => Err(FsError::NotADirectory),
        }
    }

    pub(crate) fn dir_mut(&mut self, i: usize) -> Result<&mut Dir> {
        match &mut self.node_mut(i)?.body {
            Body::Dir(d) => Ok(d),
            _ => Err(FsError::NotADirectory),
        }
    }

    /// A file's contents.
    pub(crate) fn file_data(&self, i: usize) -> Result<&[u8]> {
        match &self.node(i)?.body {
            Body::File(d) => Ok(d.as_slice()),
            Body::Dir(_) => Err(FsError::IsADirectory),
        }
    }

    pub(crate) fn entries_of(&self, dir: usize) -> Result<&[Entry]> {
        Ok(&self.dir(dir)?.entries)
    }

    /// Looks `name` up in the (sorted) directory `dir`.
    pub(crate) fn find(&self, dir: usize, name: &str) -> Result<Found> {
        let entries = self.entries_of(dir)?;
        Ok(
            match entries.binary_search_by(|e| {
                count_work(1);
                e.name.as_str().cmp(name)
            }) {
                Ok(pos) => Found::Yes(pos, entries.get(pos).map_or(NIL, |e| e.node)),
                Err(_) => Found::No,
            },
        )
    }

    /// The node `dir` names `name`, if any.
    pub(crate) fn child(&self, dir: usize, name: &str) -> Result<Option<usize>> {
        Ok(match self.find(dir, name)? {
            Found::Yes(_, c) => Some(c),
            Found::No => None,
        })
    }

    /// Creates a node named `name` in `parent` (which must not have that name yet), in its
    /// sorted place.
    pub(crate) fn create(&mut self, parent: usize, name: &str, body: Body<'a>) -> Result<usize> {
        let idx = self.push_new(parent, name, body, false)?;
        self.sort_last(parent)?;
        Ok(idx)
    }

    /// Creates a node named `name` at the end of `parent`'s entries, which are then
    /// unsorted until the caller sorts them (tar import sorts once at the end).
    pub(crate) fn push_new(
        &mut self,
        parent: usize,
        name: &str,
        mut body: Body<'a>,
        from_initrd: bool,
    ) -> Result<usize> {
        let cost = NODE_OVERHEAD
            .saturating_add(owned_bytes(&body))
            .saturating_add(entry_cost(name));
        self.check_space(cost)?;
        let name = name_string(name)?;
        self.dir_mut(parent)?.entries.try_reserve(1).map_err(oom)?;
        self.reserve_slot()?;
        // Nothing below can fail.
        if let Body::Dir(d) = &mut body {
            d.parent = parent;
            d.name_len = name.len();
        }
        let node = self.place(Node::new(body, from_initrd));
        self.dir_mut(parent)?.entries.push(Entry { name, node });
        self.charge(cost);
        Ok(node)
    }

    /// Makes sure [`Self::place`] will not allocate.
    pub(crate) fn reserve_slot(&mut self) -> Result<()> {
        if self.free == NIL {
            self.slots.try_reserve(1).map_err(oom)?;
        }
        Ok(())
    }

    /// Stores `node` in a free slot (reserved with [`Self::reserve_slot`]).
    pub(crate) fn place(&mut self, node: Node<'a>) -> usize {
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

    /// Adds an entry to `dir` in its sorted place (capacity must be reserved, and space
    /// checked: this charges for it).
    pub(crate) fn insert_entry(&mut self, dir: usize, entry: Entry) -> Result<()> {
        let cost = entry_cost(&entry.name);
        self.dir_mut(dir)?.entries.push(entry);
        self.charge(cost);
        self.sort_last(dir)
    }

    /// Moves the last entry of `dir` to its sorted place among the others (which must be
    /// sorted). Costs a binary search and one move per entry after that place.
    fn sort_last(&mut self, dir: usize) -> Result<()> {
        let entries = &mut self.dir_mut(dir)?.entries;
        let Some((last, others)) = entries.split_last() else {
            return Ok(());
        };
        let pos = others.partition_point(|e| {
            count_work(1);
            e.name < last.name
        });
        count_work(others.len() - pos);
        if let Some(tail) = entries.get_mut(pos..) {
            tail.rotate_right(1);
        }
        Ok(())
    }

    /// Removes the entry at `pos` of `dir`.
    pub(crate) fn remove_entry(&mut self, dir: usize, pos: usize) -> Result<Entry> {
        let entries = &mut self.dir_mut(dir)?.entries;
        if pos >= entries.len() {
            return Err(FsError::NotFound);
        }
        count_work(entries.len() - pos);
        let e = entries.remove(pos);
        self.refund(entry_cost(&e.name));
        Ok(e)
    }

    /// Sorts every directory's entries by name (after import appended them unsorted).
    /// Names in a directory are unique, so an unstable sort is exact; it does not allocate.
    pub(crate) fn sort_all_entries(&mut self) {
        for slot in &mut self.slots {
            if let Slot::Used(Node {
                body: Body::Dir(d), ..
            }) = slot
            {
                d.entries.sort_unstable_by(|a, b| {
                    count_work(1);
                    a.name.cmp(&b.name)
                });
            }
        }
    }

    /// Frees node `idx` and everything below it, without allocating: post-order, popping
    /// entries off each directory as it goes. The caller has removed `idx`'s own entry.
    pub(crate) fn free_subtree(&mut self, idx: usize) {
        let mut cur = idx;
        let mut fuel = self.slots.len().saturating_mul(2).saturating_add(2);
        while fuel > 0 {
            fuel -= 1;
            let child = match self.node_mut(cur) {
                Ok(Node {
                    body: Body::Dir(d), ..
                }) => d.entries.pop(),
                Ok(_) => None,
                Err(_) => return,
            };
            let child = child.map(|e| {
                self.refund(entry_cost(&e.name));
                e.node
            });
            if let Some(c) = child {
                // Directories are visited (they know their parent, to come back);
                // anything else is freed at once.
                if self.is_dir(c) {
                    cur = c;
                } else {
                    self.free_slot(c);
                }
                continue;
            }
            let parent = self.dir(cur).map_or(NIL, |d| d.parent);
            self.free_slot(cur);
            if cur == idx || parent == NIL {
                return;
            }
            cur = parent;
        }
    }

    fn free_slot(&mut self, i: usize) {
        if let Some(slot) = self.slots.get_mut(i) {
            let freed = core::mem::replace(slot, Slot::Free(self.free));
            self.free = i;
            if let Slot::Used(n) = freed {
                self.refund(node_cost(&n));
            }
        }
    }

    /// Slots in the arena, used or free.
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
impl Fs<'_> {
    /// Whether the file at `path` is still a borrowed slice of the archive.
    pub(crate) fn is_borrowed(&self, path: &str) -> bool {
        let Ok(i) = Self::parse(path).and_then(|c| self.lookup(c.as_slice())) else {
            return false;
        };
        matches!(
            self.node(i),
            Ok(Node {
                body: Body::File(Data::Borrowed(_)),
                ..
            })
        )
    }

    /// Panics (test only) if the tree's invariants do not hold.
    pub(crate) fn check_invariants(&self) {
        extern crate std;
        use crate::path::{MAX_DEPTH, MAX_PATH_LEN, check_name};
        use std::collections::HashSet;
        if self.slots.is_empty() {
            return; // the root could not be allocated; every operation reports errors
        }
        let mut seen = HashSet::new();
        let mut stack = alloc::vec![(ROOT, 0usize, 0usize)];
        assert!(matches!(self.dir(ROOT), Ok(d) if d.parent == NIL));
        while let Some((i, depth, len)) = stack.pop() {
            assert!(seen.insert(i), "node {i} reachable twice");
            assert!(depth <= MAX_DEPTH, "too deep");
            assert!(len <= MAX_PATH_LEN, "path too long");
            let n = self.node(i).expect("reachable node is used");
            if let Body::Dir(d) = &n.body {
                for w in d.entries.windows(2) {
                    assert!(w[0].name < w[1].name, "entries unsorted");
                }
                for e in &d.entries {
                    check_name(&e.name).expect("valid name");
                    if let Ok(cd) = self.dir(e.node) {
                        assert_eq!(cd.parent, i, "bad parent pointer");
                        assert_eq!(cd.name_len, e.name.len(), "bad name length");
                    }
                    stack.push((e.node, depth + 1, len + 1 + e.name.len()));
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
        let mut usage = 0;
        for slot in &self.slots {
            if let Slot::Used(n) = slot {
                usage += node_cost(n);
                if let Body::Dir(d) = &n.body {
                    usage += d.entries.iter().map(|e| entry_cost(&e.name)).sum::<usize>();
                }
            }
        }
        assert_eq!(self.used, usage, "usage total drifted");
    }
}
