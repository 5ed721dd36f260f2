//! The functions of `wasi_snapshot_preview1`, one Rust function each.
//!
//! Each takes the program's context, the platform and its memory, and the call's raw
//! arguments, and returns `Ok(())` (errno 0), an errno, a trap, an exit, or "blocked". The
//! errno chosen for each edge case follows the preview 1 specification and, where it leaves
//! a choice, wasmtime (or Linux, which wasmtime follows); the comments say where. Argument
//! decoding errors come first, as in wasmtime's generated bindings: an unknown flag bit or
//! enum value is `EINVAL` before anything else is looked at.
//!
//! Calls that can wait (reading standard input, writing output that is full, `poll_oneoff`,
//! `sched_yield`) record themselves in [`Ctx::pending`] and return [`Fail::Block`]; the runner
//! pauses the program and later calls them again through [`retry`].

// Each function takes its WASI call's arguments as they are: some calls have nine.
#![allow(clippy::too_many_arguments)]

use super::fd::{Desc, Entry, FdTable};
use super::fs::{FileSystem, Ino, Kind, Stat};
use super::mem;
use super::path::{self, Last, Scope, Walk};
use super::types::{
    ADVICE_MAX, EVENT_FD_READWRITE_HANGUP, RIFLAGS_ALL, SDFLAGS_ALL, SIGNAL_MAX,
    SUBSCRIPTION_CLOCK_ABSTIME, clockid, eventtype, fdflags, filetype, fstflags, layout,
    lookupflags, oflags, rights, whence,
};
use super::{Errno, Fail, Wait};
use crate::{Platform, StdinRead, Stream};
use alloc::string::String;
use alloc::vec::Vec;

type R = Result<(), Fail>;

/// Resolution of the clocks, in nanoseconds.
const CLOCK_RESOLUTION_NS: u64 = 1_000;
/// The device number every inode reports.
const DEVICE: u64 = 1;

/// A call waiting to be retried, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    Read {
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    },
    Write {
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    },
    Poll {
        subs: u32,
        events: u32,
        n: u32,
        out: u32,
        started: u64,
    },
    Yield,
}

/// A program's WASI state, besides its memory and the platform.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub args: Vec<String>,
    /// `NAME=value` strings.
    pub env: Vec<String>,
    pub fds: FdTable,
    /// Monotonic time the program started (its CPU-time clocks count from here).
    pub started: u64,
    /// The call that blocked, if any.
    pub pending: Option<Pending>,
}

fn fs(p: &mut dyn Platform) -> Result<&mut dyn FileSystem, Fail> {
    p.fs().ok_or(Fail::Errno(Errno::Nosys))
}

/// Retries the call that blocked. Ok(()) means it finished (errno 0 or the errno it failed
/// with is returned through `Fail::Errno`).
pub(crate) fn retry(cx: &mut Ctx, p: &mut dyn Platform, m: &mut [u8], call: Pending) -> R {
    cx.pending = None;
    match call {
        Pending::Read { fd, iovs, n, out } => fd_read(cx, p, m, fd, iovs, n, out),
        Pending::Write { fd, iovs, n, out } => fd_write(cx, p, m, fd, iovs, n, out),
        Pending::Poll {
            subs,
            events,
            n,
            out,
            started,
        } => poll(cx, p, m, subs, events, n, out, started),
        Pending::Yield => Ok(()),
    }
}

// ---- arguments, environment, clocks, randomness, process -----------------------------------

fn strings_get(list: &[String], m: &mut [u8], ptrs: u32, buf: u32) -> R {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        let slot = u64::from(ptrs) + 4 * i as u64;
        let slot = u32::try_from(slot).map_err(|_| Fail::Trap(String::from("pointer overflow")))?;
        mem::write_u32(m, slot, at)?;
        mem::put(m, at, s.as_bytes(), 1)?;
        let len = u32::try_from(s.len()).map_err(|_| Errno::Overflow)?;
        let nul = at
            .checked_add(len)
            .ok_or_else(|| Fail::Trap(String::from("pointer overflow")))?;
        mem::put(m, nul, &[0], 1)?;
        at = nul.wrapping_add(1);
    }
    Ok(())
}

fn strings_sizes(list: &[String], m: &mut [u8], count: u32, size: u32) -> R {
    let n = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    let total: u64 = list.iter().map(|s| s.len() as u64 + 1).sum();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    mem::write_u32(m, count, n)?;
    mem::write_u32(m, size, total)
}

pub(crate) fn args_get(cx: &mut Ctx, m: &mut [u8], argv: u32, buf: u32) -> R {
    strings_get(&cx.args, m, argv, buf)
}

pub(crate) fn args_sizes_get(cx: &mut Ctx, m: &mut [u8], count: u32, size: u32) -> R {
    strings_sizes(&cx.args, m, count, size)
}

pub(crate) fn environ_get(cx: &mut Ctx, m: &mut [u8], env: u32, buf: u32) -> R {
    strings_get(&cx.env, m, env, buf)
}

pub(crate) fn environ_sizes_get(cx: &mut Ctx, m: &mut [u8], count: u32, size: u32) -> R {
    strings_sizes(&cx.env, m, count, size)
}

pub(crate) fn clock_res_get(m: &mut [u8], id: u32, out: u32) -> R {
    if id > clockid::THREAD_CPUTIME {
        return Err(Errno::Inval.into());
    }
    mem::write_u64(m, out, CLOCK_RESOLUTION_NS)
}

