//! Naming nodes: creating a node with its first name, adding names (hard links), removing
//! names, and freeing a node once its last name is gone and nobody holds it.
//!
//! The link count (`nlink`) is the number of entries naming a node (a directory has one);
//! it changes only here, so the rule "freed when `nlink` and `opens` are both 0" is kept in
//! one place. Freeing a directory frees what is below it, post-order and without
//! allocating; what is still named elsewhere or held open survives it.

use crate::FsError;
use crate::node::{Body, Entry, Fs, NIL, Node, Result, name_string, oom};
use crate::quota::{NODE_OVERHEAD, entry_cost, node_cost, owned_bytes};

impl<'a> Fs<'a> {
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
}
