//! [`Canvas`]: an off-screen pixel buffer a game draws into and shows with one `present` call.
//!
//! Why: one host call per frame is the fast path (per-pixel host calls cost 10-100x more under
//! the interpreter), and a fixed-size buffer needs no allocator. The usual 320x200 [`Screen`]
//! is scaled by the host to fill most displays with crisp integer-sized pixels.

use crate::font;
use wasm_abi::clip_rect;

/// A `W` x `H` buffer of `0x00RRGGBB` pixels, row-major.
pub struct Canvas<const W: usize, const H: usize> {
    px: [[u32; W]; H],
}

/// The standard game canvas: 320x200, scaled x2 on a 640x480 screen.
pub type Screen = Canvas<320, 200>;

impl<const W: usize, const H: usize> Canvas<W, H> {
    /// Width in pixels.
    pub const WIDTH: i32 = W as i32;
    /// Height in pixels.
    pub const HEIGHT: i32 = H as i32;

    /// A black canvas; `const` so it can initialise a `static` (which then costs no file size).
    pub const fn new() -> Self {
        Canvas { px: [[0; W]; H] }
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &[u32] {
        self.px.as_flattened()
    }

    /// The pixel at `(x, y)`, if inside.
    pub fn get(&self, x: i32, y: i32) -> Option<u32> {
        wasm_abi::clip_point(x, y, Self::WIDTH, Self::HEIGHT).map(|(x, y)| self.px[y][x])
    }

    /// Fills the whole canvas.
    pub fn clear(&mut self, color: u32) {
        self.px.as_flattened_mut().fill(color);
    }

    /// Sets one pixel; outside coordinates are ignored.
    pub fn pixel(&mut self, x: i32, y: i32, color: u32) {
        if let Some((x, y)) = wasm_abi::clip_point(x, y, Self::WIDTH, Self::HEIGHT) {
            self.px[y][x] = color;
        }
    }

    /// Fills a rectangle, clipped to the canvas.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, color: u32) {
        if let Some(r) = clip_rect(x, y, w, h, Self::WIDTH, Self::HEIGHT) {
            for row in &mut self.px[r.y..r.y + r.h] {
                row[r.x..r.x + r.w].fill(color);
            }
        }
    }

    /// Draws a 1-pixel rectangle outline.
    pub fn rect(&mut self, x: i32, y: i32, w: i32, h: i32, color: u32) {
        if w <= 0 || h <= 0 {
            return;
        }
        let (right, bottom) = (x.saturating_add(w - 1), y.saturating_add(h - 1));
        self.fill_rect(x, y, w, 1, color);
        self.fill_rect(x, bottom, w, 1, color);
        self.fill_rect(x, y, 1, h, color);
        self.fill_rect(right, y, 1, h, color);
    }

    /// Draws `text` with its top-left corner at `(x, y)`, each font pixel a `scale` x `scale`
    /// square. Returns the x just after the text.
    pub fn text(&mut self, x: i32, y: i32, text: &str, color: u32, scale: i32) -> i32 {
        let scale = scale.max(1);
        let mut cx = x;
        for c in text.chars() {
            let g = font::glyph_or_placeholder(c);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..font::GLYPH_W {
                    if bits & (1 << (font::GLYPH_W - 1 - col)) != 0 {
                        let px = cx.saturating_add(col.saturating_mul(scale));
                        let py = y.saturating_add((row as i32).saturating_mul(scale));
                        self.fill_rect(px, py, scale, scale, color);
                    }
                }
            }
            cx = cx.saturating_add(font::ADVANCE.saturating_mul(scale));
        }
        cx
    }

    /// Draws `text` horizontally centred on the canvas.
    pub fn text_centered(&mut self, y: i32, text: &str, color: u32, scale: i32) {
        let x = (Self::WIDTH - font::text_width(text, scale.max(1))) / 2;
        self.text(x, y, text, color, scale);
    }

    /// Draws `text` centred in the box `(x, y, w, h)` (e.g. a tile).
    pub fn text_in_box(&mut self, area: (i32, i32, i32, i32), text: &str, color: u32, scale: i32) {
        let (x, y, w, h) = area;
        let scale = scale.max(1);
        let tx = x + (w - font::text_width(text, scale)) / 2;
        let ty = y + (h - font::GLYPH_H * scale) / 2;
        self.text(tx, ty, text, color, scale);
    }

    /// Darkens the whole canvas towards black (`keep` of 256 of each channel stays), e.g. under
    /// a "GAME OVER" banner.
    pub fn dim(&mut self, keep: u32) {
        let keep = keep.min(256);
        for p in self.px.as_flattened_mut() {
            let rb = (((*p & 0xff00ff) * keep) >> 8) & 0xff00ff;
            let g = (((*p & 0x00ff00) * keep) >> 8) & 0x00ff00;
            *p = rb | g;
        }
    }

    /// Draws a two-line message centred across the canvas, such as "GAME OVER" over "PRESS
    /// ENTER": dims the picture (unless the style is [`undimmed`](BannerStyle::undimmed)), then
    /// draws `title` in large letters (scale 3) and `hint` in normal ones, placed and coloured as
    /// `style` says. An empty line draws nothing.
    pub fn banner(&mut self, title: &str, hint: &str, style: BannerStyle) {
        if style.keep < 256 {
            self.dim(style.keep);
        }
        self.text_centered(style.title_y, title, style.title_color, 3);
        self.text_centered(style.hint_y, hint, style.hint_color, 1);
    }

    /// Shows the canvas on screen (one host call).
    pub fn present(&self) {
        crate::present(self.pixels(), W, H);
    }
}

