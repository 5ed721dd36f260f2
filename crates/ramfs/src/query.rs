//! Read-only operations: metadata, contents, listings, walks, totals and completion.

use crate::FsError;
use crate::node::{Body, Data, Entry, Fs, Node, ROOT, Result, Slot, oom};
use crate::path::{Components, MAX_DEPTH, MAX_PATH_LEN};
use crate::resolve::Scope;
use crate::types::{DirEntry, Kind, Metadata, NodeId, Stats, WalkEntry};
use alloc::string::String;
use alloc::vec::Vec;

impl<'a> Fs<'a> {
    /// Normalizes `path` against `cwd` into an absolute path string (`/`, `/a/b`).
    /// Purely lexical: the path need not exist.
    pub fn resolve(&self, cwd: &str, path: &str) -> Result<String> {
        Components::parse(cwd, path)?.to_string()
    }

    /// Whether anything exists at `path`.
    pub fn exists(&self, path: &str) -> bool {
        Self::parse(path)
            .and_then(|c| self.lookup(c.as_slice()))
            .is_ok()
    }

    /// Metadata of what `path` names, following symbolic links (`stat`).
    pub fn metadata(&self, path: &str) -> Result<Metadata> {
        self.metadata_of(self.lookup(Self::parse(path)?.as_slice())?)
    }

    /// Metadata of what `path` names; a symbolic link in the last component is described
    /// itself, not followed (`lstat`).
    pub fn symlink_metadata(&self, path: &str) -> Result<Metadata> {
        self.metadata_of(self.lookup_nofollow(Self::parse(path)?.as_slice())?)
    }

    pub(crate) fn metadata_of(&self, i: usize) -> Result<Metadata> {
        let n = self.node(i)?;
        Ok(Metadata {
            kind: kind_of(n),
            size: n.size(),
            in_ram: !n.from_initrd,
            ino: n.ino,
            nlink: n.nlink,
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
        })
    }

    /// The target of the symbolic link at `path` (`readlink`); `InvalidArgument` for
    /// anything else.
    pub fn read_link_path(&self, path: &str) -> Result<&str> {
        let i = self.lookup_nofollow(Self::parse(path)?.as_slice())?;
        self.node(i)?
            .symlink_target()
            .ok_or(FsError::InvalidArgument)
    }

    /// A file's contents, borrowed from the archive or the heap.
    pub fn read(&self, path: &str) -> Result<&[u8]> {
        self.file_data(self.lookup(Self::parse(path)?.as_slice())?)
    }

