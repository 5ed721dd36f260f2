//! Block devices: one small trait every disk driver implements, the list of disks found
//! at boot with their partition tables, and the window onto a disk or partition that the
//! FAT driver reads and writes through.
//!
//! CDs (ATAPI drives on AHCI) are block devices too, read-only, of 2048-byte sectors:
//! they say so with [`BlockDevice::is_cd`], which names them `cd0`, `cd1`, ... whatever
//! driver found them, and makes the layer read no partition table on them (only FAT on
//! the whole medium; an ISO 9660 medium is shown as such by `lsblk`, not mounted).
//!
//! Drivers poll with a deadline ([`TIMEOUT_MS`]): a device that does not answer is marked
//! failed and every later request gets [`BlockError::Detached`], so a dead disk costs one
//! timeout, never a hung kernel. Each disk sits behind its own lock, taken only from task
//! context.

pub mod ahci;
pub mod nvme;
pub mod virtio;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use spin::Mutex;

/// How long one request may take before the device is given up.
pub const TIMEOUT_MS: u64 = 5_000;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockError {
    /// The device reported an error.
    Io,
    /// The device did not answer in time; it is detached.
    Timeout,
    /// The device failed earlier and is no longer used.
    Detached,
    /// The device was unplugged.
    Removed,
    /// Past the end of the device, or a buffer that is not whole sectors.
    OutOfRange,
    /// The medium is read-only.
    ReadOnly,
    /// No memory for a DMA buffer.
    NoMemory,
}

impl BlockError {
    pub const fn message(self) -> &'static str {
        match self {
            BlockError::Io => "I/O error",
            BlockError::Timeout => "device timed out (detached)",
            BlockError::Detached => "device detached after an earlier failure",
            BlockError::Removed => "device removed",
            BlockError::OutOfRange => "request outside the device",
            BlockError::ReadOnly => "read-only medium",
            BlockError::NoMemory => "no memory for a DMA buffer",
        }
    }

    /// As the FAT driver's error type.
    fn into_io(self) -> hadris_io::Error<BlockError> {
        hadris_io::Error::device(self, self.message())
    }
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for BlockError {}

/// A disk: whole sectors in, whole sectors out.
pub trait BlockDevice: Send {
    /// What kind of device, for `lsblk` ("virtio-blk").
    fn model(&self) -> &'static str;
    fn sector_size(&self) -> usize;
    fn sectors(&self) -> u64;
    fn read_only(&self) -> bool;
    /// Reads `buf.len() / sector_size()` sectors from `lba`.
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError>;
    /// Writes `buf.len() / sector_size()` sectors at `lba`.
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError>;
    /// Makes earlier writes durable.
    fn flush(&mut self) -> Result<(), BlockError>;
    /// An optical drive's medium (a CD): named `cdN`, never read for a partition table.
    fn is_cd(&self) -> bool {
        false
    }
}

pub type Shared = Arc<Mutex<Box<dyn BlockDevice>>>;

/// A disk found at boot.
pub struct Disk {
    /// `vda`, `sata0`, `nvme0`, `usb0`, `cd0`, ...
    pub name: String,
    pub dev: Shared,
    pub table: Result<partitions::Table, partitions::Error>,
}

static DISKS: Mutex<Vec<Disk>> = Mutex::new(Vec::new());

/// A driver's probe: every device it found, or why one is not used.
type Probe = fn() -> Vec<Result<Box<dyn BlockDevice>, String>>;

/// Every disk driver with the prefix of its disks' names, in the order disks are named
/// (a CD takes the prefix `cd` instead, whichever driver found it: see [`attach`]).
const DRIVERS: &[(&str, Probe)] = &[
    ("vd", virtio::probe),
    ("sata", ahci::probe),
    ("nvme", nvme::probe),
];

