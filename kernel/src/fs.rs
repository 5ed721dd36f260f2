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

// --- Mounted disks -----------------------------------------------------------------------
//
// A FAT volume is mirrored into the tree at its mount point (the `fatmount` crate says why
// and how): every command works on it as on RAM files; the changes are written back after
// every shell command (`write_back`), by `sync`, `umount`, `shutdown` and `reboot`. Lock
// order: MOUNTS, then the tree.

use crate::drivers::block;
use alloc::string::String;
use alloc::vec::Vec;
use fatmount::Mount;

struct Mounted {
    device: String,
    mount: Mount<Disk>,
}

/// A mounted volume's device: its window of the disk, behind `hadris-storage`'s read-ahead
/// (a FAT's table and directories are read a sector at a time: one device request each
/// cost over 100 µs under emulation, and the check at mount made thousands).
type Disk = hadris_storage::sync::ReadAhead<block::Window>;

/// Blocks the read-ahead may hold (two windows together): 128 KiB of 512-byte sectors.
const READ_AHEAD_BLOCKS: usize = 256;

static MOUNTS: Mutex<Vec<Mounted>> = Mutex::new(Vec::new());

/// The wall clock (from the RTC) as FAT's clock, so new and changed entries get real times.
struct WallClock;

impl fatmount::Clock for WallClock {
    fn now(&self) -> fatmount::DateTime {
        let ns = crate::arch::clock::realtime_ns();
        i64::try_from(ns / 1_000_000_000)
            .ok()
            .and_then(|s| fatmount::DateTime::new(s, (ns % 1_000_000_000) as u32).ok())
            .unwrap_or(fatmount::NoClock::TIME)
    }
}

static WALL_CLOCK: WallClock = WallClock;

/// A mount as `mount` and `lsblk` show it: (device, mount point, read-only).
pub fn mounts() -> Vec<(String, String, bool)> {
    MOUNTS
        .lock()
        .iter()
        .map(|m| (m.device.clone(), m.mount.at.clone(), m.mount.read_only))
        .collect()
}

/// Mounts the FAT file system on `device` (`vda1`) at the absolute path `at`, which must
/// not exist or be an empty directory. Returns warnings (read-only, entries skipped).
pub fn mount(device: &str, at: &str) -> Result<Vec<String>, String> {
    use alloc::format;
    let target = block::target(device).ok_or_else(|| format!("{device}: no such device"))?;
    if target.has_partitions {
        return Err(format!(
            "{device}: partitioned disk: mount one of its partitions"
        ));
    }
    let mut mounts = MOUNTS.lock();
    let at = at.trim_end_matches('/');
    if at.is_empty() {
        return Err(String::from("cannot mount over /"));
    }
    for m in mounts.iter() {
        if m.device == target.name {
            return Err(format!("{device}: already mounted at {}", m.mount.at));
        }
        let inside = |a: &str, b: &str| {
            a == b || a.starts_with(b) && a.as_bytes().get(b.len()) == Some(&b'/')
        };
        if inside(at, &m.mount.at) || inside(&m.mount.at, at) {
            return Err(format!("{at}: overlaps the mount at {}", m.mount.at));
        }
    }
    with(|fs| match fs.metadata(at) {
        Ok(m) if m.kind == ramfs::Kind::Dir && m.size == 0 => Ok(()),
        Ok(_) => Err(format!("{at}: exists and is not an empty directory")),
        Err(ramfs::FsError::NotFound) => Ok(()),
        Err(e) => Err(format!("{at}: {e}")),
    })?;
    if target.is_iso9660() {
        return Err(format!(
            "{device}: ISO 9660 (a CD's own file system): not supported, only FAT can be mounted"
        ));
    }
    let window =
        block::Window::new(&target).ok_or_else(|| format!("{device}: unsupported sector size"))?;
    let (mut mount, mut warnings) =
        Mount::open(Disk::new(window, READ_AHEAD_BLOCKS), at, &WALL_CLOCK)
            .map_err(|e| format!("{device}: {e}"))?;
    match with(|fs| mount.load(fs)) {
        Ok(w) => warnings.extend(w),
        Err(e) => {
            let _ = with(|fs| fs.remove(at, true));
            return Err(format!("{device}: {e}"));
        }
    }
    mounts.push(Mounted {
        device: target.name.clone(),
        mount,
    });
    Ok(warnings)
}

