//! The file descriptor table of one WASI program.
//!
//! Each descriptor carries its rights (preview 1's capability model): `base` says what the
//! descriptor itself may do, `inheriting` what descriptors opened through it may get.
//! Rights can only shrink (`fd_fdstat_set_rights`), and a call without the right it needs
//! fails with `ENOTCAPABLE`. New numbers go above the highest one in use (as wasmtime does),
//! and at most [`MAX_FDS`] descriptors are open at once.

use super::Errno;
use super::fs::{FileSystem, Ino};
use super::types::rights;
use crate::Stream;
use alloc::collections::BTreeMap;
use alloc::string::String;

/// Most descriptors a program may have open at once (`EMFILE` beyond).
pub const MAX_FDS: usize = 1024;

/// What a descriptor refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Desc {
    /// Standard input, output or error.
    Stdio(Stream),
    /// An open regular file and its current offset.
    File { ino: Ino, pos: u64 },
    /// An open directory; `preopen` is the name a preopened directory is known by.
    Dir { ino: Ino, preopen: Option<String> },
}

/// One open descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub desc: Desc,
    /// `fdflags` (append, nonblock, the sync flags).
    pub flags: u16,
    pub base: u64,
    pub inheriting: u64,
}

impl Entry {
    /// This entry, if it has every right in `needed`.
    pub fn with(&mut self, needed: u64) -> Result<&mut Entry, Errno> {
        if self.base & needed == needed {
            Ok(self)
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The inode of a file or directory descriptor.
    pub fn ino(&self) -> Option<Ino> {
        match self.desc {
            Desc::File { ino, .. } | Desc::Dir { ino, .. } => Some(ino),
            Desc::Stdio(_) => None,
        }
    }
}

/// Rights of standard input: reading (and polling for it).
pub const STDIN_RIGHTS: u64 = rights::FD_READ
    | rights::FD_FDSTAT_SET_FLAGS
    | rights::FD_FILESTAT_GET
    | rights::POLL_FD_READWRITE;
/// Rights of standard output and error.
pub const STDOUT_RIGHTS: u64 = rights::FD_WRITE
    | rights::FD_FDSTAT_SET_FLAGS
    | rights::FD_FILESTAT_GET
    | rights::POLL_FD_READWRITE;

/// The descriptor table.
#[derive(Debug, Default)]
pub struct FdTable {
    slots: BTreeMap<u32, Entry>,
}

impl FdTable {
    /// A table with standard input, output and error as 0, 1 and 2.
    pub fn with_stdio() -> Self {
        let mut t = Self::default();
        for (fd, stream, r) in [
            (0, Stream::Stdin, STDIN_RIGHTS),
            (1, Stream::Stdout, STDOUT_RIGHTS),
            (2, Stream::Stderr, STDOUT_RIGHTS),
        ] {
            t.slots.insert(
                fd,
                Entry {
                    desc: Desc::Stdio(stream),
                    flags: 0,
                    base: r,
                    inheriting: 0,
                },
            );
        }
        t
    }

    /// The entry of `fd` (`EBADF` if it is not open).
    pub fn get(&mut self, fd: u32) -> Result<&mut Entry, Errno> {
        self.slots.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// Adds an entry under a new number. The caller has already counted the inode as open.
    pub fn insert(&mut self, entry: Entry) -> Result<u32, Errno> {
        if self.slots.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        let fd = match self.slots.last_key_value() {
            None => 0,
            Some((&last, _)) => match last.checked_add(1) {
                Some(fd) => fd,
                None => (0..u32::MAX)
                    .find(|fd| !self.slots.contains_key(fd))
                    .ok_or(Errno::Mfile)?,
            },
        };
        self.slots.insert(fd, entry);
        Ok(fd)
    }

    /// Closes `fd`, releasing its inode.
    pub fn close(&mut self, fd: u32, fs: Option<&mut dyn FileSystem>) -> Result<(), Errno> {
        let entry = self.slots.remove(&fd).ok_or(Errno::Badf)?;
        if let (Some(ino), Some(fs)) = (entry.ino(), fs) {
            fs.close(ino);
        }
        Ok(())
    }

    /// Moves `from` to number `to`, closing what `to` was (both must be open).
    pub fn renumber(
        &mut self,
        from: u32,
        to: u32,
        fs: Option<&mut dyn FileSystem>,
    ) -> Result<(), Errno> {
        if !self.slots.contains_key(&from) || !self.slots.contains_key(&to) {
            return Err(Errno::Badf);
        }
        if from == to {
            return Ok(());
        }
        self.close(to, fs)?;
        let entry = self.slots.remove(&from).ok_or(Errno::Badf)?;
        self.slots.insert(to, entry);
        Ok(())
    }

    /// Every open descriptor's inode (to release them all when the program ends).
    pub fn inodes(&self) -> impl Iterator<Item = Ino> + '_ {
        self.slots.values().filter_map(Entry::ino)
    }
}
