//! Node storage: one arena of slots, nodes referring to each other by index.
//!
//! A directory holds the indices of its children sorted by name, so lookups are binary
//! searches and listings come out sorted for free; every node knows its parent, so upward
//! walks (cycle checks, depth checks) need no extra memory. Freed slots form an intrusive
//! free list, so deleting never allocates.
//!
//! Every primitive that allocates does all of its allocating (with `try_reserve`) before it
//! changes anything, so running out of memory is an [`FsError::OutOfMemory`] and leaves the
//! tree as it was. No code path indexes with `[]` or unwraps: the tree's invariants make the
//! fallbacks unreachable, but a bug then gives an error rather than a kernel panic.

use crate::FsError;
pub(crate) use crate::work::count_work;
use alloc::string::String;
use alloc::vec::Vec;

pub(crate) type Result<T> = core::result::Result<T, FsError>;

pub(crate) const ROOT: usize = 0;
pub(crate) const NIL: usize = usize::MAX;

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

#[derive(Debug)]
pub(crate) enum NodeKind<'a> {
    Dir(Vec<usize>),
    File(Data<'a>),
}

#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub(crate) name: String,
    pub(crate) parent: usize,
    pub(crate) kind: NodeKind<'a>,
    /// Unchanged since it was read from the archive.
    pub(crate) from_initrd: bool,
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
}

impl Default for Fs<'_> {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn owned(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|_| FsError::OutOfMemory)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

pub(crate) fn name_string(name: &str) -> Result<String> {
    let mut s = String::new();
    s.try_reserve_exact(name.len())
        .map_err(|_| FsError::OutOfMemory)?;
    s.push_str(name);
    Ok(s)
}

/// Where a name is (or would go) in a directory.
pub(crate) enum Found {
    /// The child's position in the parent's list and its index.
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
        };
        // If even this fails, every operation reports an error until memory is available.
        let _ = fs.ensure_root();
        fs
    }

    pub(crate) fn ensure_root(&mut self) -> Result<()> {
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

    pub(crate) fn name_of(&self, i: usize) -> &str {
        self.node(i).map_or("", |n| n.name.as_str())
    }

    pub(crate) fn is_dir(&self, i: usize) -> bool {
        matches!(
            self.node(i),
            Ok(Node {
                kind: NodeKind::Dir(_),
                ..
            })
        )
    }

    pub(crate) fn children(&self, dir: usize) -> Result<&[usize]> {
        match &self.node(dir)?.kind {
            NodeKind::Dir(c) => Ok(c),
            NodeKind::File(_) => Err(FsError::NotADirectory),
        }
    }

    pub(crate) fn children_mut(&mut self, dir: usize) -> Result<&mut Vec<usize>> {
        match &mut self.node_mut(dir)?.kind {
            NodeKind::Dir(c) => Ok(c),
            NodeKind::File(_) => Err(FsError::NotADirectory),
        }
    }

    pub(crate) fn find(&self, dir: usize, name: &str) -> Result<Found> {
        let children = self.children(dir)?;
        Ok(
            match children.binary_search_by(|&c| {
                count_work(1);
                self.name_of(c).cmp(name)
            }) {
                Ok(pos) => Found::Yes(pos, children.get(pos).copied().unwrap_or(NIL)),
                Err(_) => Found::No,
            },
        )
    }

    pub(crate) fn size_of(&self, n: &Node<'a>) -> usize {
        match &n.kind {
            NodeKind::Dir(c) => c.len(),
            NodeKind::File(data) => data.as_slice().len(),
        }
    }

    /// Creates a child of `parent` (which must not have one named `name`) in its sorted
    /// place.
    pub(crate) fn insert(
        &mut self,
        parent: usize,
        name: &str,
        kind: NodeKind<'a>,
        from_initrd: bool,
    ) -> Result<usize> {
        let idx = self.push_child(parent, name, kind, from_initrd)?;
        self.sort_last_child(parent)?;
        Ok(idx)
    }

    /// Creates a child of `parent` at the end of its list, which is then unsorted until
    /// the caller sorts it. Tar import appends like this and sorts once at the end.
    pub(crate) fn push_child(
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
        self.children_mut(parent)?.push(idx);
        Ok(idx)
    }

    /// Sorts every directory's children by name (after import appended them unsorted).
    /// Names in a directory are unique, so an unstable sort is exact; it does not allocate.
    pub(crate) fn sort_all_children(&mut self) {
        // Split the borrow: the names live in other slots than the list being sorted.
        for i in 0..self.slots.len() {
            let mut list = match self.slots.get_mut(i) {
                Some(Slot::Used(Node {
                    kind: NodeKind::Dir(c),
                    ..
                })) => core::mem::take(c),
                _ => continue,
            };
            list.sort_unstable_by(|&a, &b| {
                count_work(1);
                self.name_of(a).cmp(self.name_of(b))
            });
            if let Ok(c) = self.children_mut(i) {
                *c = list;
            }
        }
    }

    pub(crate) fn alloc_slot(&mut self, node: Node<'a>) -> usize {
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
    pub(crate) fn link(&mut self, parent: usize, idx: usize) -> Result<()> {
        self.children_mut(parent)?.push(idx);
        self.sort_last_child(parent)
    }

    /// Moves the last child of `parent` to its sorted place among the others (which must
    /// be sorted). Costs one move per child after that place.
    fn sort_last_child(&mut self, parent: usize) -> Result<()> {
        let children = self.children(parent)?;
        let Some((&last, others)) = children.split_last() else {
            return Ok(());
        };
        let name = self.name_of(last);
        let pos = others.partition_point(|&c| {
            count_work(1);
            self.name_of(c) < name
        });
        let children = self.children_mut(parent)?;
        count_work(children.len() - 1 - pos);
        if let Some(tail) = children.get_mut(pos..) {
            tail.rotate_right(1);
        }
        Ok(())
    }

    pub(crate) fn unlink(&mut self, idx: usize) -> Result<()> {
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
    pub(crate) fn free_subtree(&mut self, idx: usize) {
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
}

impl Fs<'_> {
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
                kind: NodeKind::File(Data::Borrowed(_)),
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
