//! Calls every WASI preview 1 function through the raw bindings and checks results and errno
//! values against the specification (and wasmtime where it leaves a choice). Run with a
//! scratch directory preopened as `.`, the environment variable `GREETING=hi`, and at least
//! one argument. Prints `ok NAME` per check and `all N checks passed`; exits 1 on the first
//! failure, after printing `FAIL NAME: detail` to standard error.

use std::process::exit;
use wasi::*;

struct T {
    passed: u32,
}

impl T {
    fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Debug) {
        if ok {
            self.passed += 1;
            println!("ok {name}");
        } else {
            eprintln!("FAIL {name}: {detail:?}");
            exit(1);
        }
    }

    fn errno<V: std::fmt::Debug>(&mut self, name: &str, r: Result<V, Errno>, want: &[Errno]) {
        match r {
            Err(e) if want.contains(&e) => self.check(name, true, ()),
            other => self.check(name, false, format!("got {other:?}, want {want:?}")),
        }
    }

    fn ok<V: std::fmt::Debug>(&mut self, name: &str, r: Result<V, Errno>) -> V {
        match r {
            Ok(v) => {
                self.check(name, true, ());
                v
            }
            Err(e) => {
                self.check(name, false, e);
                unreachable!()
            }
        }
    }
}

/// The scratch directory: the preopen named ".".
fn scratch() -> Fd {
    for fd in 3..64 {
        // SAFETY: plain WASI calls with valid buffers.
        unsafe {
            let Ok(st) = fd_prestat_get(fd) else { break };
            let mut name = vec![0u8; st.u.dir.pr_name_len];
            if fd_prestat_dir_name(fd, name.as_mut_ptr(), name.len()).is_ok() && name == b"." {
                return fd;
            }
        }
    }
    eprintln!("FAIL: no preopened `.`");
    exit(1)
}

const RW: Rights = RIGHTS_FD_READ
    | RIGHTS_FD_WRITE
    | RIGHTS_FD_SEEK
    | RIGHTS_FD_TELL
    | RIGHTS_FD_FILESTAT_GET
    | RIGHTS_FD_FILESTAT_SET_SIZE
    | RIGHTS_FD_FILESTAT_SET_TIMES
    | RIGHTS_FD_ALLOCATE
    | RIGHTS_FD_ADVISE
    | RIGHTS_FD_SYNC
    | RIGHTS_FD_DATASYNC
    | RIGHTS_FD_FDSTAT_SET_FLAGS;

unsafe fn open(
    dir: Fd,
    path: &str,
    oflags: Oflags,
    rights: Rights,
    fdflags: Fdflags,
) -> Result<Fd, Errno> {
    // SAFETY: forwarded from the caller.
    unsafe { path_open(dir, 0, path, oflags, rights, rights, fdflags) }
}

unsafe fn write_all(fd: Fd, data: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the iovec points at `data`.
    unsafe {
        fd_write(
            fd,
            &[Ciovec {
                buf: data.as_ptr(),
                buf_len: data.len(),
            }],
        )
    }
}

unsafe fn read_some(fd: Fd, n: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; n];
    // SAFETY: the iovec points at `buf`.
    let k = unsafe {
        fd_read(
            fd,
            &[Iovec {
                buf: buf.as_mut_ptr(),
                buf_len: buf.len(),
            }],
        )
    }?;
    buf.truncate(k);
    Ok(buf)
}

/// Entries of a directory listing buffer: (name, d_next, d_ino, d_type).
fn parse_dirents(buf: &[u8]) -> Vec<(String, u64, u64, u8)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 24 <= buf.len() {
        let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
        let ino = u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
        let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
        let ty = buf[at + 20];
        if at + 24 + len > buf.len() {
            break;
        }
        out.push((
            String::from_utf8_lossy(&buf[at + 24..at + 24 + len]).into_owned(),
            next,
            ino,
            ty,
        ));
        at += 24 + len;
    }
    out
}

fn main() {
    let mut t = T { passed: 0 };
    // SAFETY: every call below passes buffers that live across the call.
    unsafe {
        process(&mut t);
        stdio(&mut t);
        let d = scratch();
        files(&mut t, d);
        rights(&mut t, d);
        descriptors(&mut t, d);
        directories(&mut t, d);
        renames(&mut t, d);
        symlinks(&mut t, d);
        links(&mut t, d);
        paths(&mut t, d);
        poll(&mut t, d);
        sockets(&mut t);
    }
    println!("all {} checks passed", t.passed);
}

