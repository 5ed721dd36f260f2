//! The GDT the kernel is entered with.
//!
//! Why this exact table: the Limine protocol documents the selectors (0x28 code, 0x30 data)
//! and kernels written for Limine often keep running on it until they install their own,
//! so it must match Limine's descriptor for descriptor.

/// Null, 16-bit code/data, 32-bit code/data, 64-bit code/data.
pub const GDT: [u64; 7] = [
    0,
    0x0000_9a00_0000_ffff, // 0x08: 16-bit code, base 0, limit 0xffff
    0x0000_9200_0000_ffff, // 0x10: 16-bit data
    0x00cf_9a00_0000_ffff, // 0x18: 32-bit code, 4 KiB granularity, limit 4 GiB
    0x00cf_9200_0000_ffff, // 0x20: 32-bit data
    0x0020_9a00_0000_0000, // 0x28: 64-bit code (L bit)
    0x0000_9200_0000_0000, // 0x30: 64-bit data
];

/// Selector loaded into CS.
pub const KERNEL_CS: u16 = 0x28;
/// Selector loaded into DS, ES, SS, FS, GS.
pub const KERNEL_DS: u16 = 0x30;

/// The `lgdt` operand: 2-byte limit then 8-byte base, packed into 16 bytes.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
pub struct Gdtr {
    /// Size of the table minus one.
    pub limit: u16,
    /// Linear address of the table.
    pub base: u64,
}

impl Gdtr {
    /// The descriptor for [`GDT`] placed at `base`.
    pub const fn new(base: u64) -> Self {
        Self {
            limit: (core::mem::size_of::<[u64; 7]>() - 1) as u16,
            base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(d: u64) -> u8 {
        (d >> 40) as u8
    }
    fn flags(d: u64) -> u8 {
        ((d >> 52) & 0xf) as u8
    }

    #[test]
    fn descriptors() {
        let cs = GDT[(KERNEL_CS / 8) as usize];
        let ds = GDT[(KERNEL_DS / 8) as usize];
        assert_eq!(access(cs), 0x9a, "present, ring 0, code, readable");
        assert_eq!(flags(cs), 0b0010, "L=1, D=0");
        assert_eq!(access(ds), 0x92, "present, ring 0, data, writable");
        assert_eq!(
            (flags(GDT[3]), flags(GDT[4])),
            (0b1100, 0b1100),
            "32-bit: G=1 D=1"
        );
        assert_eq!((flags(GDT[1]), flags(GDT[2])), (0, 0), "16-bit");
        assert_eq!({ Gdtr::new(0x1234).limit }, 55);
        assert_eq!(core::mem::size_of::<Gdtr>(), 10);
    }
}
