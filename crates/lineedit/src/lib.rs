//! The shell's line editor: turns key presses into an edited line plus the terminal
//! output that keeps the screen in sync with it.
//!
//! Why a separate, hardware-free crate: the same editor serves the framebuffer console and
//! the serial port, and as pure logic it is fully testable on the host (including a model
//! terminal that checks every byte the editor emits).
//!
//! Display model: the editor only ever emits plain text, `\r`, `\n`, `ESC[nD`, `ESC[nC`
//! (with an explicit `n >= 1`) and `ESC[K`. It assumes the terminal is wide enough that the
//! prompt plus the longest line never wraps, and that every `char` occupies exactly one
//! column (no wide or combining characters are accounted for). Control characters are
//! never inserted into the line, so they never reach the terminal.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod serial;

pub use serial::{Keys, SerialDecoder};

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// A decoded key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A character to insert (control characters are refused by the editor).
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    Up,
    Down,
    Tab,
    CtrlC,
    CtrlL,
    /// Alias of [`Key::Home`].
    CtrlA,
    /// Alias of [`Key::End`].
    CtrlE,
    /// Kill from the start of the line to the cursor.
    CtrlU,
    /// Kill from the cursor to the end of the line.
    CtrlK,
    /// Delete the word before the cursor (and the spaces between it and the cursor).
    CtrlW,
    /// End of input for a program reading the terminal (the editor ignores it).
    CtrlD,
    Escape,
    /// Any key the editor ignores.
    Other,
}

/// What the caller has to do after [`LineEditor::feed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Nothing: the display is already up to date.
    None,
    /// Enter was pressed: the finished line. `"\r\n"` has already been written.
    Line(String),
    /// Ctrl-C: the line was discarded and `"^C\r\n"` written. Print a new prompt.
    Cancelled,
    /// Ctrl-L: clear the screen, then call [`LineEditor::redraw`].
    ClearScreen,
    /// The key was refused (line full, nothing to delete, no completion, ...).
    /// Nothing was written and the line is unchanged.
    Bell,
    /// Second Tab on an ambiguous completion: the sorted, de-duplicated candidates.
    /// Print them on a new line, then call [`LineEditor::redraw`].
    Candidates(Vec<String>),
}

/// Supplies tab-completion candidates.
pub trait Completer {
    /// `line` is the text *before the cursor*; the word being completed is
    /// `&line[word_start..]` (`word_start` is a byte offset, the word is the maximal run of
    /// non-whitespace characters ending at the cursor). `first_word` is true when only
    /// whitespace precedes the word (i.e. it is the command name).
    ///
    /// Push full replacement words for that word to `out` (which starts empty). A single
    /// candidate is inserted followed by a space unless it ends with `'/'`; several
    /// candidates insert their longest common prefix. Empty candidates and candidates
    /// containing control characters are ignored.
    fn complete(&mut self, line: &str, word_start: usize, first_word: bool, out: &mut Vec<String>);
}

/// A [`Completer`] that never offers anything (Tab always rings the bell).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCompletion;

impl Completer for NoCompletion {
    fn complete(&mut self, _: &str, _: usize, _: bool, _: &mut Vec<String>) {}
}

/// An editable line with a bounded history.
///
/// ```
/// use lineedit::{Event, Key, LineEditor, NoCompletion, SerialDecoder};
///
/// let mut editor = LineEditor::new(512, 64);
/// let mut decoder = SerialDecoder::new();
/// let mut screen = String::new();
/// let mut lines = Vec::new();
/// for &byte in b"lx\x7fs\r" {
///     for key in decoder.feed(byte) {
///         if let Event::Line(line) = editor.feed(key, &mut NoCompletion, &mut screen) {
///             lines.push(line);
///         }
///     }
/// }
/// assert_eq!(lines, ["ls"]);
/// assert_eq!(editor.history().collect::<Vec<_>>(), ["ls"]);
/// ```
///
/// Editing a recalled history entry edits only the current line; the history itself is
/// never modified except by submitting a line with Enter.
#[derive(Debug, Clone)]
pub struct LineEditor {
    buf: String,
    /// Byte offset into `buf`, always on a char boundary.
    cursor: usize,
    max_chars: usize,
    history: VecDeque<String>,
    history_cap: usize,
    /// Index into `history` while walking it with Up/Down.
    browsing: Option<usize>,
    /// The line being edited before the history walk started.
    saved: String,
    last_was_tab: bool,
}

