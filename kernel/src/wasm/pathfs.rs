//! The kernel's RAM file system (`ramfs`, path-based) as the inode-level file system WASI
//! programs see (`wasm_host::wasi::FileSystem`).
//!
//! Why an adapter, and why it is interim: `ramfs` names everything by absolute path and has
//! no inode numbers, symbolic links, hard links or timestamps yet (they are being added). So
//! this gives every path it hands out a number for the run of one program, keeps the numbers
//! right across renames, keeps timestamps on the side, and answers `ENOTSUP` for links.
//! Differences from POSIX that follow: a file removed while a program still has it open is
//! gone at once (reads then fail with `ENOENT`), and a write in the middle of a file rewrites
//! the whole file (appends are cheap). When `ramfs` gains its inode API, this file becomes a
//! thin wrapper and those differences go away.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use ramfs::{FsError, Kind as RKind};
use wasm_host::wasi::{DirEntry, Errno, FileSystem, Ino, Kind, Stat};

/// Times of one inode (ns since the Unix epoch).
#[derive(Clone, Copy, Debug)]
struct Times {
    atim: u64,
    mtim: u64,
    ctim: u64,
}

/// Inode numbers over `crate::fs`.
#[derive(Debug)]
pub struct PathFs {
    paths: BTreeMap<Ino, String>,
    inos: BTreeMap<String, Ino>,
    times: BTreeMap<Ino, Times>,
    next: Ino,
    /// Time given to files nobody has set a time on (boot time, read from the RTC).
    boot_time: u64,
}

const ROOT: Ino = 1;

fn errno(e: FsError) -> Errno {
    match e {
        FsError::NotFound => Errno::Noent,
        FsError::IsADirectory => Errno::Isdir,
        FsError::NotADirectory => Errno::Notdir,
        FsError::AlreadyExists => Errno::Exist,
        FsError::NameTooLong | FsError::TooDeep => Errno::Nametoolong,
        FsError::InvalidPath | FsError::InvalidArgument => Errno::Inval,
        FsError::DirectoryNotEmpty => Errno::Notempty,
        FsError::OutOfMemory => Errno::Nomem,
        FsError::NoSpace => Errno::Nospc,
        FsError::Loop => Errno::Loop,
        FsError::EscapesRoot => Errno::Notcapable,
        FsError::NotPermitted => Errno::Perm,
        FsError::StaleHandle => Errno::Noent,
        FsError::FileTooLarge => Errno::Fbig,
    }
}

fn join(dir: &str, name: &str) -> String {
    let mut p = String::from(dir);
    if !p.ends_with('/') {
        p.push('/');
    }
    p.push_str(name);
    p
}

impl PathFs {
    pub fn new(boot_time: u64) -> Self {
        let mut fs = Self {
            paths: BTreeMap::new(),
            inos: BTreeMap::new(),
            times: BTreeMap::new(),
            next: ROOT + 1,
            boot_time,
        };
        fs.paths.insert(ROOT, String::from("/"));
        fs.inos.insert(String::from("/"), ROOT);
        fs
    }

    /// The inode number of an absolute path that exists.
    pub fn ino_of(&mut self, path: &str) -> Result<Ino, Errno> {
        crate::fs::with(|fs| fs.metadata(path)).map_err(errno)?;
        let clean = crate::fs::with(|fs| fs.resolve("/", path)).map_err(errno)?;
        Ok(self.number(&clean))
    }

    fn number(&mut self, path: &str) -> Ino {
        if let Some(&ino) = self.inos.get(path) {
            return ino;
        }
        let ino = self.next;
        self.next += 1;
        self.paths.insert(ino, String::from(path));
        self.inos.insert(String::from(path), ino);
        ino
    }

    fn path(&self, ino: Ino) -> Result<String, Errno> {
        self.paths.get(&ino).cloned().ok_or(Errno::Noent)
    }

    fn forget(&mut self, path: &str) {
        if let Some(ino) = self.inos.remove(path) {
            self.paths.remove(&ino);
            self.times.remove(&ino);
        }
    }

