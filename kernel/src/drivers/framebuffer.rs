//! The linear framebuffer the bootloader set up: pixel format and raw pixel access.
//!
//! Only 32-bit-per-pixel direct-colour modes are supported (what GOP and Limine give on
//! every machine we know); anything else leaves the kernel serial-only rather than drawing
//! garbage. Others draw in RAM (the console's shadow, a game's frame) and hand whole rows to
//! [`Framebuffer::write_rows`]; [`Surface`] is for the little drawing done on the screen
//! itself (clearing it before the heap exists).

use crate::boot::FramebufferInfo;

/// A 0xRRGGBB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u32);

impl Rgb {
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Self(((r as u32) << 16) | ((g as u32) << 8) | b as u32)
    }
    pub const fn r(self) -> u8 {
        (self.0 >> 16) as u8
    }
    pub const fn g(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub const fn b(self) -> u8 {
        self.0 as u8
    }
}

/// How to turn an [`Rgb`] into the framebuffer's native 32-bit pixel.
#[derive(Clone, Copy, Debug)]
pub struct PixelFormat {
    red_shift: u8,
    green_shift: u8,
    blue_shift: u8,
    /// True when the native layout is already 0x00RRGGBB (the common case).
    is_xrgb: bool,
    /// The bits that hold colour (XOR-ing them inverts a pixel).
    colour_mask: u32,
}

impl PixelFormat {
    /// The pixel with every colour channel inverted.
    #[inline]
    pub fn invert(&self, px: u32) -> u32 {
        px ^ self.colour_mask
    }

    #[inline]
    pub fn encode(&self, c: Rgb) -> u32 {
        if self.is_xrgb {
            c.0
        } else {
            ((c.r() as u32) << self.red_shift)
                | ((c.g() as u32) << self.green_shift)
                | ((c.b() as u32) << self.blue_shift)
        }
    }
}

/// The hardware framebuffer.
pub struct Framebuffer {
    base: *mut u32,
    pub width: usize,
    pub height: usize,
    /// Pixels (not bytes) per row.
    pub stride: usize,
    pub format: PixelFormat,
}

// SAFETY: the framebuffer is plain memory owned by whoever owns this value; moving the
// owner between contexts (e.g. into a static Mutex) does not change what it points to.
unsafe impl Send for Framebuffer {}

impl Framebuffer {
    /// Wraps the bootloader's framebuffer, or returns why it cannot be used.
    ///
    /// # Safety
    /// `info` must describe a mapped, writable framebuffer that nothing else writes to
    /// for as long as the returned value lives.
    pub unsafe fn new(info: &FramebufferInfo) -> Result<Self, &'static str> {
        if info.bpp != 32 {
            return Err("framebuffer is not 32 bits per pixel");
        }
        if info.pitch % 4 != 0 || info.pitch / 4 < info.width || info.width == 0 || info.height == 0
        {
            return Err("framebuffer geometry is inconsistent");
        }
        let sizes_ok = info.red_size == 8 && info.green_size == 8 && info.blue_size == 8;
        let shifts_ok = [info.red_shift, info.green_shift, info.blue_shift]
            .iter()
            .all(|&s| s <= 24);
        if !sizes_ok || !shifts_ok {
            return Err("framebuffer colour masks are not 8:8:8");
        }
        Ok(Self {
            base: info.addr as *mut u32,
            width: info.width,
            height: info.height,
            stride: info.pitch / 4,
            format: PixelFormat {
                red_shift: info.red_shift,
                green_shift: info.green_shift,
                blue_shift: info.blue_shift,
                is_xrgb: info.red_shift == 16 && info.green_shift == 8 && info.blue_shift == 0,
                colour_mask: (0xff << info.red_shift)
                    | (0xff << info.green_shift)
                    | (0xff << info.blue_shift),
            },
        })
    }

    /// The whole framebuffer as a drawing surface.
    pub fn surface(&mut self) -> Surface<'_> {
        // SAFETY: `new`'s contract: `stride * height` pixels are mapped and ours.
        let pixels =
            unsafe { core::slice::from_raw_parts_mut(self.base, self.stride * self.height) };
        Surface {
            pixels,
            width: self.width,
            height: self.height,
            stride: self.stride,
            format: self.format,
        }
    }

    /// Copies `src` (whole rows of `width` pixels) to the screen starting at row `y`: the
    /// one place where RAM buffers (the console's shadow, a game's frame) reach video memory.
    pub fn write_rows(&mut self, y: usize, src: &[u32]) {
        let (w, stride) = (self.width, self.stride);
        if w == stride {
            // Rows follow each other in video memory: one copy for all of them.
            let rows = src.len() / w;
            let n = rows.min(self.height.saturating_sub(y)) * w;
            // SAFETY: `y + rows <= height` rows of `stride == w` pixels lie in the
            // framebuffer; `src` holds at least `n` pixels and is RAM, never the
            // framebuffer, so they cannot overlap.
            unsafe { copy_to_video(src.as_ptr(), self.base.add(y * stride), n) };
            return;
        }
        for (i, row) in src.chunks_exact(w).enumerate() {
            if y + i >= self.height {
                break;
            }
            // SAFETY: the row index is below `height` and `w <= stride`, so the row lies in
            // the framebuffer; `src` is RAM, never the framebuffer, so they cannot overlap.
            unsafe { copy_to_video(row.as_ptr(), self.base.add((y + i) * stride), w) };
        }
    }

    /// Copies `src` to row `y` starting at column `x`, clipped to the screen: for pictures
    /// that cover part of a row (a game's scaled image between its borders).
    pub fn write_span(&mut self, x: usize, y: usize, src: &[u32]) {
        if y >= self.height || x >= self.width {
            return;
        }
        let n = src.len().min(self.width - x);
        // SAFETY: `y < height` and `x + n <= width <= stride`, so the span lies in row `y`
        // of the framebuffer; `src` is RAM, never the framebuffer, so they cannot overlap.
        unsafe { copy_to_video(src.as_ptr(), self.base.add(y * self.stride + x), n) };
    }
}

