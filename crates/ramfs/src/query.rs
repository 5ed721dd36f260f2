//! Read-only operations: metadata, contents, listings, walks, totals and completion.

use crate::FsError;
use crate::node::{Data, Fs, Node, NodeKind, ROOT, Result};
use crate::path::{Components, MAX_DEPTH, MAX_PATH_LEN};
use crate::types::{DirEntry, Kind, Metadata, Stats, WalkEntry};
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

    pub fn metadata(&self, path: &str) -> Result<Metadata> {
        let n = self.node(self.lookup(Self::parse(path)?.as_slice())?)?;
        Ok(Metadata {
            kind: match n.kind {
                NodeKind::Dir(_) => Kind::Dir,
                NodeKind::File(_) => Kind::File,
            },
            size: self.size_of(n),
            in_ram: !n.from_initrd,
        })
    }

    /// A file's contents, borrowed from the archive or the heap.
    pub fn read(&self, path: &str) -> Result<&[u8]> {
        match &self.node(self.lookup(Self::parse(path)?.as_slice())?)?.kind {
            NodeKind::File(data) => Ok(data.as_slice()),
            NodeKind::Dir(_) => Err(FsError::IsADirectory),
        }
    }

    /// A directory's entries, sorted by name (bytewise), collected into a `Vec`. To list
    /// a directory of any size without copying it, use [`Fs::entries`].
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry<'_>>> {
        let entries = self.entries(path)?;
        let mut out = Vec::new();
        out.try_reserve_exact(entries.len())
            .map_err(|_| FsError::OutOfMemory)?;
        out.extend(entries);
        Ok(out)
    }

    /// A directory's entries, sorted by name (bytewise), as an iterator that borrows the
    /// tree: nothing is copied or allocated, so a shell can print a directory of any size
    /// entry by entry (`ls`), and stop early. Fails if `path` does not exist or is not a
    /// directory.
    pub fn entries(&self, path: &str) -> Result<Entries<'_, 'a>> {
        let dir = self.lookup(Self::parse(path)?.as_slice())?;
        Ok(Entries {
            fs: self,
            children: self.children(dir)?.iter(),
        })
    }

    /// The listing entry for node `i` under `name`.
    pub(crate) fn dir_entry<'f>(&'f self, name: &'f str, n: &'f Node<'a>) -> DirEntry<'f> {
        DirEntry {
            name,
            kind: if matches!(n.kind, NodeKind::Dir(_)) {
                Kind::Dir
            } else {
                Kind::File
            },
            size: self.size_of(n),
        }
    }

    /// Visits `path` (depth 0) and everything below it in pre-order, children in name
    /// order. Allocates one path buffer.
    pub fn walk(&self, path: &str, mut f: impl FnMut(&WalkEntry<'_>)) -> Result<()> {
        let comps = Self::parse(path)?;
        let start = self.lookup(comps.as_slice())?;
        let mut buf = comps.to_string()?;
        buf.try_reserve(MAX_PATH_LEN.saturating_sub(buf.len()))
            .map_err(|_| FsError::OutOfMemory)?;
        let mut lens = [0usize; MAX_DEPTH + 2];
        if let Some(l) = lens.get_mut(0) {
            *l = if buf == "/" { 0 } else { buf.len() };
        }
        for (i, depth, is_last) in self.preorder(start) {
            let n = self.node(i)?;
            if depth > 0 {
                let base = lens.get(depth - 1).copied().unwrap_or(0);
                buf.truncate(base);
                buf.push('/');
                buf.push_str(&n.name);
                if let Some(l) = lens.get_mut(depth) {
                    *l = buf.len();
                }
            }
            let name = if i == ROOT { "/" } else { n.name.as_str() };
            f(&WalkEntry {
                path: &buf,
                name,
                depth,
                kind: if matches!(n.kind, NodeKind::Dir(_)) {
                    Kind::Dir
                } else {
                    Kind::File
                },
                size: self.size_of(n),
                is_last,
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
        for (i, _, _) in self.preorder(ROOT).skip(1) {
            match self.node(i).map(|n| (&n.kind, n.from_initrd)) {
                Ok((NodeKind::Dir(_), _)) => s.dirs += 1,
                Ok((NodeKind::File(data), from_initrd)) => {
                    s.files += 1;
                    if from_initrd {
                        s.initrd_files += 1;
                    }
                    match data {
                        Data::Borrowed(b) => s.initrd_bytes += b.len(),
                        Data::Owned(v) => s.ram_bytes += v.len(),
                    }
                }
                Err(_) => {}
            }
        }
        s
    }

    /// Tab completion of the path `partial` typed in `cwd`: every entry of the directory
    /// named by `partial` up to its last '/' whose name starts with the rest, as the full
    /// replacement word (the typed directory part kept as typed), directories with a
    /// trailing '/'. Dot-files only when the typed name starts with '.'. Sorted; empty on
    /// any error.
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
        let Ok(children) = dir
            .and_then(|d| self.lookup(d.as_slice()))
            .and_then(|d| self.children(d))
        else {
            return out;
        };
        let start = children.partition_point(|&c| self.name_of(c) < prefix);
        for &c in children.get(start..).unwrap_or(&[]) {
            let name = self.name_of(c);
            if !name.starts_with(prefix) {
                break;
            }
            if name.starts_with('.') && !prefix.starts_with('.') {
                continue;
            }
            let slash = if self.is_dir(c) { "/" } else { "" };
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

/// The entries of one directory, in name order: see [`Fs::entries`].
#[derive(Debug, Clone)]
pub struct Entries<'f, 'a> {
    fs: &'f Fs<'a>,
    children: core::slice::Iter<'f, usize>,
}

impl<'f> Iterator for Entries<'f, '_> {
    type Item = DirEntry<'f>;

    fn next(&mut self) -> Option<DirEntry<'f>> {
        // A child index that is not a node would be a bug; skip it rather than panic.
        self.children.find_map(|&c| {
            let n = self.fs.node(c).ok()?;
            Some(self.fs.dir_entry(&n.name, n))
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.children.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_, '_> {}
