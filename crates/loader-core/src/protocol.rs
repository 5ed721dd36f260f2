//! Limine boot protocol constants and the in-memory layout of every response we write.
//!
//! Why a copy of the layouts: the kernel reads these structures through the `limine` crate
//! 0.5.0; any difference in size or field order would hand it garbage. The tests below
//! transmute our structs into the crate's types and read them back through its accessors,
//! so a layout mismatch fails on the host, not on a screen.

/// Offset at which the higher-half direct map starts (4-level paging, no KASLR).
pub const HHDM_OFFSET: u64 = 0xffff_8000_0000_0000;

/// Highest base revision Limine v8 (and this loader) supports.
pub const MAX_BASE_REVISION: u64 = 2;

/// Minimum stack size given to the kernel.
pub const MIN_STACK_SIZE: u64 = 64 * 1024;

/// Requests start marker (4 words).
pub const START_MARKER: [u64; 4] = [
    0xf6b8f4b39de7d1ae,
    0xfab91a6940fcb9cf,
    0x785c6ed015d3e316,
    0x181e920a7852b9d9,
];
/// Requests end marker (2 words).
pub const END_MARKER: [u64; 2] = [0xadc0e0531bb10d03, 0x9572709f31764c62];
/// First two words of the base revision tag; the third is the revision.
pub const BASE_REVISION_MAGIC: [u64; 2] = [0xf9562b2d5c95a6c8, 0x6a7b384944536bdc];
/// First two id words shared by every request.
pub const COMMON_MAGIC: [u64; 2] = [0xc7b1dd30df4c8b88, 0x0a82e883a194f07b];

/// Offset of `revision` in a request.
pub const REQ_REVISION: usize = 0x20;
/// Offset of the `response` pointer in a request.
pub const REQ_RESPONSE: usize = 0x28;
/// Offset of the first request-specific field.
pub const REQ_FIELDS: usize = 0x30;

/// Request ids (words 3-4) this loader answers.
pub mod id {
    /// Bootloader name and version.
    pub const BOOTLOADER_INFO: [u64; 2] = [0xf55038d8e2a1202f, 0x279426fcf5f59740];
    /// Firmware type (BIOS / UEFI32 / UEFI64).
    pub const FIRMWARE_TYPE: [u64; 2] = [0x8c2f75d90bef28a8, 0x7045a4688eac00c3];
    /// Stack size; field `stack_size: u64` at 0x30.
    pub const STACK_SIZE: [u64; 2] = [0x224ef0460a8e8926, 0xe1cb0fc25f46ea3d];
    /// Higher-half direct map offset.
    pub const HHDM: [u64; 2] = [0x48dcf1cb8ad2b852, 0x63984e959a98244b];
    /// Framebuffers.
    pub const FRAMEBUFFER: [u64; 2] = [0x9d5827dcd881dd75, 0xa3148604f6fab11b];
    /// Paging mode; field `mode: u64` at 0x30 (rev 1: `max_mode`, `min_mode`).
    pub const PAGING_MODE: [u64; 2] = [0x95c1a0edab0944cb, 0xa4e5cb3842f7488a];
    /// Memory map.
    pub const MEMORY_MAP: [u64; 2] = [0x67cf3d9d378a806f, 0xe304acdfc50c3c62];
    /// Entry point override; field `entry: u64` at 0x30.
    pub const ENTRY_POINT: [u64; 2] = [0x13d86c035a1cd3e1, 0x2b0caa89d8f3026a];
    /// Modules; rev 1 fields `internal_module_count` at 0x30, `internal_modules` at 0x38.
    pub const MODULE: [u64; 2] = [0x3e7e279702be32af, 0xca1c4f3bd1280cee];
    /// ACPI RSDP.
    pub const RSDP: [u64; 2] = [0xc5e77b6b397e7b43, 0x27637845accdcf3c];
    /// Kernel (executable) physical and virtual base.
    pub const KERNEL_ADDRESS: [u64; 2] = [0x71ba76863cc55f63, 0xb2644a48c516a487];
}

