//! Key events → editor keys, with the modifiers and the layout the user chose.

use crate::filter::Ps2Code;
use crate::layouts::{self, LAYOUTS};
use lineedit::Key;
use pc_keyboard::{
    DecodedKey, EventDecoder, HandleControl, KeyCode, KeyEvent, ScancodeSet, ScancodeSet1,
    layouts::AnyLayout,
};

/// Turns key events from any keyboard into [`Key`]s. One decoder serves all keyboards, so
/// a modifier held on one applies to keys typed on another, as on other systems.
pub struct Decoder {
    set1: ScancodeSet1,
    events: EventDecoder<AnyLayout>,
    layout: &'static str,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the first layout of [`LAYOUTS`] (US).
    pub fn new() -> Self {
        let first = &LAYOUTS[0];
        Self {
            set1: ScancodeSet1::new(),
            events: EventDecoder::new(first.build(), HandleControl::MapLettersToUnicode),
            layout: first.name,
        }
    }

    /// The current layout's short name.
    pub fn layout(&self) -> &'static str {
        self.layout
    }

    /// Switches layout; false if the name is unknown. Held modifiers stay held.
    pub fn set_layout(&mut self, name: &str) -> bool {
        let Some(layout) = layouts::find(name) else {
            return false;
        };
        self.events.change_layout(layout.build());
        self.layout = layout.name;
        true
    }

    /// Feeds one PS/2 key code (scancode set 1, with its prefix) from [`crate::Ps2Filter`].
    /// Unknown or malformed codes are ignored.
    pub fn feed_ps2(&mut self, code: Ps2Code) -> Option<Key> {
        let mut event = None;
        for byte in code.bytes() {
            event = self.set1.advance_state(byte).ok().flatten();
        }
        self.feed_event(event?)
    }

    /// Feeds one key event (from a USB keyboard, or decoded PS/2); returns the key it
    /// types, if any.
    pub fn feed_event(&mut self, event: KeyEvent) -> Option<Key> {
        Some(match self.events.process_keyevent(event)? {
            DecodedKey::Unicode(c) => char_key(c),
            DecodedKey::RawKey(code) => match code {
                KeyCode::ArrowUp => Key::Up,
                KeyCode::ArrowDown => Key::Down,
                KeyCode::ArrowLeft => Key::Left,
                KeyCode::ArrowRight => Key::Right,
                KeyCode::Home => Key::Home,
                KeyCode::End => Key::End,
                KeyCode::Delete => Key::Delete,
                KeyCode::Escape => Key::Escape,
                _ => return None,
            },
        })
    }
}

/// Maps a decoded character (including control characters) to an editor key.
pub fn char_key(c: char) -> Key {
    match c {
        '\n' | '\r' => Key::Enter,
        '\x08' => Key::Backspace,
        '\x7f' => Key::Delete,
        '\t' => Key::Tab,
        '\x1b' => Key::Escape,
        '\x03' => Key::CtrlC,
        '\x0c' => Key::CtrlL,
        '\x01' => Key::CtrlA,
        '\x05' => Key::CtrlE,
        '\x15' => Key::CtrlU,
        '\x0b' => Key::CtrlK,
        '\x17' => Key::CtrlW,
        c if (c as u32) < 0x20 => Key::Other,
        c => Key::Char(c),
    }
}
