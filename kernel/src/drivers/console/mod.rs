//! The text console: a terminal drawn on the framebuffer, mirrored to the serial port.
//!
//! Everything `print!` writes goes to both outputs, so a user at the screen and a test
//! runner on the serial line see the same thing. The console understands the small ANSI
//! subset the shell's line editor emits (cursor left/right, erase to end of line, clear
//! screen, colours), so the same bytes drive a real terminal on serial and the screen.
//!
//! The parts, one job each: `ansi` (a crate) parses the escape sequences, [`glyph`] draws
//! one character cell, [`rows`] keeps the text rows (in a RAM shadow once the heap exists)
//! and copies changed rows to video memory; this file is the terminal itself (cursor,
//! colours, scrolling) and the global console with its print paths.
//!
//! A print is drawn into the text rows piece by piece, and the changed rows are copied to
//! video memory once per print (and every [`FLUSH_EVERY`] bytes of a long one), not once
//! per formatted piece: a log line is about ten pieces, and copying a text row costs as
//! much as drawing the whole line.
//!
//! Locking: no interrupt handler prints, so [`CONSOLE`] (and the serial port's lock) are
//! taken with interrupts enabled: however long an output takes to draw, the keyboard's
//! interrupts are served meanwhile and no key is lost. Panic and fault handlers use
//! [`emergency`], which never waits for the lock.

mod glyph;
mod rows;

use crate::boot::FramebufferInfo;
use crate::drivers::framebuffer::{Framebuffer, Rgb};
use crate::drivers::serial;
use ansi::{Action, Colour, Parser};
use core::fmt;
use glyph::Glyphs;
use rows::TextRows;
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

fn colour(c: Colour, default: Rgb) -> Rgb {
    match c {
        Colour::Default => default,
        Colour::Palette(i) => PALETTE[usize::from(i) % PALETTE.len()],
    }
}

/// A text terminal on a framebuffer.
pub struct Console {
    rows: TextRows,
    glyphs: Glyphs,
    parser: Parser,
    cols: usize,
    col: usize,
    row: usize,
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    cursor_shown: bool,
    /// Text printed before the RAM shadow exists, drawn once it does (or on screen directly
    /// when it cannot: no memory, an emergency, too much text). `None` once drawn.
    early: Option<EarlyText>,
}

/// Text kept until the console can draw it: drawing straight into video memory is the slow
/// path (every store to it is tracked by the emulator, ~1.5 ms per boot-log line under
/// QEMU's software emulation, and the screen would have to be cleared first), while drawing
/// the same text into the shadow later costs next to nothing and reaches the screen with
/// the one copy the shadow makes anyway.
struct EarlyText {
    bytes: [u8; EARLY_TEXT],
    len: usize,
}

/// Bytes of text kept before the shadow exists (the boot log to that point is ~1.5 KiB).
const EARLY_TEXT: usize = 4096;

impl EarlyText {
    /// Appends `s`; false (nothing appended) if it does not fit.
    fn push(&mut self, s: &str) -> bool {
        let end = self.len + s.len();
        match self.bytes.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                true
            }
            None => false,
        }
    }
}