/// Finds the disks of every driver and reads their partition tables. Returns the
/// boot-log line.
pub fn init() -> String {
    let mut described = Vec::new();
    let mut notes = Vec::new();
    for (prefix, probe) in DRIVERS {
        for r in probe() {
            match r {
                Ok(d) => described.push(attach(prefix, d)),
                Err(e) => notes.push(e),
            }
        }
    }
    let mut line = format!("block: {} disk(s)", described.len());
    for d in described.iter().chain(notes.iter()) {
        line.push_str(&format!("; {d}"));
    }
    line
}

/// The name for the next disk with `prefix`: `vda`, `vdb`, ... for virtio, `sata0`,
/// `nvme0`, `usb0`, ... (the smallest free number) for the others.
fn free_name(disks: &[Disk], prefix: &str) -> String {
    let taken = |name: &str| disks.iter().any(|d| d.name == name);
    if prefix == "vd" {
        for c in b'a'..=b'z' {
            let name = format!("vd{}", c as char);
            if !taken(&name) {
                return name;
            }
        }
    }
    (0..)
        .map(|i| format!("{prefix}{i}"))
        .find(|n| !taken(n))
        .unwrap_or_default()
}

/// A partition's name: `vda1`, or `sata0p1` when the disk's name ends in a digit.
pub fn partition_name(disk: &str, number: u32) -> String {
    if disk.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{disk}p{number}")
    } else {
        format!("{disk}{number}")
    }
}

/// Prefix of the names of CDs (`cd0`), whichever driver found them.
const CD_PREFIX: &str = "cd";

/// Adds a disk (at boot or when one is plugged in): names it, reads its partition table.
/// Returns its description for the log (`vda virtio-blk (64 MiB), gpt with 1 partition(s)`).
/// A CD ([`BlockDevice::is_cd`]) is named with [`CD_PREFIX`] instead of `prefix`.
pub fn attach(prefix: &str, dev: Box<dyn BlockDevice>) -> String {
    let prefix = if dev.is_cd() { CD_PREFIX } else { prefix };
    let dev: Shared = Arc::new(Mutex::new(dev));
    let table = read_table(&dev);
    let mut disks = DISKS.lock();
    let name = free_name(&disks, prefix);
    let line = {
        let d = dev.lock();
        format!(
            "{name} {} ({} MiB){}",
            d.model(),
            (d.sectors() * d.sector_size() as u64) >> 20,
            match &table {
                Ok(_) if d.is_cd() => String::from(", read-only CD"),
                Ok(t) => format!(", {} with {} partition(s)", t.scheme, t.partitions.len()),
                Err(e) => format!(", partition table: {e}"),
            }
        )
    };
    disks.push(Disk { name, dev, table });
    line
}

/// Removes a disk that went away (its driver has already made every request fail).
/// Returns whether it was known. Call `fs::forget_disk` first, while its partitions are
/// still listed.
pub fn detach(name: &str) -> bool {
    let mut disks = DISKS.lock();
    let before = disks.len();
    disks.retain(|d| d.name != name);
    disks.len() != before
}

fn read_table(dev: &Shared) -> Result<partitions::Table, partitions::Error> {
    let mut d = dev.lock();
    let (ss, n, cd) = (d.sector_size(), d.sectors(), d.is_cd());
    let mut read = |lba: u64, buf: &mut [u8]| d.read(lba, buf).map_err(|_| ());
    if cd {
        partitions::read_medium(ss, &mut read)
    } else {
        partitions::read_table(ss, n, &mut read)
    }
}

/// What `lsblk` shows and `mount` accepts: a whole disk or one partition.
#[derive(Clone)]
pub struct Target {
    /// `vda`, `vda1`, `sata0p1`.
    pub name: String,
    /// The whole disk's name (`vda` for `vda1`).
    pub disk: String,
    pub dev: Shared,
    pub first_lba: u64,
    pub sectors: u64,
    pub sector_size: usize,
    pub read_only: bool,
    /// Partition type, or the table scheme for a whole disk.
    pub kind: String,
    pub model: &'static str,
    /// Whether it is partitioned (a whole disk with partitions holds no file system itself).
    pub has_partitions: bool,
    /// Whether it is a partition rather than a whole disk.
    pub is_partition: bool,
    /// Whether it is a CD's medium (see [`BlockDevice::is_cd`]).
    pub is_cd: bool,
}

