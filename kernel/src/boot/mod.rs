//! Limine boot protocol requests, and kernel-owned copies of their answers.
//!
//! The bootloader fills in responses that live in "bootloader reclaimable" memory. We copy
//! everything the kernel keeps using into plain Rust values right at entry ([`BootInfo`]),
//! so that the memory manager may later reclaim that memory without breaking anything.
//! Base revision 2 is the newest one Limine v8 speaks; the built-in loader speaks it too.

pub mod entry;

use limine::BaseRevision;
use limine::memory_map::EntryType;
use limine::request::{
    BootloaderInfoRequest, ExecutableAddressRequest, FramebufferRequest, HhdmRequest,
    MemoryMapRequest, ModuleRequest, PagingModeRequest, RequestsEndMarker, RequestsStartMarker,
    RsdpRequest, StackSizeRequest,
};

/// Stack the bootloader gives us: generous, because the shell and wasmi run on it.
pub const KERNEL_STACK_SIZE: u64 = 256 * 1024;

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static START_MARKER: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(2);

#[used]
#[unsafe(link_section = ".requests")]
static BOOTLOADER_INFO: BootloaderInfoRequest = BootloaderInfoRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static STACK_SIZE: StackSizeRequest = StackSizeRequest::new().with_size(KERNEL_STACK_SIZE);

#[used]
#[unsafe(link_section = ".requests")]
static HHDM: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static FRAMEBUFFER: FramebufferRequest = FramebufferRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static PAGING_MODE: PagingModeRequest =
    PagingModeRequest::new().with_mode(limine::paging::Mode::FOUR_LEVEL);

#[used]
#[unsafe(link_section = ".requests")]
static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static MODULES: ModuleRequest = ModuleRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static KERNEL_ADDRESS: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static RSDP: RsdpRequest = RsdpRequest::new();

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

/// Most memory-map entries we keep (real firmware reports well under 200).
pub const MAX_MEMORY_REGIONS: usize = 256;
/// Most modules we keep.
pub const MAX_MODULES: usize = 8;

/// Kinds of memory-map entries, as the Limine protocol numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    BadMemory,
    BootloaderReclaimable,
    KernelAndModules,
    Framebuffer,
    Unknown,
}

impl RegionKind {
    fn from_limine(t: EntryType) -> Self {
        match t {
            EntryType::USABLE => Self::Usable,
            EntryType::RESERVED => Self::Reserved,
            EntryType::ACPI_RECLAIMABLE => Self::AcpiReclaimable,
            EntryType::ACPI_NVS => Self::AcpiNvs,
            EntryType::BAD_MEMORY => Self::BadMemory,
            EntryType::BOOTLOADER_RECLAIMABLE => Self::BootloaderReclaimable,
            EntryType::EXECUTABLE_AND_MODULES => Self::KernelAndModules,
            EntryType::FRAMEBUFFER => Self::Framebuffer,
            _ => Self::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Usable => "usable",
            Self::Reserved => "reserved",
            Self::AcpiReclaimable => "ACPI reclaimable",
            Self::AcpiNvs => "ACPI NVS",
            Self::BadMemory => "bad memory",
            Self::BootloaderReclaimable => "bootloader reclaimable",
            Self::KernelAndModules => "kernel and modules",
            Self::Framebuffer => "framebuffer",
            Self::Unknown => "unknown",
        }
    }
}

/// One memory-map entry, copied out of bootloader memory.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub base: u64,
    pub len: u64,
    pub kind: RegionKind,
}

/// The framebuffer as the bootloader set it up.
#[derive(Clone, Copy, Debug)]
pub struct FramebufferInfo {
    /// Virtual (HHDM) address of the first pixel.
    pub addr: u64,
    pub width: usize,
    pub height: usize,
    /// Bytes per row.
    pub pitch: usize,
    pub bpp: u16,
    pub red_shift: u8,
    pub green_shift: u8,
    pub blue_shift: u8,
    pub red_size: u8,
    pub green_size: u8,
    pub blue_size: u8,
}

/// A module (file) the bootloader loaded for us: its bytes stay where the bootloader put
/// them (memory of type "kernel and modules", never reclaimed).
#[derive(Clone, Copy, Debug)]
pub struct Module {
    pub addr: u64,
    pub len: u64,
    path: [u8; 64],
    path_len: usize,
}

impl Module {
    pub fn path(&self) -> &str {
        core::str::from_utf8(&self.path[..self.path_len]).unwrap_or("?")
    }

    /// The module's bytes.
    pub fn bytes(&self) -> &'static [u8] {
        // SAFETY: the bootloader loaded `len` bytes at `addr` (an HHDM address of memory of
        // type "kernel and modules"), which the kernel never frees or writes.
        unsafe { core::slice::from_raw_parts(self.addr as *const u8, self.len as usize) }
    }
}