/// The current time of clock `id`. The CPU-time clocks count from the program's start (the
/// program has the processor to itself while it runs a slice).
fn now(cx: &Ctx, p: &mut dyn Platform, id: u32) -> Result<u64, Errno> {
    match id {
        clockid::REALTIME => Ok(p.realtime_ns()),
        clockid::MONOTONIC => Ok(p.monotonic_ns()),
        clockid::PROCESS_CPUTIME | clockid::THREAD_CPUTIME => {
            Ok(p.monotonic_ns().saturating_sub(cx.started))
        }
        _ => Err(Errno::Inval),
    }
}

pub(crate) fn clock_time_get(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    id: u32,
    _precision: u64,
    out: u32,
) -> R {
    let t = now(cx, p, id)?;
    mem::write_u64(m, out, t)
}

pub(crate) fn random_get(p: &mut dyn Platform, m: &mut [u8], buf: u32, len: u32) -> R {
    p.fill_random(mem::bytes_mut(m, buf, len)?);
    Ok(())
}

/// `proc_exit`: codes 0..=125 end the program with that status; larger ones are a trap, as in
/// wasmtime (126 and up are reserved for the shell).
pub(crate) fn proc_exit(code: u32) -> R {
    match i32::try_from(code) {
        Ok(c) if c < 126 => Err(Fail::Exit(c)),
        _ => Err(Fail::Trap(alloc::format!(
            "exit with invalid exit status {code} (outside 0..126)"
        ))),
    }
}

pub(crate) fn proc_raise(sig: u32) -> R {
    if sig > SIGNAL_MAX {
        return Err(Errno::Inval.into());
    }
    // As in wasmtime: there is no signal delivery in preview 1.
    Err(Errno::Notsup.into())
}

pub(crate) fn sched_yield(cx: &mut Ctx) -> R {
    cx.pending = Some(Pending::Yield);
    Err(Fail::Block(Wait::Yield))
}

// ---- descriptors ---------------------------------------------------------------------------

/// A regular file's inode and offset, or the errno a non-file gets (`ESPIPE` for standard
/// streams, `EISDIR` for directories, as POSIX).
fn file_of(e: &Entry) -> Result<(Ino, u64), Errno> {
    match e.desc {
        Desc::File { ino, pos } => Ok((ino, pos)),
        Desc::Dir { .. } => Err(Errno::Isdir),
        Desc::Stdio(_) => Err(Errno::Spipe),
    }
}

fn set_pos(cx: &mut Ctx, fd: u32, new: u64) {
    if let Ok(e) = cx.fds.get(fd)
        && let Desc::File { pos, .. } = &mut e.desc
    {
        *pos = new;
    }
}

pub(crate) fn fd_advise(cx: &mut Ctx, fd: u32, _offset: u64, _len: u64, advice: u32) -> R {
    if advice > ADVICE_MAX {
        return Err(Errno::Inval.into());
    }
    let e = cx.fds.get(fd)?;
    match e.desc {
        Desc::File { .. } => {}
        // wasmtime accepts advice on regular files only.
        _ => return Err(Errno::Badf.into()),
    }
    e.with(rights::FD_ADVISE)?;
    Ok(())
}

pub(crate) fn fd_allocate(cx: &mut Ctx, p: &mut dyn Platform, fd: u32, offset: u64, len: u64) -> R {
    let e = cx.fds.get(fd)?;
    let (ino, _) = file_of(e).map_err(|e| if e == Errno::Spipe { Errno::Badf } else { e })?;
    e.with(rights::FD_ALLOCATE)?;
    let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    if end > fs.stat(ino)?.size {
        fs.set_size(ino, end, now)?;
    }
    Ok(())
}

pub(crate) fn fd_close(cx: &mut Ctx, p: &mut dyn Platform, fd: u32) -> R {
    Ok(cx.fds.close(fd, p.fs())?)
}

/// `fd_sync` and `fd_datasync`: everything is in memory, so only the checks remain.
pub(crate) fn fd_sync(cx: &mut Ctx, fd: u32, right: u64) -> R {
    let e = cx.fds.get(fd)?;
    if let Desc::Stdio(_) = e.desc {
        return Err(Errno::Inval.into());
    }
    e.with(right)?;
    Ok(())
}

fn fd_filetype(p: &mut dyn Platform, desc: &Desc) -> u8 {
    match desc {
        Desc::Stdio(s) => {
            if p.is_terminal(*s) {
                filetype::CHARACTER_DEVICE
            } else {
                filetype::UNKNOWN
            }
        }
        Desc::File { .. } => filetype::REGULAR_FILE,
        Desc::Dir { .. } => filetype::DIRECTORY,
    }
}

pub(crate) fn fd_fdstat_get(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    out: u32,
) -> R {
    let e = cx.fds.get(fd)?.clone();
    let mut rec = [0u8; layout::FDSTAT.0 as usize];
    rec[0] = fd_filetype(p, &e.desc);
    rec[2..4].copy_from_slice(&e.flags.to_le_bytes());
    rec[8..16].copy_from_slice(&e.base.to_le_bytes());
    rec[16..24].copy_from_slice(&e.inheriting.to_le_bytes());
    mem::put(m, out, &rec, layout::FDSTAT.1)
}

pub(crate) fn fd_fdstat_set_flags(cx: &mut Ctx, fd: u32, flags: u32) -> R {
    let flags = u16::try_from(flags)
        .ok()
        .filter(|f| f & !fdflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let e = cx.fds.get(fd)?;
    if let Desc::Dir { .. } = e.desc {
        return Err(Errno::Badf.into());
    }
    e.with(rights::FD_FDSTAT_SET_FLAGS)?;
    // As wasmtime: only APPEND and NONBLOCK can be changed after opening.
    if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        return Err(Errno::Inval.into());
    }
    e.flags = flags;
    Ok(())
}

