extern crate std;

use super::*;
use std::vec::Vec;

fn parse(s: &str) -> Vec<Action> {
    let mut p = Parser::new();
    s.chars().filter_map(|c| p.feed(c)).collect()
}

#[test]
fn text_and_controls() {
    use Action::*;
    assert_eq!(
        parse("a\tb\r\n\x08\x07c"),
        [
            Print('a'),
            Tab,
            Print('b'),
            CarriageReturn,
            Newline,
            Backspace,
            Print('c')
        ]
    );
}

#[test]
fn cursor_movement_and_erasing() {
    use Action::*;
    assert_eq!(
        parse("\x1b[A\x1b[3B\x1b[0C\x1b[12D\x1b[5;7H\x1b[H\x1b[K\x1b[2J\x1b[J"),
        [
            Up(1),
            Down(3),
            Right(1),
            Left(12),
            MoveTo(4, 6),
            MoveTo(0, 0),
            EraseToEndOfLine,
            ClearScreen
        ]
    );
}

#[test]
fn colours_accumulate_and_reset() {
    let mut p = Parser::new();
    for c in "\x1b[1;31;44m".chars() {
        p.feed(c);
    }
    assert_eq!(
        p.style(),
        Style {
            fg: Colour::Palette(1),
            bg: Colour::Palette(4),
            bold: true
        }
    );
    assert_eq!(
        parse("\x1b[96m"),
        [Action::Style(Style {
            fg: Colour::Palette(14),
            ..Style::default()
        })]
    );
    assert_eq!(
        parse("\x1b[1m\x1b[m"),
        [
            Action::Style(Style {
                bold: true,
                ..Style::default()
            }),
            Action::Style(Style::default())
        ]
    );
}

#[test]
fn unknown_and_broken_sequences_are_swallowed() {
    use Action::*;
    // OSC (title setting) is not drawn as text beyond its introducer; unknown finals vanish.
    assert_eq!(
        parse("\x1b[?25lX\x1b[99zY\x1bZW"),
        [Print('X'), Print('Y'), Print('W')]
    );
    // An interrupted sequence ends at the first byte that cannot belong to it.
    assert_eq!(parse("\x1b[12\nA"), [Print('A')]);
}

#[test]
fn huge_parameters_saturate() {
    assert_eq!(
        parse("\x1b[99999999999999A"),
        [Action::Up(u16::MAX as usize)]
    );
    assert_eq!(parse("\x1b[1;2;3;4;5;6;7;8;9;31m").len(), 1);
}

#[test]
fn random_input_never_panics_and_prints_no_controls() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut p = Parser::new();
    for _ in 0..200_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let c = match seed % 4 {
            0 => '\x1b',
            1 => char::from((seed >> 8) as u8 % 0x80),
            2 => char::from_u32((seed >> 16) as u32 % 0x11_0000).unwrap_or('?'),
            _ => ['[', ';', 'm', '0', '9', 'H'][(seed >> 8) as usize % 6],
        };
        if let Some(Action::Print(c)) = p.feed(c) {
            assert!(!c.is_control());
        }
    }
}
