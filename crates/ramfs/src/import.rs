//! Building the tree from the initrd's tar archive (see the crate docs for the strategy).
//! The archive readers live in `archive.rs`; this module turns their entries into nodes
//! that borrow file contents and link targets from the archive. Entries are appended in
//! archive order, found through `import_index.rs` meanwhile, and each directory is sorted
//! once at the end.
//!
//! Archive entries are applied as extracting them in order would, except that nothing in
//! the archive is followed through a symbolic link: an entry whose path runs through a
//! link (or a file) where a directory is needed is a conflict, so an archive can never
//! place anything outside the directory it describes. A hard link names an earlier
//! entry (its path is read from the archive's root, also without following links); one
//! whose target is missing or a directory is skipped and counted.

use crate::FsError;
use crate::Warning;
use crate::archive::{self, Assembler, Damage, End, Item};
use crate::import_index::ImportIndex;
use crate::node::{Body, Data, Dir, Fs, NIL, Node, ROOT, Result, Text};
use crate::path::{Components, MAX_PATH_LEN};

/// Outcome of adding one archive entry.
enum Added {
    Ok,
    Conflict,
}

/// What an entry adds at its path.
enum New<'a> {
    Dir,
    /// A new file or symbolic link.
    Node(Body<'a>),
    /// Another name for this node.
    Link(usize),
}

/// Seconds to the nanoseconds the tree stores.
fn nanos(secs: u64) -> u64 {
    secs.saturating_mul(1_000_000_000)
}

