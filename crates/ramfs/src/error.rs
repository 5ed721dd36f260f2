//! Errors as plain values.
//!
//! The kernel shell prints them as `cmd: path: message`, so every variant has a short,
//! lower-case, errno-style message and [`FsError::context`] builds that line without
//! allocating. A WASI or POSIX layer maps each variant to one errno
//! ([`FsError::errno_name`] says which).

use core::fmt;

/// Everything a file-system operation can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FsError {
    /// A path component does not exist.
    NotFound,
    /// A file operation was given a directory.
    IsADirectory,
    /// A directory operation (or an intermediate path component) was a file.
    NotADirectory,
    /// The target of a create operation already exists.
    AlreadyExists,
    /// A component is longer than [`crate::MAX_NAME_LEN`] bytes or the whole path is longer
    /// than [`crate::MAX_PATH_LEN`] bytes.
    NameTooLong,
    /// The path has more than [`crate::MAX_DEPTH`] components.
    TooDeep,
    /// The path is empty or contains a NUL byte.
    InvalidPath,
    /// A non-recursive remove was given a non-empty directory, or a rename would replace one.
    DirectoryNotEmpty,
    /// A heap allocation failed; the tree is left as it was before the operation.
    OutOfMemory,
    /// The operation makes no sense for these arguments: removing or renaming `/`, moving or
    /// copying a directory into itself, copying a file onto itself.
    InvalidArgument,
    /// The operation would take the tree past its space limit ([`crate::Fs::set_limit`]);
    /// nothing was changed.
    NoSpace,
    /// Resolving the path followed more than [`crate::MAX_SYMLINKS`] symbolic links (a loop,
    /// most likely), or the node API was asked not to follow a link it met last.
    Loop,
    /// A path given to the node API leads above the directory it is confined to (see
    /// [`crate::At`]).
    EscapesRoot,
    /// Not allowed on this kind of node: a hard link to a directory.
    NotPermitted,
    /// A [`crate::NodeId`] names a node that no longer exists.
    StaleHandle,
    /// A file offset or length past what a file can hold.
    FileTooLarge,
}

impl FsError {
    /// The short message, e.g. `"no such file or directory"`.
    pub const fn message(self) -> &'static str {
        match self {
            Self::NotFound => "no such file or directory",
            Self::IsADirectory => "is a directory",
            Self::NotADirectory => "not a directory",
            Self::AlreadyExists => "file exists",
            Self::NameTooLong => "file name too long",
            Self::TooDeep => "path too deep",
            Self::InvalidPath => "invalid path",
            Self::DirectoryNotEmpty => "directory not empty",
            Self::OutOfMemory => "out of memory",
            Self::InvalidArgument => "invalid argument",
            Self::NoSpace => "no space left on device",
            Self::Loop => "too many levels of symbolic links",
            Self::EscapesRoot => "path leads outside its directory",
            Self::NotPermitted => "operation not permitted",
            Self::StaleHandle => "stale file handle",
            Self::FileTooLarge => "file too large",
        }
    }

    /// The POSIX errno a system would report, e.g. `"ENOENT"`. Two need a choice:
    /// [`FsError::TooDeep`] is `ENAMETOOLONG` (POSIX has no "too many components"), and
    /// [`FsError::EscapesRoot`] is `ENOTCAPABLE`, the name WASI preview 1 and Capsicum use
    /// (POSIX itself would say `EPERM`).
    pub const fn errno_name(self) -> &'static str {
        match self {
            Self::NotFound => "ENOENT",
            Self::IsADirectory => "EISDIR",
            Self::NotADirectory => "ENOTDIR",
            Self::AlreadyExists => "EEXIST",
            Self::NameTooLong | Self::TooDeep => "ENAMETOOLONG",
            Self::InvalidPath | Self::InvalidArgument => "EINVAL",
            Self::DirectoryNotEmpty => "ENOTEMPTY",
            Self::OutOfMemory => "ENOMEM",
            Self::NoSpace => "ENOSPC",
            Self::Loop => "ELOOP",
            Self::EscapesRoot => "ENOTCAPABLE",
            Self::NotPermitted => "EPERM",
            Self::StaleHandle => "ESTALE",
            Self::FileTooLarge => "EFBIG",
        }
    }

    /// Pairs the error with the command and path it concerns; `Display` then prints
    /// `"cat: /x: no such file or directory"`.
    pub const fn context<'c>(self, command: &'c str, path: &'c str) -> ErrorReport<'c> {
        ErrorReport {
            command,
            path,
            error: self,
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for FsError {}

/// An error with the command and path it concerns (see [`FsError::context`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorReport<'c> {
    /// The command name, e.g. `"cat"`.
    pub command: &'c str,
    /// The path as the user should see it.
    pub path: &'c str,
    /// What went wrong.
    pub error: FsError,
}

/// The path is shown [`Escaped`](crate::Escaped), since it may name a file whose name holds
/// control characters.
impl fmt::Display for ErrorReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::Escaped(self.path);
        write!(f, "{}: {path}: {}", self.command, self.error)
    }
}
