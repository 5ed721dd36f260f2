//! Checks on untrusted guest arguments: pointers, lengths and pixel buffers. Each takes the
//! guest's raw `i32` values and returns a usable range or an [`AbiError`], which the host
//! turns into a trap; nothing here panics or overflows, whatever the input.

use crate::limits::{MAX_PRESENT_DIM, MAX_PRINT_LEN};
use core::fmt;
use core::ops::Range;

/// Why a host call's arguments were rejected. The host turns this into a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiError {
    /// A guest pointer was negative (>= 2 GiB as an unsigned wasm32 address).
    NegativePointer(i32),
    /// A length was negative.
    NegativeLength(i32),
    /// `ptr + len` does not fit in guest memory.
    OutOfBounds {
        ptr: usize,
        len: usize,
        mem_len: usize,
    },
    /// A length exceeded the call's maximum.
    TooLong { len: usize, max: usize },
    /// A `present` width or height outside `1..=MAX_PRESENT_DIM`.
    BadDimensions { width: i32, height: i32 },
    /// A size computation overflowed `usize`.
    Overflow,
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AbiError::NegativePointer(p) => write!(f, "negative guest pointer {p}"),
            AbiError::NegativeLength(l) => write!(f, "negative length {l}"),
            AbiError::OutOfBounds { ptr, len, mem_len } => write!(
                f,
                "guest range {ptr:#x}+{len} is outside guest memory ({mem_len} bytes)"
            ),
            AbiError::TooLong { len, max } => write!(f, "length {len} exceeds maximum {max}"),
            AbiError::BadDimensions { width, height } => write!(
                f,
                "bad dimensions {width}x{height} (each must be 1..={MAX_PRESENT_DIM})"
            ),
            AbiError::Overflow => f.write_str("size computation overflowed"),
        }
    }
}

impl core::error::Error for AbiError {}

/// Validates the guest byte range `ptr..ptr+len` against a memory of `mem_len` bytes.
///
/// A zero-length range is valid anywhere in `0..=mem_len` (so `ptr == mem_len` is allowed but
/// `ptr > mem_len` is not, even for `len == 0`).
pub fn checked_range(mem_len: usize, ptr: i32, len: i32) -> Result<Range<usize>, AbiError> {
    if ptr < 0 {
        return Err(AbiError::NegativePointer(ptr));
    }
    if len < 0 {
        return Err(AbiError::NegativeLength(len));
    }
    checked_range_usize(mem_len, ptr as usize, len as usize)
}

fn checked_range_usize(mem_len: usize, ptr: usize, len: usize) -> Result<Range<usize>, AbiError> {
    let end = ptr.checked_add(len).ok_or(AbiError::Overflow)?;
    if end > mem_len {
        return Err(AbiError::OutOfBounds { ptr, len, mem_len });
    }
    Ok(ptr..end)
}

/// Validates a `print(ptr, len)` call: [`checked_range`] plus `len <= MAX_PRINT_LEN`.
pub fn checked_text(mem_len: usize, ptr: i32, len: i32) -> Result<Range<usize>, AbiError> {
    if len > MAX_PRINT_LEN {
        return Err(AbiError::TooLong {
            len: len as usize,
            max: MAX_PRINT_LEN as usize,
        });
    }
    checked_range(mem_len, ptr, len)
}

/// Validates a pixel buffer of `width * height` pixels of `bytes_per_pixel` bytes at `ptr`.
///
/// `width` and `height` must each be in `1..=MAX_PRESENT_DIM`; `bytes_per_pixel` must be 1..=16
/// (a host constant, normally [`PRESENT_BYTES_PER_PIXEL`]).
pub fn checked_buffer(
    mem_len: usize,
    ptr: i32,
    width: i32,
    height: i32,
    bytes_per_pixel: usize,
) -> Result<Range<usize>, AbiError> {
    if !(1..=MAX_PRESENT_DIM).contains(&width) || !(1..=MAX_PRESENT_DIM).contains(&height) {
        return Err(AbiError::BadDimensions { width, height });
    }
    if !(1..=16).contains(&bytes_per_pixel) {
        return Err(AbiError::Overflow);
    }
    if ptr < 0 {
        return Err(AbiError::NegativePointer(ptr));
    }
    let len = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .ok_or(AbiError::Overflow)?;
    checked_range_usize(mem_len, ptr as usize, len)
}
