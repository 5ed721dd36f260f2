//! The game's off-screen back buffer.
//!
//! Why a back buffer: ABI v1 promises that a frame is shown only when `frame` returns
//! normally (no half-drawn frames, no flicker, and nothing at all from a call that traps).
//! So every drawing import writes here, in the framebuffer's native pixel format, and the
//! runner copies the finished buffer ([`Screen::pixels`]) to video memory once per frame.
//! Keeping it in native format makes that copy a plain row `memcpy`, and writing only to RAM
//! avoids slow video-memory reads on real hardware.
//!
//! Every coordinate a guest passes is clipped with the `wasm-abi` helpers before it is used
//! as an index, and every slice access below is checked (`get`/`get_mut`), so no guest
//! value can make the kernel index out of bounds.

use alloc::vec::Vec;
use core::fmt;
use wasm_abi::{Scale, clip_point, clip_rect, rgb, rgb_clamp};

/// How a `0x00RRGGBB` colour is stored in the buffer: where each 8-bit channel sits in the
/// native 32-bit pixel (the framebuffer's layout, so showing a frame is a plain copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelLayout {
    pub red_shift: u8,
    pub green_shift: u8,
    pub blue_shift: u8,
}

impl PixelLayout {
    /// `0x00RRGGBB` as is (headless screens and tests).
    pub const XRGB: PixelLayout = PixelLayout {
        red_shift: 16,
        green_shift: 8,
        blue_shift: 0,
    };

    /// The native pixel for `colour` (`0xRRGGBB`; the top byte is ignored). A shift above 24
    /// drops that channel rather than overflowing.
    #[inline]
    pub fn encode(self, colour: u32) -> u32 {
        let colour = colour & 0x00ff_ffff;
        if self == Self::XRGB {
            return colour;
        }
        let (r, g, b) = wasm_abi::unpack_rgb(colour);
        let place = |c: u8, shift: u8| u32::from(c).checked_shl(u32::from(shift)).unwrap_or(0);
        place(r, self.red_shift) | place(g, self.green_shift) | place(b, self.blue_shift)
    }
}

/// Why a back buffer could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenError {
    /// A zero dimension, or one too large for the ABI's `i32` sizes.
    BadSize { width: usize, height: usize },
    /// The heap could not provide the buffer.
    OutOfMemory { bytes: usize },
}

impl fmt::Display for ScreenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ScreenError::BadSize { width, height } => {
                write!(f, "unusable screen size {width}x{height}")
            }
            ScreenError::OutOfMemory { bytes } => write!(
                f,
                "not enough memory for the {} KiB screen buffer",
                bytes / 1024
            ),
        }
    }
}

/// A screen-sized buffer of native pixels, row-major, stride = width.
pub struct Screen {
    width: usize,
    height: usize,
    encoding: PixelLayout,
    black: u32,
    pixels: Vec<u32>,
}

