//! The text console: a terminal drawn on the framebuffer, mirrored to the serial port.
//!
//! Everything `print!` writes goes to both outputs, so a user at the screen and a test
//! runner on the serial line see the same thing. The console understands the small ANSI
//! subset the shell's line editor emits (cursor left/right, erase to end of line, clear
//! screen, colours), so the same bytes drive a real terminal on serial and the screen.
//!
//! Drawing goes to an in-RAM shadow of the screen once the heap exists; each write then
//! copies only the changed rows to video memory, which keeps scrolling fast (reading video
//! memory is slow on real hardware). Before the heap, it draws straight to the screen.
//!
//! Locking: [`CONSOLE`] is only taken with interrupts disabled, so no interrupt handler can
//! find it held. Panic and fault handlers use [`emergency`], which never waits for it.

use crate::boot::FramebufferInfo;
use crate::drivers::framebuffer::{Framebuffer, Rgb};
use crate::drivers::serial;
use alloc::vec::Vec;
use core::fmt;
use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};
use spin::Mutex;

/// The 16 ANSI colours (a softened VGA palette).
const PALETTE: [Rgb; 16] = [
    Rgb(0x1d1f21), // black
    Rgb(0xcc342b), // red
    Rgb(0x3ea550), // green
    Rgb(0xd7a73b), // yellow
    Rgb(0x3971ed), // blue
    Rgb(0xa36ac7), // magenta
    Rgb(0x3d97b8), // cyan
    Rgb(0xc5c8c6), // white
    Rgb(0x6b6e70), // bright black
    Rgb(0xf0645d), // bright red
    Rgb(0x7bd88f), // bright green
    Rgb(0xf3d060), // bright yellow
    Rgb(0x6d9cff), // bright blue
    Rgb(0xd49cf2), // bright magenta
    Rgb(0x7fd4e8), // bright cyan
    Rgb(0xffffff), // bright white
];
const DEFAULT_FG: Rgb = PALETTE[7];
const DEFAULT_BG: Rgb = Rgb(0x0c0f14);
const MAX_PARAMS: usize = 4;

/// Where we are in an escape sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    Escape,
    Csi,
}

/// A text terminal on a framebuffer.
///
/// With a shadow buffer, text rows live in a ring: scrolling moves the ring's start and
/// clears one row instead of moving every pixel, and a flush copies the changed rows to the
/// screen in their on-screen order.
pub struct Console {
    fb: Framebuffer,
    /// `rows * cell_h` pixel rows of `fb.width` pixels, text row `r` at ring slot
    /// `(r + top) % rows`.
    shadow: Option<Vec<u32>>,
    top: usize,
    height: RasterHeight,
    cell_w: usize,
    cell_h: usize,
    cols: usize,
    rows: usize,
    col: usize,
    row: usize,
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    /// Native pixels for the 256 glyph intensities between `bg` and `fg`.
    lut: [u32; 256],
    lut_for: (Rgb, Rgb),
    cursor_shown: bool,
    esc: Esc,
    params: [u16; MAX_PARAMS],
    nparams: usize,
    /// Text rows changed since the last flush (only meaningful with a shadow).
    dirty: Option<(usize, usize)>,
}

/// Glyph height for a screen: aim for about 40-60 lines whatever the resolution.
fn pick_height(screen_h: usize) -> RasterHeight {
    match screen_h {
        0..=899 => RasterHeight::Size16,
        900..=1199 => RasterHeight::Size20,
        1200..=1599 => RasterHeight::Size24,
        _ => RasterHeight::Size32,
    }
}

impl Console {
    fn new(fb: Framebuffer) -> Self {
        let height = pick_height(fb.height);
        let cell_w = get_raster_width(FontWeight::Regular, height);
        let cell_h = height.val();
        let cols = (fb.width / cell_w).max(1);
        let rows = (fb.height / cell_h).max(1);
        let mut c = Self {
            fb,
            shadow: None,
            top: 0,
            height,
            cell_w,
            cell_h,
            cols,
            rows,
            col: 0,
            row: 0,
            fg: DEFAULT_FG,
            bg: DEFAULT_BG,
            bold: false,
            lut: [0; 256],
            lut_for: (Rgb(1), Rgb(1)),
            cursor_shown: false,
            esc: Esc::None,
            params: [0; MAX_PARAMS],
            nparams: 0,
            dirty: None,
        };
        let (w, h, bg) = (c.fb.width, c.fb.height, c.bg);
        c.fb.surface().fill_rect(0, 0, w, h, bg);
        c.clear();
        c.show_cursor();
        c
    }

    /// Columns and rows of text.
    pub fn size(&self) -> (usize, usize) {
        (self.cols, self.rows)
    }

    /// Screen size in pixels.
    pub fn pixel_size(&self) -> (usize, usize) {
        (self.fb.width, self.fb.height)
    }

