//! Finding nodes and measuring the tree: path lookup, depth and path-length checks, and a
//! pre-order traversal that needs no heap (its stack is bounded by [`MAX_DEPTH`]).

use crate::FsError;
use crate::node::{Fs, NIL, Result};
use crate::path::{Components, MAX_DEPTH, MAX_PATH_LEN};

impl<'a> Fs<'a> {
    /// The node at the normalized path `comps`, following symbolic links (also in the
    /// last component).
    pub(crate) fn lookup(&self, comps: &[&str]) -> Result<usize> {
        self.resolve_components(comps, true)
    }

    /// The node at the normalized path `comps`; a link in the last component is the
    /// result itself, not followed.
    pub(crate) fn lookup_nofollow(&self, comps: &[&str]) -> Result<usize> {
        self.resolve_components(comps, false)
    }

    /// Components of `path`, relative paths taken from `/`.
    pub(crate) fn parse(path: &str) -> Result<Components<'_>> {
        Components::parse("", path)
    }

    /// Parent directory and name for creating `path`: the parent must exist and be a
    /// directory. `Err(AlreadyExists)`-style decisions are left to the caller.
    pub(crate) fn parent_of<'p>(&self, comps: &Components<'p>) -> Result<(usize, &'p str)> {
        let Some((name, parent)) = comps.split_last() else {
            return Err(FsError::IsADirectory); // "/" itself
        };
        let parent = self.lookup(parent)?;
        self.check_alive_dir(parent)?;
        if !self.is_dir(parent) {
            return Err(FsError::NotADirectory);
        }
        Ok((parent, name))
    }

    /// Depth of directory `dir` (0 for the root) and the length of its path string (0 for
    /// the root, so that `len + 1 + name` is a child's length).
    pub(crate) fn depth_and_len(&self, mut dir: usize) -> (usize, usize) {
        let (mut depth, mut len) = (0usize, 0usize);
        while let Ok(d) = self.dir(dir) {
            if d.parent == NIL || depth > self.slot_count() {
                break;
            }
            depth += 1;
            len += d.name_len + 1;
            dir = d.parent;
        }
        (depth, len)
    }

    /// The deepest relative depth and longest relative path length below `i`.
    pub(crate) fn extent(&self, i: usize) -> (usize, usize) {
        let mut max = (0, 0);
        let mut lens = [0usize; MAX_DEPTH + 2];
        for step in self.preorder(i).skip(1) {
            let len = lens.get(step.depth - 1).copied().unwrap_or(0) + 1 + step.name.len();
            if let Some(l) = lens.get_mut(step.depth) {
                *l = len;
            }
            max = (max.0.max(step.depth), max.1.max(len));
        }
        max
    }

    /// Whether `i` is `ancestor` or a directory below it.
    pub(crate) fn is_within(&self, mut i: usize, ancestor: usize) -> bool {
        for _ in 0..=self.slot_count() {
            if i == ancestor {
                return true;
            }
            match self.dir(i) {
                Ok(d) if d.parent != NIL => i = d.parent,
                _ => return false,
            }
        }
        false
    }

    /// Fails if putting node `src` (and what is below it) into directory `parent` under
    /// `name` would make a path longer or deeper than the limits.
    pub(crate) fn check_fits(&self, parent: usize, name: &str, src: usize) -> Result<()> {
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

    /// Fails if a new node named `name` in directory `parent` would be too deep or have
    /// too long a path.
    pub(crate) fn check_fits_new(&self, parent: usize, name: &str) -> Result<()> {
        let (depth, len) = self.depth_and_len(parent);
        if depth + 1 > MAX_DEPTH {
            return Err(FsError::TooDeep);
        }
        if len + 1 + name.len() > MAX_PATH_LEN {
            return Err(FsError::NameTooLong);
        }
        Ok(())
    }

    pub(crate) fn preorder(&self, start: usize) -> Preorder<'_, 'a> {
        Preorder {
            fs: self,
            start: Some(start),
            stack: [(NIL, 0); MAX_DEPTH + 1],
            len: 0,
        }
    }
}

/// One node visited by [`Preorder`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'f> {
    pub(crate) node: usize,
    /// The name of the entry that led here ("" for the start).
    pub(crate) name: &'f str,
    /// Below the start (0 for the start itself).
    pub(crate) depth: usize,
    /// Last of its siblings.
    pub(crate) is_last: bool,
}

/// Pre-order traversal without heap: a stack of (directory, next entry position), bounded
/// by the tree's depth limit. Children come in entry (name) order.
pub(crate) struct Preorder<'f, 'a> {
    fs: &'f Fs<'a>,
    start: Option<usize>,
    stack: [(usize, usize); MAX_DEPTH + 1],
    len: usize,
}

impl<'f> Iterator for Preorder<'f, '_> {
    type Item = Step<'f>;

    fn next(&mut self) -> Option<Step<'f>> {
        if let Some(start) = self.start.take() {
            let n = self.fs.node(start).ok()?;
            if n.is_dir()
                && let Some(slot) = self.stack.first_mut()
            {
                *slot = (start, 0);
                self.len = 1;
            }
            return Some(Step {
                node: start,
                name: "",
                depth: 0,
                is_last: true,
            });
        }
        loop {
            let top = self.len.checked_sub(1)?;
            let (dir, pos) = self.stack.get(top).copied()?;
            let entries = self.fs.entries_of(dir).unwrap_or(&[]);
            let Some(e) = entries.get(pos) else {
                self.len = top;
                continue;
            };
            if let Some(slot) = self.stack.get_mut(top) {
                slot.1 += 1;
            }
            let depth = self.len;
            if self.fs.is_dir(e.node)
                && let Some(slot) = self.stack.get_mut(self.len)
            {
                *slot = (e.node, 0);
                self.len += 1;
            }
            return Some(Step {
                node: e.node,
                name: &e.name,
                depth,
                is_last: pos + 1 == entries.len(),
            });
        }
    }
}