/// Syncs and unmounts the file system mounted at `at` (its files leave the tree).
pub fn umount(at: &str) -> Result<(), String> {
    use alloc::format;
    let at = at.trim_end_matches('/');
    let mut mounts = MOUNTS.lock();
    let i = mounts
        .iter()
        .position(|m| {
            m.mount.at == at || m.device == at || alloc::format!("/dev/{}", m.device) == at
        })
        .ok_or_else(|| format!("{at}: not mounted"))?;
    let m = mounts.remove(i);
    let device = m.device;
    match with(|fs| m.mount.unmount(fs)) {
        Ok(_) => {
            let _ = with(|fs| fs.remove(at, true));
            Ok(())
        }
        Err((e, mount)) => {
            mounts.insert(
                i,
                Mounted {
                    device: device.clone(),
                    mount: *mount,
                },
            );
            Err(format!("{device}: {e}: still mounted"))
        }
    }
}

/// Writes every mounted file system's changes to its disk. One line per file system
/// that had something to do, or the errors.
pub fn sync_all() -> Result<Vec<String>, String> {
    use alloc::format;
    let mut mounts = MOUNTS.lock();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for m in mounts.iter_mut() {
        match with(|fs| m.mount.sync(fs)) {
            Ok(r) => {
                if r.written + r.removed + r.created_dirs > 0 {
                    lines.push(format!(
                        "{}: {} file(s) written ({} bytes), {} directories created, {} removed",
                        m.device, r.written, r.bytes, r.created_dirs, r.removed
                    ));
                }
                for s in r.skipped {
                    lines.push(format!(
                        "{}: {s}: symbolic links cannot be stored on FAT, skipped",
                        m.device
                    ));
                }
            }
            // A read-only mount cannot keep changes: they are undone (reloaded from the
            // disk), so they do not linger and fail every later sync.
            Err(e) if m.mount.read_only => {
                let undone = with(|fs| m.mount.revert(fs));
                errors.push(match undone {
                    Ok(_) => format!("{}: {e} (undone)", m.device),
                    Err(r) => format!("{}: {e}; reloading it failed: {r}", m.device),
                });
            }
            Err(e) => errors.push(format!("{}: {e}", m.device)),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors.join("\n"))
    }
}

/// The tree's change count when mounted volumes were last written back.
static WRITTEN_BACK_AT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Writes the mounted volumes' changes back if the tree changed since the last time. The
/// shell calls it after every command, so a file written to a disk is on the disk when
/// the command is done, and a write error or a full disk is reported right after the
/// command that caused it (once: the next change retries). Costs one counter read when
/// nothing changed, and reads only files changed since (their `ctime` moved).
pub fn write_back() -> Result<(), String> {
    use core::sync::atomic::Ordering::Relaxed;
    if MOUNTS.lock().is_empty() {
        return Ok(());
    }
    let changes = with(|fs| fs.changes());
    if WRITTEN_BACK_AT.swap(changes, Relaxed) == changes {
        return Ok(());
    }
    sync_all().map(drop)
}

/// Mounts every FAT file system found (a partition, or an unpartitioned disk) at
/// `/mnt/NAME`. Returns the boot-log lines.
pub fn automount() -> Vec<String> {
    block::targets()
        .into_iter()
        .flat_map(|t| automount_target(&t))
        .collect()
}

/// Mounts the FAT file systems of one disk that was just attached (a USB stick plugged
/// in), as at boot. Returns the lines for the log.
pub fn automount_disk(disk: &str) -> Vec<String> {
    block::targets()
        .into_iter()
        .filter(|t| t.disk == disk)
        .flat_map(|t| automount_target(&t))
        .collect()
}

fn automount_target(t: &block::Target) -> Vec<String> {
    use alloc::format;
    let mut lines = Vec::new();
    if t.has_partitions || !t.is_fat() {
        return lines;
    }
    let at = format!("/mnt/{}", t.name);
    match mount(&t.name, &at) {
        Ok(w) => {
            lines.push(format!(
                "fs: {} mounted at {at}{}",
                t.name,
                if mounts().iter().any(|m| m.1 == at && m.2) {
                    " (read-only)"
                } else {
                    ""
                }
            ));
            lines.extend(
                w.into_iter()
                    .map(|w| format!("fs: {}: warning: {w}", t.name)),
            );
        }
        Err(e) => lines.push(format!("fs: {e}")),
    }
    lines
}

/// Drops the mounts of a disk that went away (unplugged): nothing can be written back,
/// so unsynced changes are lost and their files leave the tree. Returns one line per
/// mount dropped.
pub fn forget_disk(disk: &str) -> Vec<String> {
    use alloc::format;
    let mut mounts = MOUNTS.lock();
    let mut lines = Vec::new();
    let parts: Vec<String> = block::targets()
        .into_iter()
        .filter(|t| t.disk == disk)
        .map(|t| t.name)
        .collect();
    mounts.retain(|m| {
        let gone = m.device == disk || parts.contains(&m.device);
        if gone {
            let _ = with(|fs| fs.remove(&m.mount.at, true));
            lines.push(format!(
                "fs: {} removed: {} unmounted (unsynced changes lost)",
                m.device, m.mount.at
            ));
        }
        !gone
    });
    lines
}
