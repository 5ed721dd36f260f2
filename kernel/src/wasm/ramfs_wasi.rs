//! The kernel's RAM file system (`ramfs`) as the inode-level file system WASI programs see
//! (`wasm_host::wasi::FileSystem`).
//!
//! A thin layer: `ramfs`'s node API already has what the trait asks for (stable inode
//! numbers, symbolic and hard links, nanosecond timestamps from the kernel's real-time
//! clock, writes at offsets, nodes held open after their last name is removed), so every
//! method is one call on the tree plus an error mapping. `open`/`close` are
//! `retain`/`release`, which is what keeps an unlinked file usable while a descriptor has it.
//!
//! The one thing added here: the trait names nodes by bare inode number while `ramfs` wants
//! a [`NodeId`], so the numbers this layer hands out are remembered (a bounded map, cleared
//! when full) and a number not in the map is looked up in the tree ([`Fs::node_by_ino`], a
//! scan). A number whose node is gone fails with `ENOENT`, as the trait says; `ramfs` never
//! reuses numbers, so a stale number cannot reach a newer node.
//!
//! The `now` arguments are not needed: `ramfs` stamps times itself from the same real-time
//! clock (`crate::fs` sets it), so only times a program sets explicitly are passed on.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use ramfs::{At, Fs, FsError, Kind as RKind, NodeId, SetTime};
use wasm_host::wasi::{DirEntry, Errno, FileSystem, Ino, Kind, Stat};

/// Most inode numbers remembered at once; past it the map starts again (from the tree).
const MAX_REMEMBERED: usize = 16 * 1024;

/// `crate::fs` for one WASI program.
#[derive(Debug, Default)]
pub struct WasiRamFs {
    /// Inode numbers handed out, and their nodes.
    nodes: BTreeMap<Ino, NodeId>,
}

/// The errno for a `ramfs` error: the one [`FsError::errno_name`] names, except that a
/// node that is gone is `ENOENT` (what the trait promises for a dead inode) rather than
/// `ESTALE`. A test checks the two agree.
fn errno(e: FsError) -> Errno {
    match e {
        FsError::NotFound | FsError::StaleHandle => Errno::Noent,
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
        FsError::FileTooLarge => Errno::Fbig,
    }
}

fn kind(k: RKind) -> Kind {
    match k {
        RKind::File => Kind::File,
        RKind::Dir => Kind::Dir,
        RKind::Symlink => Kind::Symlink,
    }
}

/// A time the program asked for, or one left as it is.
fn set_time(t: Option<u64>) -> SetTime {
    t.map_or(SetTime::Keep, SetTime::To)
}

/// Runs `f` on the tree, mapping its error.
fn with<R>(f: impl FnOnce(&mut Fs<'static>) -> Result<R, FsError>) -> Result<R, Errno> {
    crate::fs::with(f).map_err(errno)
}

impl WasiRamFs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a node this layer hands out, and returns its number.
    fn number(&mut self, id: NodeId) -> Ino {
        if self.nodes.len() >= MAX_REMEMBERED {
            self.nodes.clear();
        }
        self.nodes.insert(id.ino(), id);
        id.ino()
    }

    /// The node numbered `ino` (`ENOENT` if it is gone).
    fn node(&mut self, ino: Ino) -> Result<NodeId, Errno> {
        if let Some(&id) = self.nodes.get(&ino) {
            return Ok(id);
        }
        let id = crate::fs::with(|fs| fs.node_by_ino(ino)).ok_or(Errno::Noent)?;
        self.number(id);
        Ok(id)
    }

    /// The inode number of the directory at absolute `path` (links followed), for a
    /// preopen.
    pub fn ino_of(&mut self, path: &str) -> Result<Ino, Errno> {
        let id = with(|fs| fs.node_at(path))?;
        Ok(self.number(id))
    }

    /// `dir` as the starting point of a one-name path (the WASI layer resolves paths
    /// itself, one component at a time, so confinement is never needed here).
    fn at(&mut self, dir: Ino) -> Result<At, Errno> {
        Ok(At::dir(self.node(dir)?))
    }
}

impl FileSystem for WasiRamFs {
    fn root(&mut self) -> Ino {
        let root = crate::fs::with(|fs| fs.root());
        self.number(root)
    }

    fn stat(&mut self, ino: Ino) -> Result<Stat, Errno> {
        let id = self.node(ino)?;
        with(|fs| {
            let m = fs.stat(id)?;
            let nlink = match m.kind {
                // POSIX counts `.` and each subdirectory's `..`; `ramfs` counts names only.
                RKind::Dir => {
                    let subdirs = fs.dir_entries(id)?.filter(|e| e.kind == RKind::Dir);
                    let own = if m.nlink == 0 { 0 } else { 2 };
                    own + subdirs.count() as u64
                }
                _ => u64::from(m.nlink),
            };
            Ok(Stat {
                ino,
                kind: kind(m.kind),
                nlink,
                size: m.size as u64,
                atim: m.atime,
                mtim: m.mtime,
                ctim: m.ctime,
            })
        })
    }