impl Target {
    /// Whether its first sector is a FAT boot sector.
    pub fn is_fat(&self) -> bool {
        let mut buf = vec![0u8; self.sector_size];
        self.dev.lock().read(self.first_lba, &mut buf).is_ok() && partitions::looks_like_fat(&buf)
    }

    /// Whether it holds an ISO 9660 file system (shown by `lsblk`, never mounted).
    pub fn is_iso9660(&self) -> bool {
        let ss = self.sector_size as u64;
        let lba = partitions::ISO9660_DESCRIPTOR_AT / ss;
        if ss == 0 || lba >= self.sectors {
            return false;
        }
        let Some(at) = usize::try_from(partitions::ISO9660_DESCRIPTOR_AT % ss).ok() else {
            return false;
        };
        let mut buf = vec![0u8; self.sector_size];
        self.dev.lock().read(self.first_lba + lba, &mut buf).is_ok()
            && partitions::looks_like_iso9660(&buf[at..])
    }

    /// The file system `lsblk` shows: "fat", "iso9660", or `None`.
    pub fn file_system(&self) -> Option<&'static str> {
        if self.has_partitions {
            None
        } else if self.is_fat() {
            Some("fat")
        } else if self.is_iso9660() {
            Some("iso9660")
        } else {
            None
        }
    }
}

/// Every disk and partition, in order.
pub fn targets() -> Vec<Target> {
    let disks = DISKS.lock();
    let mut out = Vec::new();
    for d in disks.iter() {
        let (ss, n, ro, model, cd) = {
            let dev = d.dev.lock();
            (
                dev.sector_size(),
                dev.sectors(),
                dev.read_only(),
                dev.model(),
                dev.is_cd(),
            )
        };
        let parts = d
            .table
            .as_ref()
            .map(|t| t.partitions.as_slice())
            .unwrap_or(&[]);
        out.push(Target {
            name: d.name.clone(),
            disk: d.name.clone(),
            dev: d.dev.clone(),
            first_lba: 0,
            sectors: n,
            sector_size: ss,
            read_only: ro,
            kind: match &d.table {
                Ok(t) => format!("{}", t.scheme),
                Err(e) => format!("{e}"),
            },
            model,
            has_partitions: !parts.is_empty(),
            is_partition: false,
            is_cd: cd,
        });
        for p in parts {
            out.push(Target {
                name: partition_name(&d.name, p.number),
                disk: d.name.clone(),
                dev: d.dev.clone(),
                first_lba: p.first_lba,
                sectors: p.sectors,
                sector_size: ss,
                read_only: ro,
                kind: String::from(p.kind.describe()),
                model,
                has_partitions: false,
                is_partition: true,
                is_cd: cd,
            });
        }
    }
    out
}

/// Finds a disk or partition by name (`vda1`, or `/dev/vda1`).
pub fn target(name: &str) -> Option<Target> {
    let name = name.strip_prefix("/dev/").unwrap_or(name);
    targets().into_iter().find(|t| t.name == name)
}

/// A window of a disk (a partition, or the whole disk) as the FAT driver's block device.
pub struct Window {
    dev: Shared,
    first: u64,
    sectors: u64,
    sector_size: hadris_storage::BlockSize,
    writable: bool,
}

impl Window {
    pub fn new(t: &Target) -> Option<Self> {
        Some(Self {
            dev: t.dev.clone(),
            first: t.first_lba,
            sectors: t.sectors,
            sector_size: hadris_storage::BlockSize::new(u32::try_from(t.sector_size).ok()?)?,
            writable: !t.read_only,
        })
    }