pub(crate) fn fd_fdstat_set_rights(cx: &mut Ctx, fd: u32, base: u64, inheriting: u64) -> R {
    if (base | inheriting) & !rights::ALL != 0 {
        return Err(Errno::Inval.into());
    }
    let e = cx.fds.get(fd)?;
    if base & !e.base != 0 || inheriting & !e.inheriting != 0 {
        return Err(Errno::Notcapable.into());
    }
    e.base = base;
    e.inheriting = inheriting;
    Ok(())
}

fn kind_filetype(k: Kind) -> u8 {
    match k {
        Kind::File => filetype::REGULAR_FILE,
        Kind::Dir => filetype::DIRECTORY,
        Kind::Symlink => filetype::SYMBOLIC_LINK,
    }
}

fn put_filestat(m: &mut [u8], out: u32, dev: u64, st: &Stat, ft: u8) -> R {
    let mut rec = [0u8; layout::FILESTAT.0 as usize];
    rec[0..8].copy_from_slice(&dev.to_le_bytes());
    rec[8..16].copy_from_slice(&st.ino.to_le_bytes());
    rec[16] = ft;
    rec[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    rec[32..40].copy_from_slice(&st.size.to_le_bytes());
    rec[40..48].copy_from_slice(&st.atim.to_le_bytes());
    rec[48..56].copy_from_slice(&st.mtim.to_le_bytes());
    rec[56..64].copy_from_slice(&st.ctim.to_le_bytes());
    mem::put(m, out, &rec, layout::FILESTAT.1)
}

pub(crate) fn fd_filestat_get(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    out: u32,
) -> R {
    let e = cx.fds.get(fd)?.with(rights::FD_FILESTAT_GET)?.clone();
    match e.desc {
        Desc::Stdio(_) => {
            // As wasmtime: no inode behind a standard stream, only its type.
            let zero = Stat {
                ino: 0,
                kind: Kind::File,
                nlink: 0,
                size: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            };
            let ft = fd_filetype(p, &e.desc);
            put_filestat(m, out, 0, &zero, ft)
        }
        Desc::File { ino, .. } | Desc::Dir { ino, .. } => {
            let st = fs(p)?.stat(ino)?;
            put_filestat(m, out, DEVICE, &st, kind_filetype(st.kind))
        }
    }
}

pub(crate) fn fd_filestat_set_size(cx: &mut Ctx, p: &mut dyn Platform, fd: u32, size: u64) -> R {
    let e = cx.fds.get(fd)?;
    let (ino, _) = file_of(e).map_err(|e| if e == Errno::Spipe { Errno::Inval } else { e })?;
    e.with(rights::FD_FILESTAT_SET_SIZE)?;
    let now = p.realtime_ns();
    fs(p)?.set_size(ino, size, now)?;
    Ok(())
}

/// The new access and modification times asked for by `fst` (`EINVAL` for an unknown bit or
/// for a time that is both given and "now").
fn new_times(
    fst: u32,
    atim: u64,
    mtim: u64,
    now: u64,
) -> Result<(Option<u64>, Option<u64>), Errno> {
    let fst = u16::try_from(fst)
        .ok()
        .filter(|f| f & !fstflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let pick = |set: u16, set_now: u16, t: u64| match (fst & set != 0, fst & set_now != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(Some(t)),
        (false, true) => Ok(Some(now)),
        (false, false) => Ok(None),
    };
    Ok((
        pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ))
}

pub(crate) fn fd_filestat_set_times(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> R {
    let now = p.realtime_ns();
    let (a, mt) = new_times(fst, atim, mtim, now)?;
    let e = cx.fds.get(fd)?;
    let ino = e.ino().ok_or(Errno::Badf)?;
    e.with(rights::FD_FILESTAT_SET_TIMES)?;
    fs(p)?.set_times(ino, a, mt, now)?;
    Ok(())
}

/// Reads file `ino` from `pos` into the iovecs; returns the bytes read.
fn read_file(
    fs: &mut dyn FileSystem,
    m: &mut [u8],
    ino: Ino,
    pos: u64,
    iovs: u32,
    n: u32,
) -> Result<u32, Fail> {
    let mut total: u32 = 0;
    let mut pos = pos;
    for i in 0..n {
        let (buf, len) = mem::iovec(m, iovs, i)?;
        let take = len.min(u32::MAX - total);
        if take == 0 {
            continue;
        }
        let dst = mem::bytes_mut(m, buf, take)?;
        let k = match fs.read(ino, pos, dst) {
            Ok(k) => u32::try_from(k).unwrap_or(u32::MAX).min(take),
            Err(e) if total == 0 => return Err(e.into()),
            Err(_) => break,
        };
        total += k;
        pos += u64::from(k);
        if k < take {
            break;
        }
    }
    Ok(total)
}

/// Writes the iovecs to file `ino` at `pos`; returns the bytes written.
fn write_file(
    fs: &mut dyn FileSystem,
    m: &[u8],
    ino: Ino,
    pos: u64,
    iovs: u32,
    n: u32,
    now: u64,
) -> Result<u32, Fail> {
    let mut total: u32 = 0;
    let mut pos = pos;
    for i in 0..n {
        let (buf, len) = mem::iovec(m, iovs, i)?;
        if len == 0 {
            continue;
        }
        let len = len.min(u32::MAX - total);
        let data = mem::bytes(m, buf, len)?;
        let k = match fs.write(ino, pos, data, now) {
            Ok(k) => k,
            Err(e) if total == 0 => return Err(e.into()),
            Err(_) => break,
        };
        let k = u32::try_from(k.min(data.len())).unwrap_or(0);
        total += k;
        pos += u64::from(k);
        if k < len || total == u32::MAX {
            break;
        }
    }
    Ok(total)
}

pub(crate) fn fd_pread(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    iovs: u32,
    n: u32,
    offset: u64,
    out: u32,
) -> R {
    mem::check_array(m.len(), iovs, n, layout::IOVEC.0, layout::IOVEC.1)?;
    let e = cx.fds.get(fd)?;
    let (ino, _) = file_of(e)?;
    e.with(rights::FD_READ | rights::FD_SEEK)?;
    let k = read_file(fs(p)?, m, ino, offset, iovs, n)?;
    mem::write_u32(m, out, k)
}

pub(crate) fn fd_pwrite(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    iovs: u32,
    n: u32,
    offset: u64,
    out: u32,
) -> R {
    mem::check_array(m.len(), iovs, n, layout::IOVEC.0, layout::IOVEC.1)?;
    let e = cx.fds.get(fd)?;
    let (ino, _) = file_of(e)?;
    e.with(rights::FD_WRITE | rights::FD_SEEK)?;
    let append = e.flags & fdflags::APPEND != 0;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    // As Linux (and wasmtime): in append mode the offset is ignored.
    let at = if append { fs.stat(ino)?.size } else { offset };
    let k = write_file(fs, m, ino, at, iovs, n, now)?;
    mem::write_u32(m, out, k)
}

pub(crate) fn fd_prestat_get(cx: &mut Ctx, m: &mut [u8], fd: u32, out: u32) -> R {
    let Desc::Dir {
        preopen: Some(name),
        ..
    } = &cx.fds.get(fd)?.desc
    else {
        return Err(Errno::Badf.into());
    };
    let len = u32::try_from(name.len()).map_err(|_| Errno::Overflow)?;
    let mut rec = [0u8; layout::PRESTAT.0 as usize];
    rec[4..8].copy_from_slice(&len.to_le_bytes());
    mem::put(m, out, &rec, layout::PRESTAT.1)
}

pub(crate) fn fd_prestat_dir_name(cx: &mut Ctx, m: &mut [u8], fd: u32, buf: u32, len: u32) -> R {
    let Desc::Dir {
        preopen: Some(name),
        ..
    } = &cx.fds.get(fd)?.desc
    else {
        // wasmtime: an open descriptor that is not a preopened directory.
        return Err(Errno::Notdir.into());
    };
    if name.len() > len as usize {
        return Err(Errno::Nametoolong.into());
    }
    mem::put(m, buf, name.as_bytes(), 1)
}

pub(crate) fn fd_read(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    iovs: u32,
    n: u32,
    out: u32,
) -> R {
    mem::check_array(m.len(), iovs, n, layout::IOVEC.0, layout::IOVEC.1)?;
    let e = cx.fds.get(fd)?;
    match e.desc {
        Desc::Stdio(Stream::Stdin) => {
            let nonblock = e.with(rights::FD_READ)?.flags & fdflags::NONBLOCK != 0;
            // The first non-empty buffer (as wasmtime): a short read is fine for a stream.
            let mut target = None;
            for i in 0..n {
                let (buf, len) = mem::iovec(m, iovs, i)?;
                if len > 0 {
                    target = Some((buf, len));
                    break;
                }
            }
            let Some((buf, len)) = target else {
                return mem::write_u32(m, out, 0);
            };
            let dst = mem::bytes_mut(m, buf, len)?;
            let k = match p.read_stdin(dst) {
                StdinRead::Data(k) => k.min(dst.len()),
                StdinRead::Eof => 0,
                StdinRead::WouldBlock if nonblock => return Err(Errno::Again.into()),
                StdinRead::WouldBlock => {
                    cx.pending = Some(Pending::Read { fd, iovs, n, out });
                    return Err(Fail::Block(Wait::Input { deadline: None }));
                }
            };
            mem::write_u32(m, out, u32::try_from(k).unwrap_or(0))
        }
        Desc::Stdio(_) => Err(Errno::Badf.into()),
        Desc::Dir { .. } => Err(Errno::Isdir.into()),
        Desc::File { ino, pos } => {
            e.with(rights::FD_READ)?;
            let k = read_file(fs(p)?, m, ino, pos, iovs, n)?;
            set_pos(cx, fd, pos + u64::from(k));
            mem::write_u32(m, out, k)
        }
    }
}

pub(crate) fn fd_write(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    iovs: u32,
    n: u32,
    out: u32,
) -> R {
    mem::check_array(m.len(), iovs, n, layout::IOVEC.0, layout::IOVEC.1)?;
    let e = cx.fds.get(fd)?;
    match e.desc {
        Desc::Stdio(Stream::Stdin) => Err(Errno::Badf.into()),
        Desc::Stdio(stream) => {
            let nonblock = e.with(rights::FD_WRITE)?.flags & fdflags::NONBLOCK != 0;
            let mut total: u32 = 0;
            for i in 0..n {
                let (buf, len) = mem::iovec(m, iovs, i)?;
                if len == 0 {
                    continue;
                }
                let len = len.min(u32::MAX - total);
                match p.write_output(stream, mem::bytes(m, buf, len)?) {
                    Ok(k) => {
                        let k = u32::try_from(k).unwrap_or(u32::MAX).min(len);
                        total += k;
                        if k < len {
                            break;
                        }
                    }
                    Err(_) if total > 0 => break,
                    Err(_) if nonblock => return Err(Errno::Again.into()),
                    Err(_) => {
                        cx.pending = Some(Pending::Write { fd, iovs, n, out });
                        return Err(Fail::Block(Wait::Output));
                    }
                }
            }
            mem::write_u32(m, out, total)
        }
        Desc::Dir { .. } => Err(Errno::Isdir.into()),
        Desc::File { ino, pos } => {
            let append = e.with(rights::FD_WRITE)?.flags & fdflags::APPEND != 0;
            let now = p.realtime_ns();
            let fs = fs(p)?;
            let at = if append { fs.stat(ino)?.size } else { pos };
            let k = write_file(fs, m, ino, at, iovs, n, now)?;
            set_pos(cx, fd, at + u64::from(k));
            mem::write_u32(m, out, k)
        }
    }
}

pub(crate) fn fd_readdir(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    out: u32,
) -> R {
    let dst = mem::range(m.len(), buf, len, 1)?;
    let e = cx.fds.get(fd)?;
    let Desc::Dir { ino, .. } = e.desc else {
        // wasmtime: readdir needs a directory descriptor.
        return Err(Errno::Badf.into());
    };
    e.with(rights::FD_READDIR)?;
    let fs = fs(p)?;
    let parent = fs.parent(ino).unwrap_or(ino);
    let entries = fs.read_dir(ino)?;
    let head = [(".", ino, Kind::Dir), ("..", parent, Kind::Dir)];
    let all = head
        .iter()
        .copied()
        .chain(entries.iter().map(|d| (d.name.as_str(), d.ino, d.kind)));
    let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
    let out_buf = m.get_mut(dst).unwrap_or(&mut []);
    let cap = out_buf.len();
    let mut used = 0;
    for (i, (name, d_ino, kind)) in all.enumerate().skip(skip) {
        let mut rec = [0u8; layout::DIRENT];
        rec[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        rec[8..16].copy_from_slice(&d_ino.to_le_bytes());
        rec[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        rec[20] = kind_filetype(kind);
        // Entries that do not fit are cut off at the end of the buffer: a full buffer tells
        // the program to ask again from the last whole entry's cookie.
        for part in [&rec[..], name.as_bytes()] {
            let k = part.len().min(cap - used);
            out_buf[used..used + k].copy_from_slice(&part[..k]);
            used += k;
        }
        if used == cap {
            break;
        }
    }
    mem::write_u32(m, out, used as u32)
}

pub(crate) fn fd_renumber(cx: &mut Ctx, p: &mut dyn Platform, from: u32, to: u32) -> R {
    Ok(cx.fds.renumber(from, to, p.fs())?)
}

pub(crate) fn fd_seek(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    offset: i64,
    wh: u32,
    out: u32,
) -> R {
    if wh > whence::END {
        return Err(Errno::Inval.into());
    }
    let e = cx.fds.get(fd)?;
    let (ino, pos) = file_of(e)?;
    // The spec: FD_SEEK implies FD_TELL, and a seek that does not move needs only FD_TELL.
    if !(wh == whence::CUR && offset == 0 && e.base & rights::FD_TELL != 0) {
        e.with(rights::FD_SEEK)?;
    }
    let from = match wh {
        whence::SET => 0,
        whence::CUR => pos,
        _ => fs(p)?.stat(ino)?.size,
    };
    let new = from
        .checked_add_signed(offset)
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or(Errno::Inval)?;
    set_pos(cx, fd, new);
    mem::write_u64(m, out, new)
}

pub(crate) fn fd_tell(cx: &mut Ctx, m: &mut [u8], fd: u32, out: u32) -> R {
    let e = cx.fds.get(fd)?;
    let (_, pos) = file_of(e)?;
    if e.base & (rights::FD_TELL | rights::FD_SEEK) == 0 {
        return Err(Errno::Notcapable.into());
    }
    mem::write_u64(m, out, pos)
}

// ---- paths ---------------------------------------------------------------------------------

/// The directory behind `fd` and its inheriting rights, if it has `needed` (as wasmtime:
/// a file descriptor is `ENOTDIR`, a standard stream `EBADF`).
fn dir_of(cx: &mut Ctx, fd: u32, needed: u64) -> Result<(Ino, u64), Errno> {
    let e = cx.fds.get(fd)?;
    match e.desc {
        Desc::Dir { ino, .. } => {
            let e = e.with(needed)?;
            Ok((ino, e.inheriting))
        }
        Desc::File { .. } => Err(Errno::Notdir),
        Desc::Stdio(_) => Err(Errno::Badf),
    }
}

fn lookup_flags(flags: u32) -> Result<Last, Errno> {
    if flags & !lookupflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    Ok(if flags & lookupflags::SYMLINK_FOLLOW != 0 {
        Last::Follow
    } else {
        Last::NoFollow
    })
}

pub(crate) fn path_create_directory(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    path: u32,
    len: u32,
) -> R {
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_CREATE_DIRECTORY)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    match path::walk(fs, dir, path, Last::Entry, Scope::Beneath)? {
        Walk::Found { .. } => Err(Errno::Exist.into()),
        Walk::Missing { dir, name, .. } => {
            fs.create_dir(dir, &name, now)?;
            Ok(())
        }
    }
}

pub(crate) fn path_filestat_get(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    out: u32,
) -> R {
    let last = lookup_flags(flags)?;
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_FILESTAT_GET)?;
    let fs = fs(p)?;
    match path::walk(fs, dir, path, last, Scope::Beneath)? {
        Walk::Found { ino, .. } => {
            let st = fs.stat(ino)?;
            put_filestat(m, out, DEVICE, &st, kind_filetype(st.kind))
        }
        Walk::Missing { .. } => Err(Errno::Noent.into()),
    }
}

pub(crate) fn path_filestat_set_times(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> R {
    let last = lookup_flags(flags)?;
    let now = p.realtime_ns();
    let (a, mt) = new_times(fst, atim, mtim, now)?;
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let fs = fs(p)?;
    match path::walk(fs, dir, path, last, Scope::Beneath)? {
        Walk::Found { ino, .. } => Ok(fs.set_times(ino, a, mt, now)?),
        Walk::Missing { .. } => Err(Errno::Noent.into()),
    }
}

pub(crate) fn path_link(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> R {
    let last = lookup_flags(old_flags)?;
    let old_path = mem::text(m, old_path, old_len)?;
    let new_path = mem::text(m, new_path, new_len)?;
    let (old_dir, _) = dir_of(cx, old_fd, rights::PATH_LINK_SOURCE)?;
    let (new_dir, _) = dir_of(cx, new_fd, rights::PATH_LINK_TARGET)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    let (ino, kind) = match path::walk(fs, old_dir, old_path, last, Scope::Beneath)? {
        Walk::Found { ino, kind, .. } => (ino, kind),
        Walk::Missing { .. } => return Err(Errno::Noent.into()),
    };
    if kind == Kind::Dir {
        // POSIX: no hard links to directories.
        return Err(Errno::Perm.into());
    }
    match path::walk(fs, new_dir, new_path, Last::Entry, Scope::Beneath)? {
        Walk::Found { .. } => Err(Errno::Exist.into()),
        // A trailing slash names a directory, which a link to a non-directory cannot be.
        Walk::Missing { dir_only: true, .. } => Err(Errno::Noent.into()),
        Walk::Missing { dir, name, .. } => Ok(fs.link(ino, dir, &name, now)?),
    }
}

pub(crate) fn path_open(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    dirflags: u32,
    path: u32,
    len: u32,
    oflags_raw: u32,
    base: u64,
    inheriting: u64,
    fdflags_raw: u32,
    out: u32,
) -> R {
    let last = lookup_flags(dirflags)?;
    let of = u16::try_from(oflags_raw)
        .ok()
        .filter(|f| f & !oflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    let ff = u16::try_from(fdflags_raw)
        .ok()
        .filter(|f| f & !fdflags::ALL == 0)
        .ok_or(Errno::Inval)?;
    if (base | inheriting) & !rights::ALL != 0 {
        return Err(Errno::Inval.into());
    }
    let path = mem::text(m, path, len)?;
    mem::range(m.len(), out, 4, 4)?;
    let creat = of & oflags::CREAT != 0;
    let trunc = of & oflags::TRUNC != 0;
    let directory = of & oflags::DIRECTORY != 0;
    let mut needed = rights::PATH_OPEN;
    if creat {
        needed |= rights::PATH_CREATE_FILE;
    }
    if trunc {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let (dir, dir_inheriting) = dir_of(cx, fd, needed)?;
    if creat && directory {
        // Linux: O_CREAT | O_DIRECTORY is invalid.
        return Err(Errno::Inval.into());
    }
    let now = p.realtime_ns();
    let fs = fs(p)?;
    let (ino, kind) = match path::walk(fs, dir, path, last, Scope::Beneath)? {
        Walk::Found { .. } if creat && of & oflags::EXCL != 0 => {
            return Err(Errno::Exist.into());
        }
        Walk::Found { ino, kind, .. } => (ino, kind),
        Walk::Missing { .. } if !creat => return Err(Errno::Noent.into()),
        // Linux: creating "name/" is EISDIR.
        Walk::Missing { dir_only: true, .. } => return Err(Errno::Isdir.into()),
        Walk::Missing { dir, name, .. } => (fs.create_file(dir, &name, now)?, Kind::File),
    };
    let (desc, mask) = match kind {
        // Reached only without SYMLINK_FOLLOW: O_NOFOLLOW on a link.
        Kind::Symlink => return Err(Errno::Loop.into()),
        Kind::Dir => {
            if base & rights::FD_WRITE != 0 || trunc {
                return Err(Errno::Isdir.into());
            }
            (Desc::Dir { ino, preopen: None }, rights::DIRECTORY)
        }
        Kind::File => {
            if directory {
                return Err(Errno::Notdir.into());
            }
            if trunc {
                fs.set_size(ino, 0, now)?;
            }
            (Desc::File { ino, pos: 0 }, rights::FILE)
        }
    };
    // Rights are granted as asked, but never more than the directory passes on (as the
    // specification says, and as Rust's std and wasi-libc expect).
    let entry = Entry {
        desc,
        flags: ff,
        base: base & dir_inheriting & mask,
        inheriting: inheriting & dir_inheriting,
    };
    fs.open(ino);
    match cx.fds.insert(entry) {
        Ok(new) => mem::write_u32(m, out, new),
        Err(e) => {
            fs.close(ino);
            Err(e.into())
        }
    }
}

pub(crate) fn path_readlink(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    out: u32,
) -> R {
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_READLINK)?;
    let fs = fs(p)?;
    let target = match path::walk(fs, dir, path, Last::NoFollow, Scope::Beneath)? {
        Walk::Found {
            ino,
            kind: Kind::Symlink,
            ..
        } => fs.readlink(ino)?,
        Walk::Found { .. } => return Err(Errno::Inval.into()),
        Walk::Missing { .. } => return Err(Errno::Noent.into()),
    };
    // As POSIX readlink: as much as fits, no NUL.
    let n = target.len().min(buf_len as usize);
    mem::put(m, buf, &target.as_bytes()[..n], 1)?;
    mem::write_u32(m, out, n as u32)
}

pub(crate) fn path_remove_directory(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    path: u32,
    len: u32,
) -> R {
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_REMOVE_DIRECTORY)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    match path::walk(fs, dir, path, Last::Entry, Scope::Beneath)? {
        Walk::Found {
            kind: Kind::Dir,
            entry: Some((parent, name)),
            ..
        } => Ok(fs.remove_dir(parent, &name, now)?),
        // `.`, `..` or the directory itself (Linux: EINVAL for `.`).
        Walk::Found {
            kind: Kind::Dir,
            entry: None,
            ..
        } => Err(Errno::Inval.into()),
        Walk::Found { .. } => Err(Errno::Notdir.into()),
        Walk::Missing { .. } => Err(Errno::Noent.into()),
    }
}

/// True if directory `ancestor` is `dir` or contains it.
fn contains(fs: &mut dyn FileSystem, ancestor: Ino, dir: Ino) -> Result<bool, Errno> {
    let mut at = dir;
    for _ in 0..path::MAX_PATH {
        if at == ancestor {
            return Ok(true);
        }
        let up = fs.parent(at)?;
        if up == at {
            return Ok(false);
        }
        at = up;
    }
    Ok(false)
}

pub(crate) fn path_rename(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    old_fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> R {
    let old_path = mem::text(m, old_path, old_len)?;
    let new_path = mem::text(m, new_path, new_len)?;
    let (old_dir, _) = dir_of(cx, old_fd, rights::PATH_RENAME_SOURCE)?;
    let (new_dir, _) = dir_of(cx, new_fd, rights::PATH_RENAME_TARGET)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    let (src, src_kind, (src_dir, src_name)) =
        match path::walk(fs, old_dir, old_path, Last::Entry, Scope::Beneath)? {
            Walk::Found {
                ino,
                kind,
                entry: Some(entry),
            } => (ino, kind, entry),
            // Renaming `.` or `..` (Linux: EBUSY).
            Walk::Found { entry: None, .. } => return Err(Errno::Busy.into()),
            Walk::Missing { .. } => return Err(Errno::Noent.into()),
        };
    let src_is_dir = src_kind == Kind::Dir;
    let (dst_dir, dst_name) = match path::walk(fs, new_dir, new_path, Last::Entry, Scope::Beneath)?
    {
        Walk::Found { entry: None, .. } => return Err(Errno::Busy.into()),
        Walk::Found { ino, .. } if ino == src => return Ok(()),
        Walk::Found {
            kind,
            entry: Some(entry),
            ..
        } => {
            match (src_is_dir, kind == Kind::Dir) {
                (true, false) => return Err(Errno::Notdir.into()),
                (false, true) => return Err(Errno::Isdir.into()),
                (true, true) => {
                    let target = fs.lookup(entry.0, &entry.1)?;
                    if !fs.read_dir(target)?.is_empty() {
                        return Err(Errno::Notempty.into());
                    }
                }
                (false, false) => {}
            }
            entry
        }
        Walk::Missing { dir_only: true, .. } if !src_is_dir => {
            return Err(Errno::Notdir.into());
        }
        Walk::Missing { dir, name, .. } => (dir, name),
    };
    if src_is_dir && contains(fs, src, dst_dir)? {
        // Moving a directory into itself.
        return Err(Errno::Inval.into());
    }
    Ok(fs.rename(src_dir, &src_name, dst_dir, &dst_name, now)?)
}

pub(crate) fn path_symlink(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> R {
    let target = mem::text(m, old_path, old_len)?;
    let new_path = mem::text(m, new_path, new_len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_SYMLINK)?;
    if target.is_empty() {
        return Err(Errno::Noent.into());
    }
    if target.contains('\0') {
        return Err(Errno::Inval.into());
    }
    if target.starts_with('/') {
        // As wasmtime: a link to an absolute path could never be followed in the sandbox.
        return Err(Errno::Perm.into());
    }
    let now = p.realtime_ns();
    let fs = fs(p)?;
    match path::walk(fs, dir, new_path, Last::Entry, Scope::Beneath)? {
        Walk::Found { .. } => Err(Errno::Exist.into()),
        Walk::Missing { dir_only: true, .. } => Err(Errno::Noent.into()),
        Walk::Missing { dir, name, .. } => {
            fs.create_symlink(dir, &name, target, now)?;
            Ok(())
        }
    }
}

pub(crate) fn path_unlink_file(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    fd: u32,
    path: u32,
    len: u32,
) -> R {
    let path = mem::text(m, path, len)?;
    let (dir, _) = dir_of(cx, fd, rights::PATH_UNLINK_FILE)?;
    let now = p.realtime_ns();
    let fs = fs(p)?;
    match path::walk(fs, dir, path, Last::Entry, Scope::Beneath)? {
        // Linux: unlink of a directory is EISDIR.
        Walk::Found {
            kind: Kind::Dir, ..
        } => Err(Errno::Isdir.into()),
        Walk::Found {
            entry: Some((parent, name)),
            ..
        } => Ok(fs.unlink(parent, &name, now)?),
        Walk::Found { entry: None, .. } => Err(Errno::Isdir.into()),
        Walk::Missing { .. } => Err(Errno::Noent.into()),
    }
}

// ---- poll_oneoff ---------------------------------------------------------------------------

/// One decoded subscription.
enum Sub {
    /// A clock reaching monotonic time `deadline`.
    Clock { deadline: u64 },
    /// A descriptor becoming readable or writable.
    Fd { fd: u32, read: bool },
}

/// `poll_oneoff`: waits until at least one subscription is ready, then reports every ready
/// one. `started` is the monotonic time of the first attempt, so that a relative timeout is
/// not restarted when the call is retried after blocking.
pub(crate) fn poll(
    cx: &mut Ctx,
    p: &mut dyn Platform,
    m: &mut [u8],
    subs: u32,
    events: u32,
    n: u32,
    out: u32,
    started: u64,
) -> R {
    if n == 0 {
        // As wasmtime: waiting for nothing would never end.
        return Err(Errno::Inval.into());
    }
    mem::check_array(
        m.len(),
        subs,
        n,
        layout::SUBSCRIPTION.0,
        layout::SUBSCRIPTION.1,
    )?;
    mem::check_array(m.len(), events, n, layout::EVENT.0, layout::EVENT.1)?;
    mem::range(m.len(), out, 4, 4)?;
    let now_mono = p.monotonic_ns();
    let mut decoded = Vec::new();
    decoded
        .try_reserve_exact(n as usize)
        .map_err(|_| Errno::Nomem)?;
    for i in 0..n {
        let at = subs + i * layout::SUBSCRIPTION.0;
        let userdata = mem::read_u64(m, at)?;
        let sub = match mem::read_u8(m, at + 8)? {
            eventtype::CLOCK => {
                let id = mem::read_u32(m, at + 16)?;
                let timeout = mem::read_u64(m, at + 24)?;
                let flags = mem::read_u16(m, at + 40)?;
                if flags & !SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                    return Err(Errno::Inval.into());
                }
                let absolute = flags & SUBSCRIPTION_CLOCK_ABSTIME != 0;
                let deadline = match (id, absolute) {
                    (clockid::MONOTONIC, true) => timeout,
                    (clockid::MONOTONIC | clockid::REALTIME, false) => {
                        started.saturating_add(timeout)
                    }
                    (clockid::REALTIME, true) => {
                        let real = p.realtime_ns();
                        now_mono.saturating_add(timeout.saturating_sub(real))
                    }
                    // As wasmtime: no timers on the CPU-time clocks.
                    _ => return Err(Errno::Inval.into()),
                };
                Sub::Clock { deadline }
            }
            t @ (eventtype::FD_READ | eventtype::FD_WRITE) => Sub::Fd {
                fd: mem::read_u32(m, at + 16)?,
                read: t == eventtype::FD_READ,
            },
            _ => return Err(Errno::Inval.into()),
        };
        decoded.push((userdata, sub));
    }
    // Which subscriptions are ready, and what to report for each.
    let mut ready: Vec<[u8; layout::EVENT.0 as usize]> = Vec::new();
    let mut wake: Option<u64> = None;
    let mut wants_input = false;
    for (userdata, sub) in &decoded {
        let mut ev = [0u8; layout::EVENT.0 as usize];
        ev[0..8].copy_from_slice(&userdata.to_le_bytes());
        match *sub {
            Sub::Clock { deadline } => {
                if now_mono >= deadline {
                    ev[10] = eventtype::CLOCK;
                } else {
                    wake = Some(wake.map_or(deadline, |w| w.min(deadline)));
                    continue;
                }
            }
            Sub::Fd { fd, read } => {
                let e = cx.fds.get(fd)?.clone();
                ev[10] = if read {
                    eventtype::FD_READ
                } else {
                    eventtype::FD_WRITE
                };
                let (nbytes, flags) = match (&e.desc, read) {
                    (Desc::Stdio(Stream::Stdin), true) => {
                        if !p.stdin_ready() {
                            wants_input = true;
                            continue;
                        }
                        (1, 0)
                    }
                    (Desc::Stdio(Stream::Stdout | Stream::Stderr), false) => (1, 0),
                    (Desc::File { ino, pos }, true) => {
                        let size = fs(p)?.stat(*ino)?.size;
                        let left = size.saturating_sub(*pos);
                        (
                            left,
                            if left == 0 {
                                EVENT_FD_READWRITE_HANGUP
                            } else {
                                0
                            },
                        )
                    }
                    (Desc::File { .. }, false) => (1, 0),
                    _ => return Err(Errno::Badf.into()),
                };
                ev[16..24].copy_from_slice(&u64::to_le_bytes(nbytes));
                ev[24..26].copy_from_slice(&u16::to_le_bytes(flags));
            }
        }
        ready.try_reserve(1).map_err(|_| Errno::Nomem)?;
        ready.push(ev);
    }
    if ready.is_empty() {
        cx.pending = Some(Pending::Poll {
            subs,
            events,
            n,
            out,
            started,
        });
        return Err(Fail::Block(match (wants_input, wake) {
            (true, deadline) => Wait::Input { deadline },
            (false, Some(t)) => Wait::Until(t),
            (false, None) => Wait::Yield,
        }));
    }
    for (i, ev) in ready.iter().enumerate() {
        mem::put(m, events + i as u32 * layout::EVENT.0, ev, layout::EVENT.1)?;
    }
    mem::write_u32(m, out, ready.len() as u32)
}

// ---- sockets -------------------------------------------------------------------------------

/// Every socket call: `EBADF` for a closed descriptor, `ENOTSOCK` for any other (there are
/// no sockets), as wasmtime.
pub(crate) fn sock(cx: &mut Ctx, fd: u32, flags: u32, flags_max: u32) -> R {
    if flags & !flags_max != 0 {
        return Err(Errno::Inval.into());
    }
    cx.fds.get(fd)?;
    Err(Errno::Notsock.into())
}

/// The flag limits of the socket calls, for [`sock`].
pub(crate) const SOCK_ACCEPT_FLAGS: u32 = fdflags::ALL as u32;
pub(crate) const SOCK_RECV_FLAGS: u32 = RIFLAGS_ALL;
pub(crate) const SOCK_SEND_FLAGS: u32 = 0;
pub(crate) const SOCK_SHUTDOWN_FLAGS: u32 = SDFLAGS_ALL;
