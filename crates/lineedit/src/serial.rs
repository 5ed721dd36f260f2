//! Decoding of the raw byte stream a serial terminal sends into [`Key`]s.
//!
//! Why a state machine fed one byte at a time: bytes arrive from the UART interrupt one by
//! one, and escape sequences or UTF-8 characters may be split across reads. The state is a
//! few bytes (escape sequences longer than [`CSI_MAX`] parameter bytes are dropped), so a
//! garbled or hostile stream can neither grow memory nor wedge the decoder.

use crate::Key;

/// Longest parameter/intermediate part of a `ESC [` sequence that is kept; longer
/// sequences are abandoned (and their remaining bytes decoded as ordinary input).
const CSI_MAX: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After `ESC`.
    Esc,
    /// After `ESC [`, collecting parameter and intermediate bytes.
    Csi {
        params: [u8; CSI_MAX],
        len: u8,
    },
    /// After `ESC [ [` (Linux console function keys): swallow one more byte.
    CsiBracket,
    /// After `ESC O`.
    Ss3,
    /// Inside a UTF-8 sequence: `need` continuation bytes still expected; `min` rejects
    /// overlong encodings.
    Utf8 {
        acc: u32,
        need: u8,
        min: u32,
    },
}

/// Turns serial bytes into keys; see [`SerialDecoder::feed`] for the mapping.
#[derive(Debug, Clone)]
pub struct SerialDecoder {
    state: State,
    /// The previous byte was a CR, so an immediately following LF is swallowed.
    after_cr: bool,
}

impl Default for SerialDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// The keys produced by one byte: zero, one, or (for a lone `ESC` followed by another
/// key's byte) two. Iterate it to get them in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a byte can produce up to two keys; iterate over all of them"]
pub struct Keys {
    keys: [Option<Key>; 2],
    next: usize,
}

impl Keys {
    fn one(key: Option<Key>) -> Self {
        Keys {
            keys: [key, None],
            next: 0,
        }
    }
}

impl Iterator for Keys {
    type Item = Key;

    fn next(&mut self) -> Option<Key> {
        while let Some(slot) = self.keys.get_mut(self.next) {
            self.next += 1;
            if let Some(key) = slot.take() {
                return Some(key);
            }
        }
        None
    }
}

impl SerialDecoder {
    pub const fn new() -> Self {
        SerialDecoder {
            state: State::Ground,
            after_cr: false,
        }
    }

    /// Forgets any partial sequence.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Ends a pending sequence because no more bytes arrived for a while: a lone `ESC` then
    /// yields [`Key::Escape`]; any other partial sequence is dropped.
    pub fn flush(&mut self) -> Option<Key> {
        let was_esc = self.state == State::Esc;
        self.state = State::Ground;
        was_esc.then_some(Key::Escape)
    }

    /// Decodes one byte.
    ///
    /// CR or LF → Enter (CR LF → one Enter); DEL/BS → Backspace; `^C ^L ^A ^E ^U ^K ^W`
    /// and Tab → their keys; `ESC [ A/B/C/D/H/F`, `ESC O A/B/C/D/H/F`, `ESC [ 1~/7~`
    /// (Home), `ESC [ 4~/8~` (End), `ESC [ 3~` (Delete), modifier parameters ignored;
    /// other escape sequences are swallowed; `ESC` followed by anything else → Escape then
    /// that byte's key; printable ASCII and valid UTF-8 → Char (invalid UTF-8 is dropped);
    /// other control characters → Other.
    pub fn feed(&mut self, byte: u8) -> Keys {
        let was_cr = core::mem::replace(&mut self.after_cr, false);
        match self.state {
            State::Ground => Keys::one(self.ground(byte, was_cr)),
            State::Esc => match byte {
                b'[' => {
                    self.state = State::Csi {
                        params: [0; CSI_MAX],
                        len: 0,
                    };
                    Keys::default()
                }
                b'O' => {
                    self.state = State::Ss3;
                    Keys::default()
                }
                _ => {
                    self.state = State::Ground;
                    Keys {
                        keys: [Some(Key::Escape), self.ground(byte, false)],
                        next: 0,
                    }
                }
            },
            State::Csi { mut params, len } => match byte {
                b'[' if len == 0 => {
                    self.state = State::CsiBracket;
                    Keys::default()
                }
                0x20..=0x3f => {
                    let len = usize::from(len);
                    self.state = match params.get_mut(len) {
                        Some(slot) => {
                            *slot = byte;
                            // `len < CSI_MAX`, so it fits in a u8.
                            State::Csi {
                                params,
                                len: u8::try_from(len + 1).unwrap_or(u8::MAX),
                            }
                        }
                        None => State::Ground, // Too long: give up on it.
                    };
                    Keys::default()
                }
                0x40..=0x7e => {
                    self.state = State::Ground;
                    let len = usize::from(len).min(CSI_MAX);
                    Keys::one(csi_key(&params[..len], byte))
                }
                // A control or non-ASCII byte cannot be part of the sequence: abandon it and
                // decode the byte normally.
                _ => self.abandon(byte),
            },
            State::CsiBracket | State::Ss3 => match byte {
                0x40..=0x7e => {
                    let was_ss3 = self.state == State::Ss3;
                    self.state = State::Ground;
                    Keys::one(if was_ss3 { letter_key(byte) } else { None })
                }
                _ => self.abandon(byte),
            },
            State::Utf8 { acc, need, min } => {
                if byte & 0xc0 != 0x80 {
                    return self.abandon(byte); // Truncated character: drop it.
                }
                let acc = (acc << 6) | u32::from(byte & 0x3f);
                if need > 1 {
                    self.state = State::Utf8 {
                        acc,
                        need: need - 1,
                        min,
                    };
                    return Keys::default();
                }
                self.state = State::Ground;
                let key = char::from_u32(acc).filter(|_| acc >= min).map(|c| {
                    if c.is_control() {
                        Key::Other
                    } else {
                        Key::Char(c)
                    }
                });
                Keys::one(key)
            }
        }
    }

