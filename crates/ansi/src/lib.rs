//! The ANSI escape-sequence subset a RustOS terminal understands, as a pure parser.
//!
//! The shell's line editor and the commands emit the same bytes to the serial line (where
//! a real terminal interprets them) and to the framebuffer console, which must interpret
//! them itself. Keeping the parsing here, apart from the drawing, lets it be tested on the
//! host against hostile input (unterminated sequences, huge parameters, stray bytes): a
//! sequence the parser does not know is swallowed whole, never drawn as garbage.
//!
//! Supported: cursor movement (`CSI n A/B/C/D`, `CSI r;c H`/`f`), clear screen
//! (`CSI 2 J`), erase to end of line (`CSI K`), colours and bold (`CSI … m`: 0, 1, 22,
//! 30–37, 39, 40–47, 49, 90–97, 100–107), and the C0 controls LF, CR, BS, TAB.

#![no_std]

/// Most parameters kept per sequence (further ones are ignored).
pub const MAX_PARAMS: usize = 4;

/// What a character (or the end of a sequence) asks the terminal to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Draw a printable character at the cursor.
    Print(char),
    Newline,
    CarriageReturn,
    Backspace,
    Tab,
    /// Cursor up/down/right/left by at least 1.
    Up(usize),
    Down(usize),
    Right(usize),
    Left(usize),
    /// Cursor to (row, column), counted from 0.
    MoveTo(usize, usize),
    ClearScreen,
    EraseToEndOfLine,
    /// Colours and weight changed: the new [`Style`].
    Style(Style),
}

/// A colour: one of the 16 palette entries, or the terminal's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colour {
    #[default]
    Default,
    Palette(u8),
}

/// Text attributes set by SGR sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Style {
    pub fg: Colour,
    pub bg: Colour,
    pub bold: bool,
}

impl Style {
    /// Applies one SGR parameter.
    fn apply(&mut self, p: u16) {
        match p {
            0 => *self = Style::default(),
            1 => self.bold = true,
            22 => self.bold = false,
            30..=37 => self.fg = Colour::Palette((p - 30) as u8),
            39 => self.fg = Colour::Default,
            40..=47 => self.bg = Colour::Palette((p - 40) as u8),
            49 => self.bg = Colour::Default,
            90..=97 => self.fg = Colour::Palette((p - 90 + 8) as u8),
            100..=107 => self.bg = Colour::Palette((p - 100 + 8) as u8),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    Csi,
}

/// The parser: feed it characters, get [`Action`]s.
#[derive(Clone, Debug)]
pub struct Parser {
    state: State,
    params: [u16; MAX_PARAMS],
    nparams: usize,
    style: Style,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub const fn new() -> Self {
        Self {
            state: State::Ground,
            params: [0; MAX_PARAMS],
            nparams: 0,
            style: Style {
                fg: Colour::Default,
                bg: Colour::Default,
                bold: false,
            },
        }
    }

    /// The current text attributes.
    pub fn style(&self) -> Style {
        self.style
    }

    /// Parameter `i`, or `default` when absent or 0 (as terminals treat 0 for counts).
    fn param(&self, i: usize, default: u16) -> usize {
        match self.params.get(i) {
            Some(&p) if i < self.nparams && p != 0 => p as usize,
            _ => default as usize,
        }
    }

    /// Feeds one character; returns what to do, if anything.
    pub fn feed(&mut self, c: char) -> Option<Action> {
        match self.state {
            State::Escape => {
                self.state = if c == '[' { State::Csi } else { State::Ground };
                self.params = [0; MAX_PARAMS];
                self.nparams = 0;
                None
            }
            State::Csi => match c {
                '0'..='9' => {
                    if self.nparams == 0 {
                        self.nparams = 1;
                    }
                    if let Some(p) = self.params.get_mut(self.nparams - 1) {
                        *p = p.saturating_mul(10).saturating_add(c as u16 - b'0' as u16);
                    }
                    None
                }
                ';' => {
                    self.nparams = (self.nparams.max(1) + 1).min(MAX_PARAMS);
                    None
                }
                '?' | ' ' => None,
                '\x40'..='\x7e' => {
                    self.state = State::Ground;
                    self.csi(c)
                }
                _ => {
                    self.state = State::Ground;
                    None
                }
            },
            State::Ground => match c {
                '\x1b' => {
                    self.state = State::Escape;
                    None
                }
                '\n' => Some(Action::Newline),
                '\r' => Some(Action::CarriageReturn),
                '\x08' => Some(Action::Backspace),
                '\t' => Some(Action::Tab),
                c if c.is_control() => None,
                c => Some(Action::Print(c)),
            },
        }
    }

    fn csi(&mut self, final_byte: char) -> Option<Action> {
        Some(match final_byte {
            'A' => Action::Up(self.param(0, 1)),
            'B' => Action::Down(self.param(0, 1)),
            'C' => Action::Right(self.param(0, 1)),
            'D' => Action::Left(self.param(0, 1)),
            'H' | 'f' => Action::MoveTo(self.param(0, 1) - 1, self.param(1, 1) - 1),
            'J' if self.param(0, 0) == 2 => Action::ClearScreen,
            'K' => Action::EraseToEndOfLine,
            'm' => {
                for i in 0..self.nparams.max(1) {
                    let p = if i < self.nparams { self.params[i] } else { 0 };
                    self.style.apply(p);
                }
                Action::Style(self.style)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
