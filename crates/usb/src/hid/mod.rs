//! HID boot-protocol keyboards: 8-byte reports to key press and release events.
//!
//! A boot report is a snapshot, not an event: byte 0 holds the eight modifier keys as
//! bits, byte 1 is reserved, bytes 2..8 list up to six other keys held down. Events come
//! from comparing each report with the previous one. Reports where a slot holds one of the
//! error codes 0x01..=0x03 (ErrorRollOver: too many keys; POSTFail; ErrorUndefined) say
//! nothing about which keys are down, so they are ignored and the previous state is kept.
//! A usage listed twice counts once. The events are `pc_keyboard::KeyEvent`s, the same
//! type the PS/2 scancode decoder produces, so one decoder (with the current layout)
//! serves both keyboards.

mod keymap;
mod repeat;

pub use keymap::usage_to_keycode;
pub use repeat::{DELAY_MS, PERIOD_MS, Repeater};

use pc_keyboard::{KeyCode, KeyEvent, KeyState};

/// Why a report was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportError {
    /// Fewer than 3 bytes (modifiers, reserved, one key slot).
    TooShort(usize),
    /// A slot held ErrorRollOver, POSTFail or ErrorUndefined: the state is unknown.
    Phantom,
}

/// A set of usages (0..=255) as a bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct UsageSet([u32; 8]);

impl UsageSet {
    fn insert(&mut self, u: u8) {
        self.0[usize::from(u / 32)] |= 1 << (u % 32);
    }
    fn contains(&self, u: u8) -> bool {
        self.0[usize::from(u / 32)] & (1 << (u % 32)) != 0
    }
    fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&u| self.contains(u))
    }
}

/// First usage of the modifier keys; bit `i` of the modifier byte is usage `0xE0 + i`.
const MODIFIER_BASE: u8 = 0xe0;

fn is_modifier_usage(u: u8) -> bool {
    (MODIFIER_BASE..=MODIFIER_BASE + 7).contains(&u)
}

/// At most 8 modifiers and 6 other keys change state in each direction.
const MAX_EVENTS: usize = 2 * (8 + 6);

/// The events one report produced, in the order they should be decoded.
#[derive(Debug, Clone)]
pub struct Events {
    buf: [(KeyCode, KeyState); MAX_EVENTS],
    len: usize,
}

impl Events {
    fn new() -> Self {
        Self {
            buf: [(KeyCode::Unknown, KeyState::Up); MAX_EVENTS],
            len: 0,
        }
    }

