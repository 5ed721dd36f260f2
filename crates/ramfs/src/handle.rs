//! The node API, part 1: operations on a node the caller already holds ([`NodeId`]), as a
//! WASI host needs them for open file descriptors: metadata, reading and writing at
//! offsets, resizing, timestamps, listing, and holding a node open.
//!
//! Holding matters because POSIX lets a program keep using a file after its last name is
//! removed: [`Fs::retain`] keeps a node (and its contents) alive until the matching
//! [`Fs::release`], and a [`NodeId`] of a node that is gone fails with
//! [`FsError::StaleHandle`] instead of reaching whatever reuses its slot.

use crate::FsError;
use crate::node::{Fs, NIL, ROOT, Result, Slot};
use crate::query::Entries;
use crate::types::{Metadata, NodeId, SetTime};

impl<'a> Fs<'a> {
    /// The root directory.
    pub fn root(&self) -> NodeId {
        self.id(ROOT)
    }

    pub(crate) fn id(&self, slot: usize) -> NodeId {
        NodeId {
            slot,
            ino: self.node(slot).map_or(0, |n| n.ino),
        }
    }

    /// The slot of a live node, or `StaleHandle`.
    pub(crate) fn slot(&self, id: NodeId) -> Result<usize> {
        match self.slots.get(id.slot) {
            Some(Slot::Used(n)) if n.ino == id.ino => Ok(id.slot),
            _ => Err(FsError::StaleHandle),
        }
    }

    /// The node at absolute `path` of the string API (links followed, as
    /// [`Fs::metadata`] does): how a host turns a path the user gave into a directory
    /// handle, e.g. for a WASI preopen.
    pub fn node_at(&self, path: &str) -> Result<NodeId> {
        Ok(self.id(self.lookup(Self::parse(path)?.as_slice())?))
    }

    /// The live node with inode number `ino`, if any. For a host that hands out bare inode
    /// numbers and must map them back (it should keep its own map and fall back to this):
    /// it looks at every slot, so it costs O(nodes) and never allocates.
    pub fn node_by_ino(&self, ino: u64) -> Option<NodeId> {
        if ino == 0 {
            return None;
        }
        self.slots.iter().enumerate().find_map(|(slot, s)| match s {
            Slot::Used(n) if n.ino == ino => Some(NodeId { slot, ino }),
            _ => None,
        })
    }

    /// Metadata of `node` (a link is not followed: it is the node).
    pub fn stat(&self, node: NodeId) -> Result<Metadata> {
        self.metadata_of(self.slot(node)?)
    }

    /// The directory holding directory `dir`'s entry: `None` for the root and for a
    /// directory that was removed.
    pub fn parent(&self, dir: NodeId) -> Result<Option<NodeId>> {
        let parent = self.dir(self.slot(dir)?)?.parent;
        Ok((parent != NIL).then(|| self.id(parent)))
    }

    /// A file's whole contents, borrowed.
    pub fn contents(&self, file: NodeId) -> Result<&[u8]> {
        self.file_data(self.slot(file)?)
    }

    /// Copies up to `buf.len()` bytes of `file` from byte `offset` into `buf` and returns
    /// how many (0 at or past the end). Does not stamp `atime` (see `times.rs`).
    pub fn read_at(&self, file: NodeId, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_contents_at(self.slot(file)?, offset, buf)
    }

    /// Writes all of `data` at byte `offset` of `file`, filling a gap after the end with
    /// zeros. Fails whole (nothing written) with `NoSpace`, `OutOfMemory` or
    /// `FileTooLarge`.
    pub fn write_at(&mut self, file: NodeId, offset: u64, data: &[u8]) -> Result<()> {
        let i = self.slot(file)?;
        self.write_contents_at(i, offset, data)
    }

    /// Appends all of `data` to `file` (for `O_APPEND`); fails whole like
    /// [`Fs::write_at`].
    pub fn append_to(&mut self, file: NodeId, data: &[u8]) -> Result<()> {
        let i = self.slot(file)?;
        self.append_contents(i, data)
    }

    /// Sets `file`'s length, cutting it or padding with zeros.
    pub fn set_len(&mut self, file: NodeId, len: u64) -> Result<()> {
        let i = self.slot(file)?;
        self.set_len_contents(i, len)
    }

    /// Sets `node`'s access and modification times; stamps `ctime` now.
    pub fn set_times(&mut self, node: NodeId, atime: SetTime, mtime: SetTime) -> Result<()> {
        let i = self.slot(node)?;
        let now = self.now();
        let n = self.node_mut(i)?;
        for (t, set) in [(&mut n.atime, atime), (&mut n.mtime, mtime)] {
            match set {
                SetTime::Keep => {}
                SetTime::Now => *t = now,
                SetTime::To(v) => *t = v,
            }
        }
        n.ctime = now;
        Ok(())
    }

    /// The target of symbolic link `link`; `InvalidArgument` for anything else.
    pub fn read_link(&self, link: NodeId) -> Result<&str> {
        self.node(self.slot(link)?)?
            .symlink_target()
            .ok_or(FsError::InvalidArgument)
    }

    /// Directory `dir`'s entries in name order, borrowed (see [`Fs::entries`]). Entries
    /// have no `.` and `..`: a WASI host adds them ([`Fs::parent`]). Positions are stable
    /// while the directory is unchanged, so a position works as a `readdir` cookie.
    pub fn dir_entries(&self, dir: NodeId) -> Result<Entries<'_, 'a>> {
        let i = self.slot(dir)?;
        self.entries_iter(i)
    }

    /// Holds `node` open: it stays (with its contents, and usable through its [`NodeId`])
    /// after its last name is removed, until as many [`Fs::release`] calls.
    pub fn retain(&mut self, node: NodeId) -> Result<()> {
        let i = self.slot(node)?;
        let n = self.node_mut(i)?;
        n.opens = n.opens.checked_add(1).ok_or(FsError::NoSpace)?;
        Ok(())
    }

    /// Ends one [`Fs::retain`]; frees the node if it has no name and no other hold left.
    pub fn release(&mut self, node: NodeId) -> Result<()> {
        let i = self.slot(node)?;
        let n = self.node_mut(i)?;
        if n.opens == 0 {
            return Err(FsError::InvalidArgument);
        }
        n.opens -= 1;
        self.free_subtree(i);
        Ok(())
    }
}