/// Memory map entry types.
pub mod mem {
    /// Free RAM.
    pub const USABLE: u64 = 0;
    /// Not RAM, or RAM nobody may touch.
    pub const RESERVED: u64 = 1;
    /// ACPI tables; free once parsed.
    pub const ACPI_RECLAIMABLE: u64 = 2;
    /// ACPI non-volatile storage.
    pub const ACPI_NVS: u64 = 3;
    /// Defective RAM.
    pub const BAD_MEMORY: u64 = 4;
    /// Loader data (responses, page tables, GDT, stack): free once the kernel copied it.
    pub const BOOTLOADER_RECLAIMABLE: u64 = 5;
    /// Kernel image and modules.
    pub const EXECUTABLE_AND_MODULES: u64 = 6;
    /// Framebuffer.
    pub const FRAMEBUFFER: u64 = 7;
}

/// Firmware type value for 64-bit UEFI.
pub const FIRMWARE_TYPE_UEFI64: u64 = 2;
/// Paging mode value for 4-level paging.
pub const PAGING_MODE_4LEVEL: u64 = 0;
/// Framebuffer memory model "RGB".
pub const MEMORY_MODEL_RGB: u8 = 1;

/// `{ revision, name, version }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct BootloaderInfoResponse {
    pub revision: u64,
    pub name: u64,
    pub version: u64,
}

/// `{ revision, firmware_type }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct FirmwareTypeResponse {
    pub revision: u64,
    pub firmware_type: u64,
}

/// A response with no field but its revision (stack size, entry point).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyResponse {
    pub revision: u64,
}

/// `{ revision, offset }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HhdmResponse {
    pub revision: u64,
    pub offset: u64,
}

/// `{ revision, count, pointer to array of pointers }`: framebuffer, memory map and module
/// responses share this shape.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ListResponse {
    pub revision: u64,
    pub count: u64,
    pub list: u64,
}

/// `{ revision, mode }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PagingModeResponse {
    pub revision: u64,
    pub mode: u64,
}

/// `{ revision, address }` (RSDP).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressResponse {
    pub revision: u64,
    pub address: u64,
}

/// `{ revision, physical_base, virtual_base }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct KernelAddressResponse {
    pub revision: u64,
    pub physical_base: u64,
    pub virtual_base: u64,
}

/// A video mode (framebuffer response revision 1).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VideoMode {
    pub pitch: u64,
    pub width: u64,
    pub height: u64,
    pub bpp: u16,
    pub memory_model: u8,
    pub red_mask_size: u8,
    pub red_mask_shift: u8,
    pub green_mask_size: u8,
    pub green_mask_shift: u8,
    pub blue_mask_size: u8,
    pub blue_mask_shift: u8,
}

/// A framebuffer (revision 1 layout).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Framebuffer {
    pub address: u64,
    pub width: u64,
    pub height: u64,
    pub pitch: u64,
    pub bpp: u16,
    pub memory_model: u8,
    pub red_mask_size: u8,
    pub red_mask_shift: u8,
    pub green_mask_size: u8,
    pub green_mask_shift: u8,
    pub blue_mask_size: u8,
    pub blue_mask_shift: u8,
    pub unused: [u8; 7],
    pub edid_size: u64,
    pub edid: u64,
    pub mode_count: u64,
    pub modes: u64,
}

/// A memory map entry.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemmapEntry {
    pub base: u64,
    pub length: u64,
    pub typ: u64,
}

/// A 16-byte UUID.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Uuid {
    pub a: u32,
    pub b: u16,
    pub c: u16,
    pub d: [u8; 8],
}

/// `struct limine_file` (module response entries).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct File {
    pub revision: u64,
    pub address: u64,
    pub size: u64,
    pub path: u64,
    pub cmdline: u64,
    pub media_type: u32,
    pub unused: u32,
    pub tftp_ip: u32,
    pub tftp_port: u32,
    pub partition_index: u32,
    pub mbr_disk_id: u32,
    pub gpt_disk_uuid: Uuid,
    pub gpt_part_uuid: Uuid,
    pub part_uuid: Uuid,
}

