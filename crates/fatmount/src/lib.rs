//! FAT volumes in the RAM file tree: a mounted FAT file system is copied into a ramfs
//! subtree (`/mnt/NAME`), every file command works on it unchanged, and [`Mount::sync`]
//! writes what changed back to the disk.
//!
//! Why a write-back mirror rather than routing each path to the FAT driver: every shell
//! command, redirection, tab completion and WASI call already speaks ramfs's API (whose
//! reads borrow from the tree), so mirroring gives mounted files exactly the behaviour of
//! RAM files with no change above. The price: a volume's files must fit in memory (the
//! load stops with "no space left" otherwise). The kernel syncs after every shell command
//! (cheaply: only files whose `ctime` moved are read), so a write error or a full disk is
//! reported right after the command that caused it; `umount`, `shutdown` and `reboot`
//! sync too. Files the RAM copy changed get its modification time on the disk.
//!
//! The FAT driver is the `hadris-fat` crate. Compared (for `no_std` + alloc, FAT12/16/32,
//! long names, writing):
//! - `fatfs` 0.3 (the long-standing choice): its `no_std` mode needs the `core_io` crate,
//!   which builds only on a years-old nightly; 0.4 with its own I/O traits is unreleased;
//! - `embedded-sdmmc`: FAT16/32 only (no FAT12), creates 8.3 names only;
//! - `hadris-fat`: FAT12/16/32 read and write, long names, a block-device trait, a
//!   read-only checker for broken, cyclic and cross-linked chains (used before mounting),
//!   `no_std` with alloc. Chosen.
//!
//! Hostile volumes: [`Mount::open`] runs the checker first; a volume with findings is
//! mounted read-only with a warning, one that does not parse is refused. Loading is
//! bounded anyway (entries per directory, depth, total entries, bytes per file), so even a
//! damage the checker missed cannot make it loop.

#![no_std]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use hadris_fat::sync::FatFs;
/// The wall clock a mount stamps new entries with (the caller's).
pub use hadris_fs::{Clock, DateTime, NoClock};
use hadris_fs::{DirCursor, FileType, MountOptions, Name, NodeId, OpenMode, Resolve, SetAttr};
use hadris_storage::sync::BlockDevice;
use ramfs::{Fs, Kind, SetTime};

#[cfg(test)]
mod tests;

/// Entries read from one directory at most (FAT allows 65536 slots).
pub const MAX_DIR_ENTRIES: usize = 65_536;
/// Entries loaded from a volume at most.
pub const MAX_ENTRIES: usize = 200_000;
/// Directory depth followed at most.
pub const MAX_DEPTH: usize = 32;
/// Bytes moved per read or write call.
const CHUNK: usize = 64 * 1024;

/// A mounted FAT volume and what the RAM tree held when it was last in step with it.
pub struct Mount<D: BlockDevice> {
    fs: FatFs<D>,
    /// Where in the RAM tree it is mounted (absolute, no trailing slash).
    pub at: String,
    /// Mounted read-only (the device refuses writes, or the checker found damage).
    pub read_only: bool,
    /// Path below `at` -> contents hash (`None` for a directory) as last loaded or synced.
    known: BTreeMap<String, Option<u64>>,
    /// Path below `at` -> the RAM file's `ctime` when its hash was taken: a file whose
    /// `ctime` has not moved since is not read again (the kernel's clock counts
    /// nanoseconds, so two changes never share a stamp; 0 means no clock, always read).
    stamps: BTreeMap<String, u64>,
}

/// What a sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub written: usize,
    pub created_dirs: usize,
    pub removed: usize,
    pub bytes: u64,
    /// Things FAT cannot hold (symbolic links), skipped.
    pub skipped: Vec<String>,
}

/// A FAT time as the RAM tree's nanoseconds since 1970 (`None` before 1970).
fn unix_ns(t: DateTime) -> Option<u64> {
    let s = u64::try_from(t.unix_seconds()).ok()?;
    s.checked_mul(1_000_000_000)?
        .checked_add(u64::from(t.nanoseconds()))
}

/// The RAM tree's nanoseconds since 1970 as a time to store (`None` before 1980, which FAT
/// cannot hold).
fn date_time(ns: u64) -> Option<DateTime> {
    const FAT_EPOCH: i64 = 315_532_800;
    let s = i64::try_from(ns / 1_000_000_000).ok()?;
    if s < FAT_EPOCH {
        return None;
    }
    DateTime::new(s, (ns % 1_000_000_000) as u32).ok()
}

/// 64-bit FNV-1a: tells changed files from unchanged ones.
fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn err<E>(what: &str, e: hadris_io::Error<E>) -> String {
    format!("{what}: {e}")
}

/// Splits `a/b/c` into (`a/b`, `c`).
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

