//! The file system a WASI program sees, as a trait of inode-level operations.
//!
//! Why inode-level and not path-level: WASI's rules for paths (relative to a directory
//! descriptor, `..` that must not leave the preopened directory, symbolic links followed
//! component by component, trailing slashes, loops) are the part that is easy to get subtly
//! wrong, and they are the same whatever stores the files. So path resolution is written
//! once, in `path.rs`, on top of the few primitives below, and a file system only has to
//! look names up in a directory, read and write by inode, and add or remove one directory
//! entry at a time. The checks that make a change legal (is the target an empty directory,
//! is a directory being moved into itself) are made by the WASI layer too; a file system
//! applies the change it is asked for.
//!
//! An inode stays usable for as long as a descriptor holds it ([`FileSystem::open`] /
//! [`FileSystem::close`]), even after its last name is removed, as in POSIX.

use super::Errno;
use alloc::string::String;
use alloc::vec::Vec;

/// An inode number: names one file, directory or symbolic link for its whole life.
pub type Ino = u64;

/// What an inode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
}

/// An inode's attributes. Times are nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ino: Ino,
    pub kind: Kind,
    /// Names referring to it (for a directory: 2 plus its subdirectories).
    pub nlink: u64,
    /// Bytes of a file or of a symbolic link's target; for a directory, what the file
    /// system reports (any value).
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub ino: Ino,
    pub kind: Kind,
}

/// Inode-level file system operations (see the module docs). `name` arguments are single,
/// valid path components: never empty, `.` or `..`, and without `/` or NUL. `now` is the
/// current realtime clock, for timestamps.
pub trait FileSystem {
    /// The root directory.
    fn root(&mut self) -> Ino;
    /// An inode's attributes (`ENOENT` for an inode that no longer exists).
    fn stat(&mut self, ino: Ino) -> Result<Stat, Errno>;
    /// The directory containing directory `dir` (the root is its own parent).
    fn parent(&mut self, dir: Ino) -> Result<Ino, Errno>;
    /// The inode `name` refers to in directory `dir` (`ENOENT`, or `ENOTDIR` if `dir` is not
    /// a directory).
    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno>;
    /// Every entry of `dir` (without `.` and `..`), in an order that stays the same while the
    /// directory is not changed.
    fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>, Errno>;
    /// Reads from a file at `offset`; 0 at or past the end.
    fn read(&mut self, file: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Writes to a file at `offset`, extending it (with zeros before `offset` if it starts
    /// past the end). Returns the bytes written.
    fn write(&mut self, file: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno>;
    /// Truncates or extends (with zeros) a file.
    fn set_size(&mut self, file: Ino, size: u64, now: u64) -> Result<(), Errno>;
    /// A symbolic link's target.
    fn readlink(&mut self, link: Ino) -> Result<String, Errno>;
    /// A new empty file `name` in `dir` (`EEXIST` if the name is taken).
    fn create_file(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno>;
    /// A new empty directory `name` in `dir` (`EEXIST` if the name is taken).
    fn create_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno>;
    /// A new symbolic link `name` in `dir` pointing to `target`.
    fn create_symlink(
        &mut self,
        dir: Ino,
        name: &str,
        target: &str,
        now: u64,
    ) -> Result<Ino, Errno>;
    /// A new name `name` in `dir` for the existing non-directory inode `target`.
    fn link(&mut self, target: Ino, dir: Ino, name: &str, now: u64) -> Result<(), Errno>;
    /// Removes the entry `name` (not a directory) from `dir`.
    fn unlink(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno>;
    /// Removes the empty directory `name` from `dir`.
    fn remove_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno>;
    /// Moves entry `from_name` of `from_dir` to `to_name` in `to_dir`, replacing what is
    /// there (the caller has checked that the replacement is legal: same kind, an empty
    /// directory, not a move into itself).
    fn rename(
        &mut self,
        from_dir: Ino,
        from_name: &str,
        to_dir: Ino,
        to_name: &str,
        now: u64,
    ) -> Result<(), Errno>;
    /// Sets the access and/or modification time.
    fn set_times(
        &mut self,
        ino: Ino,
        atim: Option<u64>,
        mtim: Option<u64>,
        now: u64,
    ) -> Result<(), Errno>;
    /// A descriptor now refers to `ino`: keep it alive until the matching `close`.
    fn open(&mut self, ino: Ino) {
        let _ = ino;
    }
    /// A descriptor referring to `ino` is gone.
    fn close(&mut self, ino: Ino) {
        let _ = ino;
    }
}
