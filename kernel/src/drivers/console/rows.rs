//! The console's pixel rows: where text rows live and how they reach video memory.
//!
//! Before the heap exists, rows are drawn straight on the screen and scrolling moves
//! pixels in video memory. Once [`TextRows::enable_shadow`] succeeds, text rows live in a
//! RAM ring instead: scrolling moves the ring's start and clears one row instead of moving
//! every pixel, and [`TextRows::flush`] copies only the changed rows to the screen, in their
//! on-screen order (reading video memory is slow on real hardware; writing whole rows is
//! the fast path). Only the pixel columns that changed are copied: a log line covers half
//! a row, and a typed character one cell.
//!
//! Where the shadow lies matters: copying between two buffers whose addresses are equal
//! modulo a large power of two makes source and destination fight over the same slot of a
//! direct-mapped structure: QEMU's software TLB (a full-screen copy took 16 ms instead of
//! 1.2 ms when the shadow and the framebuffer were 4 MiB-aligned alike), and on hardware
//! the "4K aliasing" of loads behind stores. So the shadow starts at an address whose
//! distance to the framebuffer is an odd number of pages plus half a page ([`SKEW_BYTES`]).

use crate::drivers::framebuffer::{Framebuffer, Rgb, fill_pixels, fill_raw};
use alloc::vec::Vec;

/// Distance from the framebuffer to the shadow, modulo [`SKEW_PERIOD`] bytes (see the
/// module docs): odd in pages, and half a page off.
const SKEW_BYTES: usize = 4096 + 2048;
const SKEW_PERIOD: usize = 8192;

/// The shadow: the ring of text rows, starting `skew` pixels into `buf`.
///
/// Only the first ring slots exist yet (up to `buf.len()`): a slot is written with the
/// background when first used ([`Shadow::slots`]), so the boot does not fill 4 MiB of RAM
/// that the screen, cleared to the same background, already shows.
struct Shadow {
    buf: Vec<u32>,
    skew: usize,
    /// Pixels per ring slot (one text row).
    slot_px: usize,
    /// The background every slot not yet written stands for, encoded.
    bg: u32,
}

impl Shadow {
    /// The ring's slots `..end`, written with the background first where they do not
    /// exist yet.
    fn slots(&mut self, end: usize) -> &mut [u32] {
        let want = self.skew + end * self.slot_px;
        let have = self.buf.len();
        if want > have {
            assert!(
                want <= self.buf.capacity(),
                "console shadow slot out of range"
            );
            // SAFETY: pixels `have..want` are within the capacity (checked just above)
            // and 4-byte aligned (a `Vec<u32>`); they are all written here, so after
            // `set_len` every pixel below `want` is initialized.
            unsafe {
                fill_raw(self.buf.as_mut_ptr().add(have), want - have, self.bg);
                self.buf.set_len(want);
            }
        }
        &mut self.buf[self.skew..want]
    }
}

pub struct TextRows {
    pub fb: Framebuffer,
    /// `rows * cell_h` pixel rows of `fb.width` pixels; text row `r` at ring slot
    /// `(r + top) % rows`.
    shadow: Option<Shadow>,
    top: usize,
    /// Pixel rows per text row.
    pub cell_h: usize,
    /// Text rows on screen.
    pub rows: usize,
    /// Text rows changed since the last flush, and the pixel columns changed in them
    /// (only meaningful with a shadow).
    dirty: Option<Dirty>,
}