/// Framebuffer pixel layout from the GOP pixel format.
pub fn rgb_layout(red_mask: u32, green_mask: u32, blue_mask: u32) -> Option<[(u8, u8); 3]> {
    fn one(mask: u32) -> Option<(u8, u8)> {
        if mask == 0 {
            return None;
        }
        let shift = mask.trailing_zeros();
        let size = (mask >> shift).trailing_ones();
        // The mask must be one contiguous run of bits.
        if (mask >> shift) >> size != 0 {
            return None;
        }
        Some((size as u8, shift as u8))
    }
    Some([one(red_mask)?, one(green_mask)?, one(blue_mask)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    /// Reinterprets one of our structs as the `limine` crate's type of the same size.
    fn view<T, U>(t: &T) -> U {
        assert_eq!(size_of::<T>(), size_of::<U>());
        // SAFETY: same size (asserted); both are `repr(C)` plain data whose pointers are
        // real host pointers or null, and every bit pattern we produce is valid for `U`.
        unsafe { core::mem::transmute_copy(t) }
    }

    #[test]
    fn sizes_match_limine_crate() {
        assert_eq!(
            size_of::<BootloaderInfoResponse>(),
            size_of::<limine::response::BootloaderInfoResponse>()
        );
        assert_eq!(
            size_of::<FirmwareTypeResponse>(),
            size_of::<limine::response::FirmwareTypeResponse>()
        );
        assert_eq!(
            size_of::<EmptyResponse>(),
            size_of::<limine::response::StackSizeResponse>()
        );
        assert_eq!(
            size_of::<HhdmResponse>(),
            size_of::<limine::response::HhdmResponse>()
        );
        assert_eq!(
            size_of::<ListResponse>(),
            size_of::<limine::response::FramebufferResponse>()
        );
        assert_eq!(
            size_of::<ListResponse>(),
            size_of::<limine::response::MemoryMapResponse>()
        );
        assert_eq!(
            size_of::<ListResponse>(),
            size_of::<limine::response::ModuleResponse>()
        );
        assert_eq!(
            size_of::<PagingModeResponse>(),
            size_of::<limine::response::PagingModeResponse>()
        );
        assert_eq!(
            size_of::<AddressResponse>(),
            size_of::<limine::response::RsdpResponse>()
        );
        assert_eq!(
            size_of::<KernelAddressResponse>(),
            size_of::<limine::response::ExecutableAddressResponse>()
        );
        assert_eq!(
            size_of::<MemmapEntry>(),
            size_of::<limine::memory_map::Entry>()
        );
        assert_eq!(size_of::<File>(), size_of::<limine::file::File>());
        assert_eq!(
            size_of::<VideoMode>(),
            size_of::<limine::framebuffer::VideoMode>()
        );
        assert_eq!(size_of::<Framebuffer>(), 0x50);
    }

    #[test]
    fn responses_read_back_through_limine_crate() {
        let name = c"RustOS-loader";
        let version = c"1.0";
        let bi = BootloaderInfoResponse {
            revision: 0,
            name: name.as_ptr() as u64,
            version: version.as_ptr() as u64,
        };
        let l: limine::response::BootloaderInfoResponse = view(&bi);
        assert_eq!((l.name(), l.version()), ("RustOS-loader", "1.0"));

        let h: limine::response::HhdmResponse = view(&HhdmResponse {
            revision: 0,
            offset: HHDM_OFFSET,
        });
        assert_eq!(h.offset(), HHDM_OFFSET);

        let p: limine::response::PagingModeResponse = view(&PagingModeResponse {
            revision: 0,
            mode: PAGING_MODE_4LEVEL,
        });
        assert!(p.mode() == limine::paging::Mode::FOUR_LEVEL);

        let k: limine::response::ExecutableAddressResponse = view(&KernelAddressResponse {
            revision: 0,
            physical_base: 0x123000,
            virtual_base: 0xffffffff80000000,
        });
        assert_eq!(
            (k.physical_base(), k.virtual_base()),
            (0x123000, 0xffffffff80000000)
        );

        let r: limine::response::RsdpResponse = view(&AddressResponse {
            revision: 0,
            address: 0xdead0,
        });
        assert_eq!(r.address(), 0xdead0);

        let entries = [
            MemmapEntry {
                base: 0x1000,
                length: 0x9f000,
                typ: mem::USABLE,
            },
            MemmapEntry {
                base: 0x100000,
                length: 0x1000,
                typ: mem::FRAMEBUFFER,
            },
        ];
        let ptrs: [u64; 2] = [
            &entries[0] as *const _ as u64,
            &entries[1] as *const _ as u64,
        ];
        let m: limine::response::MemoryMapResponse = view(&ListResponse {
            revision: 0,
            count: 2,
            list: ptrs.as_ptr() as u64,
        });
        let got: alloc::vec::Vec<(u64, u64, bool)> = m
            .entries()
            .iter()
            .map(|e| {
                (
                    e.base,
                    e.length,
                    e.entry_type == limine::memory_map::EntryType::FRAMEBUFFER,
                )
            })
            .collect();
        assert_eq!(got, [(0x1000, 0x9f000, false), (0x100000, 0x1000, true)]);

        let path = c"boot():/boot/initrd.tar";
        let cmdline = c"";
        let file = File {
            address: 0x5000,
            size: 1234,
            path: path.as_ptr() as u64,
            cmdline: cmdline.as_ptr() as u64,
            ..Default::default()
        };
        let fptr = [&file as *const File as u64];
        let mr: limine::response::ModuleResponse = view(&ListResponse {
            revision: 1,
            count: 1,
            list: fptr.as_ptr() as u64,
        });
        let f = mr.modules()[0];
        assert_eq!((f.addr() as u64, f.size()), (0x5000, 1234));
        assert_eq!(f.path().to_str().unwrap(), "boot():/boot/initrd.tar");
        assert_eq!(f.string().to_bytes(), b"");
        assert!(f.media_type() == limine::file::MediaType::GENERIC);
        assert!(f.gpt_disk_id().is_none() && f.partition_idx().is_none());

        let mode = VideoMode {
            pitch: 4096,
            width: 1024,
            height: 768,
            bpp: 32,
            memory_model: 1,
            red_mask_size: 8,
            red_mask_shift: 16,
            green_mask_size: 8,
            green_mask_shift: 8,
            blue_mask_size: 8,
            blue_mask_shift: 0,
        };
        let mptr = [&mode as *const VideoMode as u64];
        let fb = Framebuffer {
            address: 0xffff8000_80000000,
            width: 1024,
            height: 768,
            pitch: 4096,
            bpp: 32,
            memory_model: 1,
            red_mask_size: 8,
            red_mask_shift: 16,
            green_mask_size: 8,
            green_mask_shift: 8,
            blue_mask_size: 8,
            blue_mask_shift: 0,
            mode_count: 1,
            modes: mptr.as_ptr() as u64,
            ..Default::default()
        };
        let fbptr = [&fb as *const Framebuffer as u64];
        let fr: limine::response::FramebufferResponse = view(&ListResponse {
            revision: 1,
            count: 1,
            list: fbptr.as_ptr() as u64,
        });
        let f = fr.framebuffers().next().unwrap();
        assert_eq!(
            (f.addr() as u64, f.width(), f.height(), f.pitch(), f.bpp()),
            (0xffff8000_80000000, 1024, 768, 4096, 32)
        );
        assert!(f.memory_model() == limine::framebuffer::MemoryModel::RGB);
        assert_eq!(
            (
                f.red_mask_shift(),
                f.green_mask_shift(),
                f.blue_mask_shift(),
                f.blue_mask_size()
            ),
            (16, 8, 0, 8)
        );
        assert!(f.edid().is_none());
        let modes = f.modes().unwrap();
        assert_eq!(
            (modes.len(), modes[0].width, modes[0].height),
            (1, 1024, 768)
        );
    }

    #[test]
    fn rgb_layouts() {
        assert_eq!(
            rgb_layout(0xff0000, 0xff00, 0xff),
            Some([(8, 16), (8, 8), (8, 0)])
        );
        assert_eq!(
            rgb_layout(0xff, 0xff00, 0xff0000),
            Some([(8, 0), (8, 8), (8, 16)])
        );
        assert_eq!(
            rgb_layout(0xf800, 0x7e0, 0x1f),
            Some([(5, 11), (6, 5), (5, 0)])
        );
        assert_eq!(rgb_layout(0, 0xff00, 0xff), None);
        assert_eq!(rgb_layout(0xf0f, 0xff00, 0xff), None);
    }
}