    /// The pixels of text row `r` (in the shadow ring, or on screen) and their stride.
    fn row_pixels(&mut self, r: usize) -> (&mut [u32], usize) {
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

    fn mark_dirty(&mut self, r0: usize, r1: usize) {
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

    /// Redraws the whole screen from the shadow (after a game used the framebuffer).
    pub fn repaint(&mut self) {
        let (w, h, bg) = (self.fb.width, self.fb.height, self.bg);
        let text_h = self.rows * self.cell_h;
        self.fb.surface().fill_rect(0, text_h, w, h - text_h, bg);
        self.mark_dirty(0, self.rows);
        self.flush();
    }

    /// The raw framebuffer, for full-screen programs (games). The console's own contents
    /// stay in the shadow and come back with [`Console::repaint`].
    pub fn framebuffer(&mut self) -> &mut Framebuffer {
        &mut self.fb
    }

    fn fill_row(&mut self, r: usize, x0: usize) {
        let bg = self.fb.format.encode(self.bg);
        let (cell_h, width) = (self.cell_h, self.fb.width);
        let (px, stride) = self.row_pixels(r);
        for dy in 0..cell_h {
            px[dy * stride + x0..dy * stride + width].fill(bg);
        }
        self.mark_dirty(r, r + 1);
    }

    pub fn clear(&mut self) {
        self.hide_cursor();
        for r in 0..self.rows {
            self.fill_row(r, 0);
        }
        self.col = 0;
        self.row = 0;
    }

    fn invert_cursor(&mut self) {
        let bar = (self.cell_h / 8).max(2);
        let (x0, w, cell_h, row) = (self.col * self.cell_w, self.cell_w, self.cell_h, self.row);
        let format = self.fb.format;
        let (px, stride) = self.row_pixels(row);
        for dy in cell_h - bar..cell_h {
            for p in &mut px[dy * stride + x0..dy * stride + x0 + w] {
                *p = format.invert(*p);
            }
        }
        self.mark_dirty(row, row + 1);
    }

    fn show_cursor(&mut self) {
        if !self.cursor_shown && self.col < self.cols {
            self.invert_cursor();
            self.cursor_shown = true;
        }
    }

    fn hide_cursor(&mut self) {
        if self.cursor_shown {
            self.invert_cursor();
            self.cursor_shown = false;
        }
    }

    fn newline(&mut self) {
        self.col = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
            return;
        }
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
        let last = self.rows - 1;
        self.fill_row(last, 0);
    }

    fn draw_char(&mut self, c: char) {
        if self.col >= self.cols {
            self.newline();
        }
        let weight = if self.bold {
            FontWeight::Bold
        } else {
            FontWeight::Regular
        };
        let lines = box_lines(c);
        let raster = get_raster(c, weight, self.height)
            .or_else(|| get_raster('\u{fffd}', weight, self.height))
            .or_else(|| get_raster('?', weight, self.height))
            .filter(|_| lines.is_none());
        if self.lut_for != (self.fg, self.bg) {
            for (a, slot) in self.lut.iter_mut().enumerate() {
                *slot = self.fb.format.encode(blend(self.fg, self.bg, a as u8));
            }
            self.lut_for = (self.fg, self.bg);
        }
        let lut = self.lut;
        let (x0, cw, ch, row) = (self.col * self.cell_w, self.cell_w, self.cell_h, self.row);
        let (px, stride) = self.row_pixels(row);
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
            // Box-drawing characters (the font has none): lines through the cell's middle,
            // so that neighbouring cells join up (`tree` uses them).
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
        self.mark_dirty(row, row + 1);
        self.col += 1;
    }

    /// Erases from the cursor to the end of the line.
    fn erase_to_eol(&mut self) {
        if self.col < self.cols {
            self.fill_row(self.row, self.col * self.cell_w);
        }
    }

    fn param(&self, i: usize, default: u16) -> usize {
        match self.params.get(i) {
            Some(&p) if i < self.nparams && p != 0 => p as usize,
            _ => default as usize,
        }
    }

    fn csi(&mut self, final_byte: char) {
        match final_byte {
            'A' => self.row = self.row.saturating_sub(self.param(0, 1)),
            'B' => self.row = (self.row + self.param(0, 1)).min(self.rows - 1),
            'C' => self.col = (self.col + self.param(0, 1)).min(self.cols - 1),
            'D' => self.col = self.col.saturating_sub(self.param(0, 1)),
            'H' | 'f' => {
                self.row = (self.param(0, 1) - 1).min(self.rows - 1);
                self.col = (self.param(1, 1) - 1).min(self.cols - 1);
            }
            'J' if self.param(0, 0) == 2 => self.clear(),
            'K' => self.erase_to_eol(),
            'm' => {
                for i in 0..self.nparams.max(1) {
                    let p = if i < self.nparams { self.params[i] } else { 0 };
                    match p {
                        0 => {
                            self.fg = DEFAULT_FG;
                            self.bg = DEFAULT_BG;
                            self.bold = false;
                        }
                        1 => self.bold = true,
                        22 => self.bold = false,
                        30..=37 => self.fg = PALETTE[(p - 30) as usize],
                        39 => self.fg = DEFAULT_FG,
                        40..=47 => self.bg = PALETTE[(p - 40) as usize],
                        49 => self.bg = DEFAULT_BG,
                        90..=97 => self.fg = PALETTE[(p - 90 + 8) as usize],
                        100..=107 => self.bg = PALETTE[(p - 100 + 8) as usize],
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn put(&mut self, c: char) {
        match self.esc {
            Esc::Escape => {
                self.esc = if c == '[' { Esc::Csi } else { Esc::None };
                self.params = [0; MAX_PARAMS];
                self.nparams = 0;
            }
            Esc::Csi => match c {
                '0'..='9' => {
                    if self.nparams == 0 {
                        self.nparams = 1;
                    }
                    if let Some(p) = self.params.get_mut(self.nparams - 1) {
                        *p = p.saturating_mul(10).saturating_add(c as u16 - b'0' as u16);
                    }
                }
                ';' => self.nparams = (self.nparams.max(1) + 1).min(MAX_PARAMS),
                '?' | ' ' => {}
                '\x40'..='\x7e' => {
                    self.esc = Esc::None;
                    self.csi(c);
                }
                _ => self.esc = Esc::None,
            },
            Esc::None => match c {
                '\x1b' => self.esc = Esc::Escape,
                '\n' => self.newline(),
                '\r' => self.col = 0,
                '\x08' => self.col = self.col.saturating_sub(1),
                '\t' => {
                    let next = (self.col / 8 + 1) * 8;
                    while self.col < next.min(self.cols) {
                        self.draw_char(' ');
                    }
                }
                '\x07' => {}
                c if (c as u32) < 0x20 || c == '\x7f' => {}
                c => self.draw_char(c),
            },
        }
    }

    /// Writes text (with ANSI sequences) to the screen only.
    pub fn write_screen(&mut self, s: &str) {
        self.hide_cursor();
        for c in s.chars() {
            self.put(c);
        }
        self.show_cursor();
        self.flush();
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

/// The console, if the machine has a usable framebuffer.
pub static CONSOLE: Mutex<Option<Console>> = Mutex::new(None);

/// Sets up the framebuffer console; without a usable framebuffer, output stays serial-only
/// and the reason is logged.
pub fn init(fb: Option<&FramebufferInfo>) -> Result<(usize, usize), &'static str> {
    let info = fb.ok_or("no framebuffer")?;
    // SAFETY: the bootloader mapped this framebuffer for us and nothing else draws on it
    // except through the console.
    let fb = unsafe { Framebuffer::new(info)? };
    let console = Console::new(fb);
    let size = console.size();
    x86_64::instructions::interrupts::without_interrupts(|| *CONSOLE.lock() = Some(console));
    Ok(size)
}

/// Switches the console to a RAM shadow buffer; call once the heap works.
pub fn enable_shadow() -> bool {
    x86_64::instructions::interrupts::without_interrupts(|| {
        CONSOLE.lock().as_mut().is_some_and(|c| c.enable_shadow())
    })
}

/// Runs `f` on the console with interrupts disabled (the rule for taking [`CONSOLE`]).
pub fn with<R>(f: impl FnOnce(&mut Console) -> R) -> Option<R> {
    x86_64::instructions::interrupts::without_interrupts(|| CONSOLE.lock().as_mut().map(f))
}

struct Both;

impl fmt::Write for Both {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        serial::write_bytes(s.as_bytes());
        if let Some(c) = CONSOLE.lock().as_mut() {
            c.write_screen(s);
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let _ = fmt::Write::write_fmt(&mut Both, args);
    });
}

/// Output for panics and CPU faults, which must never wait on a lock: serial through a
/// fresh UART handle, and the screen through the console even if someone holds its lock.
///
/// `fatal` must be true only when the caller will never return to the interrupted code:
/// then a held console lock is broken. Otherwise (e.g. a breakpoint) the screen is skipped
/// when the lock is busy.
pub fn emergency(args: fmt::Arguments, fatal: bool) {
    let _ = fmt::Write::write_fmt(&mut serial::EmergencyWriter, args);
    if fatal && CONSOLE.is_locked() {
        // SAFETY: we are on the fault/panic path with interrupts off and will halt without
        // ever returning to the code that held the lock, so nobody else uses the console
        // again; its state is always memory-safe to draw with, even mid-update.
        unsafe { CONSOLE.force_unlock() };
    }
    if let Some(mut guard) = CONSOLE.try_lock()
        && let Some(c) = guard.as_mut()
    {
        struct Screen<'a>(&'a mut Console);
        impl fmt::Write for Screen<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.write_screen(s);
                Ok(())
            }
        }
        let _ = fmt::Write::write_fmt(&mut Screen(c), args);
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::_print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}
