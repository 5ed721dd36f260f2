//! Errors as plain values.
//!
//! The kernel shell prints them as `cmd: path: message`, so every variant has a short,
//! lower-case, errno-style message and [`FsError::context`] builds that line without
//! allocating.

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
