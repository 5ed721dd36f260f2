//! The boot sequence, in Limine v8's order: config, kernel, requests, responses, page
//! tables, memory map, ExitBootServices, hand-off.
//!
//! Why one straight-line function: each step depends on the previous one, and keeping the
//! order visible in one place makes it easy to check against Limine (e.g. everything that
//! must survive is allocated before the final memory map, nothing allocates after
//! ExitBootServices).

use alloc::format;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::slice;

use loader_core::config::{self, SEARCH_PATHS};
use loader_core::elf::{self, Image};
use loader_core::gdt::{GDT, Gdtr};
use loader_core::paging::{Cache, Flags, FrameSource, PAT_VALUE, PageSize, PageTables, hhdm_plan};
use loader_core::protocol::{
    self, AddressResponse, BootloaderInfoResponse, EmptyResponse, File, FirmwareTypeResponse,
    Framebuffer, HhdmResponse, KernelAddressResponse, ListResponse, MemmapEntry,
    PagingModeResponse, VideoMode, id, mem as mt,
};
use loader_core::requests::{self, Request, Scan};
use loader_core::uefi_memmap::{self, limine_type};
use loader_core::{PAGE_SIZE, align_down, align_up};
use uefi::boot::{self as uboot, MemoryType};
use uefi::mem::memory_map::MemoryMap;
use uefi::table::cfg::ConfigTableEntry;

use crate::fs::{BootVolume, Bound};
use crate::gop::{self, FramebufferInfo};
use crate::handoff::{self, HandoffArgs};
use crate::mem::{EXEC, RECLAIMABLE, Reclaim, alloc_pages, hhdm};
use crate::{Fatal, cpu, fail, mark_boot_services_exited, say};

const LOADER_NAME: &str = "RustOS-loader";
const LOADER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Page-table frames straight from UEFI, in bootloader-reclaimable memory.
struct UefiFrames;

impl FrameSource for UefiFrames {
    fn alloc_frame(&mut self) -> Option<u64> {
        alloc_pages(RECLAIMABLE, PAGE_SIZE, "page tables").ok()
    }
    fn table(&mut self, phys: u64) -> &mut [u64; 512] {
        // SAFETY: `phys` is a zeroed, page-aligned frame from `alloc_frame`, identity-mapped
        // by UEFI and used only as a page table through this one reference at a time.
        unsafe { &mut *(phys as *mut [u64; 512]) }
    }
}

/// A loaded module, ready to be described to the kernel.
struct LoadedModule {
    phys: u64,
    size: u64,
    path: alloc::string::String,
    cmdline: alloc::string::String,
}

/// Finds and reads `limine.conf`; returns its path and text.
fn read_config(vol: &mut BootVolume) -> Result<(&'static str, alloc::string::String), Fatal> {
    for path in SEARCH_PATHS {
        if let Some(bytes) = vol.read(path, Bound::Config)? {
            let text = alloc::string::String::from_utf8(bytes)
                .map_err(|_| Fatal::new(format!("`{path}` is not valid UTF-8")))?;
            return Ok((path, text));
        }
    }
    Err(Fatal::new(format!(
        "no limine.conf on the boot volume (searched {})",
        SEARCH_PATHS.join(", ")
    )))
}

fn rsdp() -> Option<u64> {
    uefi::system::with_config_table(|t| {
        let find = |g| t.iter().find(|e| e.guid == g).map(|e| e.address as u64);
        find(ConfigTableEntry::ACPI2_GUID).or_else(|| find(ConfigTableEntry::ACPI_GUID))
    })
}

/// The kernel image in memory, as a byte slice.
struct Loaded<'a> {
    image: Image,
    phys: u64,
    bytes: &'a mut [u8],
}

impl Loaded<'_> {
    fn field(&self, req: &Request, off: usize) -> u64 {
        requests::read_u64(self.bytes, req.offset + off).unwrap_or(0)
    }
}