    fn times(&self, ino: Ino) -> Times {
        self.times.get(&ino).copied().unwrap_or(Times {
            atim: self.boot_time,
            mtim: self.boot_time,
            ctim: self.boot_time,
        })
    }

    fn touch(&mut self, ino: Ino, now: u64) {
        let t = self.times(ino);
        self.times.insert(
            ino,
            Times {
                mtim: now,
                ctim: now,
                ..t
            },
        );
    }

    fn kind(path: &str) -> Result<(RKind, usize), Errno> {
        crate::fs::with(|fs| fs.metadata(path))
            .map(|m| (m.kind, m.size))
            .map_err(errno)
    }
}

impl FileSystem for PathFs {
    fn root(&mut self) -> Ino {
        ROOT
    }

    fn stat(&mut self, ino: Ino) -> Result<Stat, Errno> {
        let path = self.path(ino)?;
        let (kind, size) = Self::kind(&path)?;
        let t = self.times(ino);
        let (kind, nlink) = match kind {
            RKind::Dir => (Kind::Dir, 2),
            _ => (Kind::File, 1),
        };
        Ok(Stat {
            ino,
            kind,
            nlink,
            size: size as u64,
            atim: t.atim,
            mtim: t.mtim,
            ctim: t.ctim,
        })
    }