impl Console {
    /// A console on `fb`, or why the framebuffer cannot hold one.
    fn new(fb: Framebuffer) -> Result<Self, &'static str> {
        let glyphs = Glyphs::new(glyph::pick_height(fb.height));
        let cols = fb.width / glyphs.cell_w;
        let rows = fb.height / glyphs.cell_h;
        if cols == 0 || rows == 0 {
            return Err("the framebuffer is smaller than one character");
        }
        let c = Self {
            rows: TextRows::new(fb, glyphs.cell_h, rows),
            glyphs,
            parser: Parser::new(),
            cols,
            col: 0,
            row: 0,
            fg: DEFAULT_FG,
            bg: DEFAULT_BG,
            bold: false,
            cursor_shown: false,
            early: Some(EarlyText {
                bytes: [0; EARLY_TEXT],
                len: 0,
            }),
        };
        // Nothing is drawn yet: see `EarlyText`.
        Ok(c)
    }

    /// Clears the screen (text rows and the strip below them) and draws the early text:
    /// the console's start, on the shadow once there is one, else on video memory.
    fn draw_early(&mut self) {
        let Some(early) = self.early.take() else {
            return;
        };
        let (w, h) = (self.rows.fb.width, self.rows.fb.height);
        let text_h = self.rows.rows * self.glyphs.cell_h;
        if self.rows.has_shadow() {
            // A new shadow stands for an all-background screen: clear the screen to match,
            // once, instead of writing the shadow and copying it.
            self.rows.fb.surface().fill_rect(0, 0, w, h, self.bg);
            (self.col, self.row) = (0, 0);
        } else {
            if text_h < h {
                self.rows
                    .fb
                    .surface()
                    .fill_rect(0, text_h, w, h - text_h, DEFAULT_BG);
            }
            self.clear();
        }
        // Whole pieces of `str` were appended, so the bytes are UTF-8; a failure would
        // only lose the early text.
        let text = core::str::from_utf8(&early.bytes[..early.len]).unwrap_or("");
        self.draw(text);
        self.flush();
    }

    /// Columns and rows of text.
    pub fn size(&self) -> (usize, usize) {
        (self.cols, self.rows.rows)
    }

    /// Screen size in pixels.
    pub fn pixel_size(&self) -> (usize, usize) {
        (self.rows.fb.width, self.rows.fb.height)
    }

    /// Copies changed rows to the screen.
    pub fn flush(&mut self) {
        self.rows.flush();
    }

    /// Copies the whole shadow to the screen in one go, scrambling the picture until the
    /// next [`Console::repaint`]: the baseline of `bench console`. False without a shadow.
    pub fn copy_shadow_raw(&mut self) -> bool {
        self.rows.copy_shadow_raw()
    }

    /// Starts drawing into a RAM shadow of the screen (needs memory management up).
    pub fn enable_shadow(&mut self) -> bool {
        // Before the early text is drawn the screen holds nothing of ours: no row to copy.
        let used = if self.early.is_some() {
            0
        } else {
            self.row + 1
        };
        let ok = self.rows.enable_shadow(used, self.bg);
        self.draw_early();
        ok
    }

    /// Redraws the whole screen from the shadow (after a game used the framebuffer).
    pub fn repaint(&mut self) {
        self.rows.repaint(self.bg);
    }

    /// The raw framebuffer, for full-screen programs (games). The console's own contents
    /// stay in the shadow and come back with [`Console::repaint`].
    pub fn framebuffer(&mut self) -> &mut Framebuffer {
        &mut self.rows.fb
    }

    pub fn clear(&mut self) {
        self.hide_cursor();
        for r in 0..self.rows.rows {
            self.rows.fill_row(r, 0, self.bg);
        }
        self.col = 0;
        self.row = 0;
    }

    fn invert_cursor(&mut self) {
        let bar = (self.glyphs.cell_h / 8).max(2);
        let (x0, w, cell_h, row) = (
            self.col * self.glyphs.cell_w,
            self.glyphs.cell_w,
            self.glyphs.cell_h,
            self.row,
        );
        let format = self.rows.fb.format;
        let (px, stride) = self.rows.row_pixels(row);
        for dy in cell_h - bar..cell_h {
            for p in &mut px[dy * stride + x0..dy * stride + x0 + w] {
                *p = format.invert(*p);
            }
        }
        self.rows.mark_dirty_cols(row, row + 1, x0, x0 + w);
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
        if self.row + 1 < self.rows.rows {
            self.row += 1;
        } else {
            self.rows.scroll(self.bg);
        }
    }

    fn draw_char(&mut self, c: char) {
        if self.col >= self.cols {
            self.newline();
        }
        let (x0, row, format) = (self.col * self.glyphs.cell_w, self.row, self.rows.fb.format);
        let (px, stride) = self.rows.row_pixels(row);
        self.glyphs
            .draw(px, stride, x0, c, self.bold, (self.fg, self.bg), format);
        let cw = self.glyphs.cell_w;
        self.rows.mark_dirty_cols(row, row + 1, x0, x0 + cw);
        self.col += 1;
    }

    fn apply(&mut self, action: Action) {
        let last_row = self.rows.rows - 1;
        match action {
            Action::Print(c) => self.draw_char(c),
            Action::Newline => self.newline(),
            Action::CarriageReturn => self.col = 0,
            Action::Backspace => self.col = self.col.saturating_sub(1),
            Action::Tab => {
                let next = (self.col / 8 + 1) * 8;
                while self.col < next.min(self.cols) {
                    self.draw_char(' ');
                }
            }
            Action::Up(n) => self.row = self.row.saturating_sub(n),
            Action::Down(n) => self.row = self.row.saturating_add(n).min(last_row),
            Action::Right(n) => self.col = self.col.saturating_add(n).min(self.cols - 1),
            Action::Left(n) => self.col = self.col.saturating_sub(n),
            Action::MoveTo(r, c) => {
                self.row = r.min(last_row);
                self.col = c.min(self.cols - 1);
            }
            Action::ClearScreen => self.clear(),
            Action::EraseToEndOfLine => {
                if self.col < self.cols {
                    self.rows
                        .fill_row(self.row, self.col * self.glyphs.cell_w, self.bg);
                }
            }
            Action::Style(style) => {
                self.fg = colour(style.fg, DEFAULT_FG);
                self.bg = colour(style.bg, DEFAULT_BG);
                self.bold = style.bold;
            }
        }
    }

    /// Writes text (with ANSI sequences) to the screen only, and shows it at once.
    pub fn write_screen(&mut self, s: &str) {
        self.draw_early();
        self.draw(s);
        self.flush();
    }

    /// Draws text (with ANSI sequences) into the text rows without copying them to video
    /// memory yet: [`Console::flush`] does that, once for everything drawn since.
    pub fn draw(&mut self, s: &str) {
        if let Some(early) = self.early.as_mut() {
            if early.push(s) {
                return;
            }
            // Too much text before the shadow: show it directly from now on.
            self.draw_early();
        }
        self.hide_cursor();
        for c in s.chars() {
            if let Some(action) = self.parser.feed(c) {
                self.apply(action);
            }
        }
        self.show_cursor();
    }
}