/// Where and how [`Canvas::banner`] draws. [`BannerStyle::new`] is the usual look; the other
/// methods change one thing each: `BannerStyle::new(WHITE).at(100, 128).undimmed()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BannerStyle {
    title_y: i32,
    hint_y: i32,
    title_color: u32,
    hint_color: u32,
    /// How much of the picture stays under the text, as in [`Canvas::dim`] (256: all of it).
    keep: u32,
}

impl BannerStyle {
    /// Both lines in `color`, the title's top at y = 80 and the hint's at y = 112 (on the
    /// 200-pixel-high [`Screen`]), over the picture dimmed to 110/256.
    pub const fn new(color: u32) -> Self {
        BannerStyle {
            title_y: 80,
            hint_y: 112,
            title_color: color,
            hint_color: color,
            keep: 110,
        }
    }

    /// Puts the top of the title (21 pixels high) at `title_y` and of the hint (7 pixels) at
    /// `hint_y`.
    pub const fn at(self, title_y: i32, hint_y: i32) -> Self {
        BannerStyle {
            title_y,
            hint_y,
            ..self
        }
    }

    /// Draws the hint in another colour than the title.
    pub const fn hint_color(self, color: u32) -> Self {
        BannerStyle {
            hint_color: color,
            ..self
        }
    }

    /// Leaves the picture under the text as it is (e.g. when the game draws its own box).
    pub const fn undimmed(self) -> Self {
        BannerStyle { keep: 256, ..self }
    }
}

impl<const W: usize, const H: usize> Default for Canvas<W, H> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{BannerStyle, Canvas};
    use std::boxed::Box;

    type Small = Canvas<16, 10>;

    #[test]
    fn clipping_never_panics() {
        let mut c = Small::new();
        for v in [i32::MIN, -20, -1, 0, 5, 15, 16, i32::MAX] {
            c.pixel(v, v, 1);
            c.fill_rect(v, v, v, v, 2);
            c.fill_rect(v, 0, i32::MAX, i32::MAX, 3);
            c.rect(v, v, 4, 4, 4);
            c.text(v, v, "HI 42", 5, 3);
        }
    }

    #[test]
    fn rect_and_pixel() {
        let mut c = Small::new();
        c.fill_rect(-2, -2, 4, 3, 7);
        assert_eq!(c.get(0, 0), Some(7));
        assert_eq!(c.get(1, 0), Some(7));
        assert_eq!(c.get(2, 0), Some(0));
        assert_eq!(c.get(1, 1), Some(0));
        assert_eq!(c.get(16, 0), None);
        c.rect(4, 4, 3, 3, 9);
        assert_eq!(c.get(4, 4), Some(9));
        assert_eq!(c.get(5, 5), Some(0));
        assert_eq!(c.get(6, 6), Some(9));
        c.clear(1);
        assert!(c.pixels().iter().all(|p| *p == 1));
        assert_eq!(c.pixels().len(), 160);
    }

    #[test]
    fn text_draws_glyph() {
        let mut c = Small::new();
        let end = c.text(0, 0, "1", 0xffffff, 1);
        assert_eq!(end, 6);
        // '1' = 00100 on its first row.
        assert_eq!(c.get(2, 0), Some(0xffffff));
        assert_eq!(c.get(0, 0), Some(0));
        let lit = c.pixels().iter().filter(|p| **p != 0).count();
        assert_eq!(lit, 10);
    }

    #[test]
    fn banner_dims_then_writes() {
        let mut c = Box::new(Canvas::<64, 40>::new());
        c.clear(0x808080);
        let style = BannerStyle {
            keep: 128,
            ..BannerStyle::new(0xff0000).at(2, 30).hint_color(0x00ff00)
        };
        c.banner("I", "1", style);
        let count = |c: &Canvas<64, 40>, color| c.pixels().iter().filter(|p| **p == color).count();
        assert!(count(&c, 0xff0000) > 0);
        assert!(count(&c, 0x00ff00) > 0);
        assert_eq!(c.get(0, 0), Some(0x404040));
        c.clear(0x808080);
        c.banner("", "", style.undimmed());
        assert!(c.pixels().iter().all(|p| *p == 0x808080));
    }

    #[test]
    fn dim_halves() {
        let mut c = Box::new(Canvas::<2, 1>::new());
        c.clear(0x80ff40);
        c.dim(128);
        assert_eq!(c.get(0, 0), Some(0x407f20));
    }
}
