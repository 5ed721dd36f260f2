//! A 5x7 bitmap font drawn for RustOS: digits, A-Z (lowercase is shown as uppercase) and
//! common punctuation — enough for scores, titles and "GAME OVER - PRESS ENTER".
//!
//! Each glyph is seven rows; bit 4 of a row is the leftmost pixel. Characters without a glyph
//! draw as `?`. Kept small because every game links it.
//!
//! The glyphs are written as one `match` (easy to read and edit) and turned into a table at
//! compile time: looking a character up is then one index instead of a walk through the match,
//! which matters when every frame draws a hundred characters through an interpreter.

/// Glyph width in pixels.
pub const GLYPH_W: i32 = 5;
/// Glyph height in pixels.
pub const GLYPH_H: i32 = 7;
/// Horizontal distance between characters at scale 1.
pub const ADVANCE: i32 = 6;
/// Vertical distance between lines at scale 1.
pub const LINE_HEIGHT: i32 = 9;

/// The seven row bitmaps of `c`, or `None` if the font has no glyph for it.
pub fn glyph(c: char) -> Option<[u8; 7]> {
    let i = (c as u32).wrapping_sub(FIRST as u32) as usize;
    match TABLE.get(i) {
        Some(g) if g[0] != NO_GLYPH => Some(*g),
        _ => None,
    }
}

/// The first character of [`TABLE`] (printable ASCII, `' '..='~'`).
const FIRST: char = ' ';
/// Row 0 of a table entry for a character without a glyph (real rows are below 32).
const NO_GLYPH: u8 = 0xff;
/// Every printable ASCII character's glyph, built from [`glyph_source`] at compile time.
static TABLE: [[u8; 7]; 95] = {
    let mut t = [[NO_GLYPH; 7]; 95];
    let mut i = 0;
    while i < t.len() {
        if let Some(c) = char::from_u32(FIRST as u32 + i as u32)
            && let Some(g) = glyph_source(c)
        {
            t[i] = g;
        }
        i += 1;
    }
    t
};

/// The font itself.
const fn glyph_source(c: char) -> Option<[u8; 7]> {
    Some(match c.to_ascii_uppercase() {
        ' ' => [0, 0, 0, 0, 0, 0, 0],
        '0' => [
            0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110,
        ],
        '1' => [
            0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
        '2' => [
            0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
        '3' => [
            0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,
        ],
        '4' => [
            0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,
        ],
        '5' => [
            0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,
        ],
        '6' => [
            0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,
        ],
        '7' => [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,
        ],
        '8' => [
            0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,
        ],
        '9' => [
            0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,
        ],
        'A' => [
            0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
        'B' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110,
        ],
        'C' => [
            0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110,
        ],
        'D' => [
            0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100,
        ],
        'E' => [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111,
        ],
        'F' => [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
        'G' => [
            0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111,
        ],
        'H' => [
            0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
        'I' => [
            0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
        'J' => [
            0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100,
        ],
        'K' => [
            0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001,
        ],
        'L' => [
            0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111,
        ],
        'M' => [
            0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001,
        ],
        'N' => [
            0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001,
        ],
        'O' => [
            0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
        'P' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
        'Q' => [
            0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101,
        ],
        'R' => [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001,
        ],
        'S' => [
            0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110,
        ],
        'T' => [
            0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
        'U' => [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
        'V' => [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100,
        ],
        'W' => [
            0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010,
        ],
        'X' => [
            0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001,
        ],
        'Y' => [
            0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
        'Z' => [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111,
        ],
        '.' => [0, 0, 0, 0, 0, 0b01100, 0b01100],
        ',' => [0, 0, 0, 0, 0b01100, 0b00100, 0b01000],
        ':' => [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        ';' => [0, 0b01100, 0b01100, 0, 0b01100, 0b00100, 0b01000],
        '!' => [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0, 0b00100],
        '?' => [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0, 0b00100],
        '-' => [0, 0, 0, 0b11111, 0, 0, 0],
        '+' => [0, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0],
        '=' => [0, 0, 0b11111, 0, 0b11111, 0, 0],
        '*' => [0, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0],
        '/' => [
            0b00001, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b10000,
        ],
        '(' => [
            0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010,
        ],
        ')' => [
            0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000,
        ],
        '[' => [
            0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110,
        ],
        ']' => [
            0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110,
        ],
        '<' => [
            0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010,
        ],
        '>' => [
            0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000,
        ],
        '\'' => [0b00100, 0b00100, 0b01000, 0, 0, 0, 0],
        '"' => [0b01010, 0b01010, 0b01010, 0, 0, 0, 0],
        '#' => [
            0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010,
        ],
        '%' => [
            0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011,
        ],
        '_' => [0, 0, 0, 0, 0, 0, 0b11111],
        '|' => [
            0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
        _ => return None,
    })
}

/// The glyph drawn for `c`: its own, or `?` when the font lacks it.
pub fn glyph_or_placeholder(c: char) -> [u8; 7] {
    glyph(c).or_else(|| glyph('?')).unwrap_or([0; 7])
}

/// Width in pixels of `text` drawn at `scale` (no trailing gap after the last character).
pub fn text_width(text: &str, scale: i32) -> i32 {
    let n = i32::try_from(text.chars().count()).unwrap_or(i32::MAX);
    if n == 0 {
        0
    } else {
        n.saturating_mul(ADVANCE)
            .saturating_sub(ADVANCE - GLYPH_W)
            .saturating_mul(scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_source() {
        for c in (0..0x200).filter_map(char::from_u32) {
            let from_source = if (' '..='~').contains(&c) {
                glyph_source(c)
            } else {
                None
            };
            assert_eq!(glyph(c), from_source, "{c:?}");
        }
    }

    #[test]
    fn glyphs_fit_in_five_columns() {
        for c in ' '..='~' {
            if let Some(g) = glyph(c) {
                assert!(g.iter().all(|row| *row < 32), "{c:?}");
            }
        }
    }

    #[test]
    fn coverage() {
        for c in ('0'..='9')
            .chain('A'..='Z')
            .chain('a'..='z')
            .chain(" .,:;!?-+=*/()[]<>'\"#%_|".chars())
        {
            assert!(glyph(c).is_some(), "{c:?}");
        }
        assert_eq!(glyph('a'), glyph('A'));
        assert!(glyph('~').is_none());
        assert!(glyph('\u{7f}').is_none() && glyph('\u{1f}').is_none() && glyph('é').is_none());
        assert_eq!(glyph_or_placeholder('~'), glyph('?').unwrap());
    }

    #[test]
    fn distinct_glyphs() {
        let chars: std::vec::Vec<char> = ('0'..='9').chain('A'..='Z').collect();
        for (i, a) in chars.iter().enumerate() {
            for b in &chars[i + 1..] {
                assert_ne!(glyph(*a), glyph(*b), "{a} and {b} look the same");
            }
        }
    }

    #[test]
    fn widths() {
        assert_eq!(text_width("", 1), 0);
        assert_eq!(text_width("A", 1), 5);
        assert_eq!(text_width("AB", 2), 22);
    }
}