/// Runs the whole boot; only returns on failure.
pub fn run() -> Result<Infallible, Fatal> {
    if cpu::read_cr4() & cpu::CR4_LA57 != 0 {
        return Err(Fatal::new(
            "firmware runs with 5-level paging; this loader only sets up 4-level paging",
        ));
    }

    // 1. Configuration.
    let mut vol = BootVolume::open()?;
    let (conf_path, text) = read_config(&mut vol)?;
    let spec =
        config::boot_spec(&text).map_err(|e| Fatal::new(format!("{}", e.in_file(conf_path))))?;
    let kernel_path = config::boot_volume_path(&spec.kernel_path)
        .map_err(|e| Fatal::new(format!("{}", e.in_file(conf_path))))?;

    // 2. Kernel.
    let file = vol.read(&kernel_path, Bound::FreeMemory)?.ok_or_else(|| {
        Fatal::new(format!(
            "kernel `{}` not found on the boot volume",
            spec.kernel_path
        ))
    })?;
    let image = elf::parse(&file).map_err(|e| Fatal::new(format!("{}: {e}", spec.kernel_path)))?;
    let phys = alloc_pages(
        EXEC,
        image.size(),
        &format!("the kernel `{}`", spec.kernel_path),
    )?;
    // SAFETY: `alloc_pages` returned `image.size()` fresh bytes, identity-mapped, that
    // only this slice refers to until the hand-off.
    let bytes = unsafe { slice::from_raw_parts_mut(phys as *mut u8, image.size() as usize) };
    image.load_into(&file, bytes);
    drop(file);
    let scan_len = (image.file_backed_end - image.virt_base) as usize;
    let mut k = Loaded { image, phys, bytes };

    // 3. Requests.
    let scan = requests::scan(k.bytes, scan_len)
        .map_err(|e| Fatal::new(format!("{}: {e}", spec.kernel_path)))?;
    if scan.base_revision == 0 {
        return Err(Fatal::new(format!(
            "{}: kernel has no base revision tag (base revision 0 is deprecated and not supported by this loader; use 1 or 2)",
            spec.kernel_path
        )));
    }

    say(&format!("booting {spec}"));

    // 4. Firmware information the responses and the page tables need.
    let fb = gop::framebuffer();
    let mut r = Reclaim::new();
    let entry = answer_requests(&mut k, &scan, &mut r, &mut vol, &spec, fb.as_ref())?;
    let stack_size = match scan.find(id::STACK_SIZE) {
        Some(req) => k
            .field(req, protocol::REQ_FIELDS)
            .max(protocol::MIN_STACK_SIZE),
        None => protocol::MIN_STACK_SIZE,
    };
    let stack_size = align_up(stack_size, PAGE_SIZE)
        .ok_or_else(|| Fatal::new("requested stack is too large"))?;
    let stack = alloc_pages(RECLAIMABLE, stack_size, "the kernel stack")?;
    drop(vol);

    // 5. GDT.
    let gdt = r.put(GDT)?;
    let gdtr = r.put(Gdtr::new(hhdm(gdt)))?;

    // 6. Page tables.
    let fb_range = fb.as_ref().map(|f| (f.phys, f.mode.pitch * f.mode.height));
    let (cr3, identity_pml4e) = build_page_tables(&k, fb_range)?;

    // 7. Memory map buffers (nothing can be allocated after ExitBootServices).
    let memmap_out = prepare_memmap(&mut k, &scan, &mut r)?;

    let args = HandoffArgs {
        cr3,
        entry,
        stack_top: hhdm(stack + stack_size),
        gdtr: hhdm(gdtr),
        hhdm: protocol::HHDM_OFFSET,
        identity_pml4e,
    };

    // 8. Exit boot services. From here on: no allocation, output only on COM1.
    // SAFETY: every protocol we opened (file system, GOP) has been dropped; nothing below
    // uses boot services or frees pool memory.
    let uefi_map = unsafe { uboot::exit_boot_services(None) };
    mark_boot_services_exited();
    cpu::cli();

    if let Some(m) = memmap_out {
        let extra = fb_range.map(|(base, length)| MemmapEntry {
            base,
            length,
            typ: mt::FRAMEBUFFER,
        });
        let input = uefi_map
            .entries()
            .map(|d| (d.ty.0, d.phys_start, d.page_count));
        match uefi_memmap::build(input, extra.as_slice(), m.raw, m.bounds, m.out) {
            Ok(n) => {
                for (ptr, e) in m.ptrs.iter_mut().zip(m.out.iter()).take(n) {
                    *ptr = hhdm(e as *const MemmapEntry as u64);
                }
                m.response.count = n as u64;
            }
            Err(uefi_memmap::TooManyEntries) => fail("the UEFI memory map has too many entries"),
        }
    }
    // The map lives in loader pool memory that is about to be reported usable; it is not
    // freed (boot services are gone) and not used after this point.
    core::mem::forget(uefi_map);

    // 9. Machine state and hand-off.
    if cpu::has_nx() {
        // SAFETY: IA32_EFER exists on every x86-64 CPU (long mode is enabled through it);
        // reading it has no side effect.
        let efer = unsafe { cpu::rdmsr(cpu::MSR_EFER) };
        // SAFETY: CPUID reports NX, so EFER.NXE may be set; it only makes bit 63 of page
        // table entries mean no-execute, and UEFI's current tables do not set that bit
        // (they would fault without NXE). The other EFER bits are written back unchanged.
        unsafe { cpu::wrmsr(cpu::MSR_EFER, efer | cpu::EFER_NXE) };
    }
    // SAFETY: IA32_PAT exists on every x86-64 CPU. PAT_VALUE keeps entries 0-3 (WB, WT,
    // UC-, UC: the power-on values, all that a mapping without the PAT bit can select, as
    // UEFI's do) and changes only entries 4-7, which only our new tables select (entry 5,
    // write-combining, for the framebuffer); no mapping in use changes its memory type.
    unsafe { cpu::wrmsr(cpu::MSR_PAT, PAT_VALUE) };
    cpu::mask_pic();
    // SAFETY: clearing CR4.PGE only flushes global TLB entries (so no stale global UEFI
    // mapping survives the CR3 switch); PAE stays set and the paging mode is unchanged.
    unsafe { cpu::write_cr4(cpu::read_cr4() & !cpu::CR4_PGE) };
    // SAFETY: boot services are exited; `args` describes page tables mapping the kernel,
    // its stack, the GDT, the HHDM and (identically) the trampoline; NXE is set if NX is
    // used; the entry point was checked to lie in an executable kernel segment.
    unsafe { handoff::enter_kernel(&args) }
}

