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

    /// Creates a node named `name` in `parent` (which must not have that name yet), in its
    /// sorted place, with all times now; stamps the parent as changed.
    pub(crate) fn create(&mut self, parent: usize, name: &str, body: Body<'a>) -> Result<usize> {
        self.check_alive_dir(parent)?;
        if !self.is_dir(parent) {
            return Err(FsError::NotADirectory);
        }
        let node = Node::new(body, false, self.now());
        let idx = self.push_node(parent, name, node)?;
        self.sort_last(parent)?;
        self.stamp_changed(parent);
        Ok(idx)
    }

    /// Fails with `NotFound` for a directory that was removed (while held open): nothing
    /// may be created in it.
    pub(crate) fn check_alive_dir(&self, dir: usize) -> Result<()> {
        match self.node(dir)? {
            n if n.nlink == 0 => Err(FsError::NotFound),
            _ => Ok(()),
        }
    }

    /// Stores `node` and names it `name` at the end of `parent`'s entries, which are then
    /// unsorted until the caller sorts them (tar import sorts once at the end). Checks the
    /// space limit and the depth and length limits.
    pub(crate) fn push_node(
        &mut self,
        parent: usize,
        name: &str,
        mut node: Node<'a>,
    ) -> Result<usize> {
        let cost = NODE_OVERHEAD
            .saturating_add(owned_bytes(&node.body))
            .saturating_add(entry_cost(name));
        self.check_fits_new(parent, name)?;
        self.check_space(cost)?;
        let name = name_string(name)?;
        self.dir_mut(parent)?.entries.try_reserve(1).map_err(oom)?;
        self.reserve_slot()?;
        // Nothing below can fail.
        if let Body::Dir(d) = &mut node.body {
            d.parent = parent;
            d.name_len = name.len();
        }
        node.nlink = 1;
        let node = self.place(node);
        self.dir_mut(parent)?.entries.push(Entry { name, node });
        self.charge(cost);
        Ok(node)
    }

    /// Gives `node` one more name at the end of `parent`'s entries (tar import's hard
    /// links; the entries are sorted at the end).
    pub(crate) fn push_link(&mut self, parent: usize, name: &str, node: usize) -> Result<()> {
        let nlink = self
            .node(node)?
            .nlink
            .checked_add(1)
            .ok_or(FsError::NoSpace)?;
        self.check_fits_new(parent, name)?;
        self.check_space(entry_cost(name))?;
        let name = name_string(name)?;
        self.dir_mut(parent)?.entries.try_reserve(1).map_err(oom)?;
        // Nothing below can fail.
        self.charge(entry_cost(&name));
        self.dir_mut(parent)?.entries.push(Entry { name, node });
        if let Ok(n) = self.node_mut(node) {
            n.nlink = nlink;
        }
        Ok(())
    }

    /// Stores `node` without naming it yet (see [`Self::set_entry_node`]).
    pub(crate) fn store_node(&mut self, node: Node<'a>) -> Result<usize> {
        let cost = node_cost(&node);
        self.check_space(cost)?;
        self.reserve_slot()?;
        self.charge(cost);
        Ok(self.place(node))
    }

    /// Makes entry `pos` of `dir` name the non-directory `node` instead of what it named
    /// (which loses that name). Never allocates.
    pub(crate) fn set_entry_node(&mut self, dir: usize, pos: usize, node: usize) -> Result<()> {
        let nlink = self
            .node(node)?
            .nlink
            .checked_add(1)
            .ok_or(FsError::NoSpace)?;
        let entry = self
            .dir_mut(dir)?
            .entries
            .get_mut(pos)
            .ok_or(FsError::NotFound)?;
        if entry.node == node {
            return Ok(());
        }
        let old = core::mem::replace(&mut entry.node, node);
        if let Ok(n) = self.node_mut(node) {
            n.nlink = nlink;
        }
        self.drop_name(old);
        Ok(())
    }

    /// Gives the existing non-directory `node` one more name, `name` in `parent` (which must
    /// not have it yet), in its sorted place: a hard link.
    pub(crate) fn add_link(&mut self, parent: usize, name: &str, node: usize) -> Result<()> {
        self.check_alive_dir(parent)?;
        let nlink = self.node(node)?.nlink;
        let nlink = nlink.checked_add(1).ok_or(FsError::NoSpace)?;
        self.check_fits(parent, name, node)?;
        self.check_space(entry_cost(name))?;
        let name = name_string(name)?;
        self.dir_mut(parent)?.entries.try_reserve(1).map_err(oom)?;
        // Nothing below can fail.
        self.insert_entry(parent, Entry { name, node })?;
        let now = self.now();
        if let Ok(n) = self.node_mut(node) {
            n.nlink = nlink;
            n.ctime = now;
        }
        self.stamp_changed(parent);
        Ok(())
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

    /// Removes entry `pos` of `dir` and drops the name from the node it named, freeing the
    /// node (and, for a directory, everything below it) unless it has other names or is
    /// held open. Stamps `dir` as changed. Never allocates.
    pub(crate) fn unlink_entry(&mut self, dir: usize, pos: usize) -> Result<()> {
        let e = self.remove_entry(dir, pos)?;
        self.stamp_changed(dir);
        self.drop_name(e.node);
        Ok(())
    }

    /// Counts one name less for `node` (whose entry is already gone) and frees it if that
    /// was its last and nobody holds it.
    pub(crate) fn drop_name(&mut self, node: usize) {
        let now = self.now();
        if let Ok(n) = self.node_mut(node) {
            n.nlink = n.nlink.saturating_sub(1);
            n.ctime = now;
        }
        self.free_subtree(node);
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

    /// Frees node `top` if nothing names or holds it, and for a directory everything below
    /// it, without allocating: post-order, popping entries off each directory and coming
    /// back up through parent pointers. A directory or file below that is still held open
    /// (or, for a file, still named elsewhere) stays, unnamed or with fewer names. The
    /// caller has removed `top`'s entry and counted that name off.
    pub(crate) fn free_subtree(&mut self, top: usize) {
        let Ok(n) = self.node(top) else { return };
        if n.nlink > 0 {
            return;
        }
        if !n.is_dir() {
            if n.opens == 0 {
                self.free_slot(top);
            }
            return;
        }
        let mut cur = top;
        let mut fuel = self.slots.len().saturating_mul(2).saturating_add(2);
        while fuel > 0 {
            fuel -= 1;
            let entry = match self.node_mut(cur) {
                Ok(Node {
                    body: Body::Dir(d), ..
                }) => d.entries.pop(),
                _ => return,
            };
            if let Some(e) = entry {
                self.refund(entry_cost(&e.name));
                let Ok(c) = self.node_mut(e.node) else {
                    continue;
                };
                c.nlink = c.nlink.saturating_sub(1);
                if c.is_dir() {
                    // Visited next; it comes back here through its parent pointer.
                    cur = e.node;
                } else if c.nlink == 0 && c.opens == 0 {
                    self.free_slot(e.node);
                }
                continue;
            }
            // `cur` is empty now: it has no name left (a directory has one).
            let Ok(Node {
                body: Body::Dir(d),
                nlink,
                opens,
                ..
            }) = self.node_mut(cur)
            else {
                return;
            };
            let parent = core::mem::replace(&mut d.parent, NIL);
            *nlink = 0;
            if *opens == 0 {
                self.free_slot(cur);
            }
            if cur == top || parent == NIL {
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
        use std::collections::HashMap;
        let mut seen = HashSet::new();
        let mut names: HashMap<usize, u32> = HashMap::new();
        let mut stack = alloc::vec![(ROOT, 0usize, 0usize)];
        assert!(matches!(self.dir(ROOT), Ok(d) if d.parent == NIL));
        let mut inos = HashSet::new();
        while let Some((i, depth, len)) = stack.pop() {
            let first = seen.insert(i);
            assert!(first || !self.is_dir(i), "directory {i} reachable twice");
            if !first {
                continue;
            }
            assert!(depth <= MAX_DEPTH, "too deep");
            assert!(len <= MAX_PATH_LEN, "path too long");
            let n = self.node(i).expect("reachable node is used");
            if let Body::Dir(d) = &n.body {
                for w in d.entries.windows(2) {
                    assert!(w[0].name < w[1].name, "entries unsorted");
                }
                for e in &d.entries {
                    check_name(&e.name).expect("valid name");
                    *names.entry(e.node).or_default() += 1;
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
        // Unnamed nodes are held open; every used slot is named or held.
        let held = self
            .slots
            .iter()
            .enumerate()
            .filter(|(i, s)| matches!(s, Slot::Used(n) if !seen.contains(i) && n.opens > 0))
            .count();
        assert_eq!(seen.len() + held + free, self.slots.len(), "leaked slots");
        for (i, slot) in self.slots.iter().enumerate() {
            let Slot::Used(n) = slot else { continue };
            assert!(inos.insert(n.ino), "inode number {} twice", n.ino);
            assert!(n.ino < self.next_ino);
            let expected = if i == ROOT {
                1
            } else {
                names.get(&i).copied().unwrap_or(0)
            };
            assert_eq!(n.nlink, expected, "link count of node {i}");
            if let Body::Dir(d) = &n.body
                && n.nlink == 0
            {
                assert!(d.entries.is_empty() && d.parent == NIL, "removed dir {i}");
            }
            if let Body::Symlink(t) = &n.body {
                assert!(t.as_str().len() <= MAX_PATH_LEN && !t.as_str().contains('\0'));
            }
        }
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