    fn push(&mut self, usage: u8, state: KeyState) {
        if let Some(code) = usage_to_keycode(usage)
            && self.len < MAX_EVENTS
        {
            self.buf[self.len] = (code, state);
            self.len += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = KeyEvent> + '_ {
        self.buf[..self.len]
            .iter()
            .map(|&(code, state)| KeyEvent::new(code, state))
    }
}

/// One keyboard's state: which usages are down after the last accepted report.
#[derive(Debug, Clone, Default)]
pub struct BootKeyboard {
    down: UsageSet,
}

impl BootKeyboard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next report and returns what changed: releases before presses (keys, then
    /// modifiers; then modifiers, then keys in the order the report lists them), so that
    /// a report going from Shift+A to B types an unshifted B.
    pub fn update(&mut self, report: &[u8]) -> Result<Events, ReportError> {
        if report.len() < 3 {
            return Err(ReportError::TooShort(report.len()));
        }
        let slots = &report[2..report.len().min(8)];
        if slots.iter().any(|&u| (0x01..=0x03).contains(&u)) {
            return Err(ReportError::Phantom);
        }
        let mut now = UsageSet::default();
        for bit in 0..8 {
            if report[0] & (1 << bit) != 0 {
                now.insert(MODIFIER_BASE + bit);
            }
        }
        for &u in slots.iter().filter(|&&u| u != 0) {
            now.insert(u);
        }
        let mut ev = Events::new();
        let before = self.down;
        for u in before
            .iter()
            .filter(|&u| !now.contains(u) && !is_modifier_usage(u))
        {
            ev.push(u, KeyState::Up);
        }
        for u in before
            .iter()
            .filter(|&u| !now.contains(u) && is_modifier_usage(u))
        {
            ev.push(u, KeyState::Up);
        }
        for u in now
            .iter()
            .filter(|&u| !before.contains(u) && is_modifier_usage(u))
        {
            ev.push(u, KeyState::Down);
        }
        let mut pressed = UsageSet::default();
        for &u in slots {
            if u != 0 && !is_modifier_usage(u) && !before.contains(u) && !pressed.contains(u) {
                pressed.insert(u);
                ev.push(u, KeyState::Down);
            }
        }
        self.down = now;
        Ok(ev)
    }

    /// Releases everything held (the keyboard was unplugged): no key or modifier stays
    /// stuck down in the shared decoder.
    pub fn release_all(&mut self) -> Events {
        self.update(&[0; 8]).unwrap_or_else(|_| Events::new())
    }
}

/// Modifiers and lock keys: they never auto-repeat.
pub fn is_modifier_or_lock(code: KeyCode) -> bool {
    use KeyCode::*;
    matches!(
        code,
        LShift
            | RShift
            | LControl
            | RControl
            | LAlt
            | RAltGr
            | LWin
            | RWin
            | CapsLock
            | NumpadLock
            | ScrollLock
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyState::{Down, Up};
    use alloc::vec::Vec;

    fn run(kb: &mut BootKeyboard, report: &[u8]) -> Vec<(KeyCode, KeyState)> {
        kb.update(report)
            .unwrap()
            .iter()
            .map(|e| (e.code, e.state))
            .collect()
    }

    #[test]
    fn press_and_release() {
        let mut kb = BootKeyboard::new();
        assert_eq!(
            run(&mut kb, &[0, 0, 0x04, 0, 0, 0, 0, 0]),
            [(KeyCode::A, Down)]
        );
        // The same report again (a keyboard with SET_IDLE ignored): nothing new.
        assert!(run(&mut kb, &[0, 0, 0x04, 0, 0, 0, 0, 0]).is_empty());
        assert_eq!(
            run(&mut kb, &[0, 0, 0x04, 0x05, 0, 0, 0, 0]),
            [(KeyCode::B, Down)]
        );
        assert_eq!(
            run(&mut kb, &[0, 0, 0x05, 0, 0, 0, 0, 0]),
            [(KeyCode::A, Up)]
        );
        assert_eq!(run(&mut kb, &[0; 8]), [(KeyCode::B, Up)]);
    }

    #[test]
    fn modifiers_are_eight_keys() {
        let mut kb = BootKeyboard::new();
        assert_eq!(
            run(&mut kb, &[0b0000_0010, 0, 0x04, 0, 0, 0, 0, 0]),
            [(KeyCode::LShift, Down), (KeyCode::A, Down)]
        );
        // Shift released, B pressed, A released: releases first, unshifted B last.
        assert_eq!(
            run(&mut kb, &[0, 0, 0x05, 0, 0, 0, 0, 0]),
            [(KeyCode::A, Up), (KeyCode::LShift, Up), (KeyCode::B, Down)]
        );
        let all = run(&mut kb, &[0xff, 0, 0x05, 0, 0, 0, 0, 0]);
        assert_eq!(
            all,
            [
                (KeyCode::LControl, Down),
                (KeyCode::LShift, Down),
                (KeyCode::LAlt, Down),
                (KeyCode::LWin, Down),
                (KeyCode::RControl, Down),
                (KeyCode::RShift, Down),
                (KeyCode::RAltGr, Down),
                (KeyCode::RWin, Down),
            ]
        );
        // Ctrl+C as the shell needs it.
        let mut kb = BootKeyboard::new();
        assert_eq!(
            run(&mut kb, &[0x01, 0, 0x06, 0, 0, 0, 0, 0]),
            [(KeyCode::LControl, Down), (KeyCode::C, Down)]
        );
        assert_eq!(kb.release_all().len(), 2);
        assert!(kb.release_all().is_empty());
    }

    #[test]
    fn rollover_keeps_report_order() {
        let mut kb = BootKeyboard::new();
        let ev = run(&mut kb, &[0, 0, 0x1d, 0x04, 0x1e, 0x2c, 0x28, 0x2a]);
        let codes: Vec<KeyCode> = ev.iter().map(|e| e.0).collect();
        assert_eq!(
            codes,
            [
                KeyCode::Z,
                KeyCode::A,
                KeyCode::Key1,
                KeyCode::Spacebar,
                KeyCode::Return,
                KeyCode::Backspace
            ]
        );
        // Keys move between slots: no events.
        assert!(run(&mut kb, &[0, 0, 0x2a, 0x28, 0x2c, 0x1e, 0x04, 0x1d]).is_empty());
    }

    #[test]
    fn error_rollover_and_garbage_slots_are_ignored() {
        let mut kb = BootKeyboard::new();
        run(&mut kb, &[0, 0, 0x04, 0, 0, 0, 0, 0]);
        assert_eq!(
            kb.update(&[0, 0, 1, 1, 1, 1, 1, 1]).unwrap_err(),
            ReportError::Phantom
        );
        assert_eq!(
            kb.update(&[0x02, 0, 1, 1, 1, 1, 1, 1]).unwrap_err(),
            ReportError::Phantom
        );
        assert_eq!(
            kb.update(&[0, 0, 0x04, 2, 0, 0, 0, 0]).unwrap_err(),
            ReportError::Phantom
        );
        // The state from before the rollover stands: A is still down, nothing repeats.
        assert!(run(&mut kb, &[0, 0, 0x04, 0, 0, 0, 0, 0]).is_empty());
        assert_eq!(kb.update(&[0, 0]).unwrap_err(), ReportError::TooShort(2));
        assert_eq!(kb.update(&[]).unwrap_err(), ReportError::TooShort(0));
    }

    #[test]
    fn duplicates_short_and_long_reports() {
        let mut kb = BootKeyboard::new();
        assert_eq!(
            run(&mut kb, &[0, 0, 0x04, 0x04, 0x04, 0, 0, 0]),
            [(KeyCode::A, Down)]
        );
        // One copy gone, another left: still held.
        assert!(run(&mut kb, &[0, 0, 0, 0x04, 0, 0, 0, 0]).is_empty());
        // A 3-byte report (one slot) and a 12-byte one (bytes past 8 ignored).
        assert_eq!(
            run(&mut kb, &[0, 0, 0x05]),
            [(KeyCode::A, Up), (KeyCode::B, Down)]
        );
        assert_eq!(
            run(
                &mut kb,
                &[0, 0, 0x05, 0, 0, 0, 0, 0, 0x06, 0x07, 0x08, 0x09]
            ),
            []
        );
        // A modifier usage in a key slot counts as that modifier.
        assert_eq!(
            run(&mut kb, &[0, 0, 0x05, 0xe1, 0, 0, 0, 0]),
            [(KeyCode::LShift, Down)]
        );
        assert_eq!(run(&mut kb, &[0x02, 0, 0x05, 0, 0, 0, 0, 0]), []);
        // Unmapped usages change the state silently.
        assert_eq!(run(&mut kb, &[0x02, 0, 0x05, 0x66, 0, 0, 0, 0]), []);
        assert_eq!(run(&mut kb, &[0x02, 0, 0x05, 0, 0, 0, 0, 0]), []);
    }

    /// Random reports: never a panic, and the events always keep the decoder consistent:
    /// no key released that was not down, no key pressed twice.
    #[test]
    fn random_reports_keep_state_consistent() {
        let mut rng = wasm_abi::Rng::new(42);
        let mut kb = BootKeyboard::new();
        let mut held: Vec<KeyCode> = Vec::new();
        for _ in 0..50_000 {
            let len = (rng.next_u32() % 12) as usize;
            let report: Vec<u8> = (0..len)
                .map(|_| match rng.next_u32() % 4 {
                    0 => 0,
                    1 => 0x04 + (rng.next_u32() % 8) as u8,
                    2 => 0xe0 + (rng.next_u32() % 8) as u8,
                    _ => rng.next_u32() as u8,
                })
                .collect();
            let Ok(events) = kb.update(&report) else {
                continue;
            };
            for e in events.iter() {
                match e.state {
                    Down => {
                        // The ANSI/ISO twin usages share a code; both may be down.
                        if e.code != KeyCode::Oem7 {
                            assert!(!held.contains(&e.code), "{:?} pressed twice", e.code);
                        }
                        held.push(e.code);
                    }
                    Up => {
                        let i = held.iter().position(|&c| c == e.code);
                        if e.code != KeyCode::Oem7 {
                            assert!(i.is_some(), "{:?} released while up", e.code);
                        }
                        if let Some(i) = i {
                            held.remove(i);
                        }
                    }
                    KeyState::SingleShot => unreachable!(),
                }
            }
        }
        let released = kb.release_all().len();
        assert!(released <= MAX_EVENTS);
    }
}