/// Writes every response the loader supports; returns the entry point to use.
fn answer_requests(
    k: &mut Loaded<'_>,
    scan: &Scan,
    r: &mut Reclaim,
    vol: &mut BootVolume,
    spec: &config::BootSpec,
    fb: Option<&FramebufferInfo>,
) -> Result<u64, Fatal> {
    let mut entry = k.image.entry;
    let answer = |k: &mut Loaded<'_>, req: &Request, resp: u64| {
        requests::set_response(k.bytes, req, hhdm(resp))
    };

    if let Some(req) = scan.find(id::PAGING_MODE) {
        // Rev 1: max_mode at 0x38, min_mode at 0x40. Only 4-level (0) is offered.
        if req.revision >= 1 && k.field(req, 0x40) > protocol::PAGING_MODE_4LEVEL {
            return Err(Fatal::new(
                "kernel requires 5-level paging (paging mode request min_mode); only 4-level is supported",
            ));
        }
        let p = r.put(PagingModeResponse {
            revision: 0,
            mode: protocol::PAGING_MODE_4LEVEL,
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::ENTRY_POINT) {
        let e = k.field(req, protocol::REQ_FIELDS);
        if !k
            .image
            .segments
            .iter()
            .any(|s| s.executable() && e >= s.vaddr && e < s.end())
        {
            return Err(Fatal::new(format!(
                "entry point request: {e:#x} is not inside an executable kernel segment"
            )));
        }
        entry = e;
        let p = r.put(EmptyResponse { revision: 0 })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::BOOTLOADER_INFO) {
        let name = r.put_cstr(LOADER_NAME)?;
        let version = r.put_cstr(LOADER_VERSION)?;
        let p = r.put(BootloaderInfoResponse {
            revision: 0,
            name: hhdm(name),
            version: hhdm(version),
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::FIRMWARE_TYPE) {
        let p = r.put(FirmwareTypeResponse {
            revision: 0,
            firmware_type: protocol::FIRMWARE_TYPE_UEFI64,
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::KERNEL_ADDRESS) {
        let p = r.put(KernelAddressResponse {
            revision: 0,
            physical_base: k.phys,
            virtual_base: k.image.virt_base,
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::HHDM) {
        let p = r.put(HhdmResponse {
            revision: 0,
            offset: protocol::HHDM_OFFSET,
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::RSDP)
        && let Some(rsdp) = rsdp()
    {
        let p = r.put(AddressResponse {
            revision: 0,
            address: hhdm(rsdp),
        })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::STACK_SIZE) {
        let p = r.put(EmptyResponse { revision: 0 })?;
        answer(k, req, p);
    }
    if let Some(req) = scan.find(id::MODULE) {
        if req.revision >= 1 && k.field(req, protocol::REQ_FIELDS) != 0 {
            return Err(Fatal::new(
                "kernel asks for internal modules (module request revision 1); not supported by this loader",
            ));
        }
        let mut loaded = Vec::new();
        for m in &spec.modules {
            let path = config::boot_volume_path(&m.path).map_err(|e| Fatal::new(format!("{e}")))?;
            let (phys, size) = vol.read_to_pages(&path, EXEC)?.ok_or_else(|| {
                Fatal::new(format!(
                    "failed to open module with path `{}`; is the path correct?",
                    m.path
                ))
            })?;
            loaded.push(LoadedModule {
                phys,
                size,
                path: m.path.clone(),
                cmdline: m.cmdline.clone(),
            });
        }
        // Like Limine: no modules, no response.
        if !loaded.is_empty() {
            let files = r.alloc_slice::<File>(loaded.len())?;
            let list = r.alloc_slice::<u64>(loaded.len())?;
            for ((m, file), ptr) in loaded.iter().zip(files.iter_mut()).zip(list.iter_mut()) {
                *file = File {
                    revision: 0,
                    address: hhdm(m.phys),
                    size: m.size,
                    path: hhdm(r.put_cstr(&m.path)?),
                    cmdline: hhdm(r.put_cstr(&m.cmdline)?),
                    ..File::default()
                };
                *ptr = hhdm(file as *const File as u64);
            }
            let p = r.put(ListResponse {
                revision: 1,
                count: loaded.len() as u64,
                list: hhdm(list.as_ptr() as u64),
            })?;
            answer(k, req, p);
        }
    }
    if let Some(req) = scan.find(id::FRAMEBUFFER)
        && let Some(fb) = fb
    {
        let modes = r.alloc_slice::<VideoMode>(fb.modes.len())?;
        let mode_list = r.alloc_slice::<u64>(fb.modes.len())?;
        for ((m, mode), ptr) in fb
            .modes
            .iter()
            .zip(modes.iter_mut())
            .zip(mode_list.iter_mut())
        {
            *mode = *m;
            *ptr = hhdm(mode as *const VideoMode as u64);
        }
        let m = fb.mode;
        let f = r.put(Framebuffer {
            address: hhdm(fb.phys),
            width: m.width,
            height: m.height,
            pitch: m.pitch,
            bpp: m.bpp,
            memory_model: m.memory_model,
            red_mask_size: m.red_mask_size,
            red_mask_shift: m.red_mask_shift,
            green_mask_size: m.green_mask_size,
            green_mask_shift: m.green_mask_shift,
            blue_mask_size: m.blue_mask_size,
            blue_mask_shift: m.blue_mask_shift,
            unused: [0; 7],
            edid_size: 0,
            edid: 0,
            mode_count: fb.modes.len() as u64,
            modes: hhdm(mode_list.as_ptr() as u64),
        })?;
        let list = r.put(hhdm(f))?;
        let p = r.put(ListResponse {
            revision: 1,
            count: 1,
            list: hhdm(list),
        })?;
        answer(k, req, p);
    }
    Ok(entry)
}

/// Builds the kernel's page tables; returns (CR3, HHDM address of the PML4 entry that
/// holds the temporary identity mapping of the trampoline).
fn build_page_tables(k: &Loaded<'_>, fb: Option<(u64, u64)>) -> Result<(u64, u64), Fatal> {
    let pt_err = |e| Fatal::new(format!("building page tables: {e}"));
    // Regions the HHDM must cover, from the current map: later allocations only split
    // regions already listed.
    let snapshot = uboot::memory_map(MemoryType::LOADER_DATA)
        .map_err(|e| Fatal::new(format!("GetMemoryMap failed ({:?})", e.status())))?;
    let regions: Vec<MemmapEntry> = snapshot
        .entries()
        .map(|d| MemmapEntry {
            base: d.phys_start,
            length: d.page_count.saturating_mul(PAGE_SIZE),
            typ: limine_type(d.ty.0),
        })
        .collect();
    drop(snapshot);
    let plan = hhdm_plan(&regions, fb.as_slice());

    let mut pt = PageTables::new(UefiFrames, cpu::has_1g_pages(), cpu::has_nx()).map_err(pt_err)?;
    pt.map_kernel(&k.image, k.phys).map_err(pt_err)?;
    pt.map_hhdm(&plan).map_err(pt_err)?;

    let (start, end) = handoff::trampoline_range();
    let first = align_down(start, PAGE_SIZE);
    let last = align_down(end.saturating_sub(1), PAGE_SIZE);
    let pml4_index = |a: u64| (a >> 39) & 0x1ff;
    if pml4_index(first) != pml4_index(last) || pml4_index(first) >= 256 {
        return Err(Fatal::new(
            "the loader's trampoline is at an unusable address",
        ));
    }
    let code = Flags {
        writable: false,
        executable: true,
        cache: Cache::WriteBack,
    };
    for page in (first..=last).step_by(PAGE_SIZE as usize) {
        pt.map(page, page, PageSize::Small, code).map_err(pt_err)?;
    }
    Ok((pt.pml4, hhdm(pt.pml4 + pml4_index(first) * 8)))
}

/// Buffers the memory map is built in after ExitBootServices.
struct MemmapBuffers {
    response: &'static mut ListResponse,
    raw: &'static mut [MemmapEntry],
    bounds: &'static mut [u64],
    out: &'static mut [MemmapEntry],
    ptrs: &'static mut [u64],
}

/// Allocates the memory map response and work buffers, sized generously from the current
/// map, and points the request at the (not yet filled) response.
fn prepare_memmap(
    k: &mut Loaded<'_>,
    scan: &Scan,
    r: &mut Reclaim,
) -> Result<Option<MemmapBuffers>, Fatal> {
    let Some(req) = scan.find(id::MEMORY_MAP) else {
        return Ok(None);
    };
    let n = uboot::memory_map(MemoryType::LOADER_DATA)
        .map_err(|e| Fatal::new(format!("GetMemoryMap failed ({:?})", e.status())))?
        .len();
    // Allocating these buffers and ExitBootServices' own buffer add a few descriptors.
    let inputs = n + 64;
    let outputs = 2 * inputs;
    let response = &mut r.alloc_slice::<ListResponse>(1)?[0];
    let raw = r.alloc_slice::<MemmapEntry>(inputs)?;
    let bounds = r.alloc_slice::<u64>(2 * inputs)?;
    let out = r.alloc_slice::<MemmapEntry>(outputs)?;
    let ptrs = r.alloc_slice::<u64>(outputs)?;
    response.list = hhdm(ptrs.as_ptr() as u64);
    let response_addr = response as *const ListResponse as u64;
    let bufs = MemmapBuffers {
        response,
        raw,
        bounds,
        out,
        ptrs,
    };
    requests::set_response(k.bytes, req, hhdm(response_addr));
    Ok(Some(bufs))
}
