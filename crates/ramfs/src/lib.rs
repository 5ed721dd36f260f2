//! The kernel's file tree: the initrd archive, plus a writable layer in RAM.
//!
//! # Why it looks like this
//!
//! The bootloader hands the kernel a ustar archive as a module, already in memory for the
//! whole uptime. Copying its files out would double the memory they use for no gain, so
//! [`Fs`] borrows from the archive (`Fs<'static>` in the kernel) and serves each
//! unmodified file as a slice of it. Files written at run time live on the heap; a file
//! from the archive that is overwritten simply stops referring to its slice. So a file's
//! contents are either borrowed from the archive or owned, and [`Metadata::in_ram`] and
//! [`Stats`] tell which.
//!
//! The archive is indexed once at boot into a tree ([`Fs::from_tar`]), so later lookups
//! never rescan the archive. Indexing takes O(n log n) steps for n entries in any order
//! (see `import_index.rs`), and [`Fs::entries`] lists a directory of any size without
//! copying it.
//!
//! # A damaged initrd still boots
//!
//! A bad initrd must not take the shell down with it, so [`Fs::from_tar`] always returns a
//! usable tree and, when something could not be served, a one-line [`Warning`] such as
//! `initrd: corrupt archive (bad header checksum) at offset 10240, rest ignored; served 12
//! files, 3 dirs`. The archive is read with tar-no-std, which validates all of it first.
//! If tar-no-std rejects it, our own header walker (see `archive.rs`) reads header blocks
//! (checksum, size, bounds) up to the first damaged one and serves everything before it.
//! tar-no-std cannot be used for that prefix itself: it requires the end-of-archive zero
//! blocks, which a prefix does not have, and adding them would mean copying the archive.
//! The walker also reads what tar-no-std does not support but is not damage, notably the
//! GNU long-name records that GNU tar writes for names over 100 bytes.
//!
//! Entries that are neither regular files nor directories (symlinks, hard links, devices,
//! FIFOs) are skipped and counted in the warning. Extended-header records are applied, not
//! counted: GNU `L` long names and pax `path` records rename the entry that follows them;
//! other pax and GNU metadata (timestamps, long link targets) is ignored. Directories come
//! from explicit entries and from the paths of files (`a/b/c.txt` creates `/a` and `/a/b`).
//! A later entry for the same file path replaces an earlier one, as extracting would; an
//! entry whose path runs into a file where a directory is needed (or the reverse) is
//! skipped and counted. Names go through the same rules as run-time paths (below); an entry
//! whose name breaks them, or is not UTF-8, is skipped and counted.
//!
//! # Paths
//!
//! Paths are `/`-separated; relative paths are resolved against a current directory that
//! the caller keeps ([`Fs::resolve`]); every other method takes an absolute path (a
//! relative one is taken from `/`). `.` and `..` are resolved lexically (there are no
//! symlinks, so that is exact), `..` at `/` stays at `/`, and repeated or trailing slashes
//! are ignored. Names are at most [`MAX_NAME_LEN`] bytes and contain no `/` or NUL; paths
//! are at most [`MAX_PATH_LEN`] bytes and [`MAX_DEPTH`] components. The bounds keep every
//! path operation free of heap allocation and recursion bounded on a kernel stack; moves
//! and copies that would push a subtree past them are refused.
//!
//! # Showing names
//!
//! Names may contain control characters; print them through [`Escaped`], which shows
//! those as escapes (`\e`, `\n`, `\x07`, `\u{9b}`) while the tree keeps the real name.
//!
//! # Memory
//!
//! Everything that grows the heap uses `try_reserve`, so a full heap is an
//! [`FsError::OutOfMemory`] rather than an abort, and the tree is unchanged by the failed
//! operation (tests check this by failing every allocation in turn). Before the heap is
//! full, [`Fs::set_limit`] can cap what the RAM layer holds: growing past the cap is an
//! [`FsError::NoSpace`], again with nothing changed (see `quota.rs` for what counts). Nothing in this crate
//! panics on any input, and the library has no `unsafe`.
//!
//! # Layout
//!
//! `archive` reads tar headers, `import` turns them into the tree (finding names through
//! `import_index` meanwhile), `node` stores the tree
//! (an arena of nodes), `tree` finds and measures nodes, `query` and `modify` are the
//! read-only and the changing operations, `path` and `types` hold the path rules and the
//! values handed out, `name` shows names safely, `quota` accounts for space.

#![no_std]
// The library has no `unsafe`; the tests' failing allocator (`tests/oom.rs`) is the one exception.
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]
#![warn(missing_debug_implementations)]

extern crate alloc;

mod archive;
mod error;
mod import;
mod import_index;
mod modify;
mod name;
mod node;
mod path;
mod query;
mod quota;
mod tree;
mod types;
mod work;

#[cfg(test)]
mod tests;

pub use archive::Damage;
pub use error::{ErrorReport, FsError};
pub use name::Escaped;
pub use node::Fs;
pub use path::{MAX_DEPTH, MAX_NAME_LEN, MAX_PATH_LEN};
pub use query::Entries;
pub use quota::{ENTRY_OVERHEAD, NODE_OVERHEAD};
pub use types::{DirEntry, Kind, Metadata, Stats, WalkEntry};

use core::fmt;

/// What [`Fs::from_tar`] could not serve. Its `Display` is one line for the boot log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Warning {
    /// Where reading stopped early (byte offset of the damaged header) and why.
    pub damage: Option<(usize, Damage)>,
    /// Files in the tree afterwards.
    pub files: usize,
    /// Directories in the tree afterwards (not counting `/`).
    pub dirs: usize,
    /// Entries that are not regular files or directories.
    pub skipped: usize,
    /// Entries whose path collides with an entry of the other kind.
    pub conflicts: usize,
    /// Entries whose name is not UTF-8 or breaks the path rules.
    pub bad_names: usize,
}

impl Warning {
    fn is_needed(&self) -> bool {
        self.damage.is_some() || self.skipped > 0 || self.conflicts > 0 || self.bad_names > 0
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("initrd: ")?;
        match self.damage {
            Some((_, Damage::Empty)) => f.write_str("archive is empty; ")?,
            Some((offset, damage)) => {
                write!(f, "{} at offset {offset}, rest ignored; ", damage.message())?;
            }
            None => {}
        }
        write!(f, "served {} files, {} dirs", self.files, self.dirs)?;
        let counts = [
            (self.skipped, "skipped (not a file or directory)"),
            (self.conflicts, "skipped (file/directory conflict)"),
            (self.bad_names, "skipped (bad name)"),
        ];
        for (n, what) in counts {
            if n > 0 {
                write!(f, "; {n} {what}")?;
            }
        }
        Ok(())
    }
}
