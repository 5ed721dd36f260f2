//! A small in-memory [`FileSystem`], for tests and host-side tools.
//!
//! Why it exists next to the kernel's RAM file system (`ramfs`): the WASI layer needs inodes,
//! hard links, symbolic links and timestamps, and this keeps the WASI host testable on its
//! own with exactly those semantics. It is written by hand because it is tiny (a map from
//! inode numbers to nodes). Every allocation a program can make large goes through
//! `try_reserve`, so a huge `fd_allocate` or write is `ENOSPC`, never an abort.

use super::Errno;
use super::fs::{DirEntry, FileSystem, Ino, Kind, Stat};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Largest file this file system holds (the WASI layer reports `EFBIG` past it).
pub const MAX_FILE_SIZE: u64 = 1 << 30;

#[derive(Debug)]
enum Body {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<String, Ino>,
        parent: Ino,
    },
    Symlink(String),
}

#[derive(Debug)]
struct Node {
    body: Body,
    /// Names referring to this node (directories: 1 while linked).
    links: u64,
    /// Open descriptors.
    opens: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

/// An in-memory file system with files, directories, symbolic links and hard links.
#[derive(Debug)]
pub struct MemFs {
    nodes: BTreeMap<Ino, Node>,
    next: Ino,
}

const ROOT: Ino = 1;

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty file system: just `/`.
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                body: Body::Dir {
                    entries: BTreeMap::new(),
                    parent: ROOT,
                },
                links: 1,
                opens: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            },
        );
        Self { nodes, next: 2 }
    }

    /// Creates (or replaces) a file at an absolute `/`-separated path, creating the
    /// directories on the way. For setting up tests; panics on a path through a file.
    pub fn put_file(&mut self, path: &str, data: &[u8]) -> Ino {
        let (dir, name) = self.mkdirs_for(path);
        if self.lookup(dir, name).is_ok() {
            let _ = self.unlink(dir, name, 0);
        }
        let ino = self.create_file(dir, name, 0).expect("create file");
        self.write(ino, 0, data, 0).expect("write file");
        ino
    }

    /// Creates a directory (and its parents) at an absolute path. For setting up tests.
    pub fn put_dir(&mut self, path: &str) -> Ino {
        let mut dir = ROOT;
        for name in path.split('/').filter(|n| !n.is_empty()) {
            dir = match self.lookup(dir, name) {
                Ok(ino) => ino,
                Err(_) => self.create_dir(dir, name, 0).expect("create dir"),
            };
        }
        dir
    }

    /// The inode at an absolute path (no symbolic links followed), if any.
    pub fn find(&mut self, path: &str) -> Option<Ino> {
        let mut ino = ROOT;
        for name in path.split('/').filter(|n| !n.is_empty()) {
            ino = self.lookup(ino, name).ok()?;
        }
        Some(ino)
    }

    /// The contents of the file at an absolute path, if it is one.
    pub fn contents(&mut self, path: &str) -> Option<Vec<u8>> {
        let ino = self.find(path)?;
        match &self.nodes.get(&ino)?.body {
            Body::File(d) => Some(d.clone()),
            _ => None,
        }
    }

    /// Inodes that still exist (to check that nothing leaks).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn mkdirs_for<'p>(&mut self, path: &'p str) -> (Ino, &'p str) {
        let path = path.trim_end_matches('/');
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        (self.put_dir(parent), name)
    }

    fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::Noent)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::Noent)
    }

    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<String, Ino>, Errno> {
        match &mut self.node_mut(dir)?.body {
            Body::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> Result<&mut Vec<u8>, Errno> {
        match &mut self.node_mut(ino)?.body {
            Body::File(data) => Ok(data),
            Body::Dir { .. } => Err(Errno::Isdir),
            Body::Symlink(_) => Err(Errno::Inval),
        }
    }

    /// Adds a new node as `name` in `dir`.
    fn insert(&mut self, dir: Ino, name: &str, body: Body, now: u64) -> Result<Ino, Errno> {
        // A directory whose last name is gone (still open somewhere) takes no new entries.
        if self.node(dir)?.links == 0 {
            return Err(Errno::Noent);
        }
        let entries = self.entries_mut(dir)?;
        if entries.contains_key(name) {
            return Err(Errno::Exist);
        }
        let ino = self.next;
        self.next += 1;
        let mut key = String::new();
        key.try_reserve_exact(name.len())
            .map_err(|_| Errno::Nomem)?;
        key.push_str(name);
        self.entries_mut(dir)?.insert(key, ino);
        self.nodes.insert(
            ino,
            Node {
                body,
                links: 1,
                opens: 0,
                atim: now,
                mtim: now,
                ctim: now,
            },
        );
        self.touch_dir(dir, now);
        Ok(ino)
    }

    fn touch_dir(&mut self, dir: Ino, now: u64) {
        if let Some(n) = self.nodes.get_mut(&dir) {
            n.mtim = now;
            n.ctim = now;
        }
    }

    /// Drops a node that has no names and no descriptors left.
    fn collect(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get(&ino)
            && n.links == 0
            && n.opens == 0
        {
            self.nodes.remove(&ino);
        }
    }

    /// Removes entry `name` from `dir` and drops one link of its node.
    fn detach(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno> {
        let ino = self.entries_mut(dir)?.remove(name).ok_or(Errno::Noent)?;
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.links = n.links.saturating_sub(1);
            n.ctim = now;
        }
        self.touch_dir(dir, now);
        Ok(ino)
    }
}

impl FileSystem for MemFs {
    fn root(&mut self) -> Ino {
        ROOT
    }

    fn stat(&mut self, ino: Ino) -> Result<Stat, Errno> {
        let n = self.node(ino)?;
        let (kind, size, nlink) = match &n.body {
            Body::File(d) => (Kind::File, d.len() as u64, n.links),
            Body::Symlink(t) => (Kind::Symlink, t.len() as u64, n.links),
            Body::Dir { entries, .. } => {
                let subdirs = entries
                    .values()
                    .filter(|i| {
                        matches!(self.nodes.get(i).map(|n| &n.body), Some(Body::Dir { .. }))
                    })
                    .count() as u64;
                let own = if n.links == 0 { 0 } else { 2 };
                (Kind::Dir, 4096, own + subdirs)
            }
        };
        Ok(Stat {
            ino,
            kind,
            nlink,
            size,
            atim: n.atim,
            mtim: n.mtim,
            ctim: n.ctim,
        })
    }

    fn parent(&mut self, dir: Ino) -> Result<Ino, Errno> {
        match &self.node(dir)?.body {
            Body::Dir { parent, .. } => Ok(*parent),
            _ => Err(Errno::Notdir),
        }
    }

    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        match &self.node(dir)?.body {
            Body::Dir { entries, .. } => entries.get(name).copied().ok_or(Errno::Noent),
            _ => Err(Errno::Notdir),
        }
    }

    fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>, Errno> {
        let Body::Dir { entries, .. } = &self.node(dir)?.body else {
            return Err(Errno::Notdir);
        };
        let mut out = Vec::new();
        out.try_reserve_exact(entries.len())
            .map_err(|_| Errno::Nomem)?;
        for (name, ino) in entries {
            let kind = match self.nodes.get(ino).map(|n| &n.body) {
                Some(Body::File(_)) => Kind::File,
                Some(Body::Dir { .. }) => Kind::Dir,
                Some(Body::Symlink(_)) => Kind::Symlink,
                None => continue,
            };
            out.push(DirEntry {
                name: name.clone(),
                ino: *ino,
                kind,
            });
        }
        Ok(out)
    }

    fn read(&mut self, file: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let data = self.file_mut(file)?;
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(rest) = data.get(start..) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    fn write(&mut self, file: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno> {
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|e| *e <= MAX_FILE_SIZE)
            .ok_or(Errno::Fbig)?;
        let (start, end) = (offset as usize, end as usize);
        let bytes = self.file_mut(file)?;
        if end > bytes.len() {
            bytes
                .try_reserve(end - bytes.len())
                .map_err(|_| Errno::Nospc)?;
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(data);
        let n = self.node_mut(file)?;
        n.mtim = now;
        n.ctim = now;
        Ok(data.len())
    }

    fn set_size(&mut self, file: Ino, size: u64, now: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::Fbig);
        }
        let size = size as usize;
        let bytes = self.file_mut(file)?;
        if size > bytes.len() {
            bytes
                .try_reserve(size - bytes.len())
                .map_err(|_| Errno::Nospc)?;
        }
        bytes.resize(size, 0);
        let n = self.node_mut(file)?;
        n.mtim = now;
        n.ctim = now;
        Ok(())
    }

    fn readlink(&mut self, link: Ino) -> Result<String, Errno> {
        match &self.node(link)?.body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => Err(Errno::Inval),
        }
    }

    fn create_file(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno> {
        self.insert(dir, name, Body::File(Vec::new()), now)
    }

    fn create_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<Ino, Errno> {
        self.insert(
            dir,
            name,
            Body::Dir {
                entries: BTreeMap::new(),
                parent: dir,
            },
            now,
        )
    }

    fn create_symlink(
        &mut self,
        dir: Ino,
        name: &str,
        target: &str,
        now: u64,
    ) -> Result<Ino, Errno> {
        let mut t = String::new();
        t.try_reserve_exact(target.len())
            .map_err(|_| Errno::Nomem)?;
        t.push_str(target);
        self.insert(dir, name, Body::Symlink(t), now)
    }

    fn link(&mut self, target: Ino, dir: Ino, name: &str, now: u64) -> Result<(), Errno> {
        if matches!(self.node(target)?.body, Body::Dir { .. }) {
            return Err(Errno::Perm);
        }
        if self.node(dir)?.links == 0 {
            return Err(Errno::Noent);
        }
        let entries = self.entries_mut(dir)?;
        if entries.contains_key(name) {
            return Err(Errno::Exist);
        }
        entries.insert(String::from(name), target);
        let n = self.node_mut(target)?;
        n.links += 1;
        n.ctim = now;
        self.touch_dir(dir, now);
        Ok(())
    }

    fn unlink(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno> {
        let ino = self.lookup(dir, name)?;
        if matches!(self.node(ino)?.body, Body::Dir { .. }) {
            return Err(Errno::Isdir);
        }
        self.detach(dir, name, now)?;
        self.collect(ino);
        Ok(())
    }

    fn remove_dir(&mut self, dir: Ino, name: &str, now: u64) -> Result<(), Errno> {
        let ino = self.lookup(dir, name)?;
        match &self.node(ino)?.body {
            Body::Dir { entries, .. } if entries.is_empty() => {}
            Body::Dir { .. } => return Err(Errno::Notempty),
            _ => return Err(Errno::Notdir),
        }
        self.detach(dir, name, now)?;
        self.collect(ino);
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
        let ino = self.lookup(from_dir, from_name)?;
        if self.node(to_dir)?.links == 0 {
            return Err(Errno::Noent);
        }
        if let Ok(old) = self.lookup(to_dir, to_name) {
            if old == ino {
                return Ok(());
            }
            self.detach(to_dir, to_name, now)?;
            self.collect(old);
        }
        self.entries_mut(from_dir)?.remove(from_name);
        self.entries_mut(to_dir)?.insert(String::from(to_name), ino);
        let node = self.node_mut(ino)?;
        node.ctim = now;
        if let Body::Dir { parent, .. } = &mut node.body {
            *parent = to_dir;
        }
        self.touch_dir(from_dir, now);
        self.touch_dir(to_dir, now);
        Ok(())
    }

    fn set_times(
        &mut self,
        ino: Ino,
        atim: Option<u64>,
        mtim: Option<u64>,
        now: u64,
    ) -> Result<(), Errno> {
        let n = self.node_mut(ino)?;
        if let Some(t) = atim {
            n.atim = t;
        }
        if let Some(t) = mtim {
            n.mtim = t;
        }
        n.ctim = now;
        Ok(())
    }

    fn open(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens += 1;
        }
    }

    fn close(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens = n.opens.saturating_sub(1);
        }
        self.collect(ino);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlinked_open_file_lives_until_closed() {
        let mut fs = MemFs::new();
        let f = fs.put_file("/a/b.txt", b"hello");
        let a = fs.find("/a").unwrap();
        fs.open(f);
        fs.unlink(a, "b.txt", 1).unwrap();
        let mut buf = [0; 5];
        assert_eq!(fs.read(f, 0, &mut buf), Ok(5));
        assert_eq!(&buf, b"hello");
        let before = fs.node_count();
        fs.close(f);
        assert_eq!(fs.node_count(), before - 1);
        assert_eq!(fs.stat(f), Err(Errno::Noent));
    }

    #[test]
    fn hard_links_share_data_and_count() {
        let mut fs = MemFs::new();
        let f = fs.put_file("/x", b"1");
        fs.link(f, 1, "y", 2).unwrap();
        assert_eq!(fs.stat(f).unwrap().nlink, 2);
        fs.write(f, 1, b"2", 3).unwrap();
        assert_eq!(fs.contents("/y").unwrap(), b"12");
        fs.unlink(1, "x", 4).unwrap();
        assert_eq!(fs.stat(f).unwrap().nlink, 1);
        assert_eq!(fs.link(1, 1, "root", 5), Err(Errno::Perm));
    }

    #[test]
    fn huge_sizes_fail_cleanly() {
        let mut fs = MemFs::new();
        let f = fs.put_file("/f", b"");
        assert_eq!(fs.set_size(f, u64::MAX, 0), Err(Errno::Fbig));
        assert_eq!(fs.write(f, u64::MAX - 1, b"ab", 0), Err(Errno::Fbig));
        assert_eq!(fs.read(f, u64::MAX, &mut [0; 4]), Ok(0));
    }
}
