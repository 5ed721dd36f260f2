//! The plain values the file tree hands out and takes: kinds, metadata, listing and walk
//! entries, totals, and the handles and options of the node API. They borrow names from the
//! tree and own nothing, so handing them out never allocates.

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link: a path stored as text, followed when a path passes through it.
    Symlink,
}

/// What [`Fs::metadata`](crate::Fs::metadata) and [`Fs::stat`](crate::Fs::stat) report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: Kind,
    /// Bytes for a file, number of entries for a directory, bytes of the target path for a
    /// symbolic link.
    pub size: usize,
    /// `false` for a file still exactly as the initrd archive had it (its contents are read
    /// straight from the archive's memory) and for directories and links that came from the
    /// archive; `true` for anything created or modified since boot.
    pub in_ram: bool,
    /// The inode number: unique among all nodes that ever existed since the tree was
    /// built (never reused), the same for every name of a hard-linked file.
    pub ino: u64,
    /// Names the node has: hard links for a file or symbolic link (0 once all are removed
    /// while it is still open); always 1 for a directory (0 once removed), as on file
    /// systems that do not count subdirectories.
    pub nlink: u32,
    /// Last access, last change of contents, last change of contents or metadata: in
    /// nanoseconds of the clock given to [`Fs::set_clock`](crate::Fs::set_clock). Reading
    /// does not update `atime` (like a `noatime` mount).
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
}

/// One entry of a directory listing ([`Fs::entries`](crate::Fs::entries),
/// [`Fs::read_dir`](crate::Fs::read_dir)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'f> {
    pub name: &'f str,
    /// The kind of the node the entry names (a symbolic link is not followed).
    pub kind: Kind,
    /// As in [`Metadata::size`].
    pub size: usize,
    /// The node the entry names.
    pub node: NodeId,
}

/// One node visited by [`Fs::walk`](crate::Fs::walk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkEntry<'f> {
    /// Normalized absolute path.
    pub path: &'f str,
    /// Last path component (`"/"` for the root).
    pub name: &'f str,
    /// 0 for the node the walk started at, 1 for its children, and so on.
    pub depth: usize,
    pub kind: Kind,
    /// As in [`Metadata::size`].
    pub size: usize,
    /// Whether this is the last entry of its directory (for drawing `└──` vs `├──`).
    pub is_last: bool,
}

/// Totals for `df`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files, in RAM or not (a hard-linked file counts once).
    pub files: usize,
    /// Directories, not counting `/`.
    pub dirs: usize,
    /// Symbolic links.
    pub symlinks: usize,
    /// Files whose contents are unchanged from the archive.
    pub initrd_files: usize,
    /// Bytes of file contents read straight from the archive's memory (a copied initrd
    /// file shares the archive bytes and counts here again).
    pub initrd_bytes: usize,
    /// Bytes of file contents held on the heap.
    pub ram_bytes: usize,
    /// Size of the whole archive in memory.
    pub archive_bytes: usize,
}

/// A node, as the node API names it: a file, directory or link whatever its names are
/// (it stays the same node through renames and other names being added or removed).
/// Once the node is gone (its last name removed and no [`Fs::retain`](crate::Fs::retain)
/// left), every use fails with [`FsError::StaleHandle`](crate::FsError::StaleHandle):
/// a handle never silently names a newer node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId {
    pub(crate) slot: usize,
    pub(crate) ino: u64,
}

impl NodeId {
    /// The node's inode number (as in [`Metadata::ino`]).
    pub const fn ino(self) -> u64 {
        self.ino
    }
}

/// Where a path given to the node API starts, and the directory it may not leave.
///
/// Relative paths start at `dir`. A path may not lead above `root`: `..` at `root`, an
/// absolute path, and a symbolic link to an absolute path all fail with
/// [`FsError::EscapesRoot`](crate::FsError::EscapesRoot), as WASI requires for a
/// directory handle. `root` is `dir` itself or a directory above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct At {
    pub dir: NodeId,
    pub root: NodeId,
}

impl At {
    /// Paths relative to `dir`, confined to it (a WASI directory handle).
    pub const fn dir(dir: NodeId) -> Self {
        Self { dir, root: dir }
    }
}

/// How [`Fs::open_at`](crate::Fs::open_at) treats the path (POSIX `open` flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create a file if nothing has the name (`O_CREAT`).
    pub create: bool,
    /// With `create`: fail with `AlreadyExists` if the name exists, even as a dangling
    /// symbolic link (`O_EXCL`).
    pub exclusive: bool,
    /// Cut an existing file to length 0 (`O_TRUNC`); fails on a directory.
    pub truncate: bool,
    /// The node must be a directory (`O_DIRECTORY`).
    pub directory: bool,
    /// Follow a symbolic link in the last component; without it, a link there fails with
    /// `Loop` (`O_NOFOLLOW`). Links in earlier components are always followed.
    pub follow: bool,
}

/// A new value for a timestamp in [`Fs::set_times`](crate::Fs::set_times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    Keep,
    /// The clock's current time.
    Now,
    /// Nanoseconds, as the clock counts them.
    To(u64),
}
