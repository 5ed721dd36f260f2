//! Checked access to a program's linear memory.
//!
//! Every pointer a WASI program passes is untrusted. Following the preview 1 rules (and
//! wasmtime): a pointer whose range does not lie inside memory, or that is misaligned for
//! the type it points to, makes the call **trap**; text that is not UTF-8 is `EILSEQ`.
//! Nothing here indexes memory without a check, and `ptr + len` never overflows (both are
//! `u32`, added as `u64`).

use super::{Errno, Fail};
use alloc::format;
use core::ops::Range;

/// The byte range `ptr .. ptr + len`, if it lies in a memory of `mem_len` bytes and `ptr` is
/// a multiple of `align`.
pub(crate) fn range(mem_len: usize, ptr: u32, len: u32, align: u32) -> Result<Range<usize>, Fail> {
    if align > 1 && !ptr.is_multiple_of(align) {
        return Err(Fail::Trap(format!(
            "misaligned pointer {ptr:#x} (needs {align}-byte alignment)"
        )));
    }
    let end = u64::from(ptr) + u64::from(len);
    if end > mem_len as u64 {
        return Err(Fail::Trap(format!(
            "pointer {ptr:#x}+{len} is outside the {mem_len}-byte memory"
        )));
    }
    Ok(ptr as usize..end as usize)
}

/// `len` bytes at `ptr`.
pub(crate) fn bytes(mem: &[u8], ptr: u32, len: u32) -> Result<&[u8], Fail> {
    let r = range(mem.len(), ptr, len, 1)?;
    mem.get(r)
        .ok_or_else(|| Fail::Trap(format!("bad range {ptr:#x}+{len}")))
}

/// `len` writable bytes at `ptr`.
pub(crate) fn bytes_mut(mem: &mut [u8], ptr: u32, len: u32) -> Result<&mut [u8], Fail> {
    let r = range(mem.len(), ptr, len, 1)?;
    mem.get_mut(r)
        .ok_or_else(|| Fail::Trap(format!("bad range {ptr:#x}+{len}")))
}

/// `N` bytes at `ptr`, aligned to `align`.
fn array<const N: usize>(mem: &[u8], ptr: u32, align: u32) -> Result<[u8; N], Fail> {
    let r = range(mem.len(), ptr, N as u32, align)?;
    let mut out = [0; N];
    out.copy_from_slice(mem.get(r).unwrap_or(&[0; N]));
    Ok(out)
}

/// Writes `data` at `ptr` (aligned to `align`).
pub(crate) fn put(mem: &mut [u8], ptr: u32, data: &[u8], align: u32) -> Result<(), Fail> {
    let r = range(mem.len(), ptr, data.len() as u32, align)?;
    if let Some(dst) = mem.get_mut(r) {
        dst.copy_from_slice(data);
    }
    Ok(())
}

pub(crate) fn read_u8(mem: &[u8], ptr: u32) -> Result<u8, Fail> {
    Ok(array::<1>(mem, ptr, 1)?[0])
}

pub(crate) fn read_u16(mem: &[u8], ptr: u32) -> Result<u16, Fail> {
    Ok(u16::from_le_bytes(array(mem, ptr, 2)?))
}

pub(crate) fn read_u32(mem: &[u8], ptr: u32) -> Result<u32, Fail> {
    Ok(u32::from_le_bytes(array(mem, ptr, 4)?))
}

pub(crate) fn read_u64(mem: &[u8], ptr: u32) -> Result<u64, Fail> {
    Ok(u64::from_le_bytes(array(mem, ptr, 8)?))
}

pub(crate) fn write_u32(mem: &mut [u8], ptr: u32, v: u32) -> Result<(), Fail> {
    put(mem, ptr, &v.to_le_bytes(), 4)
}

pub(crate) fn write_u64(mem: &mut [u8], ptr: u32, v: u64) -> Result<(), Fail> {
    put(mem, ptr, &v.to_le_bytes(), 8)
}

/// A path or other text argument: `len` bytes of UTF-8 at `ptr`.
pub(crate) fn text(mem: &[u8], ptr: u32, len: u32) -> Result<&str, Fail> {
    core::str::from_utf8(bytes(mem, ptr, len)?).map_err(|_| Fail::Errno(Errno::Ilseq))
}

/// Entry `i` of an `iovec`/`ciovec` array at `ptr`: the buffer's pointer and length, after
/// checking that the buffer lies in memory.
pub(crate) fn iovec(mem: &[u8], array: u32, i: u32) -> Result<(u32, u32), Fail> {
    let at = u64::from(array) + u64::from(i) * 8;
    let at =
        u32::try_from(at).map_err(|_| Fail::Trap(format!("iovec array {array:#x} overflows")))?;
    let buf = read_u32(mem, at)?;
    let len = read_u32(mem, at + 4)?;
    range(mem.len(), buf, len, 1)?;
    Ok((buf, len))
}

/// Checks that an array of `n` records of `size` bytes (aligned to `align`) at `ptr` lies in
/// memory, before any of it is used.
pub(crate) fn check_array(
    mem_len: usize,
    ptr: u32,
    n: u32,
    size: u32,
    align: u32,
) -> Result<(), Fail> {
    let total = u64::from(n) * u64::from(size);
    match u32::try_from(total) {
        Ok(total) => range(mem_len, ptr, total, align).map(|_| ()),
        Err(_) => Err(Fail::Trap(format!(
            "{n} records at {ptr:#x} are outside the {mem_len}-byte memory"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_trap<T>(r: Result<T, Fail>) -> bool {
        matches!(r, Err(Fail::Trap(_)))
    }

    #[test]
    fn bounds_and_alignment() {
        let mut mem = [0u8; 64];
        assert!(range(64, 60, 4, 4).is_ok());
        assert!(is_trap(range(64, 61, 4, 1)));
        assert!(is_trap(range(64, 62, 4, 4)));
        assert!(is_trap(range(64, u32::MAX, 2, 1)));
        assert!(range(64, 64, 0, 1).is_ok());
        assert!(is_trap(range(64, 65, 0, 1)));
        assert!(is_trap(write_u64(&mut mem, 4, 1)));
        write_u64(&mut mem, 8, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(read_u64(&mem, 8).unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(read_u32(&mem, 8).unwrap(), 0x0506_0708);
        assert!(is_trap(read_u32(&mem, 62)));
        assert!(is_trap(check_array(64, 0, u32::MAX, 48, 8)));
    }

    #[test]
    fn text_is_utf8_or_ilseq() {
        let mem = *b"ok\xff";
        assert_eq!(text(&mem, 0, 2).ok(), Some("ok"));
        assert!(matches!(text(&mem, 0, 3), Err(Fail::Errno(Errno::Ilseq))));
        assert!(is_trap(text(&mem, 2, 5)));
    }

    #[test]
    fn iovecs_are_checked() {
        let mut mem = [0u8; 32];
        write_u32(&mut mem, 0, 16).unwrap();
        write_u32(&mut mem, 4, 16).unwrap();
        write_u32(&mut mem, 8, 16).unwrap();
        write_u32(&mut mem, 12, 17).unwrap();
        assert_eq!(iovec(&mem, 0, 0).ok(), Some((16, 16)));
        assert!(is_trap(iovec(&mem, 0, 1)));
        assert!(is_trap(iovec(&mem, 0, 4)));
        assert!(is_trap(iovec(&mem, u32::MAX - 3, 1)));
    }
}
