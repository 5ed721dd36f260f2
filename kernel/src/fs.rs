//! The file system: the initrd module (a tar archive) as a file tree, writable in RAM.
//!
//! All the logic (tar indexing, salvage of damaged archives, the directory tree, the RAM
//! layer, paths) is the host-tested `ramfs` crate; this module only finds the module
//! Limine loaded, builds the tree once, and keeps it behind a lock that only task
//! context takes. File contents from the archive are served straight from the module's
//! memory, which is never freed.

use crate::boot::BootInfo;
use ramfs::Fs;
use spin::Mutex;

static FS: Mutex<Option<Fs<'static>>> = Mutex::new(None);

/// Builds the tree from the initrd module. Never fails: a missing or damaged initrd
/// gives a warning and an empty (or partial) tree. Returns the line for the boot log.
pub fn init(boot: &BootInfo) -> alloc::string::String {
    use alloc::format;
    let module = boot
        .modules()
        .find(|m| m.path().ends_with("initrd.tar"))
        .or_else(|| boot.modules().next());
    let (fs, line) = match module {
        None => (
            Fs::new(),
            alloc::string::String::from("fs: no initrd module: starting with an empty file system"),
        ),
        Some(m) => {
            let (fs, warning) = Fs::from_tar(m.bytes());
            let s = fs.stats();
            let line = match warning {
                Some(w) => format!("fs: warning: {w}"),
                None => format!(
                    "fs: initrd {} ({} KiB): {} files, {} directories",
                    m.path(),
                    m.len / 1024,
                    s.files,
                    s.dirs
                ),
            };
            (fs, line)
        }
    };
    let mut fs = fs;
    fs.set_clock(crate::arch::clock::realtime_ns);
    *FS.lock() = Some(fs);
    line
}

/// Runs `f` with the file system. Files in RAM may grow only into the memory users may
/// still claim, less room kept for running programs (`mem::reserve`), so filling RAM with
/// files gives "no space left" while the kernel keeps its headroom and games still run.
pub fn with<R>(f: impl FnOnce(&mut Fs<'static>) -> R) -> R {
    let spare = crate::mem::reserve::spare_for_files();
    let mut guard = FS.lock();
    let fs = guard.get_or_insert_with(Fs::new);
    fs.set_limit(Some(fs.usage().saturating_add(spare)));
    f(fs)
}

/// Reads a whole file into a new buffer (fallibly), for callers that must not hold the
/// lock while using the contents (e.g. the WASM runner).
pub fn read_copy(path: &str) -> Result<alloc::vec::Vec<u8>, ramfs::FsError> {
    with(|fs| {
        let data = fs.read(path)?;
        let mut v = alloc::vec::Vec::new();
        v.try_reserve_exact(data.len())
            .map_err(|_| ramfs::FsError::OutOfMemory)?;
        v.extend_from_slice(data);
        Ok(v)
    })
}