/// The console, if the machine has a usable framebuffer.
pub static CONSOLE: Mutex<Option<Console>> = Mutex::new(None);

/// Sets up the framebuffer console; without a usable framebuffer, output stays serial-only
/// and the reason is logged.
pub fn init(fb: Option<&FramebufferInfo>) -> Result<(usize, usize), &'static str> {
    let console = fb.ok_or("no framebuffer").and_then(|info| {
        // SAFETY: the bootloader mapped this framebuffer for us and nothing else draws on
        // it except through the console.
        let fb = unsafe { Framebuffer::new(info)? };
        Console::new(fb)
    });
    let size = console.as_ref().map(Console::size).map_err(|e| *e);
    // Replaced either way: after a failed init nothing draws on the old framebuffer.
    x86_64::instructions::interrupts::without_interrupts(|| *CONSOLE.lock() = console.ok());
    size
}

/// Switches the console to a RAM shadow buffer; call once the heap works.
pub fn enable_shadow() -> bool {
    x86_64::instructions::interrupts::without_interrupts(|| {
        CONSOLE.lock().as_mut().is_some_and(|c| c.enable_shadow())
    })
}

/// Runs `f` on the console (task context only: interrupt handlers never take it).
pub fn with<R>(f: impl FnOnce(&mut Console) -> R) -> Option<R> {
    CONSOLE.lock().as_mut().map(f)
}

/// A long print is shown on the screen at least every this many bytes, so the screen keeps
/// up with a long output (`cat` of a big file) instead of changing only at its end; also
/// the most a print draws per hold of the console's lock.
const FLUSH_EVERY: usize = 4096;

/// Writes to the serial port and the screen, in pieces of at most [`FLUSH_EVERY`] bytes.
/// The screen's changed rows reach video memory once per print (in [`_print`], after all
/// the pieces `format_args!` splits a line into) or every [`FLUSH_EVERY`] bytes.
struct Both {
    unflushed: usize,
}

impl fmt::Write for Both {
    fn write_str(&mut self, mut s: &str) -> fmt::Result {
        while !s.is_empty() {
            let mut end = s.len().min(FLUSH_EVERY);
            while !s.is_char_boundary(end) {
                end += 1;
            }
            let (chunk, rest) = s.split_at(end);
            serial::write_bytes(chunk.as_bytes());
            self.unflushed += chunk.len();
            let flush = self.unflushed >= FLUSH_EVERY;
            if flush {
                self.unflushed = 0;
            }
            if let Some(c) = CONSOLE.lock().as_mut() {
                c.draw(chunk);
                if flush {
                    c.flush();
                }
            }
            s = rest;
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let mut out = Both { unflushed: 0 };
    let _ = fmt::Write::write_fmt(&mut out, args);
    if out.unflushed > 0 {
        with(|c| c.flush());
    }
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
        struct ConsoleWriter<'a>(&'a mut Console);
        impl fmt::Write for ConsoleWriter<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.write_screen(s);
                Ok(())
            }
        }
        let _ = fmt::Write::write_fmt(&mut ConsoleWriter(c), args);
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::drivers::console::_print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}
