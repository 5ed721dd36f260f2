//! The plain values the file tree hands out: kinds, metadata, listing and walk entries,
//! totals. They borrow names from the tree and own nothing, so handing them out never
//! allocates.

/// File or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
}

/// What [`Fs::metadata`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: Kind,
    /// Bytes for a file, number of entries for a directory.
    pub size: usize,
    /// `false` for a file still exactly as the initrd archive had it (its contents are read
    /// straight from the archive's memory) and for directories that came from the archive;
    /// `true` for anything created or modified since boot.
    pub in_ram: bool,
}

/// One entry of [`Fs::read_dir`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'f> {
    pub name: &'f str,
    pub kind: Kind,
    /// As in [`Metadata::size`].
    pub size: usize,
}

/// One node visited by [`Fs::walk`].
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
    /// Files, in RAM or not.
    pub files: usize,
    /// Directories, not counting `/`.
    pub dirs: usize,
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
