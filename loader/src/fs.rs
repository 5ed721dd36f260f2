//! Reading files from the boot volume.
//!
//! Why the boot volume: Limine's `boot():` resource is the partition the loader itself was
//! loaded from. Under UEFI that is the SimpleFileSystem on the device of our LoadedImage —
//! on an ISO the El Torito EFI FAT image, on a disk the ESP.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use uefi::CString16;
use uefi::boot::{self, MemoryType, ScopedProtocol};
use uefi::proto::media::file::{Directory, File, FileAttribute, FileInfo, FileMode, RegularFile};
use uefi::proto::media::fs::SimpleFileSystem;

use loader_core::limits::{self, TooLarge};

use crate::Fatal;
use crate::mem::{alloc_pages, largest_free_block};

/// Which size bound a file read from the boot volume must respect.
#[derive(Clone, Copy)]
pub enum Bound {
    /// `limine.conf`: at most [`limits::MAX_CONFIG_BYTES`].
    Config,
    /// Kernel, modules: no larger than the largest free block of memory.
    FreeMemory,
}

impl Bound {
    fn check(self, path: &str, size: u64) -> Result<(), Fatal> {
        let r = match self {
            Self::Config => limits::check_config_size(path, size),
            Self::FreeMemory => limits::check_fits(path, size, largest_free_block()?),
        };
        r.map_err(|e: TooLarge| Fatal::new(format!("{e}")))
    }
}

/// The root directory of the boot volume.
pub struct BootVolume {
    root: Directory,
    // Kept open for as long as `root` is used; closed on drop before ExitBootServices.
    _fs: ScopedProtocol<SimpleFileSystem>,
}

impl BootVolume {
    /// Opens the file system the loader was loaded from.
    pub fn open() -> Result<Self, Fatal> {
        let mut fs = boot::get_image_file_system(boot::image_handle()).map_err(|e| {
            Fatal::new(format!(
                "cannot open the boot volume's file system ({:?})",
                e.status()
            ))
        })?;
        let root = fs.open_volume().map_err(|e| {
            Fatal::new(format!(
                "cannot open the boot volume's root ({:?})",
                e.status()
            ))
        })?;
        Ok(Self { root, _fs: fs })
    }

    /// Opens `path` ("/a/b") as a regular file; `Ok(None)` if it does not exist.
    fn open_file(&mut self, path: &str) -> Result<Option<RegularFile>, Fatal> {
        let uefi_path: String = path.trim_start_matches('/').replace('/', "\\");
        let name = CString16::try_from(uefi_path.as_str())
            .map_err(|_| Fatal::new(format!("`{path}`: path not representable in UCS-2")))?;
        match self
            .root
            .open(&name, FileMode::Read, FileAttribute::empty())
        {
            Ok(h) => match h.into_regular_file() {
                Some(f) => Ok(Some(f)),
                None => Err(Fatal::new(format!("`{path}` is a directory, not a file"))),
            },
            Err(e) if e.status() == uefi::Status::NOT_FOUND => Ok(None),
            Err(e) => Err(Fatal::new(format!(
                "cannot open `{path}` ({:?})",
                e.status()
            ))),
        }
    }

    fn size(file: &mut RegularFile, path: &str) -> Result<u64, Fatal> {
        let info = file
            .get_boxed_info::<FileInfo>()
            .map_err(|e| Fatal::new(format!("cannot stat `{path}` ({:?})", e.status())))?;
        Ok(info.file_size())
    }

    fn read_all(file: &mut RegularFile, buf: &mut [u8], path: &str) -> Result<(), Fatal> {
        let mut done = 0;
        while done < buf.len() {
            let n = file
                .read(&mut buf[done..])
                .map_err(|e| Fatal::new(format!("error reading `{path}` ({:?})", e.status())))?;
            if n == 0 {
                return Err(Fatal::new(format!(
                    "`{path}` ended early ({done} of {} bytes)",
                    buf.len()
                )));
            }
            done += n;
        }
        Ok(())
    }

    /// Reads a whole file into loader memory; `Ok(None)` if it does not exist. A file
    /// larger than `bound` allows, or than the memory left, is refused by name.
    pub fn read(&mut self, path: &str, bound: Bound) -> Result<Option<Vec<u8>>, Fatal> {
        let Some(mut f) = self.open_file(path)? else {
            return Ok(None);
        };
        let size = Self::size(&mut f, path)?;
        bound.check(path, size)?;
        let no_memory = || Fatal::new(format!("not enough memory to read `{path}` ({size} bytes)"));
        let len = usize::try_from(size).map_err(|_| no_memory())?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(len).map_err(|_| no_memory())?;
        buf.resize(len, 0);
        Self::read_all(&mut f, &mut buf, path)?;
        Ok(Some(buf))
    }

    /// Reads a whole file into fresh 4 KiB-aligned pages of memory type `ty`; returns
    /// `(physical address, size)`, or `Ok(None)` if it does not exist. A file larger than
    /// the largest free block of memory is refused by name.
    pub fn read_to_pages(
        &mut self,
        path: &str,
        ty: MemoryType,
    ) -> Result<Option<(u64, u64)>, Fatal> {
        let Some(mut f) = self.open_file(path)? else {
            return Ok(None);
        };
        let size = Self::size(&mut f, path)?;
        Bound::FreeMemory.check(path, size)?;
        let phys = alloc_pages(ty, size, &format!("`{path}`"))?;
        // SAFETY: `alloc_pages` returned at least `size` bytes of fresh, identity-mapped
        // memory owned by nobody else.
        let buf = unsafe { core::slice::from_raw_parts_mut(phys as *mut u8, size as usize) };
        Self::read_all(&mut f, buf, path)?;
        Ok(Some((phys, size)))
    }
}
