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
//! Where the shadow lies matters under QEMU's software emulation (TCG): its TLB is
//! direct-mapped (a page's slot is its page number modulo the TLB's size, a power of two
//! QEMU adapts to the load), so a full-screen copy misses on every page whose slot a page
//! of the other buffer also wants, and repeated copies hit only where the two buffers'
//! slots are disjoint. So the shadow is mapped at an address of its own
//! ([`paging::map_placed`]), [`shadow_gap`] past the framebuffer modulo 1 GiB: at
//! every TLB size that can hold both buffers their slots are disjoint, and at smaller
//! sizes no page of one shares a slot with the page of the other copied at the same time
//! (the distance is no multiple of any TLB size). Measured at 1280x800 (`bench console`,
//! BENCHMARKS.md): 830-850 lines/s against 670-680 with the shadow on the heap where it
//! happened to fall, and 674 at a distance of 3.5 pages. The half page avoids, on
//! hardware, the "4K aliasing" of loads behind stores to addresses equal modulo 4 KiB;
//! set-associative hardware TLBs do not care otherwise.

use crate::drivers::framebuffer::{Framebuffer, Rgb, fill_pixels, fill_raw};
use crate::mem::paging;
use core::ptr::NonNull;

/// Bytes in front of the shadow within its mapping: 12 pages and a half (see
/// [`shadow_gap`]).
const LEAD_BYTES: u64 = 12 * 4096 + 2048;

/// Where the shadow's mapping starts, in bytes past the framebuffer (modulo 1 GiB), for a
/// framebuffer of `fb_bytes`: whole 2 MiB steps past its end, so that the mapping starts
/// on a 2 MiB boundary when the framebuffer does and its 2 MiB pages waste nothing. The
/// shadow itself starts [`LEAD_BYTES`] further: 12.5 pages, which no TLB size divides.
fn shadow_gap(fb_bytes: u64) -> u64 {
    fb_bytes.next_multiple_of(2 << 20)
}

/// The shadow takes at most this share of free memory (one part in this many): a huge
/// screen on a small machine is drawn directly rather than starve everything else.
const MAX_SHARE_OF_FREE: u64 = 4;

/// The shadow: the ring of text rows, in memory mapped for it alone and never unmapped
/// (the console lives as long as the kernel; only tests make a second one, whose shadow
/// then takes new memory).
///
/// Only the first ring slots are written yet (`filled` pixels): a slot is written with the
/// background when first used ([`Shadow::slots`]), so the boot does not fill 4 MiB of RAM
/// that the screen, cleared to the same background, already shows.
struct Shadow {
    px: NonNull<u32>,
    /// Pixels in the ring.
    len: usize,
    /// Pixels written so far, from the start.
    filled: usize,
    /// Pixels per ring slot (one text row).
    slot_px: usize,
    /// The background every slot not yet written stands for, encoded.
    bg: u32,
}

// SAFETY: the shadow owns its mapping exclusively (nothing else has its address), like a
// `Box`; it is only reached through `&mut self`.
unsafe impl Send for Shadow {}

impl Shadow {
    /// The ring's slots `..end`, written with the background first where they do not
    /// exist yet.
    fn slots(&mut self, end: usize) -> &mut [u32] {
        let want = end * self.slot_px;
        assert!(want <= self.len, "console shadow slot out of range");
        if want > self.filled {
            // SAFETY: pixels `filled..want` lie in the shadow's mapping (`want <= len`),
            // which is 4-byte aligned and writable.
            unsafe {
                fill_raw(
                    self.px.as_ptr().add(self.filled),
                    want - self.filled,
                    self.bg,
                )
            };
            self.filled = want;
        }
        // SAFETY: the first `want` pixels are mapped, all written, and reachable only
        // through `self`, borrowed mutably for the slice's lifetime.
        unsafe { core::slice::from_raw_parts_mut(self.px.as_ptr(), want) }
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

    /// Copies the whole shadow to the screen as it lies in memory (ignoring the ring's
    /// order): the benchmarks' baseline, the same pixels from the same memory as a scroll's
    /// flush copies. False without a shadow.
    pub fn copy_shadow_raw(&mut self) -> bool {
        let rows = self.rows;
        match self.shadow.as_mut() {
            Some(shadow) => {
                self.fb.write_rows(0, shadow.slots(rows));
                true
            }
            None => false,
        }
    }

    /// Starts drawing into a RAM shadow of the screen (needs memory management up). Fails
    /// quietly (keeps drawing directly) if the memory is not there.
    ///
    /// The first `used` text rows are copied from the screen (the one read of video memory,
    /// at boot); the rows below them must show `bg` on screen (they have not been written
    /// since they were cleared): their slots are written only when first used.
    pub fn enable_shadow(&mut self, used: usize, bg: Rgb) -> bool {
        let w = self.fb.width;
        let slot_px = w * self.cell_h;
        let n = slot_px * self.rows;
        let fb_addr = self.fb.surface().pixels.as_ptr() as u64;
        let (_, free_frames) = crate::mem::frames::stats();
        if n as u64 * 4 > free_frames * 4096 / MAX_SHARE_OF_FREE {
            return false;
        }
        let fb_bytes = (self.fb.stride * self.fb.height * 4) as u64;
        let at = fb_addr.wrapping_add(shadow_gap(fb_bytes));
        let Some(base) = paging::map_placed(LEAD_BYTES + n as u64 * 4, at) else {
            return false;
        };
        let Some(px) = NonNull::new((base.as_u64() + LEAD_BYTES) as *mut u32) else {
            return false;
        };
        let bg = self.fb.format.encode(bg);
        let mut shadow = Shadow {
            px,
            len: n,
            filled: 0,
            slot_px,
            bg,
        };
        let used = used.min(self.rows);
        let ring = shadow.slots(used);
        let stride = self.fb.stride;
        let screen = self.fb.surface();
        for y in 0..used * self.cell_h {
            ring[y * w..(y + 1) * w].copy_from_slice(&screen.pixels[y * stride..y * stride + w]);
        }
        self.shadow = Some(shadow);
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
        // The shadow lies where the placement rule puts it, modulo the placement period
        // (mappings start on a page: this test's screen does not, a real one does).
        let shadow_at = rows.shadow.as_ref().map(|s| s.px.as_ptr() as u64);
        let fb_bytes = (W * CELL_H * ROWS * 4) as u64;
        let want = ((info.addr + super::shadow_gap(fb_bytes)) & !0xfff) + super::LEAD_BYTES;
        let period = crate::mem::paging::PLACEMENT_PERIOD;
        assert_eq!(shadow_at.map(|a| a % period), Some(want % period));
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
