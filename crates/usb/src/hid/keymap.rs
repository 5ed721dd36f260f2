//! HID keyboard usages (HID Usage Tables, page 0x07) to `pc_keyboard::KeyCode`s.
//!
//! Written by hand because pc-keyboard keeps its own USB table private and it stops at
//! the 104-key set. The codes chosen are the ones pc-keyboard's scancode set 1 decoder
//! produces for the same physical key, so a key means the same on a PS/2 and a USB
//! keyboard under every layout: the ANSI backslash (0x31) and the ISO hash key (0x32)
//! share one PS/2 scancode and so map to the same code (`Oem7`), the ISO key beside the
//! left Shift (0x64) is `Oem5`, and the JIS keys match their set 1 codes.

use pc_keyboard::KeyCode;

/// The key for a usage, or `None` for usages without a `KeyCode` (reserved, the
/// error codes 0x01..=0x03, F13-F24, editing keys of old terminals, keypad extras).
pub fn usage_to_keycode(usage: u8) -> Option<KeyCode> {
    use KeyCode::*;
    Some(match usage {
        // 0x00 is "no key"; 0x01..=0x03 are ErrorRollOver, POSTFail, ErrorUndefined.
        0x00..=0x03 => return None,
        0x04 => A,
        0x05 => B,
        0x06 => C,
        0x07 => D,
        0x08 => E,
        0x09 => F,
        0x0a => G,
        0x0b => H,
        0x0c => I,
        0x0d => J,
        0x0e => K,
        0x0f => L,
        0x10 => M,
        0x11 => N,
        0x12 => O,
        0x13 => P,
        0x14 => Q,
        0x15 => R,
        0x16 => S,
        0x17 => T,
        0x18 => U,
        0x19 => V,
        0x1a => W,
        0x1b => X,
        0x1c => Y,
        0x1d => Z,
        0x1e => Key1,
        0x1f => Key2,
        0x20 => Key3,
        0x21 => Key4,
        0x22 => Key5,
        0x23 => Key6,
        0x24 => Key7,
        0x25 => Key8,
        0x26 => Key9,
        0x27 => Key0,
        0x28 => Return,
        0x29 => Escape,
        0x2a => Backspace,
        0x2b => Tab,
        0x2c => Spacebar,
        0x2d => OemMinus,
        0x2e => OemPlus,
        0x2f => Oem4,
        0x30 => Oem6,
        // Backslash (ANSI) and Non-US # (ISO) are one PS/2 key: scancode 0x2B.
        0x31 | 0x32 => Oem7,
        0x33 => Oem1,
        0x34 => Oem3,
        0x35 => Oem8,
        0x36 => OemComma,
        0x37 => OemPeriod,
        0x38 => Oem2,
        0x39 => CapsLock,
        0x3a => F1,
        0x3b => F2,
        0x3c => F3,
        0x3d => F4,
        0x3e => F5,
        0x3f => F6,
        0x40 => F7,
        0x41 => F8,
        0x42 => F9,
        0x43 => F10,
        0x44 => F11,
        0x45 => F12,
        0x46 => PrintScreen,
        0x47 => ScrollLock,
        0x48 => PauseBreak,
        0x49 => Insert,
        0x4a => Home,
        0x4b => PageUp,
        0x4c => Delete,
        0x4d => End,
        0x4e => PageDown,
        0x4f => ArrowRight,
        0x50 => ArrowLeft,
        0x51 => ArrowDown,
        0x52 => ArrowUp,
        0x53 => NumpadLock,
        0x54 => NumpadDivide,
        0x55 => NumpadMultiply,
        0x56 => NumpadSubtract,
        0x57 => NumpadAdd,
        0x58 => NumpadEnter,
        0x59 => Numpad1,
        0x5a => Numpad2,
        0x5b => Numpad3,
        0x5c => Numpad4,
        0x5d => Numpad5,
        0x5e => Numpad6,
        0x5f => Numpad7,
        0x60 => Numpad8,
        0x61 => Numpad9,
        0x62 => Numpad0,
        0x63 => NumpadPeriod,
        // The ISO key between the left Shift and Z (PS/2 scancode 0x56).
        0x64 => Oem5,
        0x65 => Apps,
        // Power, keypad =, F13-F24, Execute..Find: no KeyCode.
        0x66..=0x7e => return None,
        0x7f => Mute,
        0x80 => VolumeUp,
        0x81 => VolumeDown,
        // Locking lock keys, keypad comma, keypad = (AS/400).
        0x82..=0x86 => return None,
        // International1..5: Ro, Katakana/Hiragana, Yen, Henkan, Muhenkan (JIS).
        0x87 => Oem12,
        0x88 => Oem11,
        0x89 => Oem13,
        0x8a => Oem10,
        0x8b => Oem9,
        // International6..9, LANG1..9, Alternate Erase.
        0x8c..=0x99 => return None,
        0x9a => SysRq,
        // Cancel..ExSel, reserved, keypad extras (00, 000, hex, memory keys), reserved.
        0x9b..=0xdf => return None,
        0xe0 => LControl,
        0xe1 => LShift,
        0xe2 => LAlt,
        0xe3 => LWin,
        0xe4 => RControl,
        0xe5 => RShift,
        0xe6 => RAltGr,
        0xe7 => RWin,
        // Reserved, and vendor usages some keyboards put here.
        0xe8..=0xff => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn letters_digits_and_edges() {
        assert_eq!(usage_to_keycode(0x04), Some(KeyCode::A));
        assert_eq!(usage_to_keycode(0x1d), Some(KeyCode::Z));
        assert_eq!(usage_to_keycode(0x1e), Some(KeyCode::Key1));
        assert_eq!(usage_to_keycode(0x27), Some(KeyCode::Key0));
        assert_eq!(usage_to_keycode(0x64), Some(KeyCode::Oem5));
        assert_eq!(usage_to_keycode(0x62), Some(KeyCode::Numpad0));
        assert_eq!(usage_to_keycode(0xe6), Some(KeyCode::RAltGr));
        for u in 0..=3 {
            assert_eq!(usage_to_keycode(u), None);
        }
        assert_eq!(usage_to_keycode(0xe8), None);
    }

    /// Every key of a 105-key ISO keyboard has a code, and no two usages share one
    /// except the ANSI backslash / ISO hash pair (one physical position, one scancode).
    #[test]
    fn full_keyboard_is_covered_without_collisions() {
        let mut codes: Vec<(KeyCode, u8)> = (0..=255u8)
            .filter_map(|u| usage_to_keycode(u).map(|c| (c, u)))
            .collect();
        // 0x04..=0x65 is the 105-key set (plus the ANSI/ISO twin), 8 modifiers,
        // 3 media keys, 5 JIS keys, SysRq.
        assert_eq!(codes.len(), (0x65 - 0x04 + 1) + 8 + 3 + 5 + 1);
        codes.sort();
        let dups: Vec<_> = codes.windows(2).filter(|w| w[0].0 == w[1].0).collect();
        assert_eq!(dups.len(), 1);
        assert_eq!((dups[0][0].1, dups[0][1].1), (0x31, 0x32));
    }

    /// Through pc-keyboard's layouts, USB usages type what the printed key shows.
    #[test]
    fn layouts_type_the_printed_symbols() {
        use pc_keyboard::layouts::{De105Key, Uk105Key, Us104Key};
        use pc_keyboard::{DecodedKey, EventDecoder, HandleControl, KeyEvent, KeyState};
        fn typed<L: pc_keyboard::KeyboardLayout>(
            layout: L,
            usages: &[u8],
        ) -> alloc::string::String {
            let mut d = EventDecoder::new(layout, HandleControl::Ignore);
            usages
                .iter()
                .filter_map(|&u| {
                    let code = usage_to_keycode(u)?;
                    let k = d.process_keyevent(KeyEvent::new(code, KeyState::Down));
                    d.process_keyevent(KeyEvent::new(code, KeyState::Up));
                    match k {
                        Some(DecodedKey::Unicode(c)) => Some(c),
                        _ => None,
                    }
                })
                .collect()
        }
        // "hello, world\n" with the US backslash key.
        let hello = [
            0x0b, 0x08, 0x0f, 0x0f, 0x12, 0x36, 0x2c, 0x1a, 0x12, 0x15, 0x0f, 0x07, 0x31,
        ];
        assert_eq!(typed(Us104Key, &hello), "hello, world\\");
        assert_eq!(
            typed(Us104Key, &[0x35, 0x2d, 0x2e, 0x2f, 0x30, 0x33, 0x34, 0x38]),
            "`-=[];'/"
        );
        // UK ISO: the hash key and the key beside the left Shift.
        assert_eq!(typed(Uk105Key, &[0x32, 0x64]), "#\\");
        // German: Y and Z swap.
        assert_eq!(typed(De105Key, &[0x1c, 0x1d]), "zy");
        // Keypad with Num Lock on (pc-keyboard starts with it on).
        assert_eq!(typed(Us104Key, &[0x59, 0x62, 0x63, 0x57]), "10.+");
    }
}
