//! virtio-blk over PCI (legacy and modern devices), through the `virtio-drivers` crate.
//!
//! This module supplies what the crate needs from the kernel: DMA memory (physically
//! contiguous frames from the frame allocator, reached through the direct map), device
//! registers mapped uncached (`map_mmio`), configuration space through the PCI module, and
//! bounce buffers: the crate hands over heap buffers, which are virtually but not
//! physically contiguous, so each is copied into contiguous frames for the device. The
//! bounce frames come from a pool taken when the first device is found, so a request never
//! needs memory a user may have filled with files (the crate's interface cannot fail).
//!
//! The block requests themselves (a header, the data, a status byte) are built here on the
//! crate's transport and virtqueue, because the crate's block driver waits for a flush with
//! no deadline. Every request is polled against a deadline: on timeout the device is marked
//! failed (its queue may still own buffers, which are leaked rather than reused).

use super::{BlockDevice, BlockError, TIMEOUT_MS};
use crate::drivers::pci;
use crate::mem::{frames, paging};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ptr::NonNull;
use virtio_drivers::device::blk::SECTOR_SIZE;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::Transport;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};
use virtio_drivers::{BufferDirection, Hal, PAGE_SIZE, PhysAddr};

/// Sectors moved per request (64 KiB: 16 contiguous frames of bounce buffer).
const MAX_SECTORS: usize = 128;

/// Pages in the bounce pool. A request shares at most 18 pages (its header, up to 64 KiB of
/// data, its status byte), and requests never overlap (each is waited for under its disk's
/// lock, on one CPU), so 32 pages always suffice.
const POOL_PAGES: usize = 32;

/// The bounce pool: its first frame and which of its pages are in use.
struct Pool {
    phys: u64,
    used: u32,
}

static POOL: spin::Mutex<Option<Pool>> = spin::Mutex::new(None);

/// Takes `pages` contiguous pages from the pool.
fn pool_take(pages: usize) -> Option<u64> {
    let mut pool = POOL.lock();
    let pool = pool.as_mut()?;
    let mask = u32::MAX.checked_shr(32 - u32::try_from(pages).ok()?)?;
    let first = (0..=POOL_PAGES.checked_sub(pages)?).find(|i| pool.used & (mask << i) == 0)?;
    pool.used |= mask << first;
    Some(pool.phys + (first * PAGE_SIZE) as u64)
}

/// Gives pages back to the pool; false if `phys` is not the pool's.
fn pool_give(phys: u64, pages: usize) -> bool {
    let mut pool = POOL.lock();
    let Some(pool) = pool.as_mut() else {
        return false;
    };
    let end = pool.phys + (POOL_PAGES * PAGE_SIZE) as u64;
    if phys < pool.phys || phys >= end {
        return false;
    }
    let first = ((phys - pool.phys) as usize) / PAGE_SIZE;
    let mask = u32::MAX.checked_shr(32 - pages.min(32) as u32).unwrap_or(0);
    pool.used &= !(mask << first);
    true
}

/// Bounce frames for `pages` pages: from the pool, or (only if it is exhausted, e.g. by
/// requests a dead device never returned) from the frame allocator.
fn bounce(pages: usize) -> Option<u64> {
    pool_take(pages).or_else(|| frames::alloc_contiguous(pages as u64))
}

/// The kernel side of `virtio-drivers`.
pub struct KernelHal;

// SAFETY: `dma_alloc` returns zeroed, page-aligned, physically contiguous frames that the
// allocator hands out once, reached through the direct map, so they alias nothing;
// `mmio_phys_to_virt` maps device memory uncached into a window nothing else uses;
// `share` copies into such frames and `unshare` copies back and frees them.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match alloc_dma(pages) {
            Some(p) => p,
            // The crate's interface cannot fail here; the driver is set up only at boot
            // with a few pages, so running out means the machine is unusable anyway.
            None => panic!("virtio: out of memory for {pages} DMA pages"),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        frames::free_contiguous(paddr, pages as u64);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        match paging::map_mmio(paddr, size as u64) {
            Ok(v) => NonNull::new(v.as_mut_ptr()).unwrap_or(NonNull::dangling()),
            Err(_) => panic!("virtio: cannot map device registers at {paddr:#x}"),
        }
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let len = buffer.len();
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        let Some(phys) = bounce(pages) else {
            panic!("virtio: out of memory for a {len}-byte bounce buffer")
        };
        let virt = paging::phys_to_virt(phys).as_mut_ptr::<u8>();
        if direction != BufferDirection::DeviceToDriver {
            // SAFETY: the caller guarantees `buffer` is valid for `len` bytes; `virt` is a
            // fresh allocation of at least `len` bytes, so the two do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(buffer.as_ptr() as *const u8, virt, len) };
        }
        phys
    }

    unsafe fn unshare(paddr: PhysAddr, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let len = buffer.len();
        let virt = paging::phys_to_virt(paddr).as_ptr::<u8>();
        if direction != BufferDirection::DriverToDevice {
            // SAFETY: `paddr` is the bounce buffer `share` made for this buffer (the
            // caller's contract), `len` bytes long; the device is done with it.
            unsafe { core::ptr::copy_nonoverlapping(virt, buffer.as_ptr() as *mut u8, len) };
        }
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        if !pool_give(paddr, pages) {
            frames::free_contiguous(paddr, pages as u64);
        }
    }
}

