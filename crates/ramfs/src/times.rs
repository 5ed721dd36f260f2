//! Timestamps.
//!
//! The crate has no clock of its own: the kernel (or a test) hands one to
//! [`Fs::set_clock`], a plain function returning nanoseconds, which the tree calls when an
//! operation changes something. A function rather than a `now` argument on every call keeps
//! the many mutating methods' signatures as they are and makes it impossible to stamp with
//! the wrong time. Until a clock is set every stamp is 0.
//!
//! What is stamped, as POSIX does: creating a node sets all three times; changing a file's
//! contents sets its `mtime` and `ctime`; adding or removing a name sets the directory's
//! `mtime` and `ctime` and the node's `ctime`; [`Fs::set_times`] sets what it is asked and
//! `ctime`. Reading stamps nothing (no `atime` updates, like a `noatime` mount): reads take
//! `&self`, so a shared tree can be read without locking it for writing. Nodes from the
//! initrd take the archive's modification time for all three (0 for directories only
//! implied by paths).
//!
//! [`Fs::changes`] counts every stamping, so "did anything change since?" costs one load
//! (a FAT mount's write-back asks it after every command).

use crate::node::Fs;

/// The clock until [`Fs::set_clock`] is called.
pub(crate) fn no_clock() -> u64 {
    0
}

impl Fs<'_> {
    /// Sets where timestamps come from: a function returning the current time in
    /// nanoseconds (the kernel passes its real-time clock; any epoch works, the tree only
    /// stores what it returns).
    pub fn set_clock(&mut self, clock: fn() -> u64) {
        self.clock = clock;
    }

    pub(crate) fn now(&self) -> u64 {
        self.changes
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        (self.clock)()
    }

    /// How many changes the tree has stamped since it was built: equal values mean
    /// nothing was created, written, renamed, removed or re-timed in between.
    pub fn changes(&self) -> u64 {
        self.changes.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Stamps `i`'s contents (or, for a directory, its entries) as changed now.
    pub(crate) fn stamp_changed(&mut self, i: usize) {
        let now = self.now();
        if let Ok(n) = self.node_mut(i) {
            n.mtime = now;
            n.ctime = now;
        }
    }
}
