//! The numbers and memory layouts of WASI preview 1 (`wasi_snapshot_preview1`), as its witx
//! definition gives them. Written out by hand (not generated) because they are few, stable
//! and frozen: preview 1 will not change.

use wasm_abi::ImportSig;
use wasm_abi::ValType::{I32, I64};

/// An error code returned by a WASI function (`errno`, a `u16`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    Addrinuse = 3,
    Addrnotavail = 4,
    Afnosupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    Badmsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    Connaborted = 13,
    Connrefused = 14,
    Connreset = 15,
    Deadlk = 16,
    Destaddrreq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Hostunreach = 23,
    Idrm = 24,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isconn = 30,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Multihop = 36,
    Nametoolong = 37,
    Netdown = 38,
    Netreset = 39,
    Netunreach = 40,
    Nfile = 41,
    Nobufs = 42,
    Nodev = 43,
    Noent = 44,
    Noexec = 45,
    Nolck = 46,
    Nolink = 47,
    Nomem = 48,
    Nomsg = 49,
    Noprotoopt = 50,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Ownerdead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    Protonosupport = 66,
    Prototype = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl Errno {
    /// The POSIX-style name (`ENOENT`).
    pub fn name(self) -> &'static str {
        match self {
            Errno::Success => "ESUCCESS",
            Errno::TooBig => "E2BIG",
            Errno::Acces => "EACCES",
            Errno::Addrinuse => "EADDRINUSE",
            Errno::Addrnotavail => "EADDRNOTAVAIL",
            Errno::Afnosupport => "EAFNOSUPPORT",
            Errno::Again => "EAGAIN",
            Errno::Already => "EALREADY",
            Errno::Badf => "EBADF",
            Errno::Badmsg => "EBADMSG",
            Errno::Busy => "EBUSY",
            Errno::Canceled => "ECANCELED",
            Errno::Child => "ECHILD",
            Errno::Connaborted => "ECONNABORTED",
            Errno::Connrefused => "ECONNREFUSED",
            Errno::Connreset => "ECONNRESET",
            Errno::Deadlk => "EDEADLK",
            Errno::Destaddrreq => "EDESTADDRREQ",
            Errno::Dom => "EDOM",
            Errno::Dquot => "EDQUOT",
            Errno::Exist => "EEXIST",
            Errno::Fault => "EFAULT",
            Errno::Fbig => "EFBIG",
            Errno::Hostunreach => "EHOSTUNREACH",
            Errno::Idrm => "EIDRM",
            Errno::Ilseq => "EILSEQ",
            Errno::Inprogress => "EINPROGRESS",
            Errno::Intr => "EINTR",
            Errno::Inval => "EINVAL",
            Errno::Io => "EIO",
            Errno::Isconn => "EISCONN",
            Errno::Isdir => "EISDIR",
            Errno::Loop => "ELOOP",
            Errno::Mfile => "EMFILE",
            Errno::Mlink => "EMLINK",
            Errno::Msgsize => "EMSGSIZE",
            Errno::Multihop => "EMULTIHOP",
            Errno::Nametoolong => "ENAMETOOLONG",
            Errno::Netdown => "ENETDOWN",
            Errno::Netreset => "ENETRESET",
            Errno::Netunreach => "ENETUNREACH",
            Errno::Nfile => "ENFILE",
            Errno::Nobufs => "ENOBUFS",
            Errno::Nodev => "ENODEV",
            Errno::Noent => "ENOENT",
            Errno::Noexec => "ENOEXEC",
            Errno::Nolck => "ENOLCK",
            Errno::Nolink => "ENOLINK",
            Errno::Nomem => "ENOMEM",
            Errno::Nomsg => "ENOMSG",
            Errno::Noprotoopt => "ENOPROTOOPT",
            Errno::Nospc => "ENOSPC",
            Errno::Nosys => "ENOSYS",
            Errno::Notconn => "ENOTCONN",
            Errno::Notdir => "ENOTDIR",
            Errno::Notempty => "ENOTEMPTY",
            Errno::Notrecoverable => "ENOTRECOVERABLE",
            Errno::Notsock => "ENOTSOCK",
            Errno::Notsup => "ENOTSUP",
            Errno::Notty => "ENOTTY",
            Errno::Nxio => "ENXIO",
            Errno::Overflow => "EOVERFLOW",
            Errno::Ownerdead => "EOWNERDEAD",
            Errno::Perm => "EPERM",
            Errno::Pipe => "EPIPE",
            Errno::Proto => "EPROTO",
            Errno::Protonosupport => "EPROTONOSUPPORT",
            Errno::Prototype => "EPROTOTYPE",
            Errno::Range => "ERANGE",
            Errno::Rofs => "EROFS",
            Errno::Spipe => "ESPIPE",
            Errno::Srch => "ESRCH",
            Errno::Stale => "ESTALE",
            Errno::Timedout => "ETIMEDOUT",
            Errno::Txtbsy => "ETXTBSY",
            Errno::Xdev => "EXDEV",
            Errno::Notcapable => "ENOTCAPABLE",
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// `rights`: what a file descriptor may be used for (a `u64` bit set).
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every defined right; other bits are invalid (`EINVAL`).
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights that mean something on a directory descriptor.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;

    /// Rights that mean something on a regular file descriptor.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
}

/// `filetype` (a `u8`).
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` (a `u16` bit set).
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = (1 << 5) - 1;
}

/// `oflags` (a `u16` bit set) of `path_open`.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = (1 << 4) - 1;
}

/// `lookupflags` (a `u32` bit set).
pub mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
    pub const ALL: u32 = 1;
}

/// `fstflags` (a `u16` bit set) of the `*_set_times` functions.
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
    pub const ALL: u16 = (1 << 4) - 1;
}

/// `clockid` (a `u32` enum).
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME: u32 = 2;
    pub const THREAD_CPUTIME: u32 = 3;
}

/// `whence` (a `u8` enum) of `fd_seek`.
pub mod whence {
    pub const SET: u32 = 0;
    pub const CUR: u32 = 1;
    pub const END: u32 = 2;
}

/// `eventtype` (a `u8` enum) of `poll_oneoff`.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `eventrwflags`: the peer hung up (end of file).
pub const EVENT_FD_READWRITE_HANGUP: u16 = 1;
/// `subclockflags`: the timeout is an absolute time of the clock.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;
/// Largest `advice` value (`noreuse`).
pub const ADVICE_MAX: u32 = 5;
/// Largest `signal` value (`sigsys`).
pub const SIGNAL_MAX: u32 = 30;
/// `sdflags` (`rd | wr`).
pub const SDFLAGS_ALL: u32 = 3;
/// `riflags` (`recv_peek | recv_waitall`).
pub const RIFLAGS_ALL: u32 = 3;

/// Sizes and alignments of the structures passed through memory (witx layout rules).
pub mod layout {
    /// `iovec` / `ciovec`: `buf: u32 @0, buf_len: u32 @4`.
    pub const IOVEC: (u32, u32) = (8, 4);
    /// `fdstat`: `filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16`.
    pub const FDSTAT: (u32, u32) = (24, 8);
    /// `filestat`: `dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48,
    /// ctim @56` (all `u64` but the type).
    pub const FILESTAT: (u32, u32) = (64, 8);
    /// `prestat`: `tag u8 @0, pr_name_len u32 @4`.
    pub const PRESTAT: (u32, u32) = (8, 4);
    /// `dirent` header: `d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20`; the
    /// name follows unaligned. Written into a byte buffer, so no alignment is required.
    pub const DIRENT: usize = 24;
    /// `subscription`: `userdata u64 @0, tag u8 @8`, then at 16 either `clock { id u32 @16,
    /// timeout u64 @24, precision u64 @32, flags u16 @40 }` or `fd u32 @16`.
    pub const SUBSCRIPTION: (u32, u32) = (48, 8);
    /// `event`: `userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24`.
    pub const EVENT: (u32, u32) = (32, 8);
}

