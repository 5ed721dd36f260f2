//! Software auto-repeat for USB keyboards.
//!
//! A PS/2 keyboard repeats a held key by itself (typematic); a USB keyboard only reports
//! that the key is still down, so the host repeats it. Like PC keyboards: after
//! [`DELAY_MS`] the last pressed key repeats every [`PERIOD_MS`]; modifiers and lock keys
//! never repeat; releasing the repeating key, or pressing another, ends it. Time is passed
//! in (milliseconds from any fixed origin), which keeps this a pure state machine.

use super::is_modifier_or_lock;
use pc_keyboard::{KeyCode, KeyEvent, KeyState};

/// Time from press to the first repeat.
pub const DELAY_MS: u64 = 500;
/// Time between repeats (about 30 per second).
pub const PERIOD_MS: u64 = 33;

/// The repeat state of one keyboard.
#[derive(Debug, Clone, Default)]
pub struct Repeater {
    key: Option<KeyCode>,
    next_ms: u64,
}

impl Repeater {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the repeater about a real event from the keyboard, received at `now_ms`.
    pub fn on_event(&mut self, ev: &KeyEvent, now_ms: u64) {
        match ev.state {
            KeyState::Down if !is_modifier_or_lock(ev.code) => {
                self.key = Some(ev.code);
                self.next_ms = now_ms.saturating_add(DELAY_MS);
            }
            KeyState::Up if self.key == Some(ev.code) => self.key = None,
            _ => {}
        }
    }

    /// Stops repeating (the keyboard went away).
    pub fn stop(&mut self) {
        self.key = None;
    }

    /// When the next repeat is due, if a key is repeating.
    pub fn deadline(&self) -> Option<u64> {
        self.key.map(|_| self.next_ms)
    }

    /// A repeated press if one is due at `now_ms`. At most one per call: when polled late,
    /// the schedule restarts from now instead of delivering a burst of stale repeats.
    pub fn poll(&mut self, now_ms: u64) -> Option<KeyEvent> {
        let key = self.key?;
        if now_ms < self.next_ms {
            return None;
        }
        self.next_ms = if now_ms - self.next_ms >= PERIOD_MS {
            now_ms.saturating_add(PERIOD_MS)
        } else {
            self.next_ms.saturating_add(PERIOD_MS)
        };
        Some(KeyEvent::new(key, KeyState::Down))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyState::Down)
    }
    fn up(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyState::Up)
    }

    /// Polls every millisecond from `from` to `to` (exclusive); returns the repeat times.
    fn repeats(r: &mut Repeater, from: u64, to: u64) -> alloc::vec::Vec<u64> {
        (from..to).filter(|&t| r.poll(t).is_some()).collect()
    }

    #[test]
    fn delay_then_rate() {
        let mut r = Repeater::new();
        r.on_event(&down(KeyCode::A), 1000);
        assert_eq!(r.deadline(), Some(1500));
        let times = repeats(&mut r, 1000, 2500);
        assert_eq!(times[0], 1500);
        assert_eq!(times[1], 1533);
        // About 30 per second after the delay.
        assert!((29..=31).contains(&times.len()), "{} repeats", times.len());
        assert_eq!(r.poll(2600), Some(down(KeyCode::A)));
        r.on_event(&up(KeyCode::A), 2601);
        assert!(repeats(&mut r, 2601, 5000).is_empty());
        assert_eq!(r.deadline(), None);
    }

    #[test]
    fn last_key_wins_and_other_releases_do_not_stop() {
        let mut r = Repeater::new();
        r.on_event(&down(KeyCode::A), 0);
        r.on_event(&down(KeyCode::B), 300);
        // A's timer is gone: B repeats 500 ms after its own press.
        assert!(repeats(&mut r, 0, 800).is_empty());
        assert_eq!(r.poll(800), Some(down(KeyCode::B)));
        // Releasing A (not repeating) changes nothing.
        r.on_event(&up(KeyCode::A), 810);
        assert_eq!(r.poll(833), Some(down(KeyCode::B)));
        r.on_event(&up(KeyCode::B), 840);
        assert!(repeats(&mut r, 840, 3000).is_empty());
    }

    #[test]
    fn modifiers_and_locks_never_repeat() {
        let mut r = Repeater::new();
        for code in [
            KeyCode::LShift,
            KeyCode::RControl,
            KeyCode::CapsLock,
            KeyCode::NumpadLock,
        ] {
            r.on_event(&down(code), 0);
        }
        assert!(repeats(&mut r, 0, 2000).is_empty());
        // Shift held while a letter repeats: the letter keeps repeating.
        r.on_event(&down(KeyCode::X), 2000);
        r.on_event(&down(KeyCode::LShift), 2100);
        r.on_event(&up(KeyCode::LShift), 2200);
        assert_eq!(r.poll(2500), Some(down(KeyCode::X)));
        r.stop();
        assert_eq!(r.poll(9000), None);
    }

    #[test]
    fn late_polls_do_not_burst() {
        let mut r = Repeater::new();
        r.on_event(&down(KeyCode::Spacebar), 0);
        assert!(r.poll(5000).is_some());
        assert!(r.poll(5000).is_none());
        assert!(r.poll(5032).is_none());
        assert!(r.poll(5033).is_some());
        // Near the end of time, nothing overflows.
        r.on_event(&down(KeyCode::A), u64::MAX - 600);
        assert!(r.poll(u64::MAX - 100).is_some());
        assert!(r.poll(u64::MAX - 100).is_none());
        r.on_event(&down(KeyCode::B), u64::MAX - 10);
        assert!(r.poll(u64::MAX).is_some());
    }
}
