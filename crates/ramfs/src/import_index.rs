//! The name index that tar import uses while it builds the tree.
//!
//! # Why
//!
//! A directory's children are a list sorted by name, which makes lookups binary searches
//! and listings free. Keeping that list sorted while entries arrive in archive order costs
//! one move per later sibling for every insert: 30,000 files in one directory in
//! descending order are half a billion moves. So import appends children unsorted, finds
//! names through this index instead, and sorts every list once at the end: O(n log n) in
//! all, whatever the order. The index is dropped afterwards; later changes (a few files at a
//! time from the shell or a program) insert into the sorted list directly.
//!
//! The index is one AA tree per directory (a balanced binary search tree: Andersson, 1993)
//! over the positions of the directory's children, which import only ever appends to. A
//! balanced tree rather than a hash table because its worst case is its normal case, so no
//! choice of names in a hostile archive can slow it down. It is written here because the
//! standard `BTreeMap` aborts when it cannot allocate, while everything here must report
//! [`FsError::OutOfMemory`] and leave the tree as it was.

use crate::FsError;
use crate::node::{Fs, Result, count_work, oom};
use alloc::vec::Vec;
use core::cmp::Ordering;

/// "No node" in the trees.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Link {
    left: u32,
    right: u32,
    level: u32,
}

const LEAF: Link = Link {
    left: NONE,
    right: NONE,
    level: 1,
};

/// One directory's tree; `links[i]` belongs to the directory's `i`-th child.
#[derive(Debug, Default)]
struct Tree {
    links: Vec<Link>,
    root: u32,
}

/// The trees of all directories created so far.
#[derive(Debug, Default)]
pub(crate) struct ImportIndex {
    trees: Vec<Tree>,
    /// For each node slot, the position of its tree in `trees` (`NONE` for files).
    tree_of: Vec<u32>,
}

impl ImportIndex {
    /// Reserves what [`Self::add_last`] needs to index one more child of `dir` (and a tree
    /// for it, since it may be a directory). Call before creating the child.
    pub(crate) fn reserve(&mut self, fs: &Fs<'_>, dir: usize) -> Result<()> {
        let need = fs.slot_count().saturating_add(1);
        self.tree_of
            .try_reserve(need.saturating_sub(self.tree_of.len()))
            .map_err(oom)?;
        self.trees.try_reserve(1).map_err(oom)?;
        if let Some(t) = self.tree(dir) {
            self.trees
                .get_mut(t)
                .ok_or(FsError::NotFound)?
                .links
                .try_reserve(1)
                .map_err(oom)?;
        }
        Ok(())
    }

    /// Indexes the child just appended to `dir`'s list (its last one) and, if it is a
    /// directory, gives it an empty tree. Needs [`Self::reserve`] first; never allocates.
    pub(crate) fn add_last(&mut self, fs: &Fs<'_>, dir: usize) {
        let Ok(entries) = fs.entries_of(dir) else {
            return;
        };
        let Some(child) = entries.last().map(|e| e.node) else {
            return;
        };
        if fs.is_dir(child) {
            self.new_tree(child);
        }
        let Some(tree) = self.tree(dir).and_then(|t| self.trees.get_mut(t)) else {
            return;
        };
        let Ok(new) = u32::try_from(tree.links.len()) else {
            return;
        };
        tree.links.push(LEAF);
        let cmp = |a: u32, b: u32| {
            count_work(1);
            let name = |i: u32| entries.get(i as usize).map_or("", |e| e.name.as_str());
            name(a).cmp(name(b))
        };
        tree.root = insert(&mut tree.links, tree.root, new, &cmp);
    }