/// The import module of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

macro_rules! sig {
    ($name:literal, [$($p:ident),*]) => {
        ImportSig { name: $name, params: &[$($p),*], result: Some(I32) }
    };
}

/// Every function of `wasi_snapshot_preview1`, with its core wasm signature. All return an
/// `errno` as `i32`, except `proc_exit`, which does not return.
pub const IMPORTS: &[ImportSig] = &[
    sig!("args_get", [I32, I32]),
    sig!("args_sizes_get", [I32, I32]),
    sig!("environ_get", [I32, I32]),
    sig!("environ_sizes_get", [I32, I32]),
    sig!("clock_res_get", [I32, I32]),
    sig!("clock_time_get", [I32, I64, I32]),
    sig!("fd_advise", [I32, I64, I64, I32]),
    sig!("fd_allocate", [I32, I64, I64]),
    sig!("fd_close", [I32]),
    sig!("fd_datasync", [I32]),
    sig!("fd_fdstat_get", [I32, I32]),
    sig!("fd_fdstat_set_flags", [I32, I32]),
    sig!("fd_fdstat_set_rights", [I32, I64, I64]),
    sig!("fd_filestat_get", [I32, I32]),
    sig!("fd_filestat_set_size", [I32, I64]),
    sig!("fd_filestat_set_times", [I32, I64, I64, I32]),
    sig!("fd_pread", [I32, I32, I32, I64, I32]),
    sig!("fd_prestat_get", [I32, I32]),
    sig!("fd_prestat_dir_name", [I32, I32, I32]),
    sig!("fd_pwrite", [I32, I32, I32, I64, I32]),
    sig!("fd_read", [I32, I32, I32, I32]),
    sig!("fd_readdir", [I32, I32, I32, I64, I32]),
    sig!("fd_renumber", [I32, I32]),
    sig!("fd_seek", [I32, I64, I32, I32]),
    sig!("fd_sync", [I32]),
    sig!("fd_tell", [I32, I32]),
    sig!("fd_write", [I32, I32, I32, I32]),
    sig!("path_create_directory", [I32, I32, I32]),
    sig!("path_filestat_get", [I32, I32, I32, I32, I32]),
    sig!(
        "path_filestat_set_times",
        [I32, I32, I32, I32, I64, I64, I32]
    ),
    sig!("path_link", [I32, I32, I32, I32, I32, I32, I32]),
    sig!("path_open", [I32, I32, I32, I32, I32, I64, I64, I32, I32]),
    sig!("path_readlink", [I32, I32, I32, I32, I32, I32]),
    sig!("path_remove_directory", [I32, I32, I32]),
    sig!("path_rename", [I32, I32, I32, I32, I32, I32]),
    sig!("path_symlink", [I32, I32, I32, I32, I32]),
    sig!("path_unlink_file", [I32, I32, I32]),
    sig!("poll_oneoff", [I32, I32, I32, I32]),
    ImportSig {
        name: "proc_exit",
        params: &[I32],
        result: None,
    },
    sig!("proc_raise", [I32]),
    sig!("sched_yield", []),
    sig!("random_get", [I32, I32]),
    sig!("sock_accept", [I32, I32, I32]),
    sig!("sock_recv", [I32, I32, I32, I32, I32, I32]),
    sig!("sock_send", [I32, I32, I32, I32, I32]),
    sig!("sock_shutdown", [I32, I32]),
];

/// The signature of a `wasi_snapshot_preview1` function.
pub fn import_sig(name: &str) -> Option<&'static ImportSig> {
    IMPORTS.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_numbers_match_the_witx_order() {
        assert_eq!(Errno::Success as u16, 0);
        assert_eq!(Errno::Badf as u16, 8);
        assert_eq!(Errno::Inval as u16, 28);
        assert_eq!(Errno::Noent as u16, 44);
        assert_eq!(Errno::Nomsg as u16, 49);
        assert_eq!(Errno::Notdir as u16, 54);
        assert_eq!(Errno::Perm as u16, 63);
        assert_eq!(Errno::Notcapable as u16, 76);
        assert_eq!(Errno::TooBig.name(), "E2BIG");
    }

    #[test]
    fn all_46_functions_once() {
        assert_eq!(IMPORTS.len(), 46);
        for (i, a) in IMPORTS.iter().enumerate() {
            assert!(
                IMPORTS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
    }
}
