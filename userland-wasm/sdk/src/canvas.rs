//! [`Canvas`]: an off-screen pixel buffer a game draws into and shows with one `present` call.
//!
//! Why: one host call per frame is the fast path (per-pixel host calls cost 10-100x more under
//! the interpreter), and a fixed-size buffer needs no allocator. The usual 320x200 [`Screen`]
//! is scaled by the host to fill most displays with crisp integer-sized pixels.
//!
//! Fills are written for the interpreter: a store loop costs several interpreted instructions
//! per pixel, while a copy inside the game's memory is one `memory.copy` instruction (the
//! wasm32 bulk-memory feature, on by default) that the host runs at native speed. So a span is
//! filled by storing a few pixels and then copying what is already filled, doubling each time,
//! and a rectangle by filling its first row and copying that row down (see [`fill_span`]).

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

    /// Pixel row `y`, to write whole rows at once (e.g. a row of cells built in one pass
    /// and then copied down with [`Canvas::copy_row`]); `None` outside the canvas.
    pub fn row_mut(&mut self, y: i32) -> Option<&mut [u32; W]> {
        usize::try_from(y).ok().and_then(|y| self.px.get_mut(y))
    }

    /// Copies pixel row `from` over row `to` (one `memory.copy`); rows outside are ignored.
    pub fn copy_row(&mut self, from: i32, to: i32) {
        let inside = |v: i32| usize::try_from(v).ok().filter(|&v| v < H);
        if let (Some(from), Some(to)) = (inside(from), inside(to)) {
            self.px.copy_within(from..from + 1, to);
        }
    }

    /// Fills the whole canvas.
    pub fn clear(&mut self, color: u32) {
        fill_span(self.px.as_flattened_mut(), color);
    }

    /// Sets one pixel; outside coordinates are ignored.
    pub fn pixel(&mut self, x: i32, y: i32, color: u32) {
        if let Some((x, y)) = wasm_abi::clip_point(x, y, Self::WIDTH, Self::HEIGHT) {
            self.px[y][x] = color;
        }
    }

    /// Fills a rectangle, clipped to the canvas: its first row with [`fill_span`], the other
    /// rows as copies of the first.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, color: u32) {
        let Some(r) = clip_rect(x, y, w, h, Self::WIDTH, Self::HEIGHT) else {
            return;
        };
        let px = self.px.as_flattened_mut();
        let first = r.y * W + r.x;
        fill_span(&mut px[first..first + r.w], color);
        for row in 1..r.h {
            px.copy_within(first..first + r.w, first + row * W);
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
            if !self.glyph_inside(cx, y, &g, color, scale) {
                // Partly or wholly off the canvas: square by square, each one clipped.
                for (row, bits) in g.iter().enumerate() {
                    for col in 0..font::GLYPH_W {
                        if bits & (1 << (font::GLYPH_W - 1 - col)) != 0 {
                            let px = cx.saturating_add(col.saturating_mul(scale));
                            let py = y.saturating_add((row as i32).saturating_mul(scale));
                            self.fill_rect(px, py, scale, scale, color);
                        }
                    }
                }
            }
            cx = cx.saturating_add(font::ADVANCE.saturating_mul(scale));
        }
        cx
    }

    /// Draws glyph `g` at `(x, y)` if it lies wholly on the canvas (returns false otherwise,
    /// drawing nothing), without clipping each pixel: at scale 1 one unrolled test and store
    /// per font pixel, larger scales one span per run of lit pixels and pixel row.
    fn glyph_inside(&mut self, x: i32, y: i32, g: &[u8; 7], color: u32, scale: i32) -> bool {
        let (Some(gw), Some(gh)) = (
            font::GLYPH_W.checked_mul(scale),
            font::GLYPH_H.checked_mul(scale),
        ) else {
            return false;
        };
        let fits = |at: i32, size: i32, limit: i32| {
            at >= 0 && at.checked_add(size).is_some_and(|end| end <= limit)
        };
        if !fits(x, gw, Self::WIDTH) || !fits(y, gh, Self::HEIGHT) {
            return false;
        }
        const GW: usize = font::GLYPH_W as usize;
        let lit = |bits: u8, col: usize| bits & (1 << (GW - 1 - col)) != 0;
        let (x, y, s) = (x as usize, y as usize, scale as usize);
        if s == 1 {
            // Unrolled by hand: the games are built for size, so the compiler keeps loops.
            const _: () = assert!(GW == 5, "the unrolled row below has five pixels");
            for (row, &bits) in g.iter().enumerate() {
                if bits == 0 {
                    continue;
                }
                let Ok([p0, p1, p2, p3, p4]) =
                    <&mut [u32; GW]>::try_from(&mut self.px[y + row][x..x + GW])
                else {
                    continue;
                };
                if bits & 0b10000 != 0 {
                    *p0 = color;
                }
                if bits & 0b01000 != 0 {
                    *p1 = color;
                }
                if bits & 0b00100 != 0 {
                    *p2 = color;
                }
                if bits & 0b00010 != 0 {
                    *p3 = color;
                }
                if bits & 0b00001 != 0 {
                    *p4 = color;
                }
            }
            return true;
        }
        let px = self.px.as_flattened_mut();
        for (row, &bits) in g.iter().enumerate() {
            let mut col = 0;
            while col < GW {
                if !lit(bits, col) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < GW && lit(bits, col) {
                    col += 1;
                }
                for dy in 0..s {
                    let at = (y + row * s + dy) * W + x + start * s;
                    fill_span(&mut px[at..at + (col - start) * s], color);
                }
            }
        }
        true
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

    /// Darkens the whole canvas towards black (`keep` of 256 of each channel stays).
    pub fn dim(&mut self, keep: u32) {
        self.dim_rows(0, H, keep);
    }

    /// Darkens pixel rows `y0..y1` (clipped to the canvas) as [`Canvas::dim`] does.
    fn dim_rows(&mut self, y0: usize, y1: usize, keep: u32) {
        let keep = keep.min(256);
        let one = |p: u32| {
            let rb = (((p & 0xff00ff) * keep) >> 8) & 0xff00ff;
            let g = (((p & 0x00ff00) * keep) >> 8) & 0x00ff00;
            rb | g
        };
        let (y0, y1) = (y0.min(H), y1.min(H));
        let Some(rows) = self.px.get_mut(y0..y1.max(y0)) else {
            return;
        };
        // Two pixels per 64-bit word: each channel times `keep` (at most 0xff * 256) stays
        // within its own 16 bits, so the channels of both pixels scale in one multiplication,
        // halving the interpreted work.
        let keep64 = u64::from(keep);
        // SAFETY: u32 and u64 are plain integers: every bit pattern is valid for both, and
        // `align_to_mut` only hands out correctly aligned, in-bounds middle elements.
        let (head, pairs, tail) = unsafe { rows.as_flattened_mut().align_to_mut::<u64>() };
        for p in head.iter_mut().chain(tail) {
            *p = one(*p);
        }
        if keep.is_power_of_two() {
            // keep = 2^k: each channel times keep, over 256, is the channel shifted right by
            // 8 - k, the same result as the multiplication for half the interpreted work (the
            // default banner keeps 128). The mask drops the bits shifted in from the
            // neighbouring channel and clears the unused top byte, as `one` does.
            let shift = 8 - keep.trailing_zeros();
            let byte = u64::from(0xffu32 >> shift);
            let mask = byte * 0x0001_0101_0001_0101;
            for p in pairs {
                *p = (*p >> shift) & mask;
            }
            return;
        }
        const RB: u64 = 0x00ff_00ff_00ff_00ff;
        const G: u64 = 0x0000_ff00_0000_ff00;
        for p in pairs {
            let rb = (((*p & RB) * keep64) >> 8) & RB;
            let g = (((*p & G) * keep64) >> 8) & G;
            *p = rb | g;
        }
    }

    /// Draws a two-line message centred across the canvas, such as "GAME OVER" over "PRESS
    /// ENTER": dims a band of the picture behind the two lines (unless the style is
    /// [`undimmed`](BannerStyle::undimmed)), then draws `title` in large letters (scale 3) and
    /// `hint` in normal ones, placed and coloured as `style` says. An empty line draws nothing.
    ///
    /// Only the band is dimmed, not the whole picture, because dimming is work on every pixel
    /// it covers, interpreted: the band is a third of the canvas.
    pub fn banner(&mut self, title: &str, hint: &str, style: BannerStyle) {
        if style.keep < 256 {
            const MARGIN: i32 = 12;
            let top = style.title_y.min(style.hint_y).saturating_sub(MARGIN);
            let bottom = (style.title_y.saturating_add(3 * font::GLYPH_H))
                .max(style.hint_y.saturating_add(font::GLYPH_H))
                .saturating_add(MARGIN);
            let clamp = |v: i32| v.clamp(0, Self::HEIGHT) as usize;
            self.dim_rows(clamp(top), clamp(bottom), style.keep);
        }
        self.text_centered(style.title_y, title, style.title_color, 3);
        self.text_centered(style.hint_y, hint, style.hint_color, 1);
    }

    /// Shows the canvas on screen (one host call).
    pub fn present(&self) {
        crate::present(self.pixels(), W, H);
    }
}