impl<D: BlockDevice> Mount<D> {
    /// Checks and mounts the FAT volume on `dev`; `clock` stamps the times of entries it
    /// creates. Returns the mount and its warnings, or why it was refused.
    pub fn open(
        mut dev: D,
        at: &str,
        clock: &'static dyn Clock,
    ) -> Result<(Self, Vec<String>), String> {
        let mut warnings = Vec::new();
        let mut scratch = vec![0u8; 256 * 1024];
        let mut findings: Vec<String> = Vec::new();
        let checked = hadris_fat::sync::check(&mut dev, &mut scratch, |f| {
            if findings.len() < 4 {
                findings.push(f.to_string());
            }
        });
        drop(scratch);
        let mut read_only = !dev.writable();
        match checked {
            Ok(report) if report.is_clean() => {}
            Ok(report) => {
                read_only = true;
                warnings.push(format!(
                    "file system damaged ({} findings, e.g. {}): mounted read-only",
                    report.findings(),
                    findings.join("; ")
                ));
            }
            Err(e) => return Err(err("not a usable FAT file system", e)),
        }
        let options = if read_only {
            MountOptions::new().read_only()
        } else {
            MountOptions::new()
        }
        .with_clock(clock);
        let fs = FatFs::mount(dev, options).map_err(|e| err("mount", e.into_error()))?;
        let at = at.trim_end_matches('/').to_string();
        Ok((
            Self {
                fs,
                at,
                read_only,
                known: BTreeMap::new(),
                stamps: BTreeMap::new(),
            },
            warnings,
        ))
    }

    /// Capacity and free bytes of the volume.
    pub fn space(&mut self) -> Option<(u64, u64)> {
        let s = self.fs.statfs().ok()?;
        Some((
            s.total_blocks() * u64::from(s.block_size()),
            s.free_blocks() * u64::from(s.block_size()),
        ))
    }

