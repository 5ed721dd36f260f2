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
use crate::drivers::framebuffer::{Framebuffer, Rgb, Surface};
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
pub struct Console {
    fb: Framebuffer,
    shadow: Option<Vec<u32>>,
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
    cursor_shown: bool,
    esc: Esc,
    params: [u16; MAX_PARAMS],
    nparams: usize,
    /// Pixel rows changed since the last flush (only meaningful with a shadow).
    dirty: Option<(usize, usize)>,
    /// Bytes written, for statistics and benchmarks.
    pub bytes_written: u64,
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
            cursor_shown: false,
            esc: Esc::None,
            params: [0; MAX_PARAMS],
            nparams: 0,
            dirty: None,
            bytes_written: 0,
        };
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

    fn surface(&mut self) -> Surface<'_> {
        match self.shadow.as_mut() {
            Some(buf) => Surface {
                pixels: buf,
                width: self.fb.width,
                height: self.fb.height,
                stride: self.fb.width,
                format: self.fb.format,
            },
            None => self.fb.surface(),
        }
    }

    fn mark_dirty(&mut self, y0: usize, y1: usize) {
        self.dirty = Some(match self.dirty {
            Some((a, b)) => (a.min(y0), b.max(y1)),
            None => (y0, y1),
        });
    }

    /// Copies changed rows of the shadow to the screen.
    pub fn flush(&mut self) {
        if let (Some(buf), Some((y0, y1))) = (self.shadow.as_ref(), self.dirty.take()) {
            self.fb.blit_rows(buf, y0, y1);
        }
    }

    /// Starts drawing into a RAM shadow of the screen (needs the heap). Fails quietly
    /// (keeps drawing directly) if the memory is not there.
    pub fn enable_shadow(&mut self) -> bool {
        let n = self.fb.width * self.fb.height;
        let mut buf = Vec::new();
        if buf.try_reserve_exact(n).is_err() {
            return false;
        }
        buf.resize(n, 0);
        // Start from what is on screen now: one read of video memory, at boot.
        let (w, stride) = (self.fb.width, self.fb.stride);
        let screen = self.fb.surface();
        for y in 0..screen.height {
            buf[y * w..(y + 1) * w].copy_from_slice(&screen.pixels[y * stride..y * stride + w]);
        }
        self.shadow = Some(buf);
        true
    }

    /// Redraws the whole screen from the shadow (after a game used the framebuffer).
    pub fn repaint(&mut self) {
        let h = self.fb.height;
        self.mark_dirty(0, h);
        self.flush();
    }

    /// The raw framebuffer, for full-screen programs (games). The console's own contents
    /// stay in the shadow and come back with [`Console::repaint`].
    pub fn framebuffer(&mut self) -> &mut Framebuffer {
        &mut self.fb
    }

    pub fn clear(&mut self) {
        let (w, h, bg) = (self.fb.width, self.fb.height, self.bg);
        self.hide_cursor();
        self.surface().fill_rect(0, 0, w, h, bg);
        self.mark_dirty(0, h);
        self.col = 0;
        self.row = 0;
    }

    fn cursor_rect(&self) -> (usize, usize, usize, usize) {
        let bar = (self.cell_h / 8).max(2);
        (
            self.col * self.cell_w,
            self.row * self.cell_h + self.cell_h - bar,
            self.cell_w,
            bar,
        )
    }

    fn show_cursor(&mut self) {
        if !self.cursor_shown && self.col < self.cols {
            let (x, y, w, h) = self.cursor_rect();
            self.surface().invert_rect(x, y, w, h);
            self.mark_dirty(y, y + h);
            self.cursor_shown = true;
        }
    }

    fn hide_cursor(&mut self) {
        if self.cursor_shown {
            let (x, y, w, h) = self.cursor_rect();
            self.surface().invert_rect(x, y, w, h);
            self.mark_dirty(y, y + h);
            self.cursor_shown = false;
        }
    }

    fn newline(&mut self) {
        self.col = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
        } else {
            let (ch, bg) = (self.cell_h, self.bg);
            // Scroll the text area; leftover pixel rows below the last line stay blank.
            let used = self.rows * ch;
            let mut s = self.surface();
            let stride = s.stride;
            s.pixels.copy_within(ch * stride..used * stride, 0);
            let w = s.width;
            s.fill_rect(0, used - ch, w, ch, bg);
            self.mark_dirty(0, used);
        }
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
        let raster = get_raster(c, weight, self.height)
            .or_else(|| get_raster('\u{fffd}', weight, self.height))
            .or_else(|| get_raster('?', weight, self.height));
        let (x0, y0, cw, chh) = (
            self.col * self.cell_w,
            self.row * self.cell_h,
            self.cell_w,
            self.cell_h,
        );
        let (fg, bg) = (self.fg, self.bg);
        let mut s = self.surface();
        s.fill_rect(x0, y0, cw, chh, bg);
        if let Some(r) = raster {
            for (dy, row) in r.rows().enumerate() {
                for (dx, &a) in row.iter().enumerate() {
                    if a != 0 {
                        s.put(x0 + dx, y0 + dy, blend(fg, bg, a));
                    }
                }
            }
        }
        self.mark_dirty(y0, y0 + chh);
        self.col += 1;
    }

    /// Erases from the cursor to the end of the line.
    fn erase_to_eol(&mut self) {
        if self.col < self.cols {
            let (x, y) = (self.col * self.cell_w, self.row * self.cell_h);
            let (w, h, bg) = (self.fb.width - x, self.cell_h, self.bg);
            self.surface().fill_rect(x, y, w, h, bg);
            self.mark_dirty(y, y + h);
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
        self.bytes_written += s.len() as u64;
        self.show_cursor();
        self.flush();
    }
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