    fn abandon(&mut self, byte: u8) -> Keys {
        self.state = State::Ground;
        Keys::one(self.ground(byte, false))
    }

    fn ground(&mut self, byte: u8, was_cr: bool) -> Option<Key> {
        let utf8 = |acc: u8, need, min| State::Utf8 {
            acc: u32::from(acc),
            need,
            min,
        };
        Some(match byte {
            b'\r' => {
                self.after_cr = true;
                Key::Enter
            }
            b'\n' if was_cr => return None,
            b'\n' => Key::Enter,
            0x1b => {
                self.state = State::Esc;
                return None;
            }
            0x7f | 0x08 => Key::Backspace,
            0x01 => Key::CtrlA,
            0x03 => Key::CtrlC,
            0x04 => Key::CtrlD,
            0x05 => Key::CtrlE,
            0x09 => Key::Tab,
            0x0b => Key::CtrlK,
            0x0c => Key::CtrlL,
            0x15 => Key::CtrlU,
            0x17 => Key::CtrlW,
            0x00..=0x1f => Key::Other,
            0x20..=0x7e => Key::Char(char::from(byte)),
            0xc2..=0xdf => {
                self.state = utf8(byte & 0x1f, 1, 0x80);
                return None;
            }
            0xe0..=0xef => {
                self.state = utf8(byte & 0x0f, 2, 0x800);
                return None;
            }
            0xf0..=0xf4 => {
                self.state = utf8(byte & 0x07, 3, 0x1_0000);
                return None;
            }
            // Stray continuation bytes and bytes that never occur in UTF-8.
            0x80..=0xc1 | 0xf5..=0xff => return None,
        })
    }
}

/// The final byte of `ESC O x` or `ESC [ x`.
fn letter_key(byte: u8) -> Option<Key> {
    Some(match byte {
        b'A' => Key::Up,
        b'B' => Key::Down,
        b'C' => Key::Right,
        b'D' => Key::Left,
        b'H' => Key::Home,
        b'F' => Key::End,
        _ => return None,
    })
}

