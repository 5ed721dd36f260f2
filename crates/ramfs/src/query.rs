//! Read-only operations: metadata, contents, listings, walks, totals and completion.

use crate::FsError;
use crate::node::{Body, Data, Entry, Fs, Node, ROOT, Result, Slot, oom};
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
            kind: kind_of(n),
            size: n.size(),
            in_ram: !n.from_initrd,
        })
    }

    /// A file's contents, borrowed from the archive or the heap.
    pub fn read(&self, path: &str) -> Result<&[u8]> {
        match &self.node(self.lookup(Self::parse(path)?.as_slice())?)?.body {
            Body::File(data) => Ok(data.as_slice()),
            Body::Dir(_) => Err(FsError::IsADirectory),
        }
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
        let dir = self.lookup(Self::parse(path)?.as_slice())?;
        Ok(Entries {
            fs: self,
            entries: self.entries_of(dir)?.iter(),
        })
    }

    /// Visits `path` (depth 0) and everything below it in pre-order, children in name
    /// order. Allocates one path buffer.
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
        let Ok(entries) = dir
            .and_then(|d| self.lookup(d.as_slice()))
            .and_then(|d| self.entries_of(d))
        else {
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
            let slash = if self.is_dir(e.node) { "/" } else { "" };
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
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_, '_> {}
