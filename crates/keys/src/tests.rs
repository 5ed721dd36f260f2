extern crate std;

use super::*;
use irq_ring::IrqRing;
use lineedit::Key;
use std::vec::Vec;

/// Scancode set 1 bytes for typing `s` on a US keyboard (lowercase letters, digits,
/// space), press then release per key.
fn type_us(s: &str) -> Vec<u8> {
    const ROW: &[(char, u8)] = &[
        ('1', 0x02),
        ('2', 0x03),
        ('3', 0x04),
        ('a', 0x1e),
        ('b', 0x30),
        ('c', 0x2e),
        ('d', 0x20),
        ('e', 0x12),
        ('h', 0x23),
        ('i', 0x17),
        ('k', 0x25),
        ('l', 0x26),
        ('o', 0x18),
        ('q', 0x10),
        ('v', 0x2f),
        ('w', 0x11),
        ('y', 0x15),
        ('z', 0x2c),
        (' ', 0x39),
    ];
    let mut out = Vec::new();
    for c in s.chars() {
        let code = ROW.iter().find(|(k, _)| *k == c).expect("key in table").1;
        out.extend([code, code | 0x80]);
    }
    out
}

/// Every event the filter lets through, with its urgency (an unbounded queue).
fn events(bytes: &[u8]) -> Vec<(Ps2Code, Urgency)> {
    let mut filter = Ps2Filter::new();
    let mut out = Vec::new();
    for &b in bytes {
        filter.feed(b, |c, u| {
            out.push((c, u));
            true
        });
    }
    out
}

fn decode_all(bytes: &[u8], dec: &mut Decoder) -> Vec<Key> {
    events(bytes)
        .into_iter()
        .filter_map(|(code, _)| dec.feed_ps2(code))
        .collect()
}

#[test]
fn decodes_letters_and_layouts() {
    let mut dec = Decoder::new();
    assert_eq!(dec.layout(), "us");
    assert_eq!(
        decode_all(&type_us("qwy"), &mut dec),
        [Key::Char('q'), Key::Char('w'), Key::Char('y')]
    );
    assert!(dec.set_layout("fr"));
    assert_eq!(dec.layout(), "fr");
    // AZERTY: the keys labelled Q, W on a US board type A, Z.
    assert_eq!(
        decode_all(&type_us("qw"), &mut dec),
        [Key::Char('a'), Key::Char('z')]
    );
    assert!(dec.set_layout("de"));
    assert_eq!(decode_all(&type_us("y"), &mut dec), [Key::Char('z')]);
    assert!(!dec.set_layout("klingon"));
    assert_eq!(dec.layout(), "de", "an unknown name changes nothing");
}

#[test]
fn ctrl_c_and_extended_keys() {
    let mut dec = Decoder::new();
    let mut bytes = std::vec![0x1d];
    bytes.extend(type_us("c"));
    bytes.push(0x9d);
    // Right Ctrl (E0 1D) + L, then the arrow keys (E0 48/50/4B/4D).
    bytes.extend([0xe0, 0x1d, 0x26, 0xa6, 0xe0, 0x9d]);
    bytes.extend([0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x4b, 0xe0, 0xcb]);
    let keys = decode_all(&bytes, &mut dec);
    assert_eq!(keys, [Key::CtrlC, Key::CtrlL, Key::Up, Key::Left]);
}

#[test]
fn every_layout_is_selectable_and_named() {
    let names = std::format!("{}", layout_names("|"));
    assert_eq!(names.split('|').count(), LAYOUTS.len());
    for l in LAYOUTS {
        let mut dec = Decoder::new();
        assert!(dec.set_layout(l.name), "{}", l.name);
        assert!(names.contains(l.name));
        assert!(!l.description.is_empty());
    }
}

#[test]
fn filter_keeps_prefix_and_code_together() {
    assert_eq!(
        events(&[0xe0, 0x48, 0xe0, 0xc8]),
        [
            (Ps2Code(0xe048), Urgency::Ordinary),
            (Ps2Code(0xe0c8), Urgency::Vital)
        ]
    );
    assert_eq!(Ps2Code(0xe0c8).bytes().collect::<Vec<_>>(), [0xe0, 0xc8]);
    assert_eq!(Ps2Code(0x1e).bytes().collect::<Vec<_>>(), [0x1e]);
}

#[test]
fn filter_ranks_releases_modifiers_and_ctrl_combinations() {
    let ranks: Vec<Urgency> = events(&[0x1e, 0x9e, 0x2a, 0x01, 0x1d, 0x2e, 0x9d, 0x2e])
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    use Urgency::{Ordinary, Vital};
    // a, a released, shift, esc, ctrl, c with ctrl held, ctrl released, c alone
    assert_eq!(
        ranks,
        [Ordinary, Vital, Vital, Vital, Vital, Vital, Vital, Ordinary]
    );
}