    fn parent(&mut self, dir: Ino) -> Result<Ino, Errno> {
        let path = self.path(dir)?;
        let parent = match path.rsplit_once('/') {
            Some(("", _)) | None => String::from("/"),
            Some((p, _)) => String::from(p),
        };
        Ok(self.number(&parent))
    }

    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let dpath = self.path(dir)?;
        match Self::kind(&dpath)? {
            (RKind::Dir, _) => {}
            _ => return Err(Errno::Notdir),
        }
        let p = join(&dpath, name);
        Self::kind(&p)?;
        Ok(self.number(&p))
    }

    fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>, Errno> {
        let dpath = self.path(dir)?;
        let list: Vec<(String, RKind)> = crate::fs::with(|fs| {
            fs.read_dir(&dpath)
                .map(|v| v.iter().map(|e| (String::from(e.name), e.kind)).collect())
        })
        .map_err(errno)?;
        let mut out = Vec::new();
        out.try_reserve_exact(list.len())
            .map_err(|_| Errno::Nomem)?;
        for (name, kind) in list {
            let ino = self.number(&join(&dpath, &name));
            out.push(DirEntry {
                name,
                ino,
                kind: if kind == RKind::Dir {
                    Kind::Dir
                } else {
                    Kind::File
                },
            });
        }
        Ok(out)
    }

    fn read(&mut self, file: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let path = self.path(file)?;
        crate::fs::with(|fs| {
            let data = fs.read(&path)?;
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(data.len());
            let n = (data.len() - start).min(buf.len());
            buf[..n].copy_from_slice(&data[start..start + n]);
            Ok(n)
        })
        .map_err(errno)
    }

    fn write(&mut self, file: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno> {
        let path = self.path(file)?;
        let offset = usize::try_from(offset).map_err(|_| Errno::Fbig)?;
        offset.checked_add(data.len()).ok_or(Errno::Fbig)?;
        crate::fs::with(|fs| {
            let size = fs.metadata(&path)?.size;
            if offset == size {
                return fs.append(&path, data);
            }
            if offset > size {
                fs.truncate(&path, offset)?;
                return fs.append(&path, data);
            }
            // A write inside the file: rebuild it (ramfs has no partial writes yet).
            let old = fs.read(&path)?;
            let mut v = Vec::new();
            v.try_reserve_exact(old.len().max(offset + data.len()))
                .map_err(|_| FsError::OutOfMemory)?;
            v.extend_from_slice(old);
            let end = offset + data.len();
            if end > v.len() {
                v.resize(end, 0);
            }
            v[offset..end].copy_from_slice(data);
            fs.write(&path, &v)
        })
        .map_err(errno)?;
        self.touch(file, now);
        Ok(data.len())
    }

    fn set_size(&mut self, file: Ino, size: u64, now: u64) -> Result<(), Errno> {
        let path = self.path(file)?;
        let size = usize::try_from(size).map_err(|_| Errno::Fbig)?;
        crate::fs::with(|fs| fs.truncate(&path, size)).map_err(errno)?;
        self.touch(file, now);
        Ok(())
    }

    fn readlink(&mut self, _link: Ino) -> Result<String, Errno> {
        Err(Errno::Inval)
    }

    fn create_file(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno> {
        let p = join(&self.path(dir)?, name);
        if Self::kind(&p).is_ok() {
            return Err(Errno::Exist);
        }
        crate::fs::with(|fs| fs.write(&p, &[])).map_err(errno)?;
        let ino = self.number(&p);
        self.times.insert(
            ino,
            Times {
                atim: now,
                mtim: now,
                ctim: now,
            },
        );
        self.touch(dir, now);
        Ok(ino)
    }

    fn create_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno> {
        let p = join(&self.path(dir)?, name);
        crate::fs::with(|fs| fs.mkdir(&p)).map_err(errno)?;
        let ino = self.number(&p);
        self.times.insert(
            ino,
            Times {
                atim: now,
                mtim: now,
                ctim: now,
            },
        );
        self.touch(dir, now);
        Ok(ino)
    }

    fn create_symlink(&mut self, _: Ino, _: &str, _: &str, _: u64) -> Result<Ino, Errno> {
        Err(Errno::Notsup)
    }

    fn link(&mut self, _: Ino, _: Ino, _: &str, _: u64) -> Result<(), Errno> {
        Err(Errno::Notsup)
    }

    fn unlink(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno> {
        let p = join(&self.path(dir)?, name);
        if let (RKind::Dir, _) = Self::kind(&p)? {
            return Err(Errno::Isdir);
        }
        crate::fs::with(|fs| fs.remove(&p, false)).map_err(errno)?;
        self.forget(&p);
        self.touch(dir, now);
        Ok(())
    }

    fn remove_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno> {
        let p = join(&self.path(dir)?, name);
        match Self::kind(&p)? {
            (RKind::Dir, 0) => {}
            (RKind::Dir, _) => return Err(Errno::Notempty),
            _ => return Err(Errno::Notdir),
        }
        crate::fs::with(|fs| fs.remove(&p, false)).map_err(errno)?;
        self.forget(&p);
        self.touch(dir, now);
        Ok(())
    }

    fn rename(
        &mut self,
        from_dir: Ino,
        from_name: &str,
        to_dir: Ino,
        to_name: &str,
        now: u64,
    ) -> Result<(), Errno> {
        let from = join(&self.path(from_dir)?, from_name);
        let to = join(&self.path(to_dir)?, to_name);
        // ramfs `rename` moves *into* an existing directory (like `mv`); WASI replaces it
        // (the caller has checked that it is empty).
        if let Ok((RKind::Dir, _)) = Self::kind(&to) {
            crate::fs::with(|fs| fs.remove(&to, false)).map_err(errno)?;
        }
        crate::fs::with(|fs| fs.rename(&from, &to)).map_err(errno)?;
        self.forget(&to);
        // Renumber the moved path and everything below it.
        let prefix = join(&from, "");
        let moved: Vec<(String, Ino)> = self
            .inos
            .iter()
            .filter(|(p, _)| **p == from || p.starts_with(&prefix))
            .map(|(p, i)| (p.clone(), *i))
            .collect();
        for (old, ino) in moved {
            let new = alloc::format!("{to}{}", &old[from.len()..]);
            self.inos.remove(&old);
            self.inos.insert(new.clone(), ino);
            self.paths.insert(ino, new);
        }
        self.touch(from_dir, now);
        self.touch(to_dir, now);
        Ok(())
    }

    fn set_times(
        &mut self,
        ino: Ino,
        atim: Option<u64>,
        mtim: Option<u64>,
        now: u64,
    ) -> Result<(), Errno> {
        self.stat(ino)?;
        let t = self.times(ino);
        self.times.insert(
            ino,
            Times {
                atim: atim.unwrap_or(t.atim),
                mtim: mtim.unwrap_or(t.mtim),
                ctim: now,
            },
        );
        Ok(())
    }
}
