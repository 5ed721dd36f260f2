//! Host tests, one file per topic. Archives are built by the tiny ustar writer below, so
//! the tests need no fixtures; one test also checks archives made by the host's `tar`,
//! when there is one.

extern crate std;

mod archive;
mod damage;
mod dirs;
mod files;
mod fuzz;
mod invariants;
mod links;
mod listing;
mod model;
mod name;
mod nodes;
mod oom;
mod paths;
mod quota;
mod random;
mod readers;
mod scale;
mod times;

use crate::*;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

// ------------------------------------------------------------------ ustar writer

pub(super) const BLOCK: usize = 512;

/// A minimal tar writer: POSIX ustar headers unless told otherwise.
#[derive(Default)]
struct Tar {
    buf: Vec<u8>,
}

fn put(hdr: &mut [u8], at: usize, bytes: &[u8]) {
    hdr[at..at + bytes.len()].copy_from_slice(bytes);
}

fn set_checksum(hdr: &mut [u8]) {
    hdr[148..156].copy_from_slice(b"        ");
    let sum: u32 = hdr[..BLOCK].iter().map(|&b| u32::from(b)).sum();
    hdr[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn header(name: &[u8], prefix: &[u8], typeflag: u8, size: usize, gnu: bool) -> [u8; BLOCK] {
    assert!(name.len() <= 100 && prefix.len() <= 155);
    let mut h = [0u8; BLOCK];
    put(&mut h, 0, name);
    put(&mut h, 100, b"0000644\0");
    put(&mut h, 108, b"0001750\0");
    put(&mut h, 116, b"0001750\0");
    put(&mut h, 124, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, b"14712345670\0");
    h[156] = typeflag;
    if gnu {
        put(&mut h, 257, b"ustar  \0");
    } else {
        put(&mut h, 257, b"ustar\0");
        put(&mut h, 263, b"00");
    }
    put(&mut h, 345, prefix);
    set_checksum(&mut h);
    h
}

impl Tar {
    fn new() -> Self {
        Self::default()
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    fn data(&mut self, data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(data);
        let pad = data.len().next_multiple_of(BLOCK) - data.len();
        self.buf.extend(core::iter::repeat_n(0, pad));
        self
    }

    fn entry(&mut self, name: &str, typeflag: u8, data: &[u8]) -> &mut Self {
        let h = header(name.as_bytes(), b"", typeflag, data.len(), false);
        self.raw(&h).data(data)
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', data)
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(name, b'5', b"")
    }

    /// A link entry (`typeflag` `1` hard, `2` symbolic) with `target` in `linkname`.
    fn link(&mut self, name: &str, typeflag: u8, target: &str) -> &mut Self {
        let mut h = header(name.as_bytes(), b"", typeflag, 0, false);
        put(&mut h, 157, target.as_bytes());
        set_checksum(&mut h);
        self.raw(&h)
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.link(name, b'2', target)
    }

    fn hard_link(&mut self, name: &str, target: &str) -> &mut Self {
        self.link(name, b'1', target)
    }

    /// A link whose target is too long for `linkname`: a GNU `K` record first.
    fn gnu_long_link(&mut self, name: &str, typeflag: u8, target: &str) -> &mut Self {
        let mut long = target.as_bytes().to_vec();
        long.push(0);
        let h = header(b"././@LongLink", b"", b'K', long.len(), true);
        self.raw(&h).data(&long);
        let mut h = header(name.as_bytes(), b"", typeflag, 0, true);
        put(&mut h, 157, &target.as_bytes()[..target.len().min(100)]);
        set_checksum(&mut h);
        self.raw(&h)
    }

    fn prefixed(&mut self, prefix: &str, name: &str, data: &[u8]) -> &mut Self {
        let h = header(name.as_bytes(), prefix.as_bytes(), b'0', data.len(), false);
        self.raw(&h).data(data)
    }

    /// A GNU long name: an `L` record with the name, then the entry with the name cut
    /// to 100 bytes (as GNU tar writes it).
    fn gnu_long(&mut self, name: &str, typeflag: u8, data: &[u8]) -> &mut Self {
        let mut long = name.as_bytes().to_vec();
        long.push(0);
        let h = header(b"././@LongLink", b"", b'L', long.len(), true);
        self.raw(&h).data(&long);
        let cut = &name.as_bytes()[..name.len().min(100)];
        let h = header(cut, b"", typeflag, data.len(), true);
        self.raw(&h).data(data)
    }

    /// A pax extended header with `records`, then a file named `name`.
    fn pax(&mut self, records: &[(&str, &str)], name: &str, data: &[u8]) -> &mut Self {
        self.pax_header(records);
        self.file(name, data)
    }

    /// A pax extended header with `records` (for the entry that follows).
    fn pax_header(&mut self, records: &[(&str, &str)]) -> &mut Self {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = format!(" {k}={v}\n");
            // The length field counts itself.
            let mut len = rest.len() + 1;
            while format!("{len}").len() + rest.len() != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len}{rest}").as_bytes());
        }
        let h = header(b"PaxHeaders/x", b"", b'x', body.len(), false);
        self.raw(&h).data(&body)
    }

    /// Appends the end-of-archive marker and returns the archive.
    fn finish(&mut self) -> Vec<u8> {
        let mut v = core::mem::take(&mut self.buf);
        v.extend_from_slice(&[0; 2 * BLOCK]);
        v
    }

    /// The archive without an end marker.
    fn unfinished(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

/// Builds the tree and checks the invariants.
fn load(bytes: &[u8]) -> (Fs<'_>, Option<Warning>) {
    let (fs, w) = Fs::from_tar(bytes);
    fs.check_invariants();
    (fs, w)
}

fn names(fs: &Fs<'_>, dir: &str) -> Vec<String> {
    fs.read_dir(dir)
        .unwrap()
        .iter()
        .map(|e| e.name.to_string())
        .collect()
}

/// Every path in the tree (walk order).
fn all_paths(fs: &Fs<'_>) -> Vec<String> {
    let mut v = Vec::new();
    fs.walk("/", |e| v.push(e.path.to_string())).unwrap();
    v
}

/// The metadata the shell shows: kind, size and where it is stored.
fn basic(m: Metadata) -> (Kind, usize, bool) {
    (m.kind, m.size, m.in_ram)
}

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

/// The PRNG the hosts use for `random()`, shared so tests need no generator of their own.
pub(super) use wasm_abi::Rng;

/// Small conveniences on [`Rng`] for choosing test inputs.
pub(super) trait RngExt {
    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize;
}

impl RngExt for Rng {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

// ------------------------------------------------------------------ the RAM layer

/// A small initrd: /bin/sh, /etc/motd, /etc/empty/, /readme.
fn sample() -> Vec<u8> {
    Tar::new()
        .file("bin/sh", b"shell")
        .file("etc/motd", b"hello")
        .dir("etc/empty/")
        .file("readme", b"read me")
        .finish()
}

/// An initrd for the operation tests: /etc/motd, /etc/empty/, /etc/sub/deep/file, /readme,
/// /etc/link -> motd, and /hard, another name of /readme.
fn small_initrd() -> Vec<u8> {
    Tar::new()
        .file("etc/motd", b"hello")
        .dir("etc/empty/")
        .file("etc/sub/deep/file", b"deep")
        .file("readme", b"read me")
        .symlink("etc/link", "motd")
        .hard_link("hard", "readme")
        .finish()
}

/// The root as a node-API directory handle.
fn top(fs: &Fs<'_>) -> At {
    At::dir(fs.root())
}

const CREATE: OpenOptions = OpenOptions {
    create: true,
    exclusive: false,
    truncate: false,
    directory: false,
    follow: true,
};

/// Everything observable: each path with its kind, contents (or link target), `in_ram`,
/// link count and inode number.
fn snapshot(fs: &Fs<'_>) -> Vec<(String, Kind, Vec<u8>, bool, u32, u64)> {
    let mut paths = Vec::new();
    fs.walk("/", |e| paths.push((e.path.to_string(), e.kind)))
        .unwrap();
    paths
        .into_iter()
        .map(|(path, kind)| {
            let m = fs.symlink_metadata(&path).unwrap();
            let data = match kind {
                Kind::File => fs.read(&path).unwrap().to_vec(),
                Kind::Symlink => fs.read_link_path(&path).unwrap().as_bytes().to_vec(),
                Kind::Dir => Vec::new(),
            };
            (path, kind, data, m.in_ram, m.nlink, m.ino)
        })
        .collect()
}

type Op = fn(&mut Fs<'_>) -> Result<(), FsError>;

/// Operations that can fail part-way (allocating or growing the tree), each of which
/// succeeds on `small_initrd()` plus a RAM file `/ram` given enough memory and space.
fn operations() -> Vec<(&'static str, Op)> {
    vec![
        ("write new", |fs| fs.write("/etc/new", b"data")),
        ("write over initrd", |fs| fs.write("/etc/motd", b"new")),
        ("write over ram", |fs| fs.write("/ram", b"new")),
        ("append initrd", |fs| fs.append("/etc/motd", b"!")),
        ("append ram", |fs| fs.append("/ram", &[1; 1000])),
        ("append new", |fs| fs.append("/new", b"x")),
        ("touch", |fs| fs.touch("/t")),
        ("truncate initrd", |fs| fs.truncate("/readme", 100)),
        ("truncate ram", |fs| fs.truncate("/ram", 5000)),
        ("mkdir", |fs| fs.mkdir("/etc/d")),
        ("mkdir_all", |fs| fs.mkdir_all("/x/y/z/w")),
        ("rename", |fs| fs.rename("/readme", "/etc/r2")),
        ("rename to a longer name", |fs| {
            fs.rename("/readme", "/a-much-longer-name")
        }),
        ("rename over file", |fs| fs.rename("/ram", "/etc/motd")),
        ("rename dir", |fs| fs.rename("/etc/sub", "/moved")),
        ("copy initrd file", |fs| fs.copy("/readme", "/r2", false)),
        ("copy ram file", |fs| fs.copy("/ram", "/etc", false)),
        ("copy ram file over file", |fs| {
            fs.copy("/ram", "/readme", false)
        }),
        ("copy -r", |fs| fs.copy("/etc", "/etc2", true)),
        ("remove -r", |fs| fs.remove("/etc", true)),
        ("write through a link", |fs| fs.write("/etc/link", b"new")),
        ("append to a hard link", |fs| fs.append("/hard", b"!")),
        ("symlink", |fs| fs.symlink("etc/motd", "/sl")),
        ("hard link", |fs| fs.hard_link("/etc/motd", "/etc/sub/hl")),
        ("copy -r with links", |fs| fs.copy("/etc", "/etc3", true)),
        ("open_at create", |fs| {
            fs.open_at(top(fs), "etc/new", CREATE).map(|_| ())
        }),
        ("mkdir_at", |fs| {
            fs.mkdir_at(top(fs), "etc/empty/d").map(|_| ())
        }),
        ("symlink_at", |fs| {
            fs.symlink_at("../readme", top(fs), "etc/l2").map(|_| ())
        }),
        ("link_at", |fs| {
            fs.link_at(top(fs), "ram", true, top(fs), "etc/r")
        }),
        ("rename_at", |fs| {
            fs.rename_at(top(fs), "ram", top(fs), "etc/sub/ram2")
        }),
        ("rename_at over a link", |fs| {
            fs.rename_at(top(fs), "ram", top(fs), "etc/link")
        }),
        ("unlink_at", |fs| fs.unlink_at(top(fs), "hard")),
        ("rmdir_at", |fs| fs.rmdir_at(top(fs), "etc/empty")),
        ("write_at past the end", |fs| {
            let f = fs.lookup_at(top(fs), "etc/motd", true)?;
            fs.write_at(f, 100, b"x")
        }),
        ("set_len", |fs| {
            let f = fs.lookup_at(top(fs), "ram", true)?;
            fs.set_len(f, 3000)
        }),
        ("read_dir", |fs| fs.read_dir("/etc").map(|_| ())),
        ("resolve", |fs| fs.resolve("/etc", "../x").map(|_| ())),
        ("walk", |fs| fs.walk("/", |_| {})),
    ]
}