/// Everything the kernel keeps from the bootloader's answers.
#[derive(Clone, Debug)]
pub struct BootInfo {
    pub bootloader_name: [u8; 32],
    pub bootloader_version: [u8; 32],
    pub hhdm_offset: u64,
    pub framebuffer: Option<FramebufferInfo>,
    pub regions: [Region; MAX_MEMORY_REGIONS],
    pub region_count: usize,
    pub modules: [Option<Module>; MAX_MODULES],
    pub kernel_phys_base: u64,
    pub kernel_virt_base: u64,
    pub rsdp: Option<u64>,
    pub five_level_paging: bool,
}

/// Why the kernel cannot go on with what the bootloader gave it.
#[derive(Clone, Copy, Debug)]
pub enum BootError {
    /// The bootloader does not implement base revision 2.
    UnsupportedRevision,
    /// No HHDM response: nothing of physical memory is reachable.
    NoHhdm,
    /// No memory map: there is nothing to allocate from.
    NoMemoryMap,
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::UnsupportedRevision => f.write_str(
                "the bootloader does not support Limine base revision 2 (use Limine v8 or newer)",
            ),
            Self::NoHhdm => f.write_str("the bootloader gave no higher-half direct map"),
            Self::NoMemoryMap => f.write_str("the bootloader gave no memory map"),
        }
    }
}

fn copy_str(dst: &mut [u8], src: &[u8]) -> usize {
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
    n
}

/// The framebuffer alone, read early so that even a boot error can be shown on screen. Only
/// before bootloader memory is reclaimed: the answer lives there (later: `crate::framebuffer`).
pub fn framebuffer() -> Option<FramebufferInfo> {
    let resp = FRAMEBUFFER.get_response()?;
    let fb = resp.framebuffers().next()?;
    Some(FramebufferInfo {
        addr: fb.addr() as u64,
        width: fb.width() as usize,
        height: fb.height() as usize,
        pitch: fb.pitch() as usize,
        bpp: fb.bpp(),
        red_shift: fb.red_mask_shift(),
        green_shift: fb.green_mask_shift(),
        blue_shift: fb.blue_mask_shift(),
        red_size: fb.red_mask_size(),
        green_size: fb.green_mask_size(),
        blue_size: fb.blue_mask_size(),
    })
}

/// Copies the bootloader's answers into a [`BootInfo`].
pub fn collect() -> Result<BootInfo, BootError> {
    if !BASE_REVISION.is_supported() {
        return Err(BootError::UnsupportedRevision);
    }
    let hhdm_offset = HHDM.get_response().ok_or(BootError::NoHhdm)?.offset();
    let memmap = MEMORY_MAP.get_response().ok_or(BootError::NoMemoryMap)?;

    let mut info = BootInfo {
        bootloader_name: [0; 32],
        bootloader_version: [0; 32],
        hhdm_offset,
        framebuffer: framebuffer(),
        regions: [Region {
            base: 0,
            len: 0,
            kind: RegionKind::Reserved,
        }; MAX_MEMORY_REGIONS],
        region_count: 0,
        modules: [None; MAX_MODULES],
        kernel_phys_base: 0,
        kernel_virt_base: 0,
        rsdp: RSDP.get_response().map(|r| r.address() as u64),
        five_level_paging: PAGING_MODE
            .get_response()
            .is_some_and(|r| r.mode() == limine::paging::Mode::FIVE_LEVEL),
    };
    if let Some(bl) = BOOTLOADER_INFO.get_response() {
        copy_str(&mut info.bootloader_name, bl.name().as_bytes());
        copy_str(&mut info.bootloader_version, bl.version().as_bytes());
    }
    for (slot, entry) in info.regions.iter_mut().zip(memmap.entries()) {
        *slot = Region {
            base: entry.base,
            len: entry.length,
            kind: RegionKind::from_limine(entry.entry_type),
        };
        info.region_count += 1;
    }
    if let Some(resp) = MODULES.get_response() {
        for (slot, file) in info.modules.iter_mut().zip(resp.modules()) {
            let mut m = Module {
                addr: file.addr() as u64,
                len: file.size(),
                path: [0; 64],
                path_len: 0,
            };
            m.path_len = copy_str(&mut m.path, file.path().to_bytes());
            *slot = Some(m);
        }
    }
    if let Some(ka) = KERNEL_ADDRESS.get_response() {
        info.kernel_phys_base = ka.physical_base();
        info.kernel_virt_base = ka.virtual_base();
    }
    Ok(info)
}

impl BootInfo {
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.region_count]
    }

    pub fn modules(&self) -> impl Iterator<Item = &Module> {
        self.modules.iter().flatten()
    }

    pub fn bootloader(&self) -> (&str, &str) {
        fn c_str(b: &[u8]) -> &str {
            let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            core::str::from_utf8(&b[..n]).unwrap_or("?")
        }
        (
            c_str(&self.bootloader_name),
            c_str(&self.bootloader_version),
        )
    }

    /// Bytes of RAM the memory map calls usable or reclaimable.
    pub fn usable_bytes(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    RegionKind::Usable
                        | RegionKind::BootloaderReclaimable
                        | RegionKind::KernelAndModules
                )
            })
            .map(|r| r.len)
            .sum()
    }
}
