//! The RustOS game ABI (version 1), shared by the kernel (host) and the game SDK (guest).
//!
//! Why a crate of its own: the kernel and the games must agree on key codes, limits and on
//! how untrusted guest arguments are checked. Keeping the numbers and the checks in one
//! `no_std`, dependency-free crate means both sides compile against the same definitions, and
//! the arithmetic that guards the kernel against hostile pointers, sizes and rectangles is
//! tested exhaustively on the host instead of inside a booted kernel.
//!
//! Every check takes the guest's raw `i32` values and either returns a usable `usize` range /
//! rectangle or an [`AbiError`]; nothing here panics or overflows, whatever the input.
//! The full contract is written down in `docs/wasm-abi.md`.

#![no_std]

use core::fmt;
use core::ops::Range;

/// Version of the host ABI described by this crate and `docs/wasm-abi.md`.
pub const ABI_VERSION: u32 = 1;

/// Module name of every host import (`(import "env" "put_pixel" ...)`).
pub const IMPORT_MODULE: &str = "env";

/// Export names the host looks up in a game module.
pub const EXPORT_MEMORY: &str = "memory";
/// Called once after instantiation.
pub const EXPORT_INIT: &str = "init";
/// Called at about 60 Hz.
pub const EXPORT_FRAME: &str = "frame";

/// Value types of the ABI, for describing import signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValType {
    I32,
    I64,
}

/// One host import: name, parameter types and optional result type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSig {
    pub name: &'static str,
    pub params: &'static [ValType],
    pub result: Option<ValType>,
}

use ValType::{I32, I64};