unsafe fn process(t: &mut T) {
    // SAFETY: the caller's contract; all buffers are local.
    unsafe {
        let (argc, size) = t.ok("args_sizes_get", args_sizes_get());
        t.check("argc", argc == std::env::args().count() && argc >= 2, argc);
        let total: usize = std::env::args().map(|a| a.len() + 1).sum();
        t.check("argv size", size == total, (size, total));
        let (envc, _) = t.ok("environ_sizes_get", environ_sizes_get());
        t.check(
            "environ",
            envc >= 1 && std::env::var("GREETING").as_deref() == Ok("hi"),
            envc,
        );
        t.check("only given variables", std::env::var("PATH").is_err(), ());
        t.ok("clock_res_get realtime", clock_res_get(CLOCKID_REALTIME));
        t.ok("clock_res_get monotonic", clock_res_get(CLOCKID_MONOTONIC));
        let a = t.ok(
            "clock_time_get monotonic",
            clock_time_get(CLOCKID_MONOTONIC, 1),
        );
        let b = t.ok("clock_time_get again", clock_time_get(CLOCKID_MONOTONIC, 0));
        t.check("monotonic", a <= b, (a, b));
        let now = t.ok(
            "clock_time_get realtime",
            clock_time_get(CLOCKID_REALTIME, 0),
        );
        t.check("realtime after 2020", now > 1_577_836_800_000_000_000, now);
        t.ok(
            "cputime clock",
            clock_time_get(CLOCKID_PROCESS_CPUTIME_ID, 0),
        );
        let mut buf = [0u8; 64];
        t.ok("random_get", random_get(buf.as_mut_ptr(), buf.len()));
        t.check("random bytes", buf.iter().any(|b| *b != 0), ());
        t.ok("random_get empty", random_get(buf.as_mut_ptr(), 0));
        t.ok("sched_yield", sched_yield());
        t.errno("proc_raise", proc_raise(SIGNAL_INT), &[ERRNO_NOTSUP]);
    }
}