impl fmt::Debug for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Screen")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// Allocates a black `width` x `height` buffer (fallibly: a game must not be able to
    /// take the kernel down by starting on a machine with little memory).
    pub fn new(
        width: usize,
        height: usize,
        encoding: impl Into<PixelLayout>,
    ) -> Result<Self, ScreenError> {
        let encoding = encoding.into();
        let bad = ScreenError::BadSize { width, height };
        if width == 0 || height == 0 || width > i32::MAX as usize || height > i32::MAX as usize {
            return Err(bad);
        }
        let n = width.checked_mul(height).ok_or(bad)?;
        let mut pixels = Vec::new();
        pixels
            .try_reserve_exact(n)
            .map_err(|_| ScreenError::OutOfMemory {
                bytes: n.saturating_mul(4),
            })?;
        let black = encoding.encode(0);
        pixels.resize(n, black);
        Ok(Self {
            width,
            height,
            encoding,
            black,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Width as the ABI's `i32` (`new` guarantees it fits).
    pub fn width_i32(&self) -> i32 {
        i32::try_from(self.width).unwrap_or(i32::MAX)
    }

    /// Height as the ABI's `i32`.
    pub fn height_i32(&self) -> i32 {
        i32::try_from(self.height).unwrap_or(i32::MAX)
    }

    /// All pixels (native format), row-major.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// The native pixel at `(x, y)`, if on screen.
    pub fn pixel(&self, x: usize, y: usize) -> Option<u32> {
        if x >= self.width {
            return None;
        }
        self.pixels
            .get(y.checked_mul(self.width)?.checked_add(x)?)
            .copied()
    }

    /// What `colour` (`0xRRGGBB`) looks like in this buffer.
    pub fn encode(&self, colour: u32) -> u32 {
        self.encoding.encode(colour)
    }

    /// `put_pixel`: off-screen points are ignored, channels clamped. Returns pixels written.
    pub fn put_pixel(&mut self, x: i32, y: i32, r: i32, g: i32, b: i32) -> usize {
        let Some((x, y)) = clip_point(x, y, self.width_i32(), self.height_i32()) else {
            return 0;
        };
        let c = self
            .encoding
            .encode(rgb(rgb_clamp(r), rgb_clamp(g), rgb_clamp(b)));
        match self.pixels.get_mut(y * self.width + x) {
            Some(p) => {
                *p = c;
                1
            }
            None => 0,
        }
    }

    /// `fill_rect`: clipped to the screen; the top byte of `colour` is ignored. Returns
    /// pixels written.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, colour: u32) -> usize {
        let Some(r) = clip_rect(x, y, w, h, self.width_i32(), self.height_i32()) else {
            return 0;
        };
        let c = self.encoding.encode(colour);
        for row in r.y..r.y + r.h {
            let start = row * self.width + r.x;
            if let Some(span) = self.pixels.get_mut(start..start + r.w) {
                span.fill(c);
            }
        }
        r.w * r.h
    }

    /// `present`: shows a `width` x `height` image of little-endian `0x00RRGGBB` pixels
    /// (`src`, already bounds-checked by the caller with `wasm_abi::checked_buffer`),
    /// scaled by the largest integer factor that fits, centred, with the border cleared.
    /// Returns the number of screen pixels written.
    pub fn present(&mut self, src: &[u8], width: usize, height: usize) -> usize {
        let Some(s) = Scale::for_present(width, height, self.width, self.height) else {
            return 0;
        };
        let row_bytes = width.saturating_mul(4);
        if src.len() < row_bytes.saturating_mul(height) {
            return 0; // cannot happen after checked_buffer; never index past `src` anyway
        }
        self.clear_border(&s);
        let (f, w) = (s.factor, self.width);
        let shown_w = s.shown_width();
        for sy in 0..s.rows {
            let Some(src_row) = src.get(sy * row_bytes..sy * row_bytes + s.cols * 4) else {
                return 0;
            };
            let first = (s.off_y + sy * f) * w + s.off_x;
            let Some(dst) = self.pixels.get_mut(first..first + shown_w) else {
                return 0;
            };
            for (px, out) in src_row
                .as_chunks::<4>()
                .0
                .iter()
                .zip(dst.chunks_exact_mut(f))
            {
                out.fill(self.encoding.encode(u32::from_le_bytes(*px)));
            }
            // The other f - 1 screen rows of this source row are copies of the first.
            for dy in 1..f {
                let to = first + dy * w;
                if to + shown_w > self.pixels.len() {
                    return 0;
                }
                self.pixels.copy_within(first..first + shown_w, to);
            }
        }
        shown_w * s.shown_height()
    }

    /// Clears everything outside the image area of `s`.
    fn clear_border(&mut self, s: &Scale) {
        let (w, black) = (self.width, self.black);
        let top = s.off_y * w;
        let bottom = (s.off_y + s.shown_height()) * w;
        if let Some(p) = self.pixels.get_mut(..top) {
            p.fill(black);
        }
        if let Some(p) = self.pixels.get_mut(bottom..) {
            p.fill(black);
        }
        let right = s.off_x + s.shown_width();
        for y in s.off_y..s.off_y + s.shown_height() {
            if let Some(p) = self.pixels.get_mut(y * w..y * w + s.off_x) {
                p.fill(black);
            }
            if let Some(p) = self.pixels.get_mut(y * w + right..(y + 1) * w) {
                p.fill(black);
            }
        }
    }
}