    fn span(
        &self,
        first: hadris_storage::BlockIndex,
        len: usize,
    ) -> Result<u64, hadris_io::Error<BlockError>> {
        let ss = self.sector_size.get() as usize;
        let count = (len / ss) as u64;
        let start = first.get();
        if !len.is_multiple_of(ss)
            || start
                .checked_add(count)
                .is_none_or(|end| end > self.sectors)
        {
            return Err(BlockError::OutOfRange.into_io());
        }
        Ok(self.first + start)
    }
}

impl hadris_io::ErrorType for Window {
    type Error = BlockError;
}

impl hadris_storage::sync::BlockDevice for Window {
    fn block_size(&self) -> hadris_storage::BlockSize {
        self.sector_size
    }
    fn block_count(&self) -> u64 {
        self.sectors
    }
    fn writable(&self) -> bool {
        self.writable
    }
    fn read_blocks(
        &mut self,
        first: hadris_storage::BlockIndex,
        buf: &mut [u8],
    ) -> Result<(), hadris_io::Error<BlockError>> {
        let lba = self.span(first, buf.len())?;
        self.dev.lock().read(lba, buf).map_err(BlockError::into_io)
    }
    fn write_blocks(
        &mut self,
        first: hadris_storage::BlockIndex,
        buf: &[u8],
    ) -> Result<(), hadris_io::Error<BlockError>> {
        let lba = self.span(first, buf.len())?;
        self.dev.lock().write(lba, buf).map_err(BlockError::into_io)
    }
    fn flush(&mut self) -> Result<(), hadris_io::Error<BlockError>> {
        self.dev.lock().flush().map_err(BlockError::into_io)
    }
}

/// Microseconds since boot: what driver deadlines are measured in.
fn now_us() -> u64 {
    crate::arch::clock::since_entry_us()
}

/// Polls `done` until it holds or `ms` milliseconds pass; returns whether it held.
pub(crate) fn poll(ms: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = now_us().saturating_add(ms.saturating_mul(1000));
    loop {
        if done() {
            return true;
        }
        if now_us() > deadline {
            return done();
        }
        core::hint::spin_loop();
    }
}

/// Physically contiguous, zeroed memory shared with a device (command lists, queues,
/// bounce buffers), returned to the frame allocator on drop. A driver whose device may
/// still be writing into it (a timed-out command) must [`leak`](DmaBuf::leak) it.
pub(crate) struct DmaBuf {
    phys: u64,
    virt: *mut u8,
    len: usize,
}

// SAFETY: a `DmaBuf` owns its frames exclusively, like a `Box`; the pointer is their
// address in the direct map, valid from any context.
unsafe impl Send for DmaBuf {}

impl DmaBuf {
    /// `pages` zeroed 4 KiB frames in a row, entirely below 4 GiB unless `above_4g`.
    pub fn new(pages: usize, above_4g: bool) -> Result<Self, BlockError> {
        let n = pages.max(1);
        let phys = crate::mem::frames::alloc_contiguous(n as u64).ok_or(BlockError::NoMemory)?;
        let len = n * 4096;
        if !above_4g && phys + len as u64 > 1 << 32 {
            crate::mem::frames::free_contiguous(phys, n as u64);
            return Err(BlockError::NoMemory);
        }
        let virt = crate::mem::paging::phys_to_virt(phys).as_mut_ptr::<u8>();
        // SAFETY: the frames were just taken from the allocator (nobody else uses them),
        // the direct map covers all `len` bytes (whole pages, so whole 32-bit words), and
        // the address is page aligned. Not `write_bytes`: it becomes `rep stos`, which
        // software emulation runs one element per step (a port's 132 KiB at every boot).
        unsafe { crate::drivers::framebuffer::fill_raw(virt.cast::<u32>(), len / 4, 0) };
        Ok(Self { phys, virt, len })
    }