/// Every import a v1 game may use (all from [`IMPORT_MODULE`]). A module importing anything
/// else, or with another signature, must be rejected before instantiation.
pub const IMPORTS: &[ImportSig] = &[
    ImportSig {
        name: "put_pixel",
        params: &[I32, I32, I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "fill_rect",
        params: &[I32, I32, I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "present",
        params: &[I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "screen_width",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "screen_height",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "poll_key",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "time_ms",
        params: &[],
        result: Some(I64),
    },
    ImportSig {
        name: "random",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "print",
        params: &[I32, I32],
        result: None,
    },
    ImportSig {
        name: "exit",
        params: &[I32],
        result: None,
    },
];

/// Looks up an import by name.
pub fn import_sig(name: &str) -> Option<&'static ImportSig> {
    IMPORTS.iter().find(|s| s.name == name)
}

// ---------------------------------------------------------------------------------------------
// Key codes returned by `poll_key`.

/// `poll_key` result when no key is waiting.
pub const NO_KEY: i32 = -1;
/// Enter / Return.
pub const KEY_ENTER: i32 = 13;
/// Backspace.
pub const KEY_BACKSPACE: i32 = 8;
/// Tab.
pub const KEY_TAB: i32 = 9;
/// Space (also plain printable ASCII).
pub const KEY_SPACE: i32 = 32;
/// Escape: reserved by the host, which ends the game on Esc and never delivers this code.
pub const KEY_ESC_RESERVED: i32 = 27;
/// First code of the non-ASCII keys.
pub const KEY_SPECIAL_BASE: i32 = 0x100;
/// Cursor up.
pub const KEY_UP: i32 = 0x100;
/// Cursor down.
pub const KEY_DOWN: i32 = 0x101;
/// Cursor left.
pub const KEY_LEFT: i32 = 0x102;
/// Cursor right.
pub const KEY_RIGHT: i32 = 0x103;

/// A decoded key press.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Printable ASCII `' '..='~'` exactly as typed (lowercase unless shift).
    Char(char),
    Enter,
    Backspace,
    Tab,
    Up,
    Down,
    Left,
    Right,
    /// A non-negative code this ABI version does not define (kept for forward compatibility).
    Other(i32),
}

impl Key {
    /// Decodes a `poll_key` result; any negative value (normally [`NO_KEY`]) is "no key".
    pub fn from_code(code: i32) -> Option<Key> {
        Some(match code {
            c if c < 0 => return None,
            KEY_ENTER => Key::Enter,
            KEY_BACKSPACE => Key::Backspace,
            KEY_TAB => Key::Tab,
            KEY_UP => Key::Up,
            KEY_DOWN => Key::Down,
            KEY_LEFT => Key::Left,
            KEY_RIGHT => Key::Right,
            0x20..=0x7e => Key::Char(code as u8 as char),
            other => Key::Other(other),
        })
    }

    /// The code the host hands to `poll_key` for this key. Characters outside printable
    /// ASCII have no code in v1 and encode as [`NO_KEY`].
    pub fn code(self) -> i32 {
        match self {
            Key::Char(c) if (' '..='~').contains(&c) => c as i32,
            Key::Char(_) => NO_KEY,
            Key::Enter => KEY_ENTER,
            Key::Backspace => KEY_BACKSPACE,
            Key::Tab => KEY_TAB,
            Key::Up => KEY_UP,
            Key::Down => KEY_DOWN,
            Key::Left => KEY_LEFT,
            Key::Right => KEY_RIGHT,
            Key::Other(c) => c,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Limits.

/// Largest accepted `present` width or height.
pub const MAX_PRESENT_DIM: i32 = 4096;
/// Largest accepted `print` length in bytes.
pub const MAX_PRINT_LEN: i32 = 4096;
/// Size of one WebAssembly page.
pub const WASM_PAGE_SIZE: usize = 64 * 1024;
/// Upper bound on a game's linear memory (initial size and growth).
pub const MEMORY_LIMIT_BYTES: usize = 16 * 1024 * 1024;
/// [`MEMORY_LIMIT_BYTES`] in wasm pages.
pub const MEMORY_LIMIT_PAGES: usize = MEMORY_LIMIT_BYTES / WASM_PAGE_SIZE;
/// Bytes per pixel of a `present` buffer (little-endian `0x00RRGGBB`).
pub const PRESENT_BYTES_PER_PIXEL: usize = 4;

// ---------------------------------------------------------------------------------------------
// Errors.

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

// ---------------------------------------------------------------------------------------------
// Guest memory checks.

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

// ---------------------------------------------------------------------------------------------
// Screen geometry.

/// A non-empty rectangle that lies entirely on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// Clips one axis: returns (start, length) of `[pos, pos+len)` inside `[0, limit)`.
fn clip_axis(pos: i32, len: i32, limit: i32) -> Option<(usize, usize)> {
    if len <= 0 || limit <= 0 {
        return None;
    }
    // i64 cannot overflow here: |pos| + |len| < 2^32.
    let start = i64::from(pos).max(0);
    let end = (i64::from(pos) + i64::from(len)).min(i64::from(limit));
    (end > start).then(|| (start as usize, (end - start) as usize))
}

/// Clips the rectangle `(x, y, w, h)` to a `screen_w` x `screen_h` screen.
///
/// Returns `None` when nothing is visible: zero or negative width/height, a rectangle entirely
/// off-screen, or an empty screen. Never overflows, for any `i32` inputs.
pub fn clip_rect(x: i32, y: i32, w: i32, h: i32, screen_w: i32, screen_h: i32) -> Option<Rect> {
    let (x, w) = clip_axis(x, w, screen_w)?;
    let (y, h) = clip_axis(y, h, screen_h)?;
    Some(Rect { x, y, w, h })
}

/// Returns the point as screen indices if it is on a `screen_w` x `screen_h` screen.
pub fn clip_point(x: i32, y: i32, screen_w: i32, screen_h: i32) -> Option<(usize, usize)> {
    ((0..screen_w).contains(&x) && (0..screen_h).contains(&y)).then_some((x as usize, y as usize))
}

/// Clamps a colour channel to `0..=255`.
pub fn rgb_clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Packs channels into `0x00RRGGBB`.
pub const fn rgb(r: u8, g: u8, b: u8) -> u32 {
    (r as u32) << 16 | (g as u32) << 8 | b as u32
}

/// Splits `0x00RRGGBB` (the top byte is ignored) into `(r, g, b)`.
pub const fn unpack_rgb(c: u32) -> (u8, u8, u8) {
    ((c >> 16) as u8, (c >> 8) as u8, c as u8)
}

/// Placement of a `present` image on the screen.
///
/// Source pixel `(sx, sy)` for `sx < cols`, `sy < rows` covers the screen square
/// `(off_x + sx * factor, off_y + sy * factor)` of side `factor`. Everything outside
/// `off_x..off_x + cols * factor` by `off_y..off_y + rows * factor` is border, cleared by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Integer magnification, at least 1.
    pub factor: usize,
    /// Screen x of the image's left edge.
    pub off_x: usize,
    /// Screen y of the image's top edge.
    pub off_y: usize,
    /// Source columns shown (`width`, or fewer when the image is wider than the screen).
    pub cols: usize,
    /// Source rows shown (`height`, or fewer when the image is taller than the screen).
    pub rows: usize,
}

impl Scale {
    /// Computes the placement of a `width` x `height` image on a `screen_w` x `screen_h` screen:
    /// the largest integer factor at which the image fits, centred.
    ///
    /// If the image is larger than the screen in either dimension, the factor is 1, and each
    /// axis that does not fit starts at screen 0 and shows the image's leading part (left
    /// columns / top rows) only; an axis that fits is still centred. `None` if any size is 0.
    pub fn for_present(
        width: usize,
        height: usize,
        screen_w: usize,
        screen_h: usize,
    ) -> Option<Scale> {
        if width == 0 || height == 0 || screen_w == 0 || screen_h == 0 {
            return None;
        }
        let factor = (screen_w / width).min(screen_h / height).max(1);
        // Fits: width * factor <= screen_w, so no overflow; otherwise factor == 1.
        let cols = width.min(screen_w);
        let rows = height.min(screen_h);
        let off_x = (screen_w - cols * factor) / 2;
        let off_y = (screen_h - rows * factor) / 2;
        Some(Scale {
            factor,
            off_x,
            off_y,
            cols,
            rows,
        })
    }

    /// Screen width covered by the image.
    pub fn shown_width(&self) -> usize {
        self.cols * self.factor
    }

    /// Screen height covered by the image.
    pub fn shown_height(&self) -> usize {
        self.rows * self.factor
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    const EDGE: [i32; 9] = [
        i32::MIN,
        i32::MIN + 1,
        -2,
        -1,
        0,
        1,
        2,
        i32::MAX - 1,
        i32::MAX,
    ];

    #[test]
    fn key_round_trip() {
        for code in -5..0x200 {
            match Key::from_code(code) {
                None => assert!(code < 0),
                Some(k) => assert_eq!(k.code(), code, "{k:?}"),
            }
        }
        assert_eq!(Key::from_code(NO_KEY), None);
        assert_eq!(Key::from_code(i32::MIN), None);
        assert_eq!(Key::from_code(i32::MAX), Some(Key::Other(i32::MAX)));
        assert_eq!(Key::from_code(KEY_SPACE), Some(Key::Char(' ')));
        assert_eq!(Key::from_code('a' as i32), Some(Key::Char('a')));
        assert_eq!(Key::from_code(KEY_UP), Some(Key::Up));
        assert_eq!(Key::from_code(KEY_RIGHT), Some(Key::Right));
        assert_eq!(Key::from_code(0x7f), Some(Key::Other(0x7f)));
        assert_eq!(Key::Char('é').code(), NO_KEY);
        assert_eq!(Key::Char('\n').code(), NO_KEY);
    }

    #[test]
    fn import_table_is_consistent() {
        assert_eq!(IMPORTS.len(), 10);
        for (i, a) in IMPORTS.iter().enumerate() {
            assert!(IMPORTS[i + 1..].iter().all(|b| b.name != a.name));
        }
        assert_eq!(import_sig("time_ms").unwrap().result, Some(ValType::I64));
        assert!(import_sig("nope").is_none());
        assert_eq!(MEMORY_LIMIT_PAGES, 256);
    }

    #[test]
    fn range_accepts_valid() {
        assert_eq!(checked_range(100, 0, 100), Ok(0..100));
        assert_eq!(checked_range(100, 10, 5), Ok(10..15));
        assert_eq!(checked_range(100, 100, 0), Ok(100..100));
        assert_eq!(checked_range(0, 0, 0), Ok(0..0));
    }

    #[test]
    fn range_rejects_invalid() {
        assert_eq!(
            checked_range(100, -1, 1),
            Err(AbiError::NegativePointer(-1))
        );
        assert_eq!(checked_range(100, 0, -1), Err(AbiError::NegativeLength(-1)));
        assert_eq!(
            checked_range(100, i32::MIN, 0),
            Err(AbiError::NegativePointer(i32::MIN))
        );
        assert_eq!(
            checked_range(100, 0, i32::MIN),
            Err(AbiError::NegativeLength(i32::MIN))
        );
        assert!(matches!(
            checked_range(100, 101, 0),
            Err(AbiError::OutOfBounds { .. })
        ));
        assert!(matches!(
            checked_range(100, 1, 100),
            Err(AbiError::OutOfBounds { .. })
        ));
        assert!(matches!(
            checked_range(100, i32::MAX, i32::MAX),
            Err(AbiError::OutOfBounds { .. })
        ));
        assert!(checked_range(usize::MAX, i32::MAX, i32::MAX).is_ok());
        assert!(checked_range(0, 0, 1).is_err());
    }

    #[test]
    fn range_exhaustive_edges() {
        for mem in [0usize, 1, 7, 4096, MEMORY_LIMIT_BYTES, usize::MAX] {
            for &p in &EDGE {
                for &l in &EDGE {
                    match checked_range(mem, p, l) {
                        Ok(r) => {
                            assert!(p >= 0 && l >= 0);
                            assert_eq!(r.start, p as usize);
                            assert_eq!(r.len(), l as usize);
                            assert!(r.end <= mem);
                        }
                        Err(_) => {
                            assert!(p < 0 || l < 0 || p as u64 + l as u64 > mem as u64);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn text_limit() {
        assert_eq!(checked_text(10_000, 0, MAX_PRINT_LEN), Ok(0..4096));
        assert_eq!(
            checked_text(10_000, 0, MAX_PRINT_LEN + 1),
            Err(AbiError::TooLong {
                len: 4097,
                max: 4096
            })
        );
        assert!(checked_text(10_000, 0, i32::MAX).is_err());
        assert!(checked_text(10_000, 0, -1).is_err());
        assert_eq!(checked_text(10_000, 5, 0), Ok(5..5));
    }

    #[test]
    fn buffer_checks() {
        let mem = 320 * 200 * 4 + 8;
        assert_eq!(checked_buffer(mem, 8, 320, 200, 4), Ok(8..mem));
        assert!(matches!(
            checked_buffer(mem, 9, 320, 200, 4),
            Err(AbiError::OutOfBounds { .. })
        ));
        for (w, h) in [
            (0, 1),
            (1, 0),
            (-1, 1),
            (1, -1),
            (4097, 1),
            (1, 4097),
            (i32::MIN, i32::MAX),
        ] {
            assert_eq!(
                checked_buffer(usize::MAX, 0, w, h, 4),
                Err(AbiError::BadDimensions {
                    width: w,
                    height: h
                })
            );
        }
        assert_eq!(
            checked_buffer(usize::MAX, 0, 4096, 4096, 4),
            Ok(0..4096 * 4096 * 4)
        );
        assert_eq!(
            checked_buffer(usize::MAX, -4, 1, 1, 4),
            Err(AbiError::NegativePointer(-4))
        );
        assert_eq!(
            checked_buffer(usize::MAX, 0, 1, 1, 0),
            Err(AbiError::Overflow)
        );
        assert!(checked_buffer(MEMORY_LIMIT_BYTES, i32::MAX, 1, 1, 4).is_err());
        assert!(checked_buffer(0, 0, 1, 1, 4).is_err());
        for &p in &EDGE {
            for &w in &EDGE {
                for &h in &EDGE {
                    if let Ok(r) = checked_buffer(MEMORY_LIMIT_BYTES, p, w, h, 4) {
                        assert_eq!(r.len(), w as usize * h as usize * 4);
                        assert!(r.end <= MEMORY_LIMIT_BYTES);
                    }
                }
            }
        }
    }

    #[test]
    fn clip_rect_basic() {
        assert_eq!(
            clip_rect(0, 0, 10, 10, 640, 480),
            Some(Rect {
                x: 0,
                y: 0,
                w: 10,
                h: 10
            })
        );
        assert_eq!(
            clip_rect(-5, -5, 10, 10, 640, 480),
            Some(Rect {
                x: 0,
                y: 0,
                w: 5,
                h: 5
            })
        );
        assert_eq!(
            clip_rect(635, 475, 10, 10, 640, 480),
            Some(Rect {
                x: 635,
                y: 475,
                w: 5,
                h: 5
            })
        );
        assert_eq!(clip_rect(640, 0, 10, 10, 640, 480), None);
        assert_eq!(clip_rect(-10, 0, 10, 10, 640, 480), None);
        assert_eq!(clip_rect(0, 0, 0, 10, 640, 480), None);
        assert_eq!(clip_rect(0, 0, 10, 0, 640, 480), None);
        assert_eq!(clip_rect(0, 0, -10, 10, 640, 480), None);
        assert_eq!(clip_rect(0, 0, 10, -10, 640, 480), None);
        assert_eq!(clip_rect(0, 0, 10, 10, 0, 480), None);
        assert_eq!(clip_rect(0, 0, 10, 10, -640, 480), None);
        assert_eq!(
            clip_rect(i32::MIN, i32::MIN, i32::MAX, i32::MAX, 640, 480),
            None,
            "MIN + MAX = -1: entirely off-screen"
        );
        assert_eq!(
            clip_rect(-1, -1, i32::MAX, i32::MAX, 640, 480),
            Some(Rect {
                x: 0,
                y: 0,
                w: 640,
                h: 480
            })
        );
        assert_eq!(
            clip_rect(i32::MAX, i32::MAX, i32::MAX, i32::MAX, 640, 480),
            None
        );
    }

    /// Reference model in i128: the visible interval of one axis, if any.
    fn model_axis(pos: i32, len: i32, limit: i32) -> Option<(usize, usize)> {
        let (lo, hi) = (pos as i128, pos as i128 + len as i128);
        let (lo, hi) = (lo.max(0), hi.min(limit as i128));
        (len > 0 && hi > lo).then(|| (lo as usize, (hi - lo) as usize))
    }

    #[test]
    fn clip_rect_exhaustive_edges() {
        let vals = [
            i32::MIN,
            i32::MIN + 1,
            -641,
            -640,
            -1,
            0,
            1,
            479,
            480,
            639,
            640,
            641,
            i32::MAX - 1,
            i32::MAX,
        ];
        let screens = [
            (640, 480),
            (1, 1),
            (0, 0),
            (0, 480),
            (-1, -1),
            (i32::MIN, 5),
            (i32::MAX, i32::MAX),
        ];
        for &x in &vals {
            for &w in &vals {
                for &(sw, sh) in &screens {
                    for &(y, h) in &[(x, w), (0, 1), (-1, 2), (w, x)] {
                        let got = clip_rect(x, y, w, h, sw, sh);
                        let want = model_axis(x, w, sw)
                            .zip(model_axis(y, h, sh))
                            .map(|((x, w), (y, h))| Rect { x, y, w, h });
                        assert_eq!(got, want, "x={x} y={y} w={w} h={h} screen={sw}x{sh}");
                        if let Some(r) = got {
                            assert!(r.w > 0 && r.h > 0);
                            assert!(r.x + r.w <= sw as usize && r.y + r.h <= sh as usize);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn clip_point_edges() {
        assert_eq!(clip_point(0, 0, 640, 480), Some((0, 0)));
        assert_eq!(clip_point(639, 479, 640, 480), Some((639, 479)));
        assert_eq!(clip_point(640, 0, 640, 480), None);
        assert_eq!(clip_point(0, 480, 640, 480), None);
        assert_eq!(clip_point(-1, 0, 640, 480), None);
        assert_eq!(clip_point(i32::MIN, i32::MAX, 640, 480), None);
        assert_eq!(clip_point(0, 0, 0, 0), None);
    }

    #[test]
    fn colours() {
        assert_eq!(rgb_clamp(i32::MIN), 0);
        assert_eq!(rgb_clamp(-1), 0);
        assert_eq!(rgb_clamp(0), 0);
        assert_eq!(rgb_clamp(128), 128);
        assert_eq!(rgb_clamp(255), 255);
        assert_eq!(rgb_clamp(256), 255);
        assert_eq!(rgb_clamp(i32::MAX), 255);
        assert_eq!(rgb(0x12, 0x34, 0x56), 0x123456);
        assert_eq!(unpack_rgb(0xff123456), (0x12, 0x34, 0x56));
    }

    #[test]
    fn scale_fits() {
        let s = Scale::for_present(320, 200, 640, 480).unwrap();
        assert_eq!(
            s,
            Scale {
                factor: 2,
                off_x: 0,
                off_y: 40,
                cols: 320,
                rows: 200
            }
        );
        let s = Scale::for_present(320, 200, 1920, 1080).unwrap();
        assert_eq!(s.factor, 5);
        assert_eq!((s.off_x, s.off_y), (160, 40));
        assert_eq!((s.shown_width(), s.shown_height()), (1600, 1000));
        let s = Scale::for_present(640, 480, 640, 480).unwrap();
        assert_eq!(
            s,
            Scale {
                factor: 1,
                off_x: 0,
                off_y: 0,
                cols: 640,
                rows: 480
            }
        );
        let s = Scale::for_present(1, 1, 640, 480).unwrap();
        assert_eq!(
            s,
            Scale {
                factor: 480,
                off_x: 80,
                off_y: 0,
                cols: 1,
                rows: 1
            }
        );
    }

    #[test]
    fn scale_too_big_clips() {
        let s = Scale::for_present(800, 200, 640, 480).unwrap();
        assert_eq!(
            s,
            Scale {
                factor: 1,
                off_x: 0,
                off_y: 140,
                cols: 640,
                rows: 200
            }
        );
        let s = Scale::for_present(4096, 4096, 640, 480).unwrap();
        assert_eq!(
            s,
            Scale {
                factor: 1,
                off_x: 0,
                off_y: 0,
                cols: 640,
                rows: 480
            }
        );
    }

    #[test]
    fn scale_zero_and_exhaustive() {
        assert_eq!(Scale::for_present(0, 1, 640, 480), None);
        assert_eq!(Scale::for_present(1, 0, 640, 480), None);
        assert_eq!(Scale::for_present(1, 1, 0, 480), None);
        assert_eq!(Scale::for_present(1, 1, 640, 0), None);
        for w in [1usize, 2, 3, 319, 320, 321, 639, 640, 641, 4096] {
            for h in [1usize, 2, 199, 200, 479, 480, 481, 4096] {
                for (sw, sh) in [(640usize, 480usize), (1, 1), (1920, 1080), (usize::MAX, 1)] {
                    let s = Scale::for_present(w, h, sw, sh).unwrap();
                    assert!(s.factor >= 1);
                    assert!(s.off_x + s.shown_width() <= sw);
                    assert!(s.off_y + s.shown_height() <= sh);
                    if w <= sw && h <= sh {
                        assert_eq!((s.cols, s.rows), (w, h));
                        // Largest: one more would not fit.
                        let f = s.factor + 1;
                        assert!(w.saturating_mul(f) > sw || h.saturating_mul(f) > sh);
                    }
                }
            }
        }
    }

    #[test]
    fn error_display() {
        let all = [
            AbiError::NegativePointer(-1),
            AbiError::NegativeLength(-2),
            AbiError::OutOfBounds {
                ptr: 16,
                len: 4,
                mem_len: 8,
            },
            AbiError::TooLong {
                len: 5000,
                max: 4096,
            },
            AbiError::BadDimensions {
                width: 0,
                height: 5,
            },
            AbiError::Overflow,
        ];
        for e in all {
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(
            AbiError::OutOfBounds {
                ptr: 16,
                len: 4,
                mem_len: 8
            }
            .to_string(),
            "guest range 0x10+4 is outside guest memory (8 bytes)"
        );
    }
}

/// The hosts' source for `random()`: xorshift64*, small, fast, full period, and
/// deterministic for a seed (the harness compares runs; the kernel seeds it from the TSC).
/// Not for cryptography.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, since xorshift never leaves the zero state).
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The next 32 random bits (the high half, the better-mixed one).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

#[cfg(test)]
mod rng_tests {
    use super::Rng;

    #[test]
    fn deterministic_and_never_stuck() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.next_u64(), b.next_u64());
        let mut z = Rng::new(0);
        let first = z.next_u32();
        assert!((0..100).any(|_| z.next_u32() != first));
    }
}