    fn parent(&mut self, dir: Ino) -> Result<Ino, Errno> {
        let id = self.node(dir)?;
        let parent = with(|fs| {
            let parent = fs.parent(id)?;
            // The root is its own parent; a removed directory has none.
            match parent {
                Some(p) => Ok(p),
                None if id == fs.root() => Ok(id),
                None => Err(FsError::NotFound),
            }
        })?;
        Ok(self.number(parent))
    }

    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        let at = self.at(dir)?;
        let id = with(|fs| fs.lookup_at(at, name, false))?;
        Ok(self.number(id))
    }

    fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>, Errno> {
        let id = self.node(dir)?;
        with(|fs| {
            let entries = fs.dir_entries(id)?;
            let mut out = Vec::new();
            out.try_reserve_exact(entries.len())
                .map_err(|_| FsError::OutOfMemory)?;
            for e in entries {
                let mut name = String::new();
                name.try_reserve_exact(e.name.len())
                    .map_err(|_| FsError::OutOfMemory)?;
                name.push_str(e.name);
                out.push(DirEntry {
                    name,
                    ino: e.node.ino(),
                    kind: kind(e.kind),
                });
            }
            Ok(out)
        })
    }

    fn read(&mut self, file: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let id = self.node(file)?;
        with(|fs| fs.read_at(id, offset, buf))
    }

    fn write(&mut self, file: Ino, offset: u64, data: &[u8], _now: u64) -> Result<usize, Errno> {
        let id = self.node(file)?;
        with(|fs| fs.write_at(id, offset, data))?;
        Ok(data.len())
    }

    fn set_size(&mut self, file: Ino, size: u64, _now: u64) -> Result<(), Errno> {
        let id = self.node(file)?;
        with(|fs| fs.set_len(id, size))
    }

    fn readlink(&mut self, link: Ino) -> Result<String, Errno> {
        let id = self.node(link)?;
        with(|fs| {
            let target = fs.read_link(id)?;
            let mut s = String::new();
            s.try_reserve_exact(target.len())
                .map_err(|_| FsError::OutOfMemory)?;
            s.push_str(target);
            Ok(s)
        })
    }

    fn create_file(&mut self, dir: Ino, name: &str, _now: u64) -> Result<Ino, Errno> {
        let at = self.at(dir)?;
        let opts = ramfs::OpenOptions {
            create: true,
            exclusive: true,
            ..ramfs::OpenOptions::default()
        };
        let id = with(|fs| fs.open_at(at, name, opts))?;
        Ok(self.number(id))
    }

    fn create_dir(&mut self, dir: Ino, name: &str, _now: u64) -> Result<Ino, Errno> {
        let at = self.at(dir)?;
        let id = with(|fs| fs.mkdir_at(at, name))?;
        Ok(self.number(id))
    }

    fn create_symlink(
        &mut self,
        dir: Ino,
        name: &str,
        target: &str,
        _now: u64,
    ) -> Result<Ino, Errno> {
        let at = self.at(dir)?;
        let id = with(|fs| fs.symlink_at(target, at, name))?;
        Ok(self.number(id))
    }

    fn link(&mut self, target: Ino, dir: Ino, name: &str, _now: u64) -> Result<(), Errno> {
        let node = self.node(target)?;
        let at = self.at(dir)?;
        with(|fs| fs.link_node(node, at, name))
    }

    fn unlink(&mut self, dir: Ino, name: &str, _now: u64) -> Result<(), Errno> {
        let at = self.at(dir)?;
        with(|fs| fs.unlink_at(at, name))
    }

    fn remove_dir(&mut self, dir: Ino, name: &str, _now: u64) -> Result<(), Errno> {
        let at = self.at(dir)?;
        with(|fs| fs.rmdir_at(at, name))
    }

    fn rename(
        &mut self,
        from_dir: Ino,
        from_name: &str,
        to_dir: Ino,
        to_name: &str,
        _now: u64,
    ) -> Result<(), Errno> {
        let from = self.at(from_dir)?;
        let to = self.at(to_dir)?;
        with(|fs| fs.rename_at(from, from_name, to, to_name))
    }

    fn set_times(
        &mut self,
        ino: Ino,
        atim: Option<u64>,
        mtim: Option<u64>,
        _now: u64,
    ) -> Result<(), Errno> {
        let id = self.node(ino)?;
        with(|fs| fs.set_times(id, set_time(atim), set_time(mtim)))
    }

    fn open(&mut self, ino: Ino) {
        // The trait's `open` cannot fail: a node that is already gone stays gone, and every
        // later use of it reports `ENOENT`.
        if let Ok(id) = self.node(ino) {
            let _ = crate::fs::with(|fs| fs.retain(id));
        }
    }

    fn close(&mut self, ino: Ino) {
        if let Ok(id) = self.node(ino) {
            let _ = crate::fs::with(|fs| fs.release(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn errnos_are_the_ones_ramfs_names() {
        let all = [
            FsError::NotFound,
            FsError::IsADirectory,
            FsError::NotADirectory,
            FsError::AlreadyExists,
            FsError::NameTooLong,
            FsError::TooDeep,
            FsError::InvalidPath,
            FsError::DirectoryNotEmpty,
            FsError::OutOfMemory,
            FsError::InvalidArgument,
            FsError::NoSpace,
            FsError::Loop,
            FsError::EscapesRoot,
            FsError::NotPermitted,
            FsError::FileTooLarge,
        ];
        for e in all {
            assert_eq!(errno(e).name(), e.errno_name());
        }
        assert_eq!(errno(FsError::StaleHandle), Errno::Noent);
    }
}