    pub fn phys(&self) -> u64 {
        self.phys
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Reads the 32-bit word at byte `offset` (the device may have written it).
    pub fn read32(&self, offset: usize) -> u32 {
        assert!(offset + 4 <= self.len && offset.is_multiple_of(4));
        // SAFETY: in bounds and aligned (checked above); volatile because the device
        // writes this memory behind the compiler's back.
        unsafe { (self.virt.add(offset) as *const u32).read_volatile() }
    }

    /// Writes the 32-bit word at byte `offset`.
    pub fn write32(&self, offset: usize, value: u32) {
        assert!(offset + 4 <= self.len && offset.is_multiple_of(4));
        // SAFETY: in bounds and aligned (checked above); volatile so the write happens,
        // in order, before the register write that hands the memory to the device.
        unsafe { (self.virt.add(offset) as *mut u32).write_volatile(value) };
    }

    /// Copies `data` in at `offset`.
    pub fn write_bytes(&mut self, offset: usize, data: &[u8]) {
        assert!(
            offset
                .checked_add(data.len())
                .is_some_and(|e| e <= self.len)
        );
        // SAFETY: in bounds (checked above); the buffer is ours and not shared with a
        // running command while `&mut self` is held; the regions cannot overlap.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.virt.add(offset), data.len()) };
    }

    /// Copies bytes out from `offset` into `out`.
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        assert!(offset.checked_add(out.len()).is_some_and(|e| e <= self.len));
        // SAFETY: in bounds (checked above); the command that filled the buffer has
        // completed; the regions cannot overlap.
        unsafe {
            core::ptr::copy_nonoverlapping(self.virt.add(offset), out.as_mut_ptr(), out.len())
        };
    }
}

impl DmaBuf {
    /// Never gives the memory back (the device may still write it); the buffer is
    /// unusable afterwards.
    pub fn leak(&mut self) {
        self.len = 0;
    }
}

impl Drop for DmaBuf {
    fn drop(&mut self) {
        if self.len > 0 {
            crate::mem::frames::free_contiguous(self.phys, (self.len / 4096) as u64);
        }
    }
}

/// A device's registers, mapped uncached: bounds-checked volatile 32-bit access.
#[derive(Clone, Copy)]
pub(crate) struct Mmio {
    base: *mut u8,
    len: usize,
}

// SAFETY: the registers are reached only by the driver that mapped them, from task
// context behind its disk's lock (or at boot, before anything else runs).
unsafe impl Send for Mmio {}

impl Mmio {
    /// Maps `len` bytes of registers at physical `phys`.
    pub fn map(phys: u64, len: usize) -> Option<Self> {
        let v = crate::mem::paging::map_mmio(phys, len as u64).ok()?;
        Some(Self {
            base: v.as_mut_ptr(),
            len,
        })
    }

    /// The registers from `offset` on, `len` bytes (a port's or a queue's window).
    pub fn window(&self, offset: usize, len: usize) -> Option<Self> {
        if offset.checked_add(len)? > self.len {
            return None;
        }
        // SAFETY: `offset + len` lies within the mapping (checked above).
        let base = unsafe { self.base.add(offset) };
        Some(Self { base, len })
    }

    pub fn read32(&self, offset: usize) -> u32 {
        assert!(offset + 4 <= self.len && offset.is_multiple_of(4));
        // SAFETY: in bounds and aligned (checked above), in an uncached mapping of this
        // device's registers; volatile because every access is seen by the device.
        unsafe { (self.base.add(offset) as *const u32).read_volatile() }
    }

    pub fn write32(&self, offset: usize, value: u32) {
        assert!(offset + 4 <= self.len && offset.is_multiple_of(4));
        // SAFETY: as in `read32`.
        unsafe { (self.base.add(offset) as *mut u32).write_volatile(value) };
    }

    /// A 64-bit register read as two halves, low first.
    pub fn read64(&self, offset: usize) -> u64 {
        u64::from(self.read32(offset)) | u64::from(self.read32(offset + 4)) << 32
    }

    /// A 64-bit register written as two halves, low first.
    pub fn write64(&self, offset: usize, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset + 4, (value >> 32) as u32);
    }
}

/// A `storage_cmds` refusal as a block error.
impl From<storage_cmds::Error> for BlockError {
    fn from(_: storage_cmds::Error) -> Self {
        BlockError::OutOfRange
    }
}