/// Zeroed contiguous frames and their direct-map address.
fn alloc_dma(pages: usize) -> Option<(PhysAddr, NonNull<u8>)> {
    let phys = frames::alloc_contiguous(pages as u64)?;
    let virt = paging::phys_to_virt(phys).as_mut_ptr::<u8>();
    // SAFETY: the frames were just taken from the allocator (nobody else uses them) and the
    // direct map covers them for `pages` pages.
    unsafe { core::ptr::write_bytes(virt, 0, pages * PAGE_SIZE) };
    Some((phys, NonNull::new(virt)?))
}

/// Configuration space through the PCI module.
struct Config;

impl ConfigurationAccess for Config {
    fn read_word(&self, f: DeviceFunction, offset: u8) -> u32 {
        pci::read32(f.bus, f.device, f.function, offset)
    }
    fn write_word(&mut self, f: DeviceFunction, offset: u8, data: u32) {
        pci::write32(f.bus, f.device, f.function, offset, data)
    }
    unsafe fn unsafe_clone(&self) -> Self {
        Config
    }
}

/// The virtio-blk features this driver uses (virtio 1.2, section 5.2.3): a read-only
/// device, the flush command, and the modern interface (which a driver must accept when a
/// device offers it).
mod features {
    bitflags::bitflags! {
        #[derive(Copy, Clone, Debug, Default, Eq, PartialEq)]
        pub struct Features: u64 {
            const RO = 1 << 5;
            const FLUSH = 1 << 9;
            const VERSION_1 = 1 << 32;
        }
    }
}
use features::Features;

/// The request queue, and how many descriptors it has (a request takes three).
const QUEUE: u16 = 0;
const QUEUE_SIZE: usize = 16;

/// Request types and the device's status byte (virtio 1.2, section 5.2.6).
const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const S_OK: u8 = 0;

/// One virtio-blk device: the crate's PCI transport and virtqueue, with the block
/// requests built here. The crate's own block driver waits for each request (a flush
/// included) with no deadline; here every request, the flush too, is polled against
/// [`TIMEOUT_MS`].
pub struct VirtioBlk {
    transport: PciTransport,
    queue: VirtQueue<KernelHal, QUEUE_SIZE>,
    capacity: u64,
    features: Features,
    failed: bool,
}

// SAFETY: the device is only ever used behind its disk's lock, by one CPU at a time; the
// raw pointers inside point at DMA memory and registers owned by this device alone.
unsafe impl Send for VirtioBlk {}

/// Sets up every virtio-blk function on the PCI bus.
pub fn probe() -> Vec<Result<Box<dyn BlockDevice>, String>> {
    let mut out = Vec::new();
    for f in pci::functions()
        .iter()
        .filter(|f| f.vendor == 0x1af4 && matches!(f.device_id, 0x1001 | 0x1042))
    {
        let mut pool = POOL.lock();
        if pool.is_none() {
            match frames::alloc_contiguous(POOL_PAGES as u64) {
                Some(phys) => *pool = Some(Pool { phys, used: 0 }),
                None => {
                    out.push(Err(format!(
                        "virtio-blk at {f}: no memory for bounce buffers"
                    )));
                    continue;
                }
            }
        }
        drop(pool);
        f.enable_memory_and_dma();
        // Legacy devices are driven through I/O ports too.
        let cmd = f.read32(0x04);
        f.write32(0x04, (cmd & 0xffff) | 1);
        let mut root = PciRoot::new(Config);
        let df = DeviceFunction {
            bus: f.bus,
            device: f.device,
            function: f.function,
        };
        let r = PciTransport::new::<KernelHal, _>(&mut root, df)
            .map_err(|e| alloc::string::ToString::to_string(&e))
            .and_then(VirtioBlk::new)
            .map(|dev| Box::new(dev) as Box<dyn BlockDevice>)
            .map_err(|e| format!("virtio-blk at {f}: {e}"));
        out.push(r);
    }
    out
}

impl VirtioBlk {
    fn new(mut transport: PciTransport) -> Result<Self, String> {
        let features = transport.begin_init(Features::all());
        let capacity = transport
            .read_consistent(|| {
                let lo: u32 = transport.read_config_space(0)?;
                let hi: u32 = transport.read_config_space(4)?;
                Ok(u64::from(lo) | u64::from(hi) << 32)
            })
            .map_err(|e| alloc::string::ToString::to_string(&e))?;
        let queue = VirtQueue::new(&mut transport, QUEUE, false, false)
            .map_err(|e| alloc::string::ToString::to_string(&e))?;
        transport.finish_init();
        Ok(Self {
            transport,
            queue,
            capacity,
            features,
            failed: false,
        })
    }