    /// Copies the whole volume into `ram` under `self.at` (created if missing). Returns
    /// warnings (entries skipped); an error (e.g. "no space left") leaves a partial copy
    /// that the caller removes.
    pub fn load(&mut self, ram: &mut Fs<'_>) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        ram.mkdir_all(&self.at)
            .map_err(|e| format!("{}: {e}", self.at))?;
        let root = self.fs.root();
        let mut stack: Vec<(NodeId, String, usize, bool)> = vec![(root, String::new(), 0, false)];
        let mut total = 0usize;
        let mut buf = vec![0u8; CHUNK];
        while let Some((dir, rel, depth, pinned)) = stack.pop() {
            let mut cursor = DirCursor::START;
            for _ in 0..MAX_DIR_ENTRIES {
                let entry = match self.fs.readdir(dir, cursor) {
                    Ok(Some(e)) => e,
                    Ok(None) => break,
                    Err(e) => {
                        warnings.push(err(&format!("/{rel}: directory unreadable"), e));
                        break;
                    }
                };
                cursor = entry.next_cursor();
                let Ok(name) = entry.name().to_str() else {
                    warnings.push(format!("/{rel}: a name that is not UTF-8 skipped"));
                    continue;
                };
                if name == "." || name == ".." || name.contains('/') || name.is_empty() {
                    continue;
                }
                total += 1;
                if total > MAX_ENTRIES {
                    warnings.push(format!(
                        "more than {MAX_ENTRIES} entries: the rest not loaded"
                    ));
                    stack.clear();
                    break;
                }
                let child_rel = if rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel}/{name}")
                };
                let path = format!("{}/{child_rel}", self.at);
                match entry.file_type() {
                    FileType::Dir if depth + 1 < MAX_DEPTH => {
                        ram.mkdir_all(&path).map_err(|e| format!("{path}: {e}"))?;
                        self.known.insert(child_rel.clone(), None);
                        match self.fs.lookup(dir, entry.name()) {
                            Ok(node) => stack.push((node, child_rel, depth + 1, true)),
                            Err(e) => warnings.push(err(&path, e)),
                        }
                    }
                    FileType::Dir => warnings.push(format!(
                        "{path}: deeper than {MAX_DEPTH} levels, not loaded"
                    )),
                    FileType::File => {
                        let size = entry.metadata().len();
                        let data = match self.read_file(dir, entry.name(), size, &mut buf) {
                            Ok(d) => d,
                            Err(e) => {
                                warnings.push(format!("{path}: {e}"));
                                continue;
                            }
                        };
                        ram.write(&path, &data)
                            .map_err(|e| format!("{path}: {e}"))?;
                        if let Some(ns) = entry.metadata().modified().and_then(unix_ns)
                            && let Ok(node) = ram.node_at(&path)
                        {
                            let _ = ram.set_times(node, SetTime::To(ns), SetTime::To(ns));
                        }
                        if let Ok(m) = ram.metadata(&path) {
                            self.stamps.insert(child_rel.clone(), m.ctime);
                        }
                        self.known.insert(child_rel, Some(hash(&data)));
                    }
                    _ => warnings.push(format!("{path}: not a file or directory, skipped")),
                }
            }
            if pinned {
                self.fs.forget(dir, 1);
            }
        }
        Ok(warnings)
    }

    /// Reads a whole file of `size` bytes (as its directory entry says), bounded by it.
    fn read_file(
        &mut self,
        dir: NodeId,
        name: &Name,
        size: u64,
        buf: &mut [u8],
    ) -> Result<Vec<u8>, String> {
        let len = usize::try_from(size).map_err(|_| "file too large".to_string())?;
        let mut data = Vec::new();
        data.try_reserve_exact(len)
            .map_err(|_| "out of memory".to_string())?;
        let node = self.fs.lookup(dir, name).map_err(|e| err("lookup", e))?;
        let result = (|| {
            self.fs
                .open(node, OpenMode::Read)
                .map_err(|e| err("open", e))?;
            while data.len() < len {
                let want = (len - data.len()).min(buf.len());
                let n = match self.fs.read(node, data.len() as u64, &mut buf[..want]) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = self.fs.close(node);
                        return Err(err("read", e));
                    }
                };
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n.min(want)]);
            }
            self.fs.close(node).map_err(|e| err("close", e))?;
            if data.len() < len {
                return Err(format!(
                    "shorter than its size ({} of {len} bytes): truncated",
                    data.len()
                ));
            }
            Ok(())
        })();
        self.fs.forget(node, 1);
        match result {
            Ok(()) => Ok(data),
            // A file whose chain ends early is still worth having, with the warning.
            Err(e) if e.contains("truncated") => Ok(data),
            Err(e) => Err(e),
        }
    }

    /// Writes every change of the RAM subtree since the last load or sync to the volume,
    /// then flushes the device.
    pub fn sync(&mut self, ram: &Fs<'_>) -> Result<SyncReport, String> {
        let mut report = SyncReport::default();
        // What the RAM tree holds now, and the stamps of the files hashed for that.
        let mut now: BTreeMap<String, Option<u64>> = BTreeMap::new();
        let mut stamps: Vec<(String, u64)> = Vec::new();
        let prefix_len = self.at.len() + 1;
        let mut walk_err = None;
        ram.walk(&self.at, |e| {
            if e.depth == 0 {
                return;
            }
            let rel = e.path.get(prefix_len..).unwrap_or("").to_string();
            match e.kind {
                Kind::Dir => {
                    now.insert(rel, None);
                }
                Kind::File => {
                    let ctime = ram.metadata(e.path).map_or(0, |m| m.ctime);
                    let same = ctime != 0 && self.stamps.get(&rel) == Some(&ctime);
                    match self.known.get(&rel) {
                        Some(&Some(h)) if same => {
                            now.insert(rel, Some(h));
                        }
                        _ => match ram.read(e.path) {
                            Ok(data) => {
                                stamps.push((rel.clone(), ctime));
                                now.insert(rel, Some(hash(data)));
                            }
                            Err(err) => walk_err = Some(format!("{}: {err}", e.path)),
                        },
                    }
                }
                Kind::Symlink => report.skipped.push(e.path.to_string()),
            }
        })
        .map_err(|e| format!("{}: {e}", self.at))?;
        if let Some(e) = walk_err {
            return Err(e);
        }
        let changed = now != self.known;
        if changed && self.read_only {
            return Err("read-only file system: changes not written".to_string());
        }
        // Removed, or changed kind: deepest first, so directories are empty when removed.
        let mut gone: Vec<(&String, bool)> = self
            .known
            .iter()
            .filter(|(p, h)| now.get(*p).is_none_or(|n| n.is_some() != h.is_some()))
            .map(|(p, h)| (p, h.is_none()))
            .collect();
        gone.sort_by_key(|(p, _)| core::cmp::Reverse(p.matches('/').count()));
        let gone: Vec<(String, bool)> = gone.into_iter().map(|(p, d)| (p.clone(), d)).collect();
        for (rel, is_dir) in &gone {
            let (parent, name) = split(rel);
            let dir = self.resolve(parent)?;
            let r = if *is_dir {
                self.fs.rmdir(dir, Name::new(name))
            } else {
                self.fs.unlink(dir, Name::new(name))
            };
            self.unpin(dir);
            match r {
                Ok(()) => report.removed += 1,
                // Already gone with its parent, or never there: nothing to do.
                Err(e) if e.kind() == hadris_io::ErrorKind::NotFound => {}
                Err(e) => return Err(err(&format!("{}/{rel}", self.at), e)),
            }
            self.known.remove(rel);
        }
        // New directories, shallowest first (BTreeMap order puts parents first), then files.
        for (rel, h) in &now {
            if h.is_none() && !self.known.contains_key(rel) {
                let (parent, name) = split(rel);
                let dir = self.resolve(parent)?;
                let r = self.fs.mkdir(dir, Name::new(name), &SetAttr::new());
                self.unpin(dir);
                let node = r.map_err(|e| err(&format!("{}/{rel}", self.at), e))?;
                self.fs.forget(node, 1);
                report.created_dirs += 1;
                self.known.insert(rel.clone(), None);
            }
        }
        for (rel, h) in &now {
            if h.is_some() && self.known.get(rel) != Some(h) {
                let path = format!("{}/{rel}", self.at);
                let data = ram.read(&path).map_err(|e| format!("{path}: {e}"))?;
                let mtime = ram.metadata(&path).ok().and_then(|m| date_time(m.mtime));
                self.write_file(rel, data, mtime)
                    .map_err(|e| format!("{path}: {e}"))?;
                report.written += 1;
                report.bytes += data.len() as u64;
                self.known.insert(rel.clone(), *h);
            }
        }
        for (rel, ctime) in stamps {
            if self.known.get(&rel) == now.get(&rel) {
                self.stamps.insert(rel, ctime);
            }
        }
        let known = &self.known;
        self.stamps.retain(|rel, _| known.contains_key(rel));
        self.fs.sync().map_err(|e| err("flush", e))?;
        Ok(report)
    }

    /// Replaces (or creates) the file `rel` with `data`, modified at `mtime` (when the RAM
    /// copy was last changed; the clock's time when unknown).
    fn write_file(
        &mut self,
        rel: &str,
        data: &[u8],
        mtime: Option<DateTime>,
    ) -> Result<(), String> {
        let (parent, name) = split(rel);
        let dir = self.resolve(parent)?;
        let node = match self.fs.lookup(dir, Name::new(name)) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == hadris_io::ErrorKind::NotFound => {
                self.fs.create(dir, Name::new(name), &SetAttr::new())
            }
            Err(e) => Err(e),
        };
        self.unpin(dir);
        let node = node.map_err(|e| err("create", e))?;
        let result = (|| {
            self.fs
                .open(node, OpenMode::Write)
                .map_err(|e| err("open", e))?;
            let written = (|| {
                self.fs.truncate(node, 0).map_err(|e| err("truncate", e))?;
                let mut off = 0usize;
                while off < data.len() {
                    let end = (off + CHUNK).min(data.len());
                    let n = self
                        .fs
                        .write(node, off as u64, &data[off..end])
                        .map_err(|e| err("write", e))?;
                    if n == 0 {
                        return Err("write: no progress".to_string());
                    }
                    off += n;
                }
                Ok(())
            })();
            let closed = self.fs.close(node).map_err(|e| err("close", e));
            written.and(closed)?;
            // Best effort: the clock's stamp from the write stays if this fails.
            if let Some(t) = mtime {
                let _ = self.fs.setattr(node, &SetAttr::new().with_modified(t));
            }
            Ok(())
        })();
        self.fs.forget(node, 1);
        result
    }

    /// The pinned node of directory `rel` ("" is the root, which is never unpinned).
    fn resolve(&mut self, rel: &str) -> Result<NodeId, String> {
        let path = format!("/{rel}");
        self.fs
            .resolve(path.as_bytes(), Resolve::Lexical)
            .map_err(|e| err(&format!("{}{path}", self.at), e))
    }

    fn unpin(&mut self, node: NodeId) {
        if node != self.fs.root() {
            self.fs.forget(node, 1);
        }
    }

    /// Throws away what changed in the RAM copy since it was loaded and loads the volume
    /// again: what a read-only mount does with changes it cannot write, so they do not
    /// linger (and fail every later sync). Returns the load's warnings.
    pub fn revert(&mut self, ram: &mut Fs<'_>) -> Result<Vec<String>, String> {
        ram.remove(&self.at, true)
            .map_err(|e| format!("{}: {e}", self.at))?;
        self.known.clear();
        self.stamps.clear();
        self.load(ram)
    }

    /// Syncs (unless read-only) and gives the device back.
    pub fn unmount(mut self, ram: &Fs<'_>) -> Result<D, (String, alloc::boxed::Box<Self>)> {
        if !self.read_only
            && let Err(e) = self.sync(ram)
        {
            return Err((e, alloc::boxed::Box::new(self)));
        }
        match self.fs.unmount() {
            Ok(dev) => Ok(dev),
            Err(e) => {
                let (e, dev) = e.into_parts();
                Ok(drop_error(e, dev))
            }
        }
    }
}

/// After a failed final flush the device is still handed back (the data was synced above).
fn drop_error<D, E>(_e: hadris_io::Error<E>, dev: D) -> D {
    dev
}
