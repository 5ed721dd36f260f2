//! Which PS/2 key events must survive a full input ring.
//!
//! A flood of keys (a stuck key, a paste through a KVM switch, a test driver) can fill the
//! ring between the keyboard interrupt and the shell. Dropping bytes blindly there breaks
//! things for good: a lost *release* of Ctrl leaves Ctrl held, so every later letter
//! becomes a control key; a lost Ctrl-C means the user cannot interrupt. So the interrupt
//! handler groups bytes into whole key events (a prefix byte and its code travel
//! together, so a ring never holds half an event) and ranks them: releases, modifiers,
//! Esc and anything typed with Ctrl held are [`Urgency::Vital`] and may use the reserve
//! kept at the end of the ring; ordinary presses are [`Urgency::Ordinary`] and are the
//! ones dropped when the ring is nearly full.

/// One set-1 key code with its prefix (0, 0xE0 or 0xE1) in the high byte: the unit the
/// ring stores, so an event is kept or dropped whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ps2Code(pub u16);

impl Ps2Code {
    /// The bytes as the keyboard sent them.
    pub fn bytes(self) -> impl Iterator<Item = u8> {
        let prefix = (self.0 >> 8) as u8;
        (prefix != 0)
            .then_some(prefix)
            .into_iter()
            .chain(core::iter::once(self.0 as u8))
    }

    fn code(self) -> u8 {
        self.0 as u8
    }

    fn extended(self) -> bool {
        self.0 >> 8 == 0xe0
    }

    fn is_release(self) -> bool {
        self.code() & 0x80 != 0
    }
}

/// How much a key event matters when the ring is nearly full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    /// Releases, modifiers, Esc, keys typed with Ctrl held: may use the reserve.
    Vital,
    /// Ordinary key presses: dropped first.
    Ordinary,
}

impl Urgency {
    /// Slots that must stay free for an event of this urgency to be queued, for a ring
    /// of `capacity`: a quarter of the ring is kept for vital events.
    pub fn reserve(self, capacity: usize) -> usize {
        match self {
            Urgency::Vital => 0,
            Urgency::Ordinary => capacity / 4,
        }
    }
}

/// Groups PS/2 bytes into key events, ranks them and remembers which presses were
/// queued. Runs in the interrupt handler: no allocation, constant time.
///
/// A release matters only if its press was queued (the decoder never saw the others), so
/// releases of dropped presses are dropped too, and a release that finds the ring full
/// is owed: it is queued before anything else on the next interrupt, so no key can stay
/// held in the decoder's eyes.
#[derive(Default)]
pub struct Ps2Filter {
    prefix: u8,
    ctrl_held: [bool; 2],
    /// Keys whose press is queued and whose release is not, by [`key_index`].
    down: [u64; 4],
    /// Keys released while the ring was full.
    owed: [u64; 4],
}

// Set-1 codes (make codes; the release is the same | 0x80).
const ESC: u8 = 0x01;
const CTRL: u8 = 0x1d; // left Ctrl; right Ctrl with the 0xE0 prefix
const LSHIFT: u8 = 0x2a;
const RSHIFT: u8 = 0x36;
const ALT: u8 = 0x38; // left Alt; AltGr with the 0xE0 prefix
const CAPS: u8 = 0x3a;
const NUM: u8 = 0x45;
const LWIN: u8 = 0x5b; // with 0xE0
const RWIN: u8 = 0x5c; // with 0xE0

/// A key's place in the 256-bit sets: the make code, plus 128 for extended keys.
fn key_index(code: Ps2Code) -> usize {
    usize::from(code.code() & 0x7f) | if code.extended() { 0x80 } else { 0 }
}

fn bit(set: &mut [u64; 4], i: usize) -> (&mut u64, u64) {
    (&mut set[i / 64], 1u64 << (i % 64))
}

impl Ps2Filter {
    pub const fn new() -> Self {
        Self {
            prefix: 0,
            ctrl_held: [false; 2],
            down: [0; 4],
            owed: [0; 4],
        }
    }

    /// Feeds one byte from the keyboard. When it completes a key event, offers the event
    /// (and any owed releases first) to `push`, which queues it honouring the urgency and
    /// returns whether it did.
    pub fn feed(&mut self, byte: u8, mut push: impl FnMut(Ps2Code, Urgency) -> bool) {
        if byte == 0xe0 || byte == 0xe1 {
            self.prefix = byte;
            return;
        }
        let prefix = core::mem::take(&mut self.prefix);
        self.pay_owed(&mut push);
        let code = Ps2Code(u16::from(prefix) << 8 | u16::from(byte));
        let make = code.code() & 0x7f;
        if make == CTRL {
            self.ctrl_held[usize::from(code.extended())] = !code.is_release();
        }
        let key = key_index(code);
        if code.is_release() {
            let (word, mask) = bit(&mut self.down, key);
            if *word & mask == 0 {
                return; // its press never reached the decoder (or not a key: 0xFA, 0xFE)
            }
            if push(code, Urgency::Vital) {
                *word &= !mask;
            } else {
                let (owed, mask) = bit(&mut self.owed, key);
                *owed |= mask;
            }
            return;
        }
        let modifier = matches!(make, CTRL | LSHIFT | RSHIFT | ALT | CAPS | NUM)
            || (code.extended() && matches!(make, LWIN | RWIN));
        let vital = modifier || make == ESC || self.ctrl_held.iter().any(|&h| h);
        let urgency = if vital {
            Urgency::Vital
        } else {
            Urgency::Ordinary
        };
        if push(code, urgency) {
            let (word, mask) = bit(&mut self.down, key);
            *word |= mask;
        }
        // A press after an owed release (the key went down again): the owed release is
        // still sent first next time, keeping press/release pairs in order.
    }

    /// Queues owed releases, oldest key index first, until one does not fit.
    fn pay_owed(&mut self, push: &mut impl FnMut(Ps2Code, Urgency) -> bool) {
        for w in 0..4 {
            while self.owed[w] != 0 {
                let key = w * 64 + self.owed[w].trailing_zeros() as usize;
                let prefix = if key >= 0x80 { 0xe000 } else { 0 };
                let code = Ps2Code(prefix | (key as u16 & 0x7f) | 0x80);
                if !push(code, Urgency::Vital) {
                    return;
                }
                let (owed, mask) = bit(&mut self.owed, key);
                *owed &= !mask;
                let (down, mask) = bit(&mut self.down, key);
                *down &= !mask;
            }
        }
    }
}
