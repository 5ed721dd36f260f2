//! The space limit of the RAM layer.
//!
//! # Why
//!
//! Files written at run time live on the kernel heap, which the kernel itself needs: a
//! user who fills RAM with files must get "no space left on device", not a kernel that
//! cannot allocate. So [`Fs::set_limit`] caps what the tree may hold, and every operation
//! that would grow it past the cap fails with [`FsError::NoSpace`] before changing
//! anything (the kernel sets the cap to what the heap can spare).
//!
//! # What counts
//!
//! The heap the tree holds, estimated without asking the allocator: the bytes of file
//! contents and link targets held on the heap, plus [`NODE_OVERHEAD`] per node and [`ENTRY_OVERHEAD`] plus
//! the name's length per directory entry (hard links are one node with several
//! entries). Contents still borrowed from the initrd archive cost nothing: they are not on
//! the heap. The estimate counts a file's length, not its buffer's capacity, which may be
//! up to twice as large for a file grown by many appends.
//!
//! The usage is kept as a running total, updated where nodes, entries and contents change;
//! the tests recompute it from scratch after every operation.

use crate::FsError;
use crate::node::{Body, Data, Fs, Node, Result, Text};

/// Estimated heap bytes of one node besides its contents: its arena slot, a directory's
/// list header, and allocator overhead.
pub const NODE_OVERHEAD: usize = 128;

/// Estimated heap bytes of one directory entry besides its name: the entry itself and the
/// name's allocation overhead.
pub const ENTRY_OVERHEAD: usize = 32;

/// Heap bytes `node` accounts for (see the module docs).
pub(crate) fn node_cost(node: &Node<'_>) -> usize {
    NODE_OVERHEAD.saturating_add(owned_bytes(&node.body))
}

/// Heap bytes an entry named `name` accounts for.
pub(crate) fn entry_cost(name: &str) -> usize {
    ENTRY_OVERHEAD.saturating_add(name.len())
}

/// Bytes of contents a body holds on the heap.
pub(crate) fn owned_bytes(body: &Body<'_>) -> usize {
    match body {
        Body::File(Data::Owned(v)) => v.len(),
        Body::Symlink(Text::Owned(t)) => t.len(),
        _ => 0,
    }
}

impl Fs<'_> {
    /// Caps the bytes the tree may account for (see the module docs); `None` removes the
    /// cap. Lowering it below the current usage removes nothing: operations that would
    /// grow the tree fail until enough is deleted.
    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit.unwrap_or(usize::MAX);
    }

    /// The cap set by [`Fs::set_limit`].
    pub fn limit(&self) -> Option<usize> {
        (self.limit != usize::MAX).then_some(self.limit)
    }

    /// Bytes the tree accounts for now (see the module docs).
    pub fn usage(&self) -> usize {
        self.used
    }

    /// Fails with [`FsError::NoSpace`] unless `more` bytes fit under the limit.
    pub(crate) fn check_space(&self, more: usize) -> Result<()> {
        match self.used.checked_add(more) {
            Some(total) if total <= self.limit => Ok(()),
            _ => Err(FsError::NoSpace),
        }
    }

    pub(crate) fn charge(&mut self, bytes: usize) {
        self.used = self.used.saturating_add(bytes);
    }

    pub(crate) fn refund(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }
}
