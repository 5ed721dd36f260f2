//! Key helpers every game wants: arrows *or* WASD as a direction, case-insensitive letters.

use wasm_abi::Key;

/// A direction on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
    Left,
    Right,
}

impl Dir {
    /// `(dx, dy)` with y growing downwards.
    pub const fn delta(self) -> (i32, i32) {
        match self {
            Dir::Up => (0, -1),
            Dir::Down => (0, 1),
            Dir::Left => (-1, 0),
            Dir::Right => (1, 0),
        }
    }

    /// The reverse direction.
    pub const fn opposite(self) -> Dir {
        match self {
            Dir::Up => Dir::Down,
            Dir::Down => Dir::Up,
            Dir::Left => Dir::Right,
            Dir::Right => Dir::Left,
        }
    }
}

/// Convenience queries on [`Key`].
pub trait KeyExt {
    /// Arrow keys and W/A/S/D (either case) as a direction.
    fn dir(self) -> Option<Dir>;
    /// True for the letter `c` typed with or without shift.
    fn is_letter(&self, c: char) -> bool;
}

impl KeyExt for Key {
    fn dir(self) -> Option<Dir> {
        match self {
            Key::Up => Some(Dir::Up),
            Key::Down => Some(Dir::Down),
            Key::Left => Some(Dir::Left),
            Key::Right => Some(Dir::Right),
            Key::Char(c) => match c.to_ascii_lowercase() {
                'w' => Some(Dir::Up),
                's' => Some(Dir::Down),
                'a' => Some(Dir::Left),
                'd' => Some(Dir::Right),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_letter(&self, c: char) -> bool {
        matches!(self, Key::Char(k) if k.eq_ignore_ascii_case(&c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasd_and_arrows() {
        assert_eq!(Key::Up.dir(), Some(Dir::Up));
        assert_eq!(Key::Char('W').dir(), Some(Dir::Up));
        assert_eq!(Key::Char('a').dir(), Some(Dir::Left));
        assert_eq!(Key::Char('x').dir(), None);
        assert_eq!(Key::Enter.dir(), None);
        assert!(Key::Char('R').is_letter('r'));
        assert!(!Key::Enter.is_letter('r'));
        assert_eq!(Dir::Left.opposite(), Dir::Right);
        assert_eq!(Dir::Up.delta(), (0, -1));
    }
}