impl<'a> Fs<'a> {
    /// Indexes a tar archive. Always returns a usable tree; the warning (one line when
    /// displayed) says what could not be served. See the crate docs for the strategy.
    pub fn from_tar(bytes: &'a [u8]) -> (Self, Option<Warning>) {
        let mut fs = Self::new();
        fs.archive_bytes = bytes.len();
        let mut warning = Warning::default();
        let mut asm = Assembler::default();
        let mut index = ImportIndex::default();
        if index.reserve(&fs, ROOT).is_ok() {
            index.new_tree(ROOT);
        }
        let mut sink = |h: archive::Header<'a>| -> bool {
            let Some(item) = asm.feed(h) else {
                return true;
            };
            fs.add_item(&mut index, item, &mut warning)
        };
        let end = match archive::read_tar_no_std(bytes, &mut sink) {
            Some(end) => end,
            None => archive::walk_blocks(bytes, &mut sink),
        };
        #[cfg(test)]
        assert!(crate::import_index::height_bound_holds(&index));
        drop(index);
        fs.sort_all_entries();
        warning.damage = match end {
            End::Clean => None,
            End::Stopped(offset) => Some((offset, Damage::OutOfMemory)),
            End::Damaged(offset, damage) => Some((offset, damage)),
        };
        let stats = fs.stats();
        warning.files = stats.files;
        warning.dirs = stats.dirs;
        warning.symlinks = stats.symlinks;
        let warning = warning.is_needed().then_some(warning);
        (fs, warning)
    }

    /// Adds one archive item. Returns `false` to stop indexing (out of memory).
    fn add_item(&mut self, index: &mut ImportIndex, item: Item<'a>, warning: &mut Warning) -> bool {
        let (path, new, mtime) = match item {
            Item::Skipped => {
                warning.skipped += 1;
                return true;
            }
            Item::File { path, data, mtime } => {
                (path, New::Node(Body::File(Data::Borrowed(data))), mtime)
            }
            Item::Dir { path, mtime } => (path, New::Dir, mtime),
            Item::Symlink {
                path,
                target: Some(target),
                mtime,
            } if !target.is_empty() && target.len() <= MAX_PATH_LEN && !target.contains('\0') => (
                path,
                New::Node(Body::Symlink(Text::Borrowed(target))),
                mtime,
            ),
            Item::Symlink { .. } => {
                warning.bad_names += 1;
                return true;
            }
            Item::HardLink { path, target } => {
                let mut comps = Components::root();
                let found = match normalize(&mut comps, target) {
                    Some(()) => self.find_archived(index, comps.as_slice()),
                    None => Ok(None),
                };
                match found {
                    Ok(Some(node)) if !self.is_dir(node) => (path, New::Link(node), 0),
                    Ok(_) => {
                        warning.broken_links += 1;
                        return true;
                    }
                    Err(_) => return false,
                }
            }
        };
        let mut comps = Components::root();
        if normalize(&mut comps, path).is_none() {
            warning.bad_names += 1;
            return true;
        }
        match self.add_archive_node(index, comps.as_slice(), new, nanos(mtime)) {
            Ok(Added::Ok) => true,
            Ok(Added::Conflict) => {
                warning.conflicts += 1;
                true
            }
            // A path within the limits whose node would still be too deep or long (it
            // runs through a hard link's directory): a bad name. Anything else is out of
            // memory (or no root at all): stop.
            Err(FsError::TooDeep | FsError::NameTooLong) => {
                warning.bad_names += 1;
                true
            }
            Err(_) => false,
        }
    }

    /// The node at `comps` as the archive has built it so far (links not followed).
    fn find_archived(&self, index: &ImportIndex, comps: &[&str]) -> Result<Option<usize>> {
        let mut cur = ROOT;
        for &name in comps {
            if !self.is_dir(cur) {
                return Ok(None);
            }
            match index.find(self, cur, name)? {
                Some((_, c)) => cur = c,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    fn add_archive_node(
        &mut self,
        index: &mut ImportIndex,
        comps: &[&str],
        new: New<'a>,
        mtime: u64,
    ) -> Result<Added> {
        let (dirs, last) = match (&new, comps.split_last()) {
            (New::Dir, _) => (comps, None),
            (_, Some((last, dirs))) => (dirs, Some(*last)),
            (_, None) => return Ok(Added::Conflict), // a file named "/"
        };
        let mut cur = ROOT;
        for &name in dirs {
            cur = match index.find(self, cur, name)? {
                Some((_, c)) if self.is_dir(c) => c,
                Some(_) => return Ok(Added::Conflict),
                None => {
                    let dir = Node::new(Body::Dir(Dir::new(NIL, 0)), true, 0);
                    self.add_child(index, cur, name, dir)?
                }
            };
        }
        let Some(name) = last else {
            // A directory entry: it exists now; give it the archive's time.
            if let Ok(n) = self.node_mut(cur) {
                (n.atime, n.mtime, n.ctime) = (mtime, mtime, mtime);
            }
            return Ok(Added::Ok);
        };
        let existing = index.find(self, cur, name)?;
        match (existing, new) {
            (_, New::Dir) => Ok(Added::Ok), // handled above
            (Some((_, c)), _) if self.is_dir(c) => Ok(Added::Conflict),
            // A later entry for the same path wins, as when extracting.
            (Some((pos, _)), New::Node(body)) => {
                let node = self.store_node(Node::new(body, true, mtime))?;
                self.set_entry_node(cur, pos, node)?;
                Ok(Added::Ok)
            }
            (Some((pos, _)), New::Link(node)) => {
                self.set_entry_node(cur, pos, node)?;
                Ok(Added::Ok)
            }
            (None, New::Node(body)) => {
                self.add_child(index, cur, name, Node::new(body, true, mtime))?;
                Ok(Added::Ok)
            }
            (None, New::Link(node)) => {
                index.reserve(self, cur)?;
                self.push_link(cur, name, node)?;
                index.add_last(self, cur);
                Ok(Added::Ok)
            }
        }
    }

    /// Appends a new child to `dir` and indexes it.
    fn add_child(
        &mut self,
        index: &mut ImportIndex,
        dir: usize,
        name: &str,
        node: Node<'a>,
    ) -> Result<usize> {
        index.reserve(self, dir)?;
        let c = self.push_node(dir, name, node)?;
        index.add_last(self, dir);
        Ok(c)
    }
}

/// Reads an archive path into `comps` (the same rules as run-time paths); `None` if it
/// breaks them or is not UTF-8.
fn normalize<'p>(comps: &mut Components<'p>, path: archive::Path<'p>) -> Option<()> {
    let (prefix, name) = path.0?;
    if name.is_empty() {
        return None;
    }
    comps.push_path(prefix).ok()?;
    comps.push_path(name).ok()
}