/// Text rows `rows.0..rows.1`, pixel columns `cols.0..cols.1` of them.
#[derive(Clone, Copy)]
struct Dirty {
    rows: (usize, usize),
    cols: (usize, usize),
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
        let slot = (r + self.top) % self.rows;
        match self.shadow.as_mut().map(|s| s.slots(slot + 1)) {
            Some(buf) => (&mut buf[slot * cell_h * width..], width),
            None => {
                let surface = self.fb.surface();
                let stride = surface.stride;
                let start = r * cell_h * stride;
                (&mut surface.pixels[start..start + cell_h * stride], stride)
            }
        }
    }

    /// Whether the rows live in a RAM shadow.
    pub fn has_shadow(&self) -> bool {
        self.shadow.is_some()
    }

    /// Text rows `r0..r1` changed across the whole width.
    pub fn mark_dirty(&mut self, r0: usize, r1: usize) {
        self.mark_dirty_cols(r0, r1, 0, self.fb.width);
    }

    /// Pixel columns `x0..x1` of text rows `r0..r1` changed.
    pub fn mark_dirty_cols(&mut self, r0: usize, r1: usize, x0: usize, x1: usize) {
        self.dirty = Some(match self.dirty {
            Some(d) => Dirty {
                rows: (d.rows.0.min(r0), d.rows.1.max(r1)),
                cols: (d.cols.0.min(x0), d.cols.1.max(x1)),
            },
            None => Dirty {
                rows: (r0, r1),
                cols: (x0, x1),
            },
        });
    }

    /// Copies changed rows of the shadow to the screen.
    pub fn flush(&mut self) {
        let (
            Some(shadow),
            Some(Dirty {
                rows: (r0, r1),
                cols,
            }),
        ) = (self.shadow.as_mut(), self.dirty.take())
        else {
            return;
        };
        let (w, cell_h) = (self.fb.width, self.cell_h);
        let (x0, x1) = (cols.0.min(w), cols.1.min(w));
        // Screen rows r0..r1 are ring slots (r0 + top)..(r1 + top) modulo the ring: at most
        // two contiguous runs of the shadow, each copied with one call when whole rows
        // changed, else pixel row by pixel row.
        let rows_px = cell_h * w;
        let r1 = r1.min(self.rows);
        let mut r = r0;
        while r < r1 && x0 < x1 {
            let slot = (r + self.top) % self.rows;
            let n = (r1 - r).min(self.rows - slot);
            let run = &shadow.slots(slot + n)[slot * rows_px..];
            if (x0, x1) == (0, w) {
                self.fb.write_rows(r * cell_h, run);
            } else {
                for (dy, line) in run.chunks_exact(w).enumerate() {
                    self.fb.write_span(x0, r * cell_h + dy, &line[x0..x1]);
                }
            }
            r += n;
        }
    }

    /// Starts drawing into a RAM shadow of the screen (needs the heap). Fails quietly
    /// (keeps drawing directly) if the memory is not there.
    ///
    /// The first `used` text rows are copied from the screen (the one read of video memory,
    /// at boot); the rows below them must show `bg` on screen (they have not been written
    /// since they were cleared): their slots are written only when first used.
    pub fn enable_shadow(&mut self, used: usize, bg: Rgb) -> bool {
        let w = self.fb.width;
        let slot_px = w * self.cell_h;
        let n = slot_px * self.rows;
        let slack = SKEW_PERIOD / 4;
        let mut buf = Vec::new();
        if buf.try_reserve_exact(n + slack).is_err() {
            return false;
        }
        // Pixels to skip so that (shadow - framebuffer) mod SKEW_PERIOD == SKEW_BYTES.
        let fb_addr = self.fb.surface().pixels.as_ptr() as usize;
        let gap = (buf.as_ptr() as usize).wrapping_sub(fb_addr) % SKEW_PERIOD;
        let skew = (SKEW_BYTES + SKEW_PERIOD - gap) % SKEW_PERIOD / 4;
        let bg = self.fb.format.encode(bg);
        // Within the reserved capacity (skew < slack), so none of these reallocates.
        buf.resize(skew, bg);
        let stride = self.fb.stride;
        let screen = self.fb.surface();
        for y in 0..used.min(self.rows) * self.cell_h {
            buf.extend_from_slice(&screen.pixels[y * stride..y * stride + w]);
        }
        self.shadow = Some(Shadow {
            buf,
            skew,
            slot_px,
            bg,
        });
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
            fill_pixels(&mut px[dy * stride + x0..dy * stride + width], bg);
        }
        self.mark_dirty_cols(r, r + 1, x0, width);
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

