//! Drawing one character cell: font glyphs blended through a colour table, and the
//! box-drawing characters the font lacks.
//!
//! Glyphs come from `noto-sans-mono-bitmap` as 8-bit intensities; a 256-entry table of
//! native pixels between the background and foreground colours (rebuilt only when the
//! colours change) turns each intensity into a pixel with one lookup.

use crate::drivers::framebuffer::{PixelFormat, Rgb};
use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};

/// Glyph height for a screen: aim for about 40-60 lines whatever the resolution.
pub fn pick_height(screen_h: usize) -> RasterHeight {
    match screen_h {
        0..=899 => RasterHeight::Size16,
        900..=1199 => RasterHeight::Size20,
        1200..=1599 => RasterHeight::Size24,
        _ => RasterHeight::Size32,
    }
}

/// The font at one size, and the colour table for the current colours.
pub struct Glyphs {
    height: RasterHeight,
    pub cell_w: usize,
    pub cell_h: usize,
    /// Native pixels for the 256 glyph intensities between `bg` and `fg`.
    lut: [u32; 256],
    lut_for: Option<(Rgb, Rgb)>,
}

impl Glyphs {
    pub fn new(height: RasterHeight) -> Self {
        Self {
            height,
            cell_w: get_raster_width(FontWeight::Regular, height),
            cell_h: height.val(),
            lut: [0; 256],
            lut_for: None,
        }
    }

    /// Draws `c` in the cell at pixel column `x0` of a text row (`px`, rows `stride`
    /// pixels apart), in `fg` on `bg`.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        px: &mut [u32],
        stride: usize,
        x0: usize,
        c: char,
        bold: bool,
        (fg, bg): (Rgb, Rgb),
        format: PixelFormat,
    ) {
        if self.lut_for != Some((fg, bg)) {
            for (a, slot) in self.lut.iter_mut().enumerate() {
                *slot = format.encode(blend(fg, bg, a as u8));
            }
            self.lut_for = Some((fg, bg));
        }
        let (cw, ch, lut) = (self.cell_w, self.cell_h, &self.lut);
        let lines = box_lines(c);
        let weight = if bold {
            FontWeight::Bold
        } else {
            FontWeight::Regular
        };
        let raster = get_raster(c, weight, self.height)
            .or_else(|| get_raster('\u{fffd}', weight, self.height))
            .or_else(|| get_raster('?', weight, self.height))
            .filter(|_| lines.is_none());
        let mut glyph_rows = raster.as_ref().map(|r| r.rows());
        for dy in 0..ch {
            let dst = &mut px[dy * stride + x0..dy * stride + x0 + cw];
            match glyph_rows.as_mut().and_then(|rows| rows.next()) {
                Some(src) => {
                    for (d, &a) in dst.iter_mut().zip(src) {
                        *d = lut[a as usize];
                    }
                }
                None => dst.fill(lut[0]),
            }
        }
        if let Some((up, down, left, right)) = lines {
            // Lines through the cell's middle, so that neighbouring cells join up (`tree`
            // uses them).
            let t = (cw / 8).max(1);
            let (mx, my) = (cw / 2 - t / 2, ch / 2 - t / 2);
            let fg = lut[255];
            let mut rect = |x: usize, y: usize, w: usize, h: usize| {
                for yy in y..(y + h).min(ch) {
                    px[yy * stride + x0 + x..yy * stride + x0 + (x + w).min(cw)].fill(fg);
                }
            };
            if up {
                rect(mx, 0, t, my + t);
            }
            if down {
                rect(mx, my, t, ch - my);
            }
            if left {
                rect(0, my, mx + t, t);
            }
            if right {
                rect(mx, my, cw - mx, t);
            }
        }
    }
}

/// Which of the four arms (up, down, left, right) a box-drawing character has.
fn box_lines(c: char) -> Option<(bool, bool, bool, bool)> {
    Some(match c {
        '─' => (false, false, true, true),
        '│' => (true, true, false, false),
        '┌' => (false, true, false, true),
        '┐' => (false, true, true, false),
        '└' => (true, false, false, true),
        '┘' => (true, false, true, false),
        '├' => (true, true, false, true),
        '┤' => (true, true, true, false),
        '┬' => (false, true, true, true),
        '┴' => (true, false, true, true),
        '┼' => (true, true, true, true),
        _ => return None,
    })
}

#[inline]
fn blend(fg: Rgb, bg: Rgb, a: u8) -> Rgb {
    let a = a as u32;
    let mix = |f: u8, b: u8| ((f as u32 * a + b as u32 * (255 - a)) / 255) as u8;
    Rgb::new(
        mix(fg.r(), bg.r()),
        mix(fg.g(), bg.g()),
        mix(fg.b(), bg.b()),
    )
}
