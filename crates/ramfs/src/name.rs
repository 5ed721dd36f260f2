//! Showing file names on a terminal.
//!
//! # Why
//!
//! A name is any UTF-8 without `/` or NUL, so it may hold control characters: a file named
//! `evil<ESC>[2J` printed raw by `ls` clears the user's screen, and OSC sequences can set a
//! terminal's title or worse. Every place that prints a name (listings, trees, completion,
//! prompts, error messages) therefore prints [`Escaped`] instead, while the file system
//! keeps the real name. One type, shared by the kernel shell and any future tool, so the
//! rule is written once.
//!
//! # The rule
//!
//! Printable characters, including all non-ASCII letters, pass through unchanged. The rest
//! become escapes in the style of Rust and C string literals, so the output is plain ASCII
//! around the escapes and can be read back exactly:
//!
//! | character                               | shown as            |
//! |-----------------------------------------|---------------------|
//! | `\` (so every `\` starts an escape)      | `\\`                |
//! | ESC (U+001B)                            | `\e`                |
//! | newline, tab, carriage return           | `\n`, `\t`, `\r`    |
//! | other C0 controls (U+0000–U+001F), DEL  | `\x01` … `\x7f`     |
//! | C1 controls (U+0080–U+009F)             | `\u{80}` … `\u{9f}` |
//! | bidirectional and invisible formatting  | `\u{202e}` etc.     |
//!
//! C1 controls are written as `\u{..}`, not `\x..`, because they are characters, encoded
//! in two bytes (U+0085 is the bytes `c2 85`): `\x85` would wrongly suggest a raw byte.
//! The last row covers the characters that reorder or hide text without being controls
//! (U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069, U+FEFF) and the line and
//! paragraph separators U+2028 and U+2029: a name must not be able to make another name
//! look like something else. `Display` ignores width and fill options.

use core::fmt;

/// A name ready to print: `format!("{}", Escaped(name))`. See the module docs for the
/// escapes used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'n>(pub &'n str);

impl Escaped<'_> {
    /// Whether printing the name changes it (it has something to escape).
    pub fn is_needed(&self) -> bool {
        self.0.chars().any(|c| escape(c).is_some())
    }
}

/// The escape for `c`, or `None` when it is printed as it is.
fn escape(c: char) -> Option<Escape> {
    Some(match c {
        '\\' => Escape::Text("\\\\"),
        '\u{1b}' => Escape::Text("\\e"),
        '\n' => Escape::Text("\\n"),
        '\t' => Escape::Text("\\t"),
        '\r' => Escape::Text("\\r"),
        '\0'..='\u{1f}' | '\u{7f}' => Escape::Hex(c as u32),
        '\u{80}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => Escape::Unicode(c as u32),
        _ => return None,
    })
}

enum Escape {
    Text(&'static str),
    /// `\xNN`
    Hex(u32),
    /// `\u{N..}`
    Unicode(u32),
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut plain = 0; // start of the run of characters not yet written
        for (i, c) in self.0.char_indices() {
            let Some(e) = escape(c) else { continue };
            f.write_str(self.0.get(plain..i).unwrap_or(""))?;
            plain = i + c.len_utf8();
            match e {
                Escape::Text(s) => f.write_str(s)?,
                Escape::Hex(n) => write!(f, "\\x{n:02x}")?,
                Escape::Unicode(n) => write!(f, "\\u{{{n:x}}}")?,
            }
        }
        f.write_str(self.0.get(plain..).unwrap_or(""))
    }
}
