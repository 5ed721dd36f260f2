//! The game's picture: what the drawing imports draw, and its copy to the display.
//!
//! Why off screen: ABI v1 promises that a frame is shown only when `frame` returns normally
//! (no half-drawn frames, no flicker, and nothing at all from a call that traps). So every
//! drawing import writes here, in the display's native pixel format, and the runner copies
//! the finished picture to the display once per frame with [`Screen::blit`] into a
//! [`BlitTarget`] (the kernel's video memory; a plain buffer in the host-side harness, so
//! the tests check the very copy the kernel makes). Drawing only into RAM also avoids slow
//! video-memory reads on real hardware.
//!
//! Why two forms of the picture: nearly every game draws a small canvas (320x200) and shows
//! it with one `present`, which is magnified by an integer factor (4x on a 1280x800
//! display: 16 screen pixels per canvas pixel). Scaling into a full-size buffer and then
//! copying that buffer to video memory writes the whole screen twice a frame. So `present`
//! keeps the small image itself (in native format), and `blit` scales it straight into the
//! target. `present` also compares the new image with the last one, row by row, and `blit`
//! writes only the rows that changed: a game whose picture barely moves costs almost nothing
//! to show. Only a drawing call after a `present` (`put_pixel` or `fill_rect` on top of the
//! presented picture) turns the picture into a full-size buffer. A picture that needs no
//! scaling takes the same path at factor 1.
//!
//! Every coordinate a guest passes is clipped with the `wasm-abi` helpers before it is used
//! as an index, and every slice access below is checked (`get`/`get_mut`), so no guest
//! value can make the host index out of bounds.

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::ops::Range;
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

/// Where [`Screen::blit`] copies the picture to: the display (video memory in the kernel)
/// or a buffer standing in for it.
pub trait BlitTarget {
    /// Width and height in pixels; `blit` copies nothing unless they equal the screen's.
    fn size(&self) -> (usize, usize);

    /// Writes `src` (native pixels) to row `y` from column `x`. `blit` only passes spans
    /// that lie on the target (`x + src.len() <= width`, `y < height`); an implementation
    /// must still clip anything else rather than write out of bounds.
    fn write_span(&mut self, x: usize, y: usize, src: &[u32]);

    /// Writes whole rows (`width` pixels each, row-major) from row `y` down.
    fn write_rows(&mut self, y: usize, rows: &[u32]) {
        let (w, _) = self.size();
        if w == 0 {
            return;
        }
        for (i, row) in rows.chunks_exact(w).enumerate() {
            self.write_span(0, y + i, row);
        }
    }
}

/// A display in memory (tests, the host-side harness, headless runs): `width` x `height`
/// native pixels, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u32>,
}

impl Picture {
    /// A black (all-zero) picture.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: alloc::vec![0; width.saturating_mul(height)],
        }
    }
}

impl BlitTarget for Picture {
    fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn write_span(&mut self, x: usize, y: usize, src: &[u32]) {
        if y >= self.height || x >= self.width {
            return;
        }
        let n = src.len().min(self.width - x);
        let at = y * self.width + x;
        if let (Some(dst), Some(src)) = (self.pixels.get_mut(at..at + n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
    }
}

/// Rows not yet copied to the target: `start..end` (screen rows for the full-size picture,
/// image rows for a presented one). Empty when everything is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dirty {
    start: usize,
    end: usize,
    /// The border around a presented image, too.
    border: bool,
}

impl Dirty {
    const CLEAN: Dirty = Dirty {
        start: 0,
        end: 0,
        border: false,
    };
    const ALL: Dirty = Dirty {
        start: 0,
        end: usize::MAX,
        border: true,
    };

