//! Key codes that `poll_key` returns, and their decoding into [`Key`]. Both sides
//! translate through this one table, so host and game can never disagree on a code.

/// `poll_key` result when no key is waiting.
pub const NO_KEY: i32 = -1;
/// Enter / Return.
pub const KEY_ENTER: i32 = 13;
/// Backspace.
pub const KEY_BACKSPACE: i32 = 8;
/// Tab.
pub const KEY_TAB: i32 = 9;
/// Space (also plain printable ASCII).
pub const KEY_SPACE: i32 = 32;
/// Escape: reserved by the host, which ends the game on Esc and never delivers this code.
pub const KEY_ESC_RESERVED: i32 = 27;
/// First code of the non-ASCII keys.
pub const KEY_SPECIAL_BASE: i32 = 0x100;
/// Cursor up.
pub const KEY_UP: i32 = 0x100;
/// Cursor down.
pub const KEY_DOWN: i32 = 0x101;
/// Cursor left.
pub const KEY_LEFT: i32 = 0x102;
/// Cursor right.
pub const KEY_RIGHT: i32 = 0x103;

/// A decoded key press.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Printable ASCII `' '..='~'` exactly as typed (lowercase unless shift).
    Char(char),
    Enter,
    Backspace,
    Tab,
    Up,
    Down,
    Left,
    Right,
    /// A non-negative code this ABI version does not define (kept for forward compatibility).
    Other(i32),
}

impl Key {
    /// Decodes a `poll_key` result; any negative value (normally [`NO_KEY`]) is "no key".
    pub fn from_code(code: i32) -> Option<Key> {
        Some(match code {
            c if c < 0 => return None,
            KEY_ENTER => Key::Enter,
            KEY_BACKSPACE => Key::Backspace,
            KEY_TAB => Key::Tab,
            KEY_UP => Key::Up,
            KEY_DOWN => Key::Down,
            KEY_LEFT => Key::Left,
            KEY_RIGHT => Key::Right,
            0x20..=0x7e => Key::Char(code as u8 as char),
            other => Key::Other(other),
        })
    }

    /// The code the host hands to `poll_key` for this key. Characters outside printable
    /// ASCII have no code in v1 and encode as [`NO_KEY`].
    pub fn code(self) -> i32 {
        match self {
            Key::Char(c) if (' '..='~').contains(&c) => c as i32,
            Key::Char(_) => NO_KEY,
            Key::Enter => KEY_ENTER,
            Key::Backspace => KEY_BACKSPACE,
            Key::Tab => KEY_TAB,
            Key::Up => KEY_UP,
            Key::Down => KEY_DOWN,
            Key::Left => KEY_LEFT,
            Key::Right => KEY_RIGHT,
            Key::Other(c) => c,
        }
    }
}