fn csi_key(params: &[u8], final_byte: u8) -> Option<Key> {
    // Only plain numeric parameters; private markers (`?`, `>`...) and intermediates mean
    // some other kind of sequence.
    if !params.iter().all(|&b| b.is_ascii_digit() || b == b';') {
        return None;
    }
    // The first parameter selects the key; a second one (modifiers) is ignored.
    let first = params.split(|&b| b == b';').next().unwrap_or(&[]);
    match final_byte {
        b'~' => match first {
            b"1" | b"7" => Some(Key::Home),
            b"4" | b"8" => Some(Key::End),
            b"3" => Some(Key::Delete),
            _ => None,
        },
        _ if first.is_empty() || first == b"1" => letter_key(final_byte),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    fn decode(bytes: &[u8]) -> Vec<Key> {
        let mut d = SerialDecoder::new();
        bytes.iter().flat_map(|&b| d.feed(b)).collect()
    }

    #[test]
    fn printable_ascii() {
        assert_eq!(
            decode(b"ab ~"),
            [
                Key::Char('a'),
                Key::Char('b'),
                Key::Char(' '),
                Key::Char('~')
            ]
        );
    }

    #[test]
    fn enter_variants() {
        assert_eq!(decode(b"\r"), [Key::Enter]);
        assert_eq!(decode(b"\n"), [Key::Enter]);
        assert_eq!(decode(b"\r\n"), [Key::Enter]);
        assert_eq!(decode(b"\r\r"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\n\n"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\n\r"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\r\n\r\n"), [Key::Enter, Key::Enter]);
        assert_eq!(decode(b"\rx\n"), [Key::Enter, Key::Char('x'), Key::Enter]);
    }

    #[test]
    fn control_bytes() {
        let table = [
            (0x7f, Key::Backspace),
            (0x08, Key::Backspace),
            (0x03, Key::CtrlC),
            (0x0c, Key::CtrlL),
            (0x01, Key::CtrlA),
            (0x05, Key::CtrlE),
            (0x15, Key::CtrlU),
            (0x0b, Key::CtrlK),
            (0x17, Key::CtrlW),
            (0x09, Key::Tab),
            (0x00, Key::Other),
            (0x04, Key::CtrlD),
            (0x1f, Key::Other),
        ];
        for (byte, key) in table {
            assert_eq!(decode(&[byte]), [key], "byte {byte:#x}");
        }
    }

    #[test]
    fn csi_sequences() {
        let table: [(&[u8], Key); 16] = [
            (b"\x1b[A", Key::Up),
            (b"\x1b[B", Key::Down),
            (b"\x1b[C", Key::Right),
            (b"\x1b[D", Key::Left),
            (b"\x1b[H", Key::Home),
            (b"\x1b[F", Key::End),
            (b"\x1b[1~", Key::Home),
            (b"\x1b[7~", Key::Home),
            (b"\x1b[4~", Key::End),
            (b"\x1b[8~", Key::End),
            (b"\x1b[3~", Key::Delete),
            (b"\x1b[1;5C", Key::Right),
            (b"\x1b[1;2A", Key::Up),
            (b"\x1b[3;5~", Key::Delete),
            (b"\x1b[1A", Key::Up),
            (b"\x1b[;5D", Key::Left),
        ];
        for (bytes, key) in table {
            assert_eq!(decode(bytes), [key], "{bytes:?}");
        }
    }

    #[test]
    fn ss3_sequences() {
        let table: [(&[u8], Key); 6] = [
            (b"\x1bOA", Key::Up),
            (b"\x1bOB", Key::Down),
            (b"\x1bOC", Key::Right),
            (b"\x1bOD", Key::Left),
            (b"\x1bOH", Key::Home),
            (b"\x1bOF", Key::End),
        ];
        for (bytes, key) in table {
            assert_eq!(decode(bytes), [key], "{bytes:?}");
        }
    }

    #[test]
    fn unknown_sequences_are_swallowed() {
        for seq in [
            &b"\x1b[2~"[..],
            b"\x1b[5~",
            b"\x1b[15~",
            b"\x1b[?25h",
            b"\x1b[2J",
            b"\x1b[Z",
            b"\x1b[[A",
            b"\x1bOP",
            b"\x1bOx",
            b"\x1b[>0c",
            b"\x1b[ q",
        ] {
            let mut with_tail = seq.to_vec();
            with_tail.push(b'z');
            assert_eq!(decode(&with_tail), [Key::Char('z')], "{seq:?}");
        }
    }

    #[test]
    fn overlong_csi_is_abandoned() {
        let mut bytes = b"\x1b[".to_vec();
        bytes.extend_from_slice(&[b'1'; CSI_MAX]);
        bytes.extend_from_slice(b"9A");
        // The 9 overflows and is dropped with the sequence; 'A' is then typed normally.
        assert_eq!(decode(&bytes), [Key::Char('A')]);
        // Exactly CSI_MAX parameter bytes still form a sequence.
        let mut bytes = b"\x1b[".to_vec();
        bytes.extend_from_slice(&[b'1'; CSI_MAX]);
        bytes.push(b'~');
        assert_eq!(decode(&bytes), []);
    }

    #[test]
    fn lone_escape() {
        assert_eq!(decode(b"\x1bx"), [Key::Escape, Key::Char('x')]);
        assert_eq!(decode(b"\x1b\x1b[A"), [Key::Escape, Key::Up]);
        assert_eq!(decode(b"\x1b\r\n"), [Key::Escape, Key::Enter]);
        assert_eq!(decode(b"\x1b\x7f"), [Key::Escape, Key::Backspace]);
        assert_eq!(decode("\x1bé".as_bytes()), [Key::Escape, Key::Char('é')]);
        let mut d = SerialDecoder::new();
        assert_eq!(d.feed(0x1b).count(), 0);
        assert_eq!(d.flush(), Some(Key::Escape));
        assert_eq!(d.flush(), None);
        assert_eq!(d.feed(b'a').collect::<Vec<_>>(), [Key::Char('a')]);
    }

    #[test]
    fn control_byte_aborts_sequence() {
        assert_eq!(decode(b"\x1b[1\x03"), [Key::CtrlC]);
        assert_eq!(decode(b"\x1bO\r"), [Key::Enter]);
        assert_eq!(decode(b"\x1b[\x1b[A"), [Key::Up]);
    }

    #[test]
    fn flush_drops_partial_sequences() {
        let mut d = SerialDecoder::new();
        for &b in b"\x1b[1" {
            assert_eq!(d.feed(b).count(), 0);
        }
        assert_eq!(d.flush(), None);
        assert_eq!(d.feed(b'A').collect::<Vec<_>>(), [Key::Char('A')]);
        let _ = d.feed(0xe2);
        d.reset();
        assert_eq!(d.feed(b'b').collect::<Vec<_>>(), [Key::Char('b')]);
    }

    #[test]
    fn utf8() {
        assert_eq!(
            decode("é€😀ä".as_bytes()),
            [
                Key::Char('é'),
                Key::Char('€'),
                Key::Char('😀'),
                Key::Char('ä')
            ]
        );
        // A sequence split between calls still decodes.
        let mut d = SerialDecoder::new();
        assert_eq!(d.feed(0xe2).count(), 0);
        assert_eq!(d.feed(0x82).count(), 0);
        assert_eq!(d.feed(0xac).collect::<Vec<_>>(), [Key::Char('€')]);
    }

    #[test]
    fn invalid_utf8_is_ignored() {
        // Stray continuation, impossible bytes, overlong forms, surrogates, > U+10FFFF.
        assert_eq!(
            decode(b"\x80a\xbf\xc0\xc1\xf5\xffb"),
            [Key::Char('a'), Key::Char('b')]
        );
        assert_eq!(decode(b"\xc0\xafa"), [Key::Char('a')]);
        assert_eq!(decode(b"\xe0\x80\xafa"), [Key::Char('a')]);
        assert_eq!(decode(b"\xf0\x80\x80\xafa"), [Key::Char('a')]);
        assert_eq!(decode(b"\xed\xa0\x80a"), [Key::Char('a')]);
        assert_eq!(decode(b"\xf4\x90\x80\x80a"), [Key::Char('a')]);
        // Truncated sequence: the interrupting byte is still decoded.
        assert_eq!(decode(b"\xe2\x82a"), [Key::Char('a')]);
        assert_eq!(decode(b"\xe2\r"), [Key::Enter]);
        // C1 controls are not characters to insert.
        assert_eq!(decode(b"\xc2\x85"), [Key::Other]);
    }

    #[test]
    fn keys_iterator() {
        let mut k = Keys {
            keys: [None, Some(Key::Up)],
            next: 0,
        };
        assert_eq!(k.next(), Some(Key::Up));
        assert_eq!(k.next(), None);
        assert_eq!(k.next(), None);
    }

    /// Random bytes (biased towards the interesting ones) never panic, never yield more
    /// than two keys per byte, and valid text decodes correctly right after the noise
    /// once the decoder is flushed.
    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::tests::Rng(0x5eed_1234_abcd_0001);
        let specials = b"\x1b[O~;0123456789ABCDFHx\r\n\x7f\x08\x03";
        for _ in 0..3000 {
            let mut d = SerialDecoder::new();
            let len = rng.below(40);
            for _ in 0..len {
                let b = if rng.below(2) == 0 {
                    specials[rng.below(specials.len())]
                } else {
                    u8::try_from(rng.below(256)).unwrap()
                };
                let keys = d.feed(b);
                assert!(keys.count() <= 2);
            }
            let _ = d.flush();
            let keys: Vec<Key> = "hé\x1b[A".bytes().flat_map(|b| d.feed(b)).collect();
            // A leftover CR may swallow nothing here (no LF follows), so this is exact.
            assert_eq!(keys, [Key::Char('h'), Key::Char('é'), Key::Up]);
        }
    }
}