    /// Tells the device about the request `added` queued and waits for it until the
    /// deadline; a device that misses it is marked failed.
    fn wait(&mut self, added: Result<u16, virtio_drivers::Error>) -> Result<u16, BlockError> {
        let token = added.map_err(|_| BlockError::Io)?;
        if self.queue.should_notify() {
            self.transport.notify(QUEUE);
        }
        let deadline = crate::arch::clock::since_entry_us() + TIMEOUT_MS * 1000;
        while self.queue.peek_used() != Some(token) {
            if crate::arch::clock::since_entry_us() > deadline {
                self.failed = true;
                return Err(BlockError::Timeout);
            }
            core::hint::spin_loop();
        }
        Ok(token)
    }

    /// The request's outcome from its status byte, once it is back.
    fn status(popped: Result<u32, virtio_drivers::Error>, status: u8) -> Result<(), BlockError> {
        match (popped, status) {
            (Ok(_), S_OK) => Ok(()),
            _ => Err(BlockError::Io),
        }
    }

    /// A request's header: its type and first sector.
    fn header(kind: u32, lba: u64) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&kind.to_le_bytes());
        h[8..].copy_from_slice(&lba.to_le_bytes());
        h
    }

    /// One read of at most [`MAX_SECTORS`].
    fn read_chunk(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let header = Self::header(T_IN, lba);
        let mut status = [0xffu8];
        // SAFETY: `header`, `buf` and `status` outlive the request: they are touched again
        // only after `pop_used` below gave them back, or never if the device misses the
        // deadline (it is then marked failed and never polled again; the device only ever
        // sees the bounce copies `share` made).
        let added = unsafe { self.queue.add(&[&header], &mut [&mut *buf, &mut status]) };
        let token = self.wait(added)?;
        // SAFETY: the same buffers as were added with this token, which is done.
        let popped = unsafe {
            self.queue
                .pop_used(token, &[&header], &mut [&mut *buf, &mut status])
        };
        Self::status(popped, status[0])
    }

    /// One write of at most [`MAX_SECTORS`].
    fn write_chunk(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        let header = Self::header(T_OUT, lba);
        let mut status = [0xffu8];
        // SAFETY: as in `read_chunk`.
        let added = unsafe { self.queue.add(&[&header, buf], &mut [&mut status]) };
        let token = self.wait(added)?;
        // SAFETY: the same buffers as were added with this token, which is done.
        let popped = unsafe {
            self.queue
                .pop_used(token, &[&header, buf], &mut [&mut status])
        };
        Self::status(popped, status[0])
    }

    fn check(&self, lba: u64, len: usize) -> Result<(), BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        let n = (len / SECTOR_SIZE) as u64;
        if !len.is_multiple_of(SECTOR_SIZE)
            || lba.checked_add(n).is_none_or(|end| end > self.capacity)
        {
            return Err(BlockError::OutOfRange);
        }
        Ok(())
    }
}

impl BlockDevice for VirtioBlk {
    fn model(&self) -> &'static str {
        "virtio-blk"
    }
    fn sector_size(&self) -> usize {
        SECTOR_SIZE
    }
    fn sectors(&self) -> u64 {
        self.capacity
    }
    fn read_only(&self) -> bool {
        self.features.contains(Features::RO)
    }
    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.check(lba, buf.len())?;
        for (i, chunk) in buf.chunks_mut(MAX_SECTORS * SECTOR_SIZE).enumerate() {
            self.read_chunk(lba + (i * MAX_SECTORS) as u64, chunk)?;
        }
        Ok(())
    }
    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), BlockError> {
        self.check(lba, buf.len())?;
        if self.read_only() {
            return Err(BlockError::ReadOnly);
        }
        for (i, chunk) in buf.chunks(MAX_SECTORS * SECTOR_SIZE).enumerate() {
            self.write_chunk(lba + (i * MAX_SECTORS) as u64, chunk)?;
        }
        Ok(())
    }
    /// A device without a write cache (no FLUSH feature) has nothing to flush.
    fn flush(&mut self) -> Result<(), BlockError> {
        if self.failed {
            return Err(BlockError::Detached);
        }
        if !self.features.contains(Features::FLUSH) {
            return Ok(());
        }
        let header = Self::header(T_FLUSH, 0);
        let mut status = [0xffu8];
        // SAFETY: as in `read_chunk`.
        let added = unsafe { self.queue.add(&[&header], &mut [&mut status]) };
        let token = self.wait(added)?;
        // SAFETY: the same buffers as were added with this token, which is done.
        let popped = unsafe { self.queue.pop_used(token, &[&header], &mut [&mut status]) };
        Self::status(popped, status[0])
    }
}