impl LineEditor {
    /// An empty editor accepting lines of at most `max_chars` characters and remembering
    /// at most `history_cap` lines (0 disables history).
    pub fn new(max_chars: usize, history_cap: usize) -> Self {
        LineEditor {
            buf: String::new(),
            cursor: 0,
            max_chars,
            history: VecDeque::new(),
            history_cap,
            browsing: None,
            saved: String::new(),
            last_was_tab: false,
        }
    }

    /// The current line.
    pub fn line(&self) -> &str {
        &self.buf
    }

    /// The cursor position as a byte offset into [`line`](Self::line).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The remembered lines, oldest first.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.history.iter().map(String::as_str)
    }

    /// Discards the current line (without output) and any history walk; keeps the history.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.cursor = 0;
        self.browsing = None;
        self.saved.clear();
        self.last_was_tab = false;
    }

    /// Reprints `prompt` and the line from the start of the current terminal line, and puts
    /// the cursor back where it belongs. Use after [`Event::ClearScreen`] or
    /// [`Event::Candidates`], or whenever something else scribbled on the screen.
    pub fn redraw(&self, prompt: &str, out: &mut dyn Write) {
        let _ = out.write_char('\r');
        let _ = out.write_str(prompt);
        let _ = out.write_str(&self.buf);
        let _ = out.write_str("\x1b[K");
        left(out, chars(&self.buf[self.cursor..]));
    }

    /// Processes one key. Output errors from `out` are ignored: the editor's state stays
    /// consistent and a later [`redraw`](Self::redraw) repairs the display.
    pub fn feed(&mut self, key: Key, completer: &mut dyn Completer, out: &mut dyn Write) -> Event {
        let prev_was_tab = core::mem::replace(&mut self.last_was_tab, key == Key::Tab);
        match key {
            Key::Char(c) if c.is_control() => Event::Bell,
            Key::Char(c) => {
                let mut tmp = [0u8; 4];
                let at = self.cursor;
                self.replace(at, at, c.encode_utf8(&mut tmp), out)
            }
            Key::Enter => {
                let _ = out.write_str("\r\n");
                let line = core::mem::take(&mut self.buf);
                self.reset();
                self.push_history(&line);
                Event::Line(line)
            }
            Key::Backspace => match self.buf[..self.cursor].chars().next_back() {
                Some(c) => {
                    let end = self.cursor;
                    self.replace(end - c.len_utf8(), end, "", out)
                }
                None => Event::Bell,
            },
            Key::Delete => match self.buf[self.cursor..].chars().next() {
                Some(c) => {
                    let start = self.cursor;
                    self.replace(start, start + c.len_utf8(), "", out)
                }
                None => Event::Bell,
            },
            Key::Left => match self.buf[..self.cursor].chars().next_back() {
                Some(c) => self.move_to(self.cursor - c.len_utf8(), out),
                None => Event::Bell,
            },
            Key::Right => match self.buf[self.cursor..].chars().next() {
                Some(c) => self.move_to(self.cursor + c.len_utf8(), out),
                None => Event::Bell,
            },
            Key::Home | Key::CtrlA => self.move_to(0, out),
            Key::End | Key::CtrlE => self.move_to(self.buf.len(), out),
            Key::CtrlU if self.cursor == 0 => Event::Bell,
            Key::CtrlU => self.replace(0, self.cursor, "", out),
            Key::CtrlK if self.cursor == self.buf.len() => Event::Bell,
            Key::CtrlK => self.replace(self.cursor, self.buf.len(), "", out),
            Key::CtrlW if self.cursor == 0 => Event::Bell,
            Key::CtrlW => {
                let before = self.buf[..self.cursor].trim_end();
                self.replace(word_start(before), self.cursor, "", out)
            }
            Key::Up => self.history_up(out),
            Key::Down => self.history_down(out),
            Key::Tab => self.complete(prev_was_tab, completer, out),
            Key::CtrlC => {
                right(out, chars(&self.buf[self.cursor..]));
                let _ = out.write_str("^C\r\n");
                self.reset();
                Event::Cancelled
            }
            Key::CtrlL => Event::ClearScreen,
            Key::Escape | Key::CtrlD | Key::Other => Event::None,
        }
    }

    /// Moves the cursor to byte offset `to` (a char boundary).
    fn move_to(&mut self, to: usize, out: &mut dyn Write) -> Event {
        if to < self.cursor {
            left(out, chars(&self.buf[to..self.cursor]));
        } else {
            right(out, chars(&self.buf[self.cursor..to]));
        }
        self.cursor = to;
        Event::None
    }

    /// Replaces `buf[start..end]` with `new` (byte offsets on char boundaries), leaving the
    /// cursor after `new`, and emits the minimal output for it. Refused with
    /// [`Event::Bell`] (no output, no change) if the result would be too long.
    fn replace(&mut self, start: usize, end: usize, new: &str, out: &mut dyn Write) -> Event {
        let removed = chars(&self.buf[start..end]);
        let added = chars(new);
        if chars(&self.buf) - removed + added > self.max_chars {
            return Event::Bell;
        }
        self.move_to(start, out);
        let tail = &self.buf[end..];
        let _ = out.write_str(new);
        let _ = out.write_str(tail);
        if added < removed {
            let _ = out.write_str("\x1b[K");
        }
        left(out, chars(tail));
        self.buf.replace_range(start..end, new);
        self.cursor = start + new.len();
        Event::None
    }

    fn push_history(&mut self, line: &str) {
        if self.history_cap == 0
            || line.trim().is_empty()
            || self.history.back().is_some_and(|last| last == line)
        {
            return;
        }
        while self.history.len() >= self.history_cap {
            self.history.pop_front();
        }
        self.history.push_back(String::from(line));
    }

    fn history_up(&mut self, out: &mut dyn Write) -> Event {
        let index = match self.browsing {
            Some(0) => return Event::Bell,
            Some(i) => i - 1,
            None if self.history.is_empty() => return Event::Bell,
            None => {
                self.saved.clone_from(&self.buf);
                self.history.len() - 1
            }
        };
        self.browsing = Some(index);
        let entry = self.history[index].clone();
        self.load(&entry, out)
    }

    fn history_down(&mut self, out: &mut dyn Write) -> Event {
        match self.browsing {
            None => Event::Bell,
            Some(i) if i + 1 < self.history.len() => {
                self.browsing = Some(i + 1);
                let entry = self.history[i + 1].clone();
                self.load(&entry, out)
            }
            Some(_) => {
                self.browsing = None;
                let saved = core::mem::take(&mut self.saved);
                self.load(&saved, out)
            }
        }
    }

    /// Replaces the whole line with `text`, cursor at the end.
    fn load(&mut self, text: &str, out: &mut dyn Write) -> Event {
        let end = self.buf.len();
        self.replace(0, end, text, out)
    }

    fn complete(
        &mut self,
        prev_was_tab: bool,
        completer: &mut dyn Completer,
        out: &mut dyn Write,
    ) -> Event {
        let cursor = self.cursor;
        let start = word_start(&self.buf[..cursor]);
        let first_word = self.buf[..start].trim().is_empty();
        let mut cands = Vec::new();
        completer.complete(&self.buf[..cursor], start, first_word, &mut cands);
        cands.retain(|c| !c.is_empty() && !c.chars().any(char::is_control));
        cands.sort_unstable();
        cands.dedup();

        match cands.as_slice() {
            [] => Event::Bell,
            [only] => {
                let mut word = only.clone();
                if !word.ends_with('/') {
                    word.push(' ');
                    if self.replace(start, cursor, &word, out) == Event::None {
                        return Event::None;
                    }
                    word.pop(); // No room for the space: try without it.
                }
                self.replace(start, cursor, &word, out)
            }
            [..] => {
                let prefix = common_prefix(&cands);
                let word = &self.buf[start..cursor];
                let inserted = prefix != word
                    && chars(prefix) >= chars(word)
                    && self.replace(start, cursor, prefix, out) == Event::None;
                if inserted {
                    Event::None
                } else if prev_was_tab {
                    Event::Candidates(cands)
                } else {
                    Event::Bell
                }
            }
        }
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn left(out: &mut dyn Write, n: usize) {
    if n > 0 {
        let _ = write!(out, "\x1b[{n}D");
    }
}

fn right(out: &mut dyn Write, n: usize) {
    if n > 0 {
        let _ = write!(out, "\x1b[{n}C");
    }
}

/// Byte offset where the maximal run of non-whitespace at the end of `s` starts.
fn word_start(s: &str) -> usize {
    s.char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The longest common prefix (whole chars) of a non-empty list.
fn common_prefix(words: &[String]) -> &str {
    let Some((first, rest)) = words.split_first() else {
        return "";
    };
    let mut len = first.len();
    for w in rest {
        len = first[..len]
            .char_indices()
            .zip(w.chars())
            .find(|&((_, a), b)| a != b)
            // No mismatch: one is a prefix of the other, so the shorter length is a boundary.
            .map_or(len.min(w.len()), |((i, _), _)| i);
    }
    &first[..len]
}

#[cfg(test)]
mod tests;