    fn add(self, rows: Range<usize>) -> Dirty {
        if rows.is_empty() {
            self
        } else if self.start == self.end {
            Dirty {
                start: rows.start,
                end: rows.end,
                ..self
            }
        } else {
            Dirty {
                start: self.start.min(rows.start),
                end: self.end.max(rows.end),
                ..self
            }
        }
    }
}

/// A game's picture: a screen-sized buffer of native pixels (row-major, stride = width), or
/// the small image of the last `present` (see the module docs).
pub struct Screen {
    width: usize,
    height: usize,
    encoding: PixelLayout,
    black: u32,
    /// The full-size picture; meaningful while `presented` is `None`.
    pixels: Vec<u32>,
    /// The last presented image (`scale.cols * scale.rows` native pixels, the shown part),
    /// placed on the screen as `scale` says, while it is the picture.
    image: Vec<u32>,
    presented: Option<Scale>,
    /// What `blit` still has to copy.
    dirty: Cell<Dirty>,
    /// One scaled screen row, built by `blit` (RAM, so the target is only written).
    line: RefCell<Vec<u32>>,
}

impl fmt::Debug for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Screen")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("encoding", &self.encoding)
            .field("presented", &self.presented)
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// Allocates a black `width` x `height` picture (fallibly: a game must not be able to
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
        let oom = |pixels: usize| ScreenError::OutOfMemory {
            bytes: pixels.saturating_mul(4),
        };
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(n).map_err(|_| oom(n))?;
        let mut line = Vec::new();
        line.try_reserve_exact(width).map_err(|_| oom(width))?;
        let black = encoding.encode(0);
        pixels.resize(n, black);
        line.resize(width, black);
        Ok(Self {
            width,
            height,
            encoding,
            black,
            pixels,
            image: Vec::new(),
            presented: None,
            dirty: Cell::new(Dirty::ALL),
            line: RefCell::new(line),
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

    /// The native pixel at `(x, y)` of the picture, if on screen.
    pub fn pixel(&self, x: usize, y: usize) -> Option<u32> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let Some(s) = self.presented else {
            return self.pixels.get(y * self.width + x).copied();
        };
        // Left of or above the image is border, as is right of or below it.
        let (Some(ix), Some(iy)) = (x.checked_sub(s.off_x), y.checked_sub(s.off_y)) else {
            return Some(self.black);
        };
        let (ix, iy) = (ix / s.factor, iy / s.factor);
        if ix >= s.cols || iy >= s.rows {
            return Some(self.black);
        }
        self.image.get(iy * s.cols + ix).copied()
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
        self.make_full_size();
        let c = self
            .encoding
            .encode(rgb(rgb_clamp(r), rgb_clamp(g), rgb_clamp(b)));
        match self.pixels.get_mut(y * self.width + x) {
            Some(p) => {
                *p = c;
                self.dirty.set(self.dirty.get().add(y..y + 1));
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
        self.make_full_size();
        let c = self.encoding.encode(colour);
        for row in r.y..r.y + r.h {
            let start = row * self.width + r.x;
            if let Some(span) = self.pixels.get_mut(start..start + r.w) {
                span.fill(c);
            }
        }
        self.dirty.set(self.dirty.get().add(r.y..r.y + r.h));
        r.w * r.h
    }

    /// `present`: shows a `width` x `height` image of little-endian `0x00RRGGBB` pixels
    /// (`src`, already bounds-checked by the caller with `wasm_abi::checked_buffer`),
    /// scaled by the largest integer factor that fits, centred, with the border cleared.
    /// Returns the number of screen pixels the image covers.
    ///
    /// Keeps the shown part of the image (native format) as the picture, noting which of
    /// its rows differ from the previous image at the same place.
    pub fn present(&mut self, src: &[u8], width: usize, height: usize) -> usize {
        let Some(s) = Scale::for_present(width, height, self.width, self.height) else {
            return 0;
        };
        let row_bytes = width.saturating_mul(4);
        if src.len() < row_bytes.saturating_mul(height) {
            return 0; // cannot happen after checked_buffer; never index past `src` anyway
        }
        let n = s.cols * s.rows;
        let same_place = self.presented == Some(s);
        if !same_place {
            // A new placement: every row and the border must be shown again.
            self.presented = None;
            self.image.clear();
            if self.image.try_reserve_exact(n).is_err() {
                // No memory for the small copy: scale into the full-size buffer instead.
                return self.scale_into_pixels(src, row_bytes, &s);
            }
            self.image.resize(n, self.black);
            self.dirty.set(Dirty::ALL);
        }
        let encoding = self.encoding;
        let mut changed = Dirty::CLEAN;
        for (sy, dst) in self.image.chunks_exact_mut(s.cols).enumerate() {
            let Some(src_row) = src.get(sy * row_bytes..sy * row_bytes + s.cols * 4) else {
                return 0;
            };
            let mut row_changed = false;
            for (d, px) in dst.iter_mut().zip(src_row.as_chunks::<4>().0) {
                let v = encoding.encode(u32::from_le_bytes(*px));
                row_changed |= *d != v;
                *d = v;
            }
            if row_changed {
                changed = changed.add(sy..sy + 1);
            }
        }
        self.presented = Some(s);
        if same_place {
            self.dirty
                .set(self.dirty.get().add(changed.start..changed.end));
        }
        s.shown_width() * s.shown_height()
    }

    /// Presenting without the small copy (when it cannot be allocated): scales the image
    /// into the full-size buffer and clears the border there.
    fn scale_into_pixels(&mut self, src: &[u8], row_bytes: usize, s: &Scale) -> usize {
        self.clear_border(s);
        let (f, w) = (s.factor, self.width);
        let shown_w = s.shown_width();
        self.dirty.set(Dirty::ALL);
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
            self.copy_scaled_row(first, shown_w, f);
        }
        s.shown_width() * s.shown_height()
    }

    /// Copies the `len` pixels at `first` (one image row, already scaled across) to the
    /// `f - 1` screen rows below them.
    fn copy_scaled_row(&mut self, first: usize, len: usize, f: usize) {
        for dy in 1..f {
            let to = first + dy * self.width;
            if to + len > self.pixels.len() {
                return;
            }
            self.pixels.copy_within(first..first + len, to);
        }
    }

    /// Turns a presented image into the full-size picture, so that drawing calls can draw
    /// on top of it.
    fn make_full_size(&mut self) {
        let Some(s) = self.presented.take() else {
            return;
        };
        self.clear_border(&s);
        let (f, w) = (s.factor, self.width);
        let shown_w = s.shown_width();
        let image = core::mem::take(&mut self.image);
        for (sy, src_row) in image.chunks_exact(s.cols).enumerate() {
            let first = (s.off_y + sy * f) * w + s.off_x;
            let Some(dst) = self.pixels.get_mut(first..first + shown_w) else {
                break;
            };
            for (&px, out) in src_row.iter().zip(dst.chunks_exact_mut(f)) {
                out.fill(px);
            }
            self.copy_scaled_row(first, shown_w, f);
        }
        self.image = image;
        self.dirty.set(Dirty::ALL);
    }

    /// Clears everything outside the image area of `s` in the full-size buffer.
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

    /// Marks the whole picture as not shown, so the next [`Screen::blit`] copies all of it
    /// (after something else drew on the target).
    pub fn invalidate(&self) {
        self.dirty.set(Dirty::ALL);
    }

    /// Copies what changed since the last call to `target`: the changed rows of a presented
    /// image, scaled on the way, or the changed rows of the full-size picture. Copies
    /// nothing if the sizes differ (the caller rules that out).
    pub fn blit(&self, target: &mut impl BlitTarget) {
        if target.size() != (self.width, self.height) {
            return;
        }
        let dirty = self.dirty.replace(Dirty::CLEAN);
        let w = self.width;
        let Some(s) = self.presented else {
            let (y0, y1) = (dirty.start.min(self.height), dirty.end.min(self.height));
            if let Some(rows) = self.pixels.get(y0 * w..y1.max(y0) * w) {
                target.write_rows(y0, rows);
            }
            return;
        };
        let Ok(mut line) = self.line.try_borrow_mut() else {
            return;
        };
        let (f, shown_w) = (s.factor, s.shown_width());
        if dirty.border {
            line.fill(self.black);
            let right = s.off_x + shown_w;
            for y in 0..self.height {
                if y < s.off_y || y >= s.off_y + s.shown_height() {
                    target.write_span(0, y, &line[..w]);
                } else {
                    target.write_span(0, y, &line[..s.off_x]);
                    target.write_span(right, y, &line[..w - right]);
                }
            }
        }
        let (r0, r1) = (dirty.start.min(s.rows), dirty.end.min(s.rows));
        for (sy, src_row) in self
            .image
            .chunks_exact(s.cols)
            .enumerate()
            .take(r1)
            .skip(r0)
        {
            let Some(scaled) = line.get_mut(..shown_w) else {
                return;
            };
            for (&px, out) in src_row.iter().zip(scaled.chunks_exact_mut(f)) {
                out.fill(px);
            }
            for dy in 0..f {
                target.write_span(s.off_x, s.off_y + sy * f + dy, scaled);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use wasm_abi::Rng;

    const BGR: PixelLayout = PixelLayout {
        red_shift: 0,
        green_shift: 8,
        blue_shift: 16,
    };

    /// The picture as the ABI defines it, computed the plain way: a full-size buffer that
    /// every call draws into, `present` scaling pixel by pixel and clearing the border.
    struct Model {
        w: usize,
        h: usize,
        layout: PixelLayout,
        px: Vec<u32>,
    }

    impl Model {
        fn put_pixel(&mut self, x: i32, y: i32, r: i32, g: i32, b: i32) {
            if (0..self.w as i32).contains(&x) && (0..self.h as i32).contains(&y) {
                let c = rgb(rgb_clamp(r), rgb_clamp(g), rgb_clamp(b));
                self.px[y as usize * self.w + x as usize] = self.layout.encode(c);
            }
        }

        fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: u32) {
            for yy in i64::from(y)..i64::from(y) + i64::from(h) {
                for xx in i64::from(x)..i64::from(x) + i64::from(w) {
                    if (0..self.w as i64).contains(&xx) && (0..self.h as i64).contains(&yy) {
                        self.px[yy as usize * self.w + xx as usize] = self.layout.encode(c);
                    }
                }
            }
        }

        fn present(&mut self, img: &[u32], iw: usize, ih: usize) {
            let s = Scale::for_present(iw, ih, self.w, self.h).unwrap();
            for y in 0..self.h {
                for x in 0..self.w {
                    let inside = x >= s.off_x
                        && x < s.off_x + s.shown_width()
                        && y >= s.off_y
                        && y < s.off_y + s.shown_height();
                    self.px[y * self.w + x] = if inside {
                        let (ix, iy) = ((x - s.off_x) / s.factor, (y - s.off_y) / s.factor);
                        self.layout.encode(img[iy * iw + ix])
                    } else {
                        self.layout.encode(0)
                    };
                }
            }
        }
    }

    fn bytes(img: &[u32]) -> Vec<u8> {
        img.iter().flat_map(|p| p.to_le_bytes()).collect()
    }

    /// Random drawing calls and presents, shown with `blit` now and then: what reaches the
    /// target (only changed rows are copied) is always the plain model's picture, and so
    /// is `pixel`.
    #[test]
    fn blit_shows_exactly_what_was_drawn() {
        let mut rng = Rng::new(0x5c12_ee11);
        let palette = [0x000000, 0xff0000, 0x00ff00, 0x123456, 0xffffff];
        for round in 0..60 {
            let (w, h) = (
                1 + (rng.next_u32() % 70) as usize,
                1 + (rng.next_u32() % 50) as usize,
            );
            let layout = if round % 3 == 0 {
                BGR
            } else {
                PixelLayout::XRGB
            };
            let mut screen = Screen::new(w, h, layout).unwrap();
            let mut model = Model {
                w,
                h,
                layout,
                px: vec![layout.encode(0); w * h],
            };
            let mut target = Picture::new(w, h);
            // Each round keeps one image size most of the time, so presents at the same
            // place (where only changed rows are copied) are the common case.
            let (mut iw, mut ih) = (
                1 + (rng.next_u32() % 40) as usize,
                1 + (rng.next_u32() % 30) as usize,
            );
            let mut img = vec![0u32; iw * ih];
            for step in 0..80 {
                let coord =
                    |rng: &mut Rng, max: usize| (rng.next_u32() % (max as u32 + 20)) as i32 - 10;
                match rng.next_u32() % 10 {
                    0 => {
                        let (x, y) = (coord(&mut rng, w), coord(&mut rng, h));
                        let c = [rng.next_u32() as i32 % 300; 3];
                        screen.put_pixel(x, y, c[0], c[1], c[2]);
                        model.put_pixel(x, y, c[0], c[1], c[2]);
                    }
                    1 => {
                        let (x, y) = (coord(&mut rng, w), coord(&mut rng, h));
                        let (rw, rh) = (coord(&mut rng, w), coord(&mut rng, h));
                        let c = palette[rng.next_u32() as usize % palette.len()] | 0xab00_0000;
                        screen.fill_rect(x, y, rw, rh, c);
                        model.fill_rect(x, y, rw, rh, c & 0xff_ffff);
                    }
                    n => {
                        if n == 2 {
                            iw = 1 + (rng.next_u32() % 90) as usize;
                            ih = 1 + (rng.next_u32() % 60) as usize;
                            img = vec![0u32; iw * ih];
                        }
                        // Change a few rows of the image, or none.
                        for _ in 0..rng.next_u32() % 3 {
                            let row = rng.next_u32() as usize % ih;
                            let c = palette[rng.next_u32() as usize % palette.len()];
                            let x = rng.next_u32() as usize % iw;
                            img[row * iw + x] = c;
                        }
                        let covered = screen.present(&bytes(&img), iw, ih);
                        let s = Scale::for_present(iw, ih, w, h).unwrap();
                        assert_eq!(covered, s.shown_width() * s.shown_height());
                        model.present(&img, iw, ih);
                    }
                }
                if rng.next_u32() % 3 == 0 || step == 79 {
                    screen.blit(&mut target);
                    assert_eq!(
                        target.pixels, model.px,
                        "round {round} step {step}: {w}x{h}"
                    );
                    for (i, &p) in model.px.iter().enumerate() {
                        assert_eq!(screen.pixel(i % w, i / w), Some(p), "round {round}");
                    }
                }
            }
            assert_eq!(screen.pixel(w, 0), None);
            assert_eq!(screen.pixel(0, h), None);
        }
    }

    /// A second `present` of the same image copies nothing; one changed row copies only the
    /// screen rows it covers; a target of another size is left alone.
    #[test]
    fn blit_copies_only_changed_rows() {
        struct Counting(Picture, usize);
        impl BlitTarget for Counting {
            fn size(&self) -> (usize, usize) {
                self.0.size()
            }
            fn write_span(&mut self, x: usize, y: usize, src: &[u32]) {
                self.1 += src.len();
                self.0.write_span(x, y, src);
            }
        }
        let mut screen = Screen::new(64, 40, PixelLayout::XRGB).unwrap();
        let mut t = Counting(Picture::new(64, 40), 0);
        let mut img = vec![0x10_2030u32; 16 * 10];
        screen.present(&bytes(&img), 16, 10);
        screen.blit(&mut t);
        assert_eq!(t.1, 64 * 40, "the first blit writes the whole screen once");
        t.1 = 0;
        screen.present(&bytes(&img), 16, 10);
        screen.blit(&mut t);
        assert_eq!(t.1, 0, "nothing changed");
        img[3 * 16 + 5] = 0xff_ffff;
        screen.present(&bytes(&img), 16, 10);
        screen.blit(&mut t);
        assert_eq!(t.1, 64 * 4, "one image row is 4 screen rows of 64 pixels");
        assert_eq!(t.0.pixels[(3 * 4 + 1) * 64 + 5 * 4 + 2], 0xff_ffff);
        screen.invalidate();
        t.1 = 0;
        screen.blit(&mut t);
        assert_eq!(t.1, 64 * 40);
        let mut other = Picture::new(63, 40);
        screen.invalidate();
        screen.blit(&mut other);
        assert!(other.pixels.iter().all(|&p| p == 0));
    }
}
