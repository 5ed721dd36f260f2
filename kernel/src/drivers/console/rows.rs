//! The console's pixel rows: where text rows live and how they reach video memory.
//!
//! Before the heap exists, rows are drawn straight on the screen and scrolling moves
//! pixels in video memory. Once [`TextRows::enable_shadow`] succeeds, text rows live in a
//! RAM ring instead: scrolling moves the ring's start and clears one row instead of moving
//! every pixel, and [`TextRows::flush`] copies only the changed rows to the screen, in their
//! on-screen order (reading video memory is slow on real hardware; writing whole rows is
//! the fast path).

use crate::drivers::framebuffer::{Framebuffer, Rgb};
use alloc::vec::Vec;

pub struct TextRows {
    pub fb: Framebuffer,
    /// `rows * cell_h` pixel rows of `fb.width` pixels; text row `r` at ring slot
    /// `(r + top) % rows`.
    shadow: Option<Vec<u32>>,
    top: usize,
    /// Pixel rows per text row.
    pub cell_h: usize,
    /// Text rows on screen.
    pub rows: usize,
    /// Text rows changed since the last flush (only meaningful with a shadow).
    dirty: Option<(usize, usize)>,
}

impl TextRows {
    pub fn new(fb: Framebuffer, cell_h: usize, rows: usize) -> Self {
        Self {
            fb,
            shadow: None,
            top: 0,
            cell_h,
            rows,
            dirty: None,
        }
    }

    /// The pixels of text row `r` (in the shadow ring, or on screen) and their stride.
    pub fn row_pixels(&mut self, r: usize) -> (&mut [u32], usize) {
        let (cell_h, width) = (self.cell_h, self.fb.width);
        match self.shadow.as_mut() {
            Some(buf) => {
                let slot = (r + self.top) % self.rows;
                (
                    &mut buf[slot * cell_h * width..(slot + 1) * cell_h * width],
                    width,
                )
            }
            None => {
                let surface = self.fb.surface();
                let stride = surface.stride;
                let start = r * cell_h * stride;
                (&mut surface.pixels[start..start + cell_h * stride], stride)
            }
        }
    }

    pub fn mark_dirty(&mut self, r0: usize, r1: usize) {
        self.dirty = Some(match self.dirty {
            Some((a, b)) => (a.min(r0), b.max(r1)),
            None => (r0, r1),
        });
    }

    /// Copies changed rows of the shadow to the screen.
    pub fn flush(&mut self) {
        let (Some(buf), Some((r0, r1))) = (self.shadow.as_ref(), self.dirty.take()) else {
            return;
        };
        let rows_px = self.cell_h * self.fb.width;
        for r in r0..r1.min(self.rows) {
            let slot = (r + self.top) % self.rows;
            let src = &buf[slot * rows_px..(slot + 1) * rows_px];
            self.fb.write_rows(r * self.cell_h, src);
        }
    }

    /// Starts drawing into a RAM shadow of the screen (needs the heap). Fails quietly
    /// (keeps drawing directly) if the memory is not there.
    pub fn enable_shadow(&mut self) -> bool {
        let n = self.fb.width * self.rows * self.cell_h;
        let mut buf = Vec::new();
        if buf.try_reserve_exact(n).is_err() {
            return false;
        }
        buf.resize(n, 0);
        // Start from what is on screen now: one read of video memory, at boot.
        let (w, stride) = (self.fb.width, self.fb.stride);
        let screen = self.fb.surface();
        for y in 0..n / w {
            buf[y * w..(y + 1) * w].copy_from_slice(&screen.pixels[y * stride..y * stride + w]);
        }
        self.shadow = Some(buf);
        self.top = 0;
        true
    }

    /// Redraws the whole screen from the shadow (after a game used the framebuffer),
    /// painting the strip below the last text row in `bg`.
    pub fn repaint(&mut self, bg: Rgb) {
        let (w, h) = (self.fb.width, self.fb.height);
        let text_h = self.rows * self.cell_h;
        self.fb
            .surface()
            .fill_rect(0, text_h, w, h.saturating_sub(text_h), bg);
        self.mark_dirty(0, self.rows);
        self.flush();
    }

    /// Fills text row `r` from pixel column `x0` to its end with `bg`.
    pub fn fill_row(&mut self, r: usize, x0: usize, bg: Rgb) {
        let bg = self.fb.format.encode(bg);
        let (cell_h, width) = (self.cell_h, self.fb.width);
        let (px, stride) = self.row_pixels(r);
        for dy in 0..cell_h {
            px[dy * stride + x0..dy * stride + width].fill(bg);
        }
        self.mark_dirty(r, r + 1);
    }

    /// Scrolls the text up by one row and clears the new bottom row.
    pub fn scroll(&mut self, bg: Rgb) {
        if self.shadow.is_some() {
            // Rotate the ring: the old top row becomes the new bottom row.
            self.top = (self.top + 1) % self.rows;
            self.mark_dirty(0, self.rows);
        } else {
            let text_px = self.rows * self.cell_h;
            let ch = self.cell_h;
            let s = self.fb.surface();
            let stride = s.stride;
            s.pixels.copy_within(ch * stride..text_px * stride, 0);
        }
        self.fill_row(self.rows - 1, 0, bg);
    }
}