#[cfg(test)]
mod tests {
    use super::TextRows;
    use crate::boot::FramebufferInfo;
    use crate::drivers::framebuffer::{Framebuffer, Rgb};
    use alloc::vec;

    /// Slots of the shadow are written only when first used: what reaches the screen is
    /// still exactly the text rows, through drawing, scrolling past untouched slots and a
    /// repaint (a small screen of 4 text rows of 2 pixel rows, 5 pixels wide).
    #[test_case]
    fn lazily_written_shadow_shows_what_was_drawn() {
        const W: usize = 5;
        const CELL_H: usize = 2;
        const ROWS: usize = 4;
        let bg = Rgb(0x000a_0b0c);
        let mut screen = vec![0u32; W * CELL_H * ROWS];
        // The screen is cleared to the background before the shadow starts.
        screen.fill(bg.0);
        let info = FramebufferInfo {
            addr: screen.as_mut_ptr() as u64,
            width: W,
            height: CELL_H * ROWS,
            pitch: W * 4,
            bpp: 32,
            red_shift: 16,
            green_shift: 8,
            blue_shift: 0,
            red_size: 8,
            green_size: 8,
            blue_size: 8,
        };
        // SAFETY: `screen` is a writable buffer of `pitch * height` bytes that only this
        // test's `rows` writes to while it lives.
        let fb = unsafe { Framebuffer::new(&info) }.expect("a valid test framebuffer");
        let mut rows = TextRows::new(fb, CELL_H, ROWS);
        assert!(rows.enable_shadow(0, bg));
        // Text row r is shown as pixels of value `r + 1`; `expect` is the screen's rows.
        let mut expect = [bg.0; ROWS];
        let draw = |rows: &mut TextRows, r: usize, v: u32| {
            let (px, stride) = rows.row_pixels(r);
            for dy in 0..CELL_H {
                px[dy * stride..dy * stride + W].fill(v);
            }
            rows.mark_dirty(r, r + 1);
        };
        let check = |rows: &mut TextRows, expect: &[u32; ROWS], what: &str| {
            rows.flush();
            // SAFETY: `screen` outlives `rows`; this only reads it, between writes.
            let shown =
                unsafe { core::slice::from_raw_parts(info.addr as *const u32, W * CELL_H * ROWS) };
            for (r, &v) in expect.iter().enumerate() {
                let row = &shown[r * W * CELL_H..(r + 1) * W * CELL_H];
                assert!(row.iter().all(|&p| p == v), "{what}: text row {r}");
            }
        };
        // Row 1 only: slot 0 exists (background), slots 2 and 3 do not yet.
        draw(&mut rows, 1, 2);
        expect[1] = 2;
        check(&mut rows, &expect, "one row drawn");
        // Scroll twice without touching the bottom slots: the screen moves up and the
        // new bottom rows are background.
        rows.scroll(bg);
        rows.scroll(bg);
        expect = [bg.0; ROWS];
        check(&mut rows, &expect, "after two scrolls");
        rows.mark_dirty(0, ROWS);
        draw(&mut rows, 3, 4);
        expect[3] = 4;
        check(&mut rows, &expect, "bottom row after the scrolls");
        rows.scroll(bg);
        expect = [bg.0, bg.0, 4, bg.0];
        check(&mut rows, &expect, "third scroll");
        // A repaint copies every slot, including those never written.
        screen_scribble(info.addr, W * CELL_H * ROWS);
        rows.repaint(bg);
        check(&mut rows, &expect, "repaint");
        drop(rows);
        drop(screen);
    }

    /// Overwrites the test screen, as a game would.
    fn screen_scribble(addr: u64, n: usize) {
        // SAFETY: `addr` is the test's screen buffer of `n` pixels, alive and not borrowed
        // while this runs.
        unsafe { core::slice::from_raw_parts_mut(addr as *mut u32, n) }.fill(0x00ff_00ff);
    }
}
