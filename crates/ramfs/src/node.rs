//! Node storage: one arena of slots, nodes referring to each other by index.
//!
//! A node is a file, a directory or a symbolic link (an inode, in Unix terms); it has no
//! name. Names live in the directory entries that point at nodes, so a directory is a list
//! of (name, node) entries sorted by name: lookups are binary searches, listings come out
//! sorted for free, and a file can have several names (hard links), counted in its
//! `nlink`. Directories have exactly one name and know their parent, so upward walks
//! (cycle checks, depth checks, `..`) need no extra memory. A node is freed when its last
//! name is gone and no caller holds it open ([`Fs::retain`]); freed slots form an
//! intrusive free list, so deleting never allocates.
//!
//! Every primitive that allocates does all of its allocating (with `try_reserve`) before it
//! changes anything, so running out of memory is an [`FsError::OutOfMemory`] and leaves the
//! tree as it was. No code path indexes with `[]` or unwraps: the tree's invariants make the
//! fallbacks unreachable, but a bug then gives an error rather than a kernel panic.

use crate::FsError;
use crate::quota::{entry_cost, node_cost};
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

/// A symbolic link's target: a slice of the archive, or text on the heap.
#[derive(Debug)]
pub(crate) enum Text<'a> {
    Borrowed(&'a str),
    Owned(String),
}

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }

    pub(crate) fn try_clone(&self) -> Result<Self> {
        Ok(match self {
            Text::Borrowed(s) => Text::Borrowed(s),
            Text::Owned(s) => Text::Owned(name_string(s)?),
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
    /// The directory holding this one's entry; `NIL` for the root and for a directory
    /// that was removed while held open.
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
    Symlink(Text<'a>),
}

#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub(crate) body: Body<'a>,
    /// Unchanged since it was read from the archive.
    pub(crate) from_initrd: bool,
    /// Inode number, assigned when the node is stored; never reused.
    pub(crate) ino: u64,
    /// Directory entries naming this node.
    pub(crate) nlink: u32,
    /// Holds by callers of the node API ([`Fs::retain`]); keeps an unnamed node alive.
    pub(crate) opens: u32,
    pub(crate) atime: u64,
    pub(crate) mtime: u64,
    pub(crate) ctime: u64,
}

impl<'a> Node<'a> {
    /// A node not yet stored or named (`place` gives it an inode number, naming it counts
    /// the link), with all times `now`.
    pub(crate) fn new(body: Body<'a>, from_initrd: bool, now: u64) -> Self {
        Self {
            body,
            from_initrd,
            ino: 0,
            nlink: 0,
            opens: 0,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }

    /// Bytes for a file, number of entries for a directory, target length for a link.
    pub(crate) fn size(&self) -> usize {
        match &self.body {
            Body::Dir(d) => d.entries.len(),
            Body::File(data) => data.as_slice().len(),
            Body::Symlink(t) => t.as_str().len(),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }

    pub(crate) fn symlink_target(&self) -> Option<&str> {
        match &self.body {
            Body::Symlink(t) => Some(t.as_str()),
            _ => None,
        }
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
    /// The next inode number to hand out.
    pub(crate) next_ino: u64,
    /// Where timestamps come from; see `times.rs`.
    pub(crate) clock: fn() -> u64,
    /// Changes stamped so far; see `times.rs`.
    pub(crate) changes: core::sync::atomic::AtomicU64,
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
            next_ino: 1,
            clock: crate::times::no_clock,
            changes: core::sync::atomic::AtomicU64::new(0),
        };
        // If even this fails, every operation reports an error until memory is available.
        let _ = fs.ensure_root();
        fs
    }

    pub(crate) fn ensure_root(&mut self) -> Result<()> {
        if self.slots.is_empty() {
            self.slots.try_reserve(1).map_err(oom)?;
            let mut root = Node::new(Body::Dir(Dir::new(NIL, 0)), true, 0);
            root.nlink = 1;
            root.ino = self.next_ino;
            self.next_ino += 1;
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
            Body::Symlink(_) => Err(FsError::InvalidArgument),
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

    /// Makes sure [`Self::place`] will not allocate.
    pub(crate) fn reserve_slot(&mut self) -> Result<()> {
        if self.free == NIL {
            self.slots.try_reserve(1).map_err(oom)?;
        }
        Ok(())
    }

    /// Stores `node` in a free slot (reserved with [`Self::reserve_slot`]) and gives it the
    /// next inode number.
    pub(crate) fn place(&mut self, mut node: Node<'a>) -> usize {
        node.ino = self.next_ino;
        self.next_ino += 1;
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
    pub(crate) fn sort_last(&mut self, dir: usize) -> Result<()> {
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

    pub(crate) fn free_slot(&mut self, i: usize) {
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
