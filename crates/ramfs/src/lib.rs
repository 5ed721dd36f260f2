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
//! Files, directories, symbolic links and hard links are served; other entries (devices,
//! FIFOs, unknown types) are skipped and counted in the warning. Extended-header records
//! are applied, not counted: GNU `L`/`K` long names and link targets and pax `path` and
//! `linkpath` records apply to the entry that follows them; other metadata is ignored
//! except the modification time, which nodes take. Directories come from explicit entries
//! and from the paths of files (`a/b/c.txt` creates `/a` and `/a/b`). A later entry for
//! the same path replaces an earlier one, as extracting would; an entry whose path runs
//! into a file or a link where a directory is needed (or the reverse) is skipped and
//! counted, and so is a hard link to something the archive has not served before it.
//! Names go through the same rules as run-time paths (below); an entry whose name breaks
//! them, or is not UTF-8, is skipped and counted. See `import.rs`.
//!
//! # Two ways in: paths for the shell, nodes for programs
//!
//! The shell's API takes absolute path strings: `/`-separated; relative paths are resolved
//! against a current directory that the caller keeps ([`Fs::resolve`]); every other
//! method takes an absolute path (a relative one is taken from `/`). These paths are
//! normalized lexically first (`.` and `..` on the string, `..` at `/` stays at `/`,
//! repeated or trailing slashes ignored), as a shell's `cd` does, and then resolved through
//! the tree, following symbolic links (see `resolve.rs`): `/lib/x` through `lib -> usr/lib`
//! is `/usr/lib/x`.
//!
//! The node API is what a POSIX or WASI layer needs: [`NodeId`] handles (stable inode
//! numbers, held open with [`Fs::retain`]), reading and writing at offsets, and POSIX
//! operations on paths relative to a directory ([`Fs::open_at`], [`Fs::rename_at`],
//! [`Fs::symlink_at`], [`Fs::link_at`], ...). There `..` is physical and a path may not
//! leave the directory it is confined to ([`At`]); trailing slashes, link loops
//! ([`MAX_SYMLINKS`]), dangling links and `O_NOFOLLOW` behave as on Linux, and every error
//! maps to one errno ([`FsError::errno_name`]). Timestamps come from a clock the caller
//! sets ([`Fs::set_clock`]).
//!
//! Names are at most [`MAX_NAME_LEN`] bytes and contain no `/` or NUL; paths are at most
//! [`MAX_PATH_LEN`] bytes, and no node is deeper than [`MAX_DEPTH`]. The bounds keep every
//! path operation free of heap allocation and recursion bounded on a kernel stack;
//! operations that would push a node past them are refused.
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
//! [`FsError::NoSpace`], again with nothing changed (see `quota.rs` for what counts).
//! Nothing in this crate panics on any input, and the library has no `unsafe`.
//!
//! # Layout
//!
//! Reading the archive: `archive` (tar headers), `import` (entries into the tree, with
//! `import_index` to find names meanwhile). The tree: `node` (an arena of nodes and
//! directory entries), `link` (naming, unnaming and freeing nodes), `tree` (measuring and walking it), `resolve` (paths through it),
//! `quota` (space), `times` (timestamps), `contents` (changing a file's bytes). The shell's
//! API: `query` (reading) and `modify` (changing). The node API: `handle` (operations on a
//! node) and `posix` (operations on paths relative to a directory). Values: `types`,
//! `error`, `path` (lexical paths and limits), `name` (showing names).

#![no_std]
// The library has no `unsafe`; the tests' failing allocator (`tests/oom.rs`) is the one exception.
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]
#![warn(missing_debug_implementations)]

extern crate alloc;

mod archive;
mod contents;
mod error;
mod handle;
mod import;
mod import_index;
mod link;
mod modify;
mod name;
mod node;
mod path;
mod posix;
mod query;
mod quota;
mod resolve;
mod times;
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
pub use resolve::MAX_SYMLINKS;
pub use types::{At, DirEntry, Kind, Metadata, NodeId, OpenOptions, SetTime, Stats, WalkEntry};

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
    /// Entries whose name (or link target) is not UTF-8 or breaks the path rules.
    pub bad_names: usize,
    /// Symbolic links in the tree afterwards.
    pub symlinks: usize,
    /// Hard links whose target is not an earlier file or link of the archive.
    pub broken_links: usize,
}

impl Warning {
    fn is_needed(&self) -> bool {
        self.damage.is_some()
            || self.skipped > 0
            || self.conflicts > 0
            || self.bad_names > 0
            || self.broken_links > 0
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
        if self.symlinks > 0 {
            write!(f, ", {} symlinks", self.symlinks)?;
        }
        let counts = [
            (self.skipped, "skipped (not a file, directory or link)"),
            (self.conflicts, "skipped (file/directory conflict)"),
            (self.bad_names, "skipped (bad name)"),
            (self.broken_links, "skipped (hard link to nothing)"),
        ];
        for (n, what) in counts {
            if n > 0 {
                write!(f, "; {n} {what}")?;
            }
        }
        Ok(())
    }
}