/// Games show their picture straight into video memory (`wasm_host::game::Screen::blit`).
impl wasm_host::game::BlitTarget for Framebuffer {
    fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn write_span(&mut self, x: usize, y: usize, src: &[u32]) {
        Framebuffer::write_span(self, x, y, src);
    }

    fn write_rows(&mut self, y: usize, rows: &[u32]) {
        Framebuffer::write_rows(self, y, rows);
    }
}

/// Copies `n` pixels from RAM to video memory with aligned 64-bit stores, sixteen pixels per
/// loop iteration, volatile so the compiler keeps them as stores. Written by hand because
/// `copy_nonoverlapping` becomes `rep movsq`, which QEMU's software emulation runs one
/// element per step (this loop copies a screen ~1.25x faster there, `bench console`), and
/// on hardware a stream of aligned stores fills write-combining buffers just as well.
///
/// # Safety
/// `src` must be valid for reading and `dst` (4-byte aligned) for writing `n` pixels, and
/// they must not overlap.
unsafe fn copy_to_video(src: *const u32, dst: *mut u32, n: usize) {
    let mut i = 0;
    if !(dst as usize).is_multiple_of(8) && n > 0 {
        // SAFETY: pixel 0 is within both buffers (n > 0); `dst` is 4-byte aligned.
        unsafe { dst.write_volatile(src.read_unaligned()) };
        i = 1;
    }
    while i + 16 <= n {
        for k in (0..16).step_by(2) {
            // SAFETY: pixels i + k and i + k + 1 are below `n`, so within both buffers;
            // `dst + i` is 8-byte aligned (after the first pixel, if that one was not), and
            // so is every even pixel after it; the source may be unaligned (read_unaligned).
            let pair = unsafe { src.add(i + k).cast::<u64>().read_unaligned() };
            // SAFETY: as above.
            unsafe { dst.add(i + k).cast::<u64>().write_volatile(pair) };
        }
        i += 16;
    }
    while i < n {
        // SAFETY: pixel i is below `n`, within both buffers; `dst` is 4-byte aligned.
        let px = unsafe { src.add(i).read_unaligned() };
        // SAFETY: as above.
        unsafe { dst.add(i).write_volatile(px) };
        i += 1;
    }
}

/// Fills pixels (video memory or the console's shadow) with `px` by aligned 64-bit stores,
/// sixteen pixels per loop iteration, volatile so the compiler keeps them as stores:
/// `fill` may become `rep stos`, which QEMU's software emulation runs one element per
/// step. See [`copy_to_video`].
pub fn fill_pixels(dst: &mut [u32], px: u32) {
    // SAFETY: `dst` is valid for writing its `len()` pixels and is 4-byte aligned.
    unsafe { fill_raw(dst.as_mut_ptr(), dst.len(), px) }
}

/// [`fill_pixels`] on raw memory, which may be uninitialized (a buffer's spare capacity):
/// `n` 32-bit words set to `px`. Also how DMA buffers are zeroed (`memset` is `rep stos`).
///
/// # Safety
/// `p` must be 4-byte aligned and valid for writing `n` words.
pub unsafe fn fill_raw(p: *mut u32, n: usize, px: u32) {
    let pair = u64::from(px) | u64::from(px) << 32;
    let mut i = 0;
    if !(p as usize).is_multiple_of(8) && n > 0 {
        // SAFETY: pixel 0 is within the `n` pixels (n > 0) and aligned for a u32.
        unsafe { p.write_volatile(px) };
        i = 1;
    }
    while i + 16 <= n {
        for k in (0..16).step_by(2) {
            // SAFETY: pixels i + k and i + k + 1 are below n, so writable; p + i is
            // 8-byte aligned (after the first pixel, if that one was not), and so is every
            // even pixel after it.
            unsafe { p.add(i + k).cast::<u64>().write_volatile(pair) };
        }
        i += 16;
    }
    while i < n {
        // SAFETY: pixel i is below n, so writable and aligned for a u32.
        unsafe { p.add(i).write_volatile(px) };
        i += 1;
    }
}

/// A rectangle of 32-bit pixels in the framebuffer's native format.
pub struct Surface<'a> {
    pub pixels: &'a mut [u32],
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub format: PixelFormat,
}

impl Surface<'_> {
    /// Fills a rectangle, clipped to the surface.
    pub fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        let px = self.format.encode(c);
        let x1 = x.saturating_add(w).min(self.width);
        let y1 = y.saturating_add(h).min(self.height);
        if x >= x1 {
            return;
        }
        for yy in y.min(self.height)..y1 {
            let row = yy * self.stride;
            fill_pixels(&mut self.pixels[row + x..row + x1], px);
        }
    }
}