#[test]
fn releases_of_dropped_presses_are_dropped_and_owed_releases_are_paid() {
    let mut f = Ps2Filter::new();
    let mut queued = Vec::new();
    // The ring refuses ordinary presses: 'a' is dropped, so is its release.
    f.feed(0x1e, |_, u| u == Urgency::Vital);
    f.feed(0x9e, |c, _| {
        queued.push(c);
        true
    });
    assert!(queued.is_empty());
    // Shift is queued, then its release finds the ring full: it is owed...
    f.feed(0x2a, |_, _| true);
    f.feed(0xaa, |_, _| false);
    // ...and paid before the next key.
    f.feed(0x30, |c, _| {
        queued.push(c);
        true
    });
    assert_eq!(queued, [Ps2Code(0xaa), Ps2Code(0x30)]);
    // Controller answers (ack 0xFA, resend 0xFE) look like releases of keys never pressed.
    let mut any = false;
    f.feed(0xfa, |_, _| {
        any = true;
        true
    });
    assert!(!any);
}

/// What the kernel does: the interrupt handler pushes through the filter into a ring that
/// the shell drains more slowly than a flood arrives; then Ctrl-C and a command are typed.
fn flood_then_ctrl_c(filtered: bool) -> Vec<Key> {
    let ring: IrqRing<Ps2Code, 256> = IrqRing::new();
    let mut filter = Ps2Filter::new();
    let mut bytes = Vec::new();
    // A flood with Shift and Ctrl pressed and released in it, as a typist would.
    for i in 0..5000 {
        match i % 50 {
            10 => bytes.extend([0x2a, 0x1e, 0x9e, 0xaa]), // Shift+a
            20 => bytes.extend([0x1d, 0x20, 0xa0, 0x9d]), // Ctrl+d
            _ => bytes.extend(type_us("b")),
        }
    }
    bytes.extend([0x1d, 0x2e, 0xae, 0x9d]); // Ctrl-C
    bytes.extend(type_us("echo"));
    // The shell drains one event per eight bytes that arrive: slower than the flood.
    let mut dec = Decoder::new();
    let mut keys = Vec::new();
    for (i, b) in bytes.into_iter().enumerate() {
        filter.feed(b, |code, urgency| {
            let reserve = if filtered {
                urgency.reserve(ring.capacity())
            } else {
                0
            };
            ring.push_keeping(code, reserve).is_ok()
        });
        if i % 8 == 0 {
            keys.extend(ring.pop().and_then(|c| dec.feed_ps2(c)));
        }
    }
    keys.extend(core::iter::from_fn(|| ring.pop()).filter_map(|c| dec.feed_ps2(c)));
    // Once drained, the user types again: no modifier may be stuck.
    for b in type_us("ok") {
        filter.feed(b, |c, _| {
            keys.extend(dec.feed_ps2(c));
            true
        });
    }
    keys
}

#[test]
fn after_a_flood_ctrl_c_arrives_and_no_modifier_sticks() {
    let keys = flood_then_ctrl_c(true);
    assert!(keys.contains(&Key::CtrlC), "Ctrl-C survived the flood");
    assert_eq!(
        &keys[keys.len() - 2..],
        [Key::Char('o'), Key::Char('k')],
        "{:?}",
        &keys[keys.len().saturating_sub(8)..]
    );
}

/// The same flood without the reserve loses Ctrl-C: the test above can fail.
#[test]
fn without_the_reserve_the_flood_swallows_ctrl_c() {
    let keys = flood_then_ctrl_c(false);
    assert!(!keys.contains(&Key::CtrlC));
}

#[test]
fn random_bytes_never_panic_and_releases_always_fit() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ring: IrqRing<Ps2Code, 64> = IrqRing::new();
    let mut filter = Ps2Filter::new();
    let mut dec = Decoder::new();
    for round in 0..200_000u32 {
        let b = next() as u8;
        filter.feed(b, |code, urgency| {
            let before = ring.free();
            let ok = ring.push_keeping(code, urgency.reserve(64)).is_ok();
            if urgency == Urgency::Vital {
                assert_eq!(
                    ok,
                    before > 0,
                    "a vital event is refused only by a full ring"
                );
            }
            ok
        });
        if round % 3 == 0
            && let Some(c) = ring.pop()
        {
            let _ = dec.feed_ps2(c);
        }
    }
}

#[test]
fn usb_style_events_use_the_same_decoder() {
    let mut dec = Decoder::new();
    let down = |code| KeyEvent::new(code, KeyState::Down);
    let up = |code| KeyEvent::new(code, KeyState::Up);
    assert_eq!(dec.feed_event(down(KeyCode::LShift)), None);
    assert_eq!(dec.feed_event(down(KeyCode::A)), Some(Key::Char('A')));
    assert_eq!(dec.feed_event(up(KeyCode::A)), None);
    assert_eq!(dec.feed_event(up(KeyCode::LShift)), None);
    assert_eq!(dec.feed_event(down(KeyCode::A)), Some(Key::Char('a')));
    assert!(dec.set_layout("fr"));
    assert_eq!(dec.feed_event(down(KeyCode::Q)), Some(Key::Char('a')));
}
