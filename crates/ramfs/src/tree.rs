//! Finding nodes and measuring the tree: path lookup, depth and path-length checks, and a
//! pre-order traversal that needs no heap (its stack is bounded by [`MAX_DEPTH`]).

use crate::FsError;
use crate::node::{Found, Fs, NIL, ROOT, Result};
use crate::path::{Components, MAX_DEPTH, MAX_PATH_LEN};

impl<'a> Fs<'a> {
    pub(crate) fn lookup(&self, comps: &[&str]) -> Result<usize> {
        let mut cur = ROOT;
        self.node(ROOT)?;
        for &name in comps {
            cur = match self.find(cur, name)? {
                Found::Yes(_, c) => c,
                Found::No => return Err(FsError::NotFound),
            };
        }
        Ok(cur)
    }

    /// Components of `path`, relative paths taken from `/`.
    pub(crate) fn parse(path: &str) -> Result<Components<'_>> {
        Components::parse("", path)
    }

    /// Depth of a node (0 for the root) and the length of its path string (0 for the
    /// root, so that `len + 1 + name` is a child's length).
    pub(crate) fn depth_and_len(&self, mut i: usize) -> (usize, usize) {
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
    pub(crate) fn extent(&self, i: usize) -> (usize, usize) {
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
    pub(crate) fn is_within(&self, mut i: usize, ancestor: usize) -> bool {
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

    pub(crate) fn preorder(&self, start: usize) -> Preorder<'_, 'a> {
        Preorder {
            fs: self,
            start: Some(start),
            stack: [(NIL, 0); MAX_DEPTH + 1],
            len: 0,
        }
    }

    /// Parent directory and name for creating `path`: the parent must exist and be a
    /// directory. `Err(AlreadyExists)`-style decisions are left to the caller.
    pub(crate) fn parent_of<'p>(&self, comps: &Components<'p>) -> Result<(usize, &'p str)> {
        let Some((name, parent)) = comps.split_last() else {
            return Err(FsError::IsADirectory); // "/" itself
        };
        let parent = self.lookup(parent)?;
        if !self.is_dir(parent) {
            return Err(FsError::NotADirectory);
        }
        Ok((parent, name))
    }
}

/// Pre-order traversal without heap: a stack of (directory, next child position), bounded
/// by the tree's depth limit.
pub(crate) struct Preorder<'f, 'a> {
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