unsafe fn stdio(t: &mut T) {
    // SAFETY: the caller's contract.
    unsafe {
        t.errno(
            "read stdout",
            read_some(1, 4),
            &[ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        t.errno(
            "write stdin",
            write_all(0, b"x"),
            &[ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        t.errno("seek stdout", fd_seek(1, 0, WHENCE_CUR), &[ERRNO_SPIPE]);
        t.errno("tell stdin", fd_tell(0), &[ERRNO_SPIPE]);
        let st = t.ok("fdstat stdout", fd_fdstat_get(1));
        t.check(
            "stdout can write",
            st.fs_rights_base & RIGHTS_FD_WRITE != 0,
            st.fs_rights_base,
        );
        t.check(
            "stdout cannot seek",
            st.fs_rights_base & RIGHTS_FD_SEEK == 0,
            (),
        );
        t.ok("filestat stdin", fd_filestat_get(0));
        t.errno(
            "prestat stdin",
            fd_prestat_get(0).map(|p| p.tag),
            &[ERRNO_BADF],
        );
        t.errno("write bad fd", write_all(77, b"x"), &[ERRNO_BADF]);
        t.errno("close bad fd", fd_close(77), &[ERRNO_BADF]);
        t.errno(
            "pwrite stdout",
            fd_pwrite(
                1,
                &[Ciovec {
                    buf: b"x".as_ptr(),
                    buf_len: 1,
                }],
                0,
            ),
            &[ERRNO_SPIPE, ERRNO_BADF],
        );
    }
}

unsafe fn files(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let f = t.ok(
            "create",
            open(d, "f.txt", OFLAGS_CREAT | OFLAGS_EXCL, RW, 0),
        );
        t.errno(
            "create existing",
            open(d, "f.txt", OFLAGS_CREAT | OFLAGS_EXCL, RW, 0),
            &[ERRNO_EXIST],
        );
        t.check("write", write_all(f, b"hello world") == Ok(11), ());
        t.check("tell", fd_tell(f) == Ok(11), fd_tell(f));
        t.check("seek set", fd_seek(f, 0, WHENCE_SET) == Ok(0), ());
        t.check("read", read_some(f, 5).as_deref() == Ok(&b"hello"[..]), ());
        t.check("seek cur", fd_seek(f, 1, WHENCE_CUR) == Ok(6), ());
        t.check("seek end", fd_seek(f, -5, WHENCE_END) == Ok(6), ());
        t.errno(
            "seek before 0",
            fd_seek(f, -100, WHENCE_CUR),
            &[ERRNO_INVAL],
        );
        t.check("seek past end", fd_seek(f, 100, WHENCE_SET) == Ok(100), ());
        t.check("read at eof", read_some(f, 4).map(|v| v.len()) == Ok(0), ());
        let mut buf = [0u8; 5];
        let iov = [Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: 5,
        }];
        t.check(
            "pread",
            fd_pread(f, &iov, 6) == Ok(5) && &buf == b"world",
            buf,
        );
        t.check("pread keeps offset", fd_tell(f) == Ok(100), ());
        let ciov = [Ciovec {
            buf: b"W".as_ptr(),
            buf_len: 1,
        }];
        t.check("pwrite", fd_pwrite(f, &ciov, 6) == Ok(1), ());
        let st = t.ok("filestat", fd_filestat_get(f));
        t.check(
            "size",
            st.size == 11 && st.filetype == FILETYPE_REGULAR_FILE && st.nlink == 1,
            st.size,
        );
        t.ok("set size grow", fd_filestat_set_size(f, 20));
        t.check(
            "grown with zeros",
            fd_pread(f, &iov, 15) == Ok(5) && buf == [0; 5],
            buf,
        );
        t.ok("set size shrink", fd_filestat_set_size(f, 11));
        t.ok("allocate", fd_allocate(f, 0, 30));
        t.check(
            "allocate grows",
            fd_filestat_get(f).map(|s| s.size) == Ok(30),
            (),
        );
        t.ok("allocate inside", fd_allocate(f, 0, 5));
        t.check(
            "allocate never shrinks",
            fd_filestat_get(f).map(|s| s.size) == Ok(30),
            (),
        );
        t.ok("advise", fd_advise(f, 0, 10, ADVICE_SEQUENTIAL));
        t.ok("sync", fd_sync(f));
        t.ok("datasync", fd_datasync(f));
        t.ok(
            "set times",
            fd_filestat_set_times(f, 1_000, 2_000, FSTFLAGS_ATIM | FSTFLAGS_MTIM),
        );
        let st = fd_filestat_get(f).unwrap();
        t.check(
            "times set",
            st.atim == 1_000 && st.mtim == 2_000,
            (st.atim, st.mtim),
        );
        t.errno(
            "mtim and now",
            fd_filestat_set_times(f, 0, 0, FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW),
            &[ERRNO_INVAL],
        );
        t.errno(
            "atim and now",
            fd_filestat_set_times(f, 0, 0, FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW),
            &[ERRNO_INVAL],
        );
        t.ok(
            "set mtim now",
            fd_filestat_set_times(f, 0, 0, FSTFLAGS_MTIM_NOW),
        );
        t.check(
            "now is now",
            fd_filestat_get(f).unwrap().mtim > 1_577_836_800_000_000_000,
            (),
        );
        t.ok("close", fd_close(f));
        t.errno("close twice", fd_close(f), &[ERRNO_BADF]);
        // Truncate on open, and append mode.
        let f = t.ok(
            "open trunc",
            open(d, "f.txt", OFLAGS_TRUNC, RW, FDFLAGS_APPEND),
        );
        t.check("truncated", fd_filestat_get(f).map(|s| s.size) == Ok(0), ());
        write_all(f, b"ab").unwrap();
        fd_seek(f, 0, WHENCE_SET).unwrap();
        write_all(f, b"cd").unwrap();
        t.check("append writes at the end", fd_tell(f) == Ok(4), fd_tell(f));
        t.check(
            "appended",
            fd_pread(f, &iov, 0) == Ok(4) && &buf[..4] == b"abcd",
            buf,
        );
        let st = fd_fdstat_get(f).unwrap();
        t.check(
            "fdstat append",
            st.fs_flags & FDFLAGS_APPEND != 0 && st.fs_filetype == FILETYPE_REGULAR_FILE,
            st.fs_flags,
        );
        t.ok("clear append", fd_fdstat_set_flags(f, 0));
        fd_seek(f, 0, WHENCE_SET).unwrap();
        write_all(f, b"X").unwrap();
        t.check(
            "overwrite after clearing",
            fd_pread(f, &iov, 0) == Ok(4) && &buf[..4] == b"Xbcd",
            buf,
        );
        t.errno(
            "set sync flag",
            fd_fdstat_set_flags(f, FDFLAGS_SYNC),
            &[ERRNO_INVAL],
        );
        t.ok("close", fd_close(f));
        // Read-only and write-only descriptors.
        let r = t.ok("open read-only", open(d, "f.txt", 0, RIGHTS_FD_READ, 0));
        t.errno(
            "write read-only",
            write_all(r, b"x"),
            &[ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        fd_close(r).unwrap();
        let w = t.ok("open write-only", open(d, "f.txt", 0, RIGHTS_FD_WRITE, 0));
        t.errno(
            "read write-only",
            read_some(w, 1),
            &[ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        fd_close(w).unwrap();
        // An open file outlives its name.
        let f = open(d, "f.txt", 0, RW, 0).unwrap();
        t.ok("unlink open file", path_unlink_file(d, "f.txt"));
        t.check(
            "still readable",
            read_some(f, 4).as_deref() == Ok(&b"Xbcd"[..]),
            (),
        );
        t.errno(
            "name gone",
            path_filestat_get(d, 0, "f.txt").map(|s| s.ino),
            &[ERRNO_NOENT],
        );
        fd_close(f).unwrap();
    }
}

unsafe fn rights(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let f = open(
            d,
            "r.txt",
            OFLAGS_CREAT,
            RIGHTS_FD_READ | RIGHTS_FD_WRITE | RIGHTS_FD_SEEK,
            0,
        )
        .unwrap();
        let st = fd_fdstat_get(f).unwrap();
        t.check(
            "rights as asked",
            st.fs_rights_base == RIGHTS_FD_READ | RIGHTS_FD_WRITE | RIGHTS_FD_SEEK,
            st.fs_rights_base,
        );
        t.ok("drop rights", fd_fdstat_set_rights(f, RIGHTS_FD_SEEK, 0));
        t.errno(
            "read without right",
            read_some(f, 1),
            &[ERRNO_NOTCAPABLE, ERRNO_BADF],
        );
        t.errno(
            "write without right",
            write_all(f, b"x"),
            &[ERRNO_NOTCAPABLE, ERRNO_BADF],
        );
        t.errno(
            "regain rights",
            fd_fdstat_set_rights(f, RIGHTS_FD_SEEK | RIGHTS_FD_READ, 0),
            &[ERRNO_NOTCAPABLE],
        );
        t.ok("seek right implies tell", fd_tell(f));
        t.ok("drop every right", fd_fdstat_set_rights(f, 0, 0));
        t.errno("tell without right", fd_tell(f), &[ERRNO_NOTCAPABLE]);
        fd_close(f).unwrap();
        let st = fd_fdstat_get(d).unwrap();
        t.check(
            "dir is a directory",
            st.fs_filetype == FILETYPE_DIRECTORY,
            st.fs_filetype,
        );
        t.check(
            "dir has path rights",
            st.fs_rights_base & (RIGHTS_PATH_OPEN | RIGHTS_PATH_CREATE_FILE | RIGHTS_FD_READDIR)
                != 0,
            (),
        );
        t.check(
            "dir cannot seek",
            st.fs_rights_base & RIGHTS_FD_SEEK == 0,
            (),
        );
        // A subdirectory without the right to truncate.
        path_create_directory(d, "sub").unwrap();
        let sub = path_open(
            d,
            0,
            "sub",
            OFLAGS_DIRECTORY,
            RIGHTS_PATH_OPEN | RIGHTS_PATH_CREATE_FILE,
            RIGHTS_FD_READ,
            0,
        )
        .unwrap();
        let f = t.ok(
            "create in sub",
            path_open(
                sub,
                0,
                "x",
                OFLAGS_CREAT,
                RIGHTS_FD_READ | RIGHTS_FD_WRITE,
                0,
                0,
            ),
        );
        let st = fd_fdstat_get(f).unwrap();
        t.check(
            "inheriting caps rights",
            st.fs_rights_base == RIGHTS_FD_READ,
            st.fs_rights_base,
        );
        fd_close(f).unwrap();
        t.errno(
            "truncate without right",
            path_open(sub, 0, "x", OFLAGS_TRUNC, 0, 0, 0),
            &[ERRNO_NOTCAPABLE, ERRNO_PERM],
        );
        t.errno(
            "unlink without right",
            path_unlink_file(sub, "x"),
            &[ERRNO_NOTCAPABLE],
        );
        fd_close(sub).unwrap();
        path_unlink_file(d, "sub/x").unwrap();
        path_remove_directory(d, "sub").unwrap();
        path_unlink_file(d, "r.txt").unwrap();
    }
}

unsafe fn descriptors(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let a = open(d, "a", OFLAGS_CREAT, RW, 0).unwrap();
        let b = open(d, "b", OFLAGS_CREAT, RW, 0).unwrap();
        write_all(a, b"A").unwrap();
        t.ok("renumber", fd_renumber(a, b));
        t.errno("old number closed", fd_fdstat_get(a), &[ERRNO_BADF]);
        t.check(
            "new number is the old file",
            fd_pread(
                b,
                &[Iovec {
                    buf: [0u8; 1].as_mut_ptr(),
                    buf_len: 1,
                }],
                0,
            ) == Ok(1),
            (),
        );
        t.errno("renumber to a closed fd", fd_renumber(b, a), &[ERRNO_BADF]);
        t.errno(
            "renumber from a closed fd",
            fd_renumber(a, b),
            &[ERRNO_BADF],
        );
        fd_close(b).unwrap();
        let st = t.ok("prestat", fd_prestat_get(d).map(|p| p.u.dir.pr_name_len));
        t.check("prestat len", st == 1, st);
        let mut name = [0u8; 4];
        t.errno(
            "prestat name too small",
            fd_prestat_dir_name(d, name.as_mut_ptr(), 0),
            &[ERRNO_NAMETOOLONG, ERRNO_INVAL],
        );
        t.ok("prestat name", fd_prestat_dir_name(d, name.as_mut_ptr(), 4));
        t.check("prestat name is .", name[0] == b'.', name);
        let f = open(d, "a", 0, RW, 0).unwrap();
        t.errno(
            "prestat of a file",
            fd_prestat_get(f).map(|p| p.tag),
            &[ERRNO_BADF],
        );
        t.errno(
            "path_open under a file",
            path_open(f, 0, "x", 0, 0, 0, 0),
            &[ERRNO_NOTDIR, ERRNO_NOTCAPABLE],
        );
        fd_close(f).unwrap();
        path_unlink_file(d, "a").unwrap();
        path_unlink_file(d, "b").unwrap();
    }
}

unsafe fn directories(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        t.ok("mkdir", path_create_directory(d, "dir"));
        t.errno(
            "mkdir existing",
            path_create_directory(d, "dir"),
            &[ERRNO_EXIST],
        );
        t.errno(
            "mkdir missing parent",
            path_create_directory(d, "nope/x"),
            &[ERRNO_NOENT],
        );
        let dir = path_open(
            d,
            0,
            "dir",
            OFLAGS_DIRECTORY,
            RIGHTS_FD_READDIR | RIGHTS_FD_FILESTAT_GET | RIGHTS_PATH_OPEN | RIGHTS_PATH_CREATE_FILE,
            RW,
            0,
        )
        .unwrap();
        let mut buf = [0u8; 4096];
        let n = t.ok(
            "readdir empty",
            fd_readdir(dir, buf.as_mut_ptr(), buf.len(), 0),
        );
        let ents = parse_dirents(&buf[..n]);
        let dino = fd_filestat_get(dir).unwrap().ino;
        t.check(
            "dot and dotdot",
            ents.len() == 2 && ents[0].0 == "." && ents[1].0 == ".." && ents[0].2 == dino,
            &ents,
        );
        for i in 0..100 {
            let f = path_open(dir, 0, &format!("file{i:03}"), OFLAGS_CREAT, 0, 0, 0).unwrap();
            fd_close(f).unwrap();
        }
        // Read back in small pieces, following cookies.
        let mut names = Vec::new();
        let mut cookie = 0;
        loop {
            let mut small = [0u8; 100];
            let n = fd_readdir(dir, small.as_mut_ptr(), small.len(), cookie).unwrap();
            let ents = parse_dirents(&small[..n]);
            if let Some(last) = ents.last() {
                cookie = last.1;
            }
            names.extend(ents.into_iter().map(|e| e.0));
            if n < small.len() {
                break;
            }
        }
        t.check(
            "readdir with cookies",
            names.len() == 102 && names.iter().filter(|n| n.starts_with("file")).count() == 100,
            names.len(),
        );
        let n = fd_readdir(dir, buf.as_mut_ptr(), buf.len(), 101).unwrap();
        t.check(
            "readdir from a cookie",
            parse_dirents(&buf[..n]).len() == 1,
            n,
        );
        let n = fd_readdir(dir, buf.as_mut_ptr(), buf.len(), 1_000).unwrap();
        t.check("readdir past the end", n == 0, n);
        let n = fd_readdir(dir, buf.as_mut_ptr(), buf.len(), 2).unwrap();
        let ents = parse_dirents(&buf[..n]);
        let st = path_filestat_get(d, 0, &format!("dir/{}", ents[0].0)).unwrap();
        t.check(
            "d_ino matches stat",
            ents[0].2 == st.ino && ents[0].3 == FILETYPE_REGULAR_FILE.raw(),
            (),
        );
        t.errno(
            "readdir of a file",
            fd_readdir(1, buf.as_mut_ptr(), buf.len(), 0),
            &[ERRNO_BADF, ERRNO_NOTDIR],
        );
        t.errno(
            "rmdir non-empty",
            path_remove_directory(d, "dir"),
            &[ERRNO_NOTEMPTY],
        );
        for i in 0..100 {
            path_unlink_file(d, &format!("dir/file{i:03}")).unwrap();
        }
        t.errno(
            "read a directory",
            read_some(dir, 4),
            &[ERRNO_ISDIR, ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        t.errno(
            "seek a directory",
            fd_seek(dir, 0, WHENCE_SET),
            &[ERRNO_ISDIR, ERRNO_BADF, ERRNO_NOTCAPABLE],
        );
        fd_close(dir).unwrap();
        t.errno(
            "open dir for writing",
            path_open(
                d,
                0,
                "dir",
                OFLAGS_DIRECTORY,
                RIGHTS_FD_READ | RIGHTS_FD_WRITE,
                0,
                0,
            ),
            &[ERRNO_ISDIR],
        );
        t.errno(
            "unlink a directory",
            path_unlink_file(d, "dir"),
            &[ERRNO_ISDIR, ERRNO_PERM],
        );
        t.errno(
            "unlink dir/",
            path_unlink_file(d, "dir/"),
            &[ERRNO_ISDIR, ERRNO_PERM],
        );
        t.ok("rmdir dir/", path_remove_directory(d, "dir/"));
        let f = open(d, "file", OFLAGS_CREAT, 0, 0).unwrap();
        fd_close(f).unwrap();
        t.errno(
            "rmdir a file",
            path_remove_directory(d, "file"),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "rmdir file/",
            path_remove_directory(d, "file/"),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "unlink file/",
            path_unlink_file(d, "file/"),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "O_DIRECTORY on a file",
            path_open(d, 0, "file", OFLAGS_DIRECTORY, 0, 0, 0),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "rmdir .",
            path_remove_directory(d, "."),
            &[ERRNO_INVAL, ERRNO_BUSY],
        );
        t.ok("unlink", path_unlink_file(d, "file"));
        t.errno(
            "unlink missing",
            path_unlink_file(d, "file"),
            &[ERRNO_NOENT],
        );
    }
}

unsafe fn renames(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let mk = |p: &str| fd_close(open(d, p, OFLAGS_CREAT, 0, 0).unwrap()).unwrap();
        mk("s");
        t.ok("rename file", path_rename(d, "s", d, "t"));
        t.errno("source gone", path_filestat_get(d, 0, "s"), &[ERRNO_NOENT]);
        mk("s");
        t.ok("rename over a file", path_rename(d, "s", d, "t"));
        path_create_directory(d, "dd").unwrap();
        t.errno(
            "file over a directory",
            path_rename(d, "t", d, "dd"),
            &[ERRNO_ISDIR],
        );
        t.errno(
            "directory over a file",
            path_rename(d, "dd", d, "t"),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "directory into itself",
            path_rename(d, "dd", d, "dd/in"),
            &[ERRNO_INVAL],
        );
        path_create_directory(d, "empty").unwrap();
        t.ok(
            "directory over an empty one",
            path_rename(d, "dd", d, "empty"),
        );
        path_create_directory(d, "full").unwrap();
        mk("full/x");
        t.errno(
            "directory over a full one",
            path_rename(d, "empty", d, "full"),
            &[ERRNO_NOTEMPTY],
        );
        t.ok(
            "trailing slash on directories",
            path_rename(d, "empty/", d, "moved/"),
        );
        t.errno(
            "trailing slash on a file",
            path_rename(d, "t", d, "t2/"),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "rename missing",
            path_rename(d, "nope", d, "x"),
            &[ERRNO_NOENT],
        );
        t.ok("rename to itself", path_rename(d, "t", d, "t"));
        path_unlink_file(d, "t").unwrap();
        path_unlink_file(d, "full/x").unwrap();
        path_remove_directory(d, "full").unwrap();
        path_remove_directory(d, "moved").unwrap();
    }
}

unsafe fn symlinks(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let f = open(d, "target", OFLAGS_CREAT, RW, 0).unwrap();
        write_all(f, b"data").unwrap();
        fd_close(f).unwrap();
        t.ok("symlink", path_symlink("target", d, "link"));
        t.errno(
            "symlink over existing",
            path_symlink("target", d, "link"),
            &[ERRNO_EXIST],
        );
        t.errno(
            "symlink name/",
            path_symlink("target", d, "new/"),
            &[ERRNO_NOENT],
        );
        t.errno(
            "absolute target",
            path_symlink("/etc", d, "abs"),
            &[ERRNO_PERM, ERRNO_NOTCAPABLE],
        );
        let mut buf = [0u8; 16];
        t.check(
            "readlink",
            path_readlink(d, "link", buf.as_mut_ptr(), buf.len()) == Ok(6)
                && &buf[..6] == b"target",
            buf,
        );
        t.check(
            "readlink truncates",
            path_readlink(d, "link", buf.as_mut_ptr(), 3) == Ok(3),
            (),
        );
        t.errno(
            "readlink a file",
            path_readlink(d, "target", buf.as_mut_ptr(), buf.len()),
            &[ERRNO_INVAL],
        );
        let st = path_filestat_get(d, 0, "link").unwrap();
        t.check(
            "lstat",
            st.filetype == FILETYPE_SYMBOLIC_LINK && st.size == 6,
            st.filetype,
        );
        let st = path_filestat_get(d, LOOKUPFLAGS_SYMLINK_FOLLOW, "link").unwrap();
        t.check(
            "stat follows",
            st.filetype == FILETYPE_REGULAR_FILE && st.size == 4,
            st.filetype,
        );
        t.errno(
            "open nofollow",
            path_open(d, 0, "link", 0, 0, 0, 0),
            &[ERRNO_LOOP],
        );
        let f = t.ok(
            "open follow",
            path_open(
                d,
                LOOKUPFLAGS_SYMLINK_FOLLOW,
                "link",
                0,
                RIGHTS_FD_READ,
                0,
                0,
            ),
        );
        t.check(
            "reads the target",
            read_some(f, 8).as_deref() == Ok(&b"data"[..]),
            (),
        );
        fd_close(f).unwrap();
        t.ok(
            "set times on the link",
            path_filestat_set_times(d, 0, "link", 0, 5, FSTFLAGS_MTIM),
        );
        t.check(
            "link times",
            path_filestat_get(d, 0, "link").unwrap().mtim == 5,
            (),
        );
        t.check(
            "target untouched",
            path_filestat_get(d, 0, "target").unwrap().mtim != 5,
            (),
        );
        // Directories through links, loops, dangling links, escapes.
        path_create_directory(d, "real").unwrap();
        path_symlink("real", d, "alias").unwrap();
        let f = t.ok(
            "create through a link",
            path_open(d, 0, "alias/inside", OFLAGS_CREAT, 0, 0, 0),
        );
        fd_close(f).unwrap();
        t.check(
            "created in the target",
            path_filestat_get(d, 0, "real/inside").is_ok(),
            (),
        );
        t.errno(
            "open dir link nofollow",
            path_open(d, 0, "alias", OFLAGS_DIRECTORY, 0, 0, 0),
            &[ERRNO_LOOP, ERRNO_NOTDIR],
        );
        t.ok("symlink loop", path_symlink("loop", d, "loop"));
        t.errno(
            "open a loop",
            path_open(d, LOOKUPFLAGS_SYMLINK_FOLLOW, "loop", 0, 0, 0, 0),
            &[ERRNO_LOOP],
        );
        t.errno(
            "walk through a loop",
            path_filestat_get(d, 0, "loop/x"),
            &[ERRNO_LOOP],
        );
        path_symlink("missing", d, "dangling").unwrap();
        t.errno(
            "follow dangling",
            path_open(d, LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", 0, 0, 0, 0),
            &[ERRNO_NOENT],
        );
        t.errno(
            "dangling nofollow",
            path_open(d, 0, "dangling", 0, 0, 0, 0),
            &[ERRNO_LOOP],
        );
        path_symlink("../../outside", d, "escape").unwrap();
        t.errno(
            "escape through a link",
            path_open(d, LOOKUPFLAGS_SYMLINK_FOLLOW, "escape", 0, 0, 0, 0),
            &[ERRNO_PERM, ERRNO_NOTCAPABLE],
        );
        t.ok("unlink a symlink", path_unlink_file(d, "alias"));
        t.check("target kept", path_filestat_get(d, 0, "real").is_ok(), ());
        for p in [
            "link",
            "loop",
            "dangling",
            "escape",
            "target",
            "real/inside",
        ] {
            path_unlink_file(d, p).unwrap();
        }
        path_remove_directory(d, "real").unwrap();
    }
}

unsafe fn links(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        let f = open(d, "orig", OFLAGS_CREAT, RW, 0).unwrap();
        write_all(f, b"1").unwrap();
        t.ok("link", path_link(d, 0, "orig", d, "hard"));
        let a = path_filestat_get(d, 0, "orig").unwrap();
        let b = path_filestat_get(d, 0, "hard").unwrap();
        t.check(
            "same inode",
            a.ino == b.ino && a.nlink == 2,
            (a.ino, b.ino, a.nlink),
        );
        t.errno(
            "link over existing",
            path_link(d, 0, "orig", d, "hard"),
            &[ERRNO_EXIST],
        );
        t.errno(
            "link to itself",
            path_link(d, 0, "orig", d, "orig"),
            &[ERRNO_EXIST],
        );
        t.errno(
            "link name/",
            path_link(d, 0, "orig", d, "new/"),
            &[ERRNO_NOENT],
        );
        path_create_directory(d, "ld").unwrap();
        t.errno(
            "link a directory",
            path_link(d, 0, "ld", d, "ld2"),
            &[ERRNO_PERM, ERRNO_ACCES],
        );
        path_remove_directory(d, "ld").unwrap();
        path_unlink_file(d, "orig").unwrap();
        t.check(
            "data kept by the other name",
            read_some(open(d, "hard", 0, RIGHTS_FD_READ, 0).unwrap(), 4).as_deref()
                == Ok(&b"1"[..]),
            (),
        );
        t.check(
            "nlink back to 1",
            path_filestat_get(d, 0, "hard").unwrap().nlink == 1,
            (),
        );
        fd_close(f).unwrap();
        path_symlink("nowhere", d, "sl").unwrap();
        t.ok("link a dangling symlink", path_link(d, 0, "sl", d, "sl2"));
        path_unlink_file(d, "sl").unwrap();
        path_unlink_file(d, "sl2").unwrap();
        path_unlink_file(d, "hard").unwrap();
    }
}

unsafe fn paths(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract.
    unsafe {
        path_create_directory(d, "p").unwrap();
        path_create_directory(d, "p/q").unwrap();
        fd_close(open(d, "p/q/f", OFLAGS_CREAT, 0, 0).unwrap()).unwrap();
        t.errno(
            "absolute path",
            path_open(d, 0, "/p/q/f", 0, 0, 0, 0),
            &[ERRNO_PERM, ERRNO_NOTCAPABLE],
        );
        let f = t.ok("dots", path_open(d, 0, "p/.//q/../../p/q/./f", 0, 0, 0, 0));
        fd_close(f).unwrap();
        t.errno(
            "dotdot escape",
            path_open(d, 0, "p/../../x", 0, 0, 0, 0),
            &[ERRNO_PERM, ERRNO_NOTCAPABLE],
        );
        t.errno(
            "just dotdot",
            path_filestat_get(d, 0, ".."),
            &[ERRNO_PERM, ERRNO_NOTCAPABLE],
        );
        t.errno(
            "trailing slash on a file",
            path_open(d, 0, "p/q/f/", 0, 0, 0, 0),
            &[ERRNO_NOTDIR],
        );
        let f = t.ok(
            "trailing slash on a dir",
            path_open(d, 0, "p/q///", 0, 0, 0, 0),
        );
        fd_close(f).unwrap();
        t.errno(
            "NUL in a path",
            path_open(d, 0, "p/q/f\0", 0, 0, 0, 0),
            &[ERRNO_INVAL, ERRNO_ILSEQ, ERRNO_NOENT],
        );
        t.errno(
            "empty path",
            path_open(d, 0, "", 0, 0, 0, 0),
            &[ERRNO_NOENT],
        );
        t.errno(
            "missing",
            path_open(d, 0, "p/none", 0, 0, 0, 0),
            &[ERRNO_NOENT],
        );
        t.errno(
            "through a file",
            path_open(d, 0, "p/q/f/x", 0, 0, 0, 0),
            &[ERRNO_NOTDIR],
        );
        t.errno(
            "create name/",
            path_open(d, 0, "p/new/", OFLAGS_CREAT, 0, 0, 0),
            &[ERRNO_ISDIR, ERRNO_NOENT],
        );
        t.errno(
            "create+directory",
            path_open(d, 0, "p/new", OFLAGS_CREAT | OFLAGS_DIRECTORY, 0, 0, 0),
            &[ERRNO_INVAL],
        );
        let long = "x".repeat(300);
        t.errno(
            "long name",
            path_open(d, 0, &long, 0, 0, 0, 0),
            &[ERRNO_NAMETOOLONG],
        );
        let f = t.ok(
            "open . nonblock",
            path_open(d, 0, ".", 0, 0, 0, FDFLAGS_NONBLOCK),
        );
        fd_close(f).unwrap();
        t.ok(
            "path_filestat_set_times",
            path_filestat_set_times(d, 0, "p/q/f", 7, 8, FSTFLAGS_ATIM | FSTFLAGS_MTIM),
        );
        let st = path_filestat_get(d, 0, "p/q/f").unwrap();
        t.check(
            "path times",
            st.atim == 7 && st.mtim == 8,
            (st.atim, st.mtim),
        );
        t.errno(
            "bad fstflags",
            path_filestat_set_times(d, 0, "p/q/f", 0, 0, FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW),
            &[ERRNO_INVAL],
        );
        path_unlink_file(d, "p/q/f").unwrap();
        path_remove_directory(d, "p/q").unwrap();
        path_remove_directory(d, "p").unwrap();
    }
}

unsafe fn poll(t: &mut T, d: Fd) {
    // SAFETY: the caller's contract; subscriptions and events are local arrays.
    unsafe {
        let clock = Subscription {
            userdata: 42,
            u: SubscriptionU {
                tag: EVENTTYPE_CLOCK.raw(),
                u: SubscriptionUU {
                    clock: SubscriptionClock {
                        id: CLOCKID_MONOTONIC,
                        timeout: 5_000_000,
                        precision: 0,
                        flags: 0,
                    },
                },
            },
        };
        let mut events = [std::mem::zeroed::<Event>(); 4];
        let before = clock_time_get(CLOCKID_MONOTONIC, 0).unwrap();
        let n = t.ok("poll a clock", poll_oneoff(&clock, events.as_mut_ptr(), 1));
        let after = clock_time_get(CLOCKID_MONOTONIC, 0).unwrap();
        t.check(
            "clock event",
            n == 1 && events[0].userdata == 42 && events[0].type_ == EVENTTYPE_CLOCK,
            n,
        );
        t.check("slept", after - before >= 5_000_000, after - before);
        let f = open(d, "pf", OFLAGS_CREAT, RW, 0).unwrap();
        write_all(f, b"abc").unwrap();
        fd_seek(f, 0, WHENCE_SET).unwrap();
        let subs = [
            clock,
            Subscription {
                userdata: 7,
                u: SubscriptionU {
                    tag: EVENTTYPE_FD_READ.raw(),
                    u: SubscriptionUU {
                        fd_read: SubscriptionFdReadwrite { file_descriptor: f },
                    },
                },
            },
            Subscription {
                userdata: 8,
                u: SubscriptionU {
                    tag: EVENTTYPE_FD_WRITE.raw(),
                    u: SubscriptionUU {
                        fd_write: SubscriptionFdReadwrite { file_descriptor: 1 },
                    },
                },
            },
        ];
        let n = t.ok(
            "poll files",
            poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), 3),
        );
        t.check(
            "files are ready at once",
            n == 2
                && events[0].userdata == 7
                && events[0].fd_readwrite.nbytes == 3
                && events[1].userdata == 8,
            n,
        );
        fd_close(f).unwrap();
        path_unlink_file(d, "pf").unwrap();
        t.errno(
            "poll nothing",
            poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), 0),
            &[ERRNO_INVAL],
        );
        let bad = [Subscription {
            userdata: 1,
            u: SubscriptionU {
                tag: EVENTTYPE_FD_READ.raw(),
                u: SubscriptionUU {
                    fd_read: SubscriptionFdReadwrite {
                        file_descriptor: 99,
                    },
                },
            },
        }];
        t.errno(
            "poll a bad fd",
            poll_oneoff(bad.as_ptr(), events.as_mut_ptr(), 1),
            &[ERRNO_BADF],
        );
    }
}

unsafe fn sockets(t: &mut T) {
    // SAFETY: the caller's contract.
    unsafe {
        t.errno(
            "sock_shutdown stdout",
            sock_shutdown(1, SDFLAGS_RD),
            &[ERRNO_NOTSOCK],
        );
        t.errno(
            "sock_shutdown bad fd",
            sock_shutdown(99, SDFLAGS_RD),
            &[ERRNO_BADF],
        );
        t.errno(
            "sock_accept",
            sock_accept(1, 0),
            &[ERRNO_NOTSOCK, ERRNO_NOTSUP],
        );
        let mut b = [0u8; 4];
        t.errno(
            "sock_recv",
            sock_recv(
                0,
                &[Iovec {
                    buf: b.as_mut_ptr(),
                    buf_len: 4,
                }],
                0,
            ),
            &[ERRNO_NOTSOCK, ERRNO_NOTSUP],
        );
        t.errno(
            "sock_send",
            sock_send(
                1,
                &[Ciovec {
                    buf: b.as_ptr(),
                    buf_len: 4,
                }],
                0,
            ),
            &[ERRNO_NOTSOCK, ERRNO_NOTSUP],
        );
    }
}