/// Fills `span` with `color`: a few stores, then copies of the part already filled, doubling
/// each time, so a long span costs a handful of `memory.copy` instructions instead of one
/// interpreted store loop iteration per pixel.
pub fn fill_span(span: &mut [u32], color: u32) {
    /// Pixels stored one by one before copying starts (short spans need no copy at all).
    const SEED: usize = 8;
    let n = span.len();
    let seed = n.min(SEED);
    span[..seed].fill(color);
    let mut done = seed;
    while done < n {
        let k = done.min(n - done);
        span.copy_within(..k, done);
        done += k;
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
    /// 200-pixel-high [`Screen`]), over a band of the picture dimmed to half (128/256, the fast
    /// case of [`Canvas::dim`]).
    pub const fn new(color: u32) -> Self {
        BannerStyle {
            title_y: 80,
            hint_y: 112,
            title_color: color,
            hint_color: color,
            keep: 128,
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
    fn rows_by_hand_and_copied() {
        let mut c = Small::new();
        assert!(c.row_mut(-1).is_none() && c.row_mut(10).is_none());
        c.row_mut(2).unwrap()[3] = 5;
        c.copy_row(2, 7);
        assert_eq!(c.get(3, 7), Some(5));
        assert_eq!(c.get(3, 6), Some(0));
        for (from, to) in [(-1, 0), (0, -1), (10, 0), (0, 10), (i32::MIN, i32::MAX)] {
            c.copy_row(from, to);
        }
        assert_eq!(c.pixels().iter().filter(|p| **p == 5).count(), 2);
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
    fn banner_dims_a_band_behind_the_text() {
        let mut c = Box::new(Canvas::<64, 120>::new());
        c.clear(0x808080);
        // Title rows 50..71, hint rows 80..87: the band is 38..99.
        c.banner("", "", BannerStyle::new(0xffffff).at(50, 80));
        let dimmed = 0x80 / 2;
        let grey = |v: u32| Some(v << 16 | v << 8 | v);
        assert_eq!(c.get(0, 37), grey(0x80));
        assert_eq!(c.get(0, 38), grey(dimmed));
        assert_eq!(c.get(63, 98), grey(dimmed));
        assert_eq!(c.get(0, 99), grey(0x80));
        // Bands reaching past the canvas are clipped.
        c.clear(0x808080);
        c.banner("", "", BannerStyle::new(0xffffff).at(-100, 500));
        assert_eq!(c.get(0, 0), grey(dimmed));
        assert_eq!(c.get(0, 119), grey(dimmed));
        c.banner("", "", BannerStyle::new(0xffffff).at(i32::MIN, i32::MAX));
    }

    #[test]
    fn fill_span_fills_every_length() {
        for n in 0..100 {
            let mut v = std::vec![7u32; n + 2];
            super::fill_span(&mut v[1..n + 1], 0xabcdef);
            assert_eq!(v[0], 7);
            assert_eq!(v[n + 1], 7);
            assert!(v[1..n + 1].iter().all(|&p| p == 0xabcdef), "length {n}");
        }
    }

    #[test]
    fn fill_rect_matches_pixel_by_pixel() {
        // A small deterministic PRNG: rectangles anywhere, including off the canvas.
        let mut rng = wasm_abi::Rng::new(0x1234_5678);
        let mut fast = Box::new(Canvas::<37, 23>::new());
        let mut slow = Box::new(Canvas::<37, 23>::new());
        for i in 0..500u32 {
            let mut v = || (rng.next_u32() % 60) as i32 - 10;
            let (x, y, w, h) = (v(), v(), v(), v());
            fast.fill_rect(x, y, w, h, i);
            for yy in y..y.saturating_add(h) {
                for xx in x..x.saturating_add(w) {
                    slow.pixel(xx, yy, i);
                }
            }
            assert_eq!(fast.pixels(), slow.pixels(), "rect {i}: {x},{y} {w}x{h}");
        }
    }

    #[test]
    fn dim_matches_per_pixel_formula() {
        let mut rng = wasm_abi::Rng::new(99);
        let mut c = Box::new(Canvas::<7, 3>::new());
        for y in 0..3 {
            for x in 0..7 {
                // Top bytes set too: every path must clear them.
                c.pixel(x, y, rng.next_u32());
            }
        }
        for keep in [0, 1, 2, 64, 110, 128, 255, 256, 1000] {
            let before: std::vec::Vec<u32> = c.pixels().to_vec();
            c.dim(keep);
            let k = keep.min(256);
            for (a, b) in before.iter().zip(c.pixels()) {
                let rb = (((a & 0xff00ff) * k) >> 8) & 0xff00ff;
                let g = (((a & 0x00ff00) * k) >> 8) & 0x00ff00;
                assert_eq!(*b, rb | g, "keep {keep}");
            }
        }
    }

    #[test]
    fn text_matches_square_by_square() {
        // The reference: every lit font pixel as a clipped square, as the slow path draws it.
        fn reference(c: &mut Canvas<40, 30>, x: i32, y: i32, text: &str, color: u32, scale: i32) {
            let scale = scale.max(1);
            let mut cx = x;
            for ch in text.chars() {
                let g = crate::font::glyph_or_placeholder(ch);
                for (row, bits) in g.iter().enumerate() {
                    for col in 0..crate::font::GLYPH_W {
                        if bits & (1 << (crate::font::GLYPH_W - 1 - col)) != 0 {
                            let px = cx.saturating_add(col.saturating_mul(scale));
                            let py = y.saturating_add((row as i32).saturating_mul(scale));
                            c.fill_rect(px, py, scale, scale, color);
                        }
                    }
                }
                cx = cx.saturating_add(crate::font::ADVANCE.saturating_mul(scale));
            }
        }
        let mut rng = wasm_abi::Rng::new(7);
        let mut fast = Box::new(Canvas::<40, 30>::new());
        let mut slow = Box::new(Canvas::<40, 30>::new());
        for i in 0..400u32 {
            let x = (rng.next_u32() % 60) as i32 - 15;
            let y = (rng.next_u32() % 50) as i32 - 15;
            let scale = (rng.next_u32() % 4) as i32;
            let text = ["A1", "W", "GAME OVER", "?!", "~"][(i % 5) as usize];
            let end = x + text.chars().count() as i32 * crate::font::ADVANCE * scale.max(1);
            assert_eq!(fast.text(x, y, text, i, scale), end, "end x");
            reference(&mut slow, x, y, text, i, scale);
            assert_eq!(
                fast.pixels(),
                slow.pixels(),
                "{text:?} at {x},{y} scale {scale}"
            );
        }
        // Far off the canvas and huge scales draw nothing and do not panic.
        fast.text(i32::MAX - 3, i32::MIN, "X", 1, i32::MAX);
        fast.text(0, 0, "X", 1, i32::MAX);
    }

    #[test]
    fn dim_halves() {
        let mut c = Box::new(Canvas::<2, 1>::new());
        c.clear(0x80ff40);
        c.dim(128);
        assert_eq!(c.get(0, 0), Some(0x407f20));
    }
}