    /// A directory's entries, sorted by name (bytewise), collected into a `Vec`. To list
    /// a directory of any size without copying it, use [`Fs::entries`].
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry<'_>>> {
        let entries = self.entries(path)?;
        let mut out = Vec::new();
        out.try_reserve_exact(entries.len()).map_err(oom)?;
        out.extend(entries);
        Ok(out)
    }

    /// A directory's entries, sorted by name (bytewise), as an iterator that borrows the
    /// tree: nothing is copied or allocated, so a shell can print a directory of any size
    /// entry by entry (`ls`), and stop early. Fails if `path` does not exist or is not a
    /// directory.
    pub fn entries(&self, path: &str) -> Result<Entries<'_, 'a>> {
        self.entries_iter(self.lookup(Self::parse(path)?.as_slice())?)
    }

    pub(crate) fn entries_iter(&self, dir: usize) -> Result<Entries<'_, 'a>> {
        Ok(Entries {
            fs: self,
            entries: self.entries_of(dir)?.iter(),
        })
    }

    /// Visits `path` (depth 0, a link there followed) and everything below it in
    /// pre-order, children in name order; links below are reported, not followed.
    /// Allocates one path buffer.
    pub fn walk(&self, path: &str, mut f: impl FnMut(&WalkEntry<'_>)) -> Result<()> {
        let comps = Self::parse(path)?;
        let start = self.lookup(comps.as_slice())?;
        let mut buf = comps.to_string()?;
        buf.try_reserve(MAX_PATH_LEN.saturating_sub(buf.len()))
            .map_err(oom)?;
        let start_name = comps.split_last().map_or("/", |(name, _)| name);
        let mut lens = [0usize; MAX_DEPTH + 2];
        if let Some(l) = lens.get_mut(0) {
            *l = if buf == "/" { 0 } else { buf.len() };
        }
        for step in self.preorder(start) {
            let n = self.node(step.node)?;
            let name = if step.depth == 0 {
                start_name
            } else {
                let base = lens.get(step.depth - 1).copied().unwrap_or(0);
                buf.truncate(base);
                buf.push('/');
                buf.push_str(step.name);
                if let Some(l) = lens.get_mut(step.depth) {
                    *l = buf.len();
                }
                step.name
            };
            f(&WalkEntry {
                path: &buf,
                name,
                depth: step.depth,
                kind: kind_of(n),
                size: n.size(),
                is_last: step.is_last,
            });
        }
        Ok(())
    }

    /// Totals over the whole tree.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            archive_bytes: self.archive_bytes,
            ..Stats::default()
        };
        for (i, slot) in self.slots.iter().enumerate() {
            let Slot::Used(n) = slot else { continue };
            match &n.body {
                Body::Dir(_) if i == ROOT => {}
                Body::Dir(_) => s.dirs += 1,
                Body::Symlink(_) => s.symlinks += 1,
                Body::File(data) => {
                    s.files += 1;
                    if n.from_initrd {
                        s.initrd_files += 1;
                    }
                    match data {
                        Data::Borrowed(b) => s.initrd_bytes += b.len(),
                        Data::Owned(v) => s.ram_bytes += v.len(),
                    }
                }
            }
        }
        s
    }

    /// Tab completion of the path `partial` typed in `cwd`: every entry of the directory
    /// named by `partial` up to its last '/' whose name starts with the rest, as the full
    /// replacement word (the typed directory part kept as typed), directories with a
    /// trailing '/' (also links to directories). Dot-files only when the typed name starts
    /// with '.'. Sorted; empty on any error.
    pub fn complete(&self, cwd: &str, partial: &str) -> Vec<String> {
        let mut out = Vec::new();
        let (dir_part, prefix) = match partial.rfind('/') {
            Some(i) => partial.split_at(i + 1),
            None => ("", partial),
        };
        let dir = if dir_part.is_empty() {
            let mut c = Components::root();
            c.push_path(cwd).map(|()| c)
        } else {
            Components::parse(cwd, dir_part)
        };
        let Ok(dir) = dir.and_then(|d| self.lookup(d.as_slice())) else {
            return out;
        };
        let Ok(entries) = self.entries_of(dir) else {
            return out;
        };
        let start = entries.partition_point(|e| e.name.as_str() < prefix);
        for e in entries.get(start..).unwrap_or(&[]) {
            let name = e.name.as_str();
            if !name.starts_with(prefix) {
                break;
            }
            if name.starts_with('.') && !prefix.starts_with('.') {
                continue;
            }
            let is_dir = match self.node(e.node).map(|n| n.symlink_target().is_some()) {
                Ok(true) => self
                    .resolve_path(Scope::WHOLE, dir, name, true, &mut 0)
                    .is_ok_and(|n| self.is_dir(n)),
                _ => self.is_dir(e.node),
            };
            let slash = if is_dir { "/" } else { "" };
            let mut s = String::new();
            if s.try_reserve_exact(dir_part.len() + name.len() + slash.len())
                .is_err()
                || out.try_reserve(1).is_err()
            {
                return out;
            }
            s.push_str(dir_part);
            s.push_str(name);
            s.push_str(slash);
            out.push(s);
        }
        out
    }
}

pub(crate) fn kind_of(n: &Node<'_>) -> Kind {
    match n.body {
        Body::Dir(_) => Kind::Dir,
        Body::File(_) => Kind::File,
        Body::Symlink(_) => Kind::Symlink,
    }
}

/// The entries of one directory, in name order: see [`Fs::entries`].
#[derive(Debug, Clone)]
pub struct Entries<'f, 'a> {
    fs: &'f Fs<'a>,
    entries: core::slice::Iter<'f, Entry>,
}

impl<'f> Iterator for Entries<'f, '_> {
    type Item = DirEntry<'f>;

    fn next(&mut self) -> Option<DirEntry<'f>> {
        // An entry naming a free slot would be a bug; skip it rather than panic.
        self.entries.find_map(|e| {
            let n = self.fs.node(e.node).ok()?;
            Some(DirEntry {
                name: &e.name,
                kind: kind_of(n),
                size: n.size(),
                node: NodeId {
                    slot: e.node,
                    ino: n.ino,
                },
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_, '_> {}
