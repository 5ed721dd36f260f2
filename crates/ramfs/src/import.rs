//! Building the tree from the initrd's tar archive (see the crate docs for the strategy).
//! The archive readers live in `archive.rs`; this module turns their entries into nodes
//! that borrow file contents from the archive. Children are appended in archive order,
//! found through `import_index.rs` meanwhile, and each directory is sorted once at the end.

use crate::Warning;
use crate::archive::{self, Assembler, Damage, End, Item};
use crate::import_index::ImportIndex;
use crate::node::{Body, Data, Dir, Fs, NIL, ROOT, Result};
use crate::path::Components;

/// Outcome of adding one archive entry.
enum Added {
    Ok,
    Conflict,
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
            match asm.feed(h) {
                None => true,
                Some(Item::Skipped) => {
                    warning.skipped += 1;
                    true
                }
                Some(Item::File { path, data }) => {
                    fs.add_entry(&mut index, path, Some(data), &mut warning)
                }
                Some(Item::Dir { path }) => fs.add_entry(&mut index, path, None, &mut warning),
            }
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
        let warning = warning.is_needed().then_some(warning);
        (fs, warning)
    }

    /// Adds one archive entry (`data` is `None` for a directory). Returns `false` to stop
    /// indexing (out of memory).
    fn add_entry(
        &mut self,
        index: &mut ImportIndex,
        path: archive::Path<'a>,
        data: Option<&'a [u8]>,
        warning: &mut Warning,
    ) -> bool {
        let Some((prefix, name)) = path.0 else {
            warning.bad_names += 1;
            return true;
        };
        let mut comps = Components::root();
        if name.is_empty() || comps.push_path(prefix).and(comps.push_path(name)).is_err() {
            warning.bad_names += 1;
            return true;
        }
        match self.add_archive_node(index, comps.as_slice(), data) {
            Ok(Added::Ok) => true,
            Ok(Added::Conflict) => {
                warning.conflicts += 1;
                true
            }
            Err(_) => false,
        }
    }

    fn add_archive_node(
        &mut self,
        index: &mut ImportIndex,
        comps: &[&str],
        data: Option<&'a [u8]>,
    ) -> Result<Added> {
        let (dirs, last) = match (data, comps.split_last()) {
            (Some(_), Some((last, dirs))) => (dirs, Some(*last)),
            (Some(_), None) => return Ok(Added::Conflict), // a file named "/"
            (None, _) => (comps, None),
        };
        let mut cur = ROOT;
        for &name in dirs {
            cur = match index.find(self, cur, name)? {
                Some(c) if self.is_dir(c) => c,
                Some(_) => return Ok(Added::Conflict),
                None => self.add_child(index, cur, name, Body::Dir(Dir::new(NIL, 0)))?,
            };
        }
        let (Some(name), Some(data)) = (last, data) else {
            return Ok(Added::Ok);
        };
        match index.find(self, cur, name)? {
            Some(c) => {
                let node = self.node_mut(c)?;
                if let Body::File(d) = &mut node.body {
                    // A later entry for the same path wins, as when extracting.
                    *d = Data::Borrowed(data);
                    node.from_initrd = true;
                    Ok(Added::Ok)
                } else {
                    Ok(Added::Conflict)
                }
            }
            None => {
                self.add_child(index, cur, name, Body::File(Data::Borrowed(data)))?;
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
        body: Body<'a>,
    ) -> Result<usize> {
        index.reserve(self, dir)?;
        let c = self.push_new(dir, name, body, true)?;
        index.add_last(self, dir);
        Ok(c)
    }
}