    /// The position in `dir` of the entry named `name`, and the node it names. Falls back
    /// to a scan for a directory without a tree (there is none: every directory import
    /// creates gets one).
    pub(crate) fn find(
        &self,
        fs: &Fs<'_>,
        dir: usize,
        name: &str,
    ) -> Result<Option<(usize, usize)>> {
        let entries = fs.entries_of(dir)?;
        let Some(tree) = self.tree(dir).and_then(|t| self.trees.get(t)) else {
            return Ok(entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.name == name)
                .map(|(pos, e)| (pos, e.node)));
        };
        let mut cur = tree.root;
        while let Some(link) = tree.links.get(cur as usize) {
            let e = entries.get(cur as usize).ok_or(FsError::NotFound)?;
            count_work(1);
            cur = match name.cmp(&e.name) {
                Ordering::Equal => return Ok(Some((cur as usize, e.node))),
                Ordering::Less => link.left,
                Ordering::Greater => link.right,
            };
        }
        Ok(None)
    }

    /// Starts the index with the root directory.
    pub(crate) fn new_tree(&mut self, dir: usize) {
        if self.tree_of.len() <= dir {
            // Reserved by `reserve` (or nothing happens, and `find` scans instead).
            if self.tree_of.capacity() <= dir {
                return;
            }
            self.tree_of.resize(dir + 1, NONE);
        }
        let (Some(slot), Ok(pos)) = (self.tree_of.get_mut(dir), u32::try_from(self.trees.len()))
        else {
            return;
        };
        if self.trees.len() < self.trees.capacity() {
            *slot = pos;
            self.trees.push(Tree {
                links: Vec::new(),
                root: NONE,
            });
        }
    }

    fn tree(&self, dir: usize) -> Option<usize> {
        self.tree_of
            .get(dir)
            .filter(|&&t| t != NONE)
            .map(|&t| t as usize)
    }
}

/// Inserts `new` into the subtree at `t`, returning the subtree's new root. Recursion depth
/// is the tree's height, at most 2 log2(n + 1): under 64 for any `u32` count.
fn insert(links: &mut [Link], t: u32, new: u32, cmp: &impl Fn(u32, u32) -> Ordering) -> u32 {
    let Some(&link) = links.get(t as usize) else {
        return new;
    };
    let mut link = link;
    if cmp(new, t) == Ordering::Less {
        link.left = insert(links, link.left, new, cmp);
    } else {
        link.right = insert(links, link.right, new, cmp);
    }
    if let Some(l) = links.get_mut(t as usize) {
        *l = link;
    }
    let t = skew(links, t);
    split(links, t)
}

fn level(links: &[Link], t: u32) -> u32 {
    links.get(t as usize).map_or(0, |l| l.level)
}

/// Removes a left child on the same level (a right rotation).
fn skew(links: &mut [Link], t: u32) -> u32 {
    let Some(&link) = links.get(t as usize) else {
        return t;
    };
    let l = link.left;
    if l == NONE || level(links, l) != link.level {
        return t;
    }
    let l_right = links.get(l as usize).map_or(NONE, |x| x.right);
    if let Some(x) = links.get_mut(t as usize) {
        x.left = l_right;
    }
    if let Some(x) = links.get_mut(l as usize) {
        x.right = t;
    }
    l
}

/// Removes two right children on the same level (a left rotation, raising the middle).
fn split(links: &mut [Link], t: u32) -> u32 {
    let Some(&link) = links.get(t as usize) else {
        return t;
    };
    let r = link.right;
    let rr = links.get(r as usize).map_or(NONE, |x| x.right);
    if r == NONE || rr == NONE || level(links, rr) != link.level {
        return t;
    }
    let r_left = links.get(r as usize).map_or(NONE, |x| x.left);
    if let Some(x) = links.get_mut(t as usize) {
        x.right = r_left;
    }
    if let Some(x) = links.get_mut(r as usize) {
        x.left = t;
        x.level += 1;
    }
    r
}

#[cfg(test)]
pub(crate) fn height_bound_holds(index: &ImportIndex) -> bool {
    fn height(links: &[Link], t: u32) -> u32 {
        match links.get(t as usize) {
            None => 0,
            Some(l) => 1 + height(links, l.left).max(height(links, l.right)),
        }
    }
    index.trees.iter().all(|t| {
        let n = t.links.len() as u32;
        height(&t.links, t.root) <= 2 * ((n + 1).ilog2() + 1)
    })
}
