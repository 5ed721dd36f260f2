//! One stream of keys from every input device: the PS/2 keyboard, USB keyboards and the
//! serial line.
//!
//! The interrupt handlers and the USB task only queue raw events; decoding happens here,
//! in task context: PS/2 codes and USB key events through one `keys::Decoder` with the
//! current layout, serial bytes through the
//! line editor's terminal decoder (CR is Enter, DEL/BS are Backspace, ANSI arrows are
//! arrows). The shell and the games read keys from here and do not care where they came
//! from. The time stamps of keystrokes (for the latency benchmark) are kept here too.

use crate::drivers::{keyboard, serial, usb};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll};
use futures_util::{Stream, StreamExt};
use lineedit::{Key, SerialDecoder};
use spin::Mutex;

struct State {
    keyboard: keys::Decoder,
    serial: SerialDecoder,
    pending: VecDeque<Key>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// TSC of the interrupt that delivered the last key decoded from the PS/2 keyboard, until
/// the shell takes it (keystroke-to-echo latency).
static KEY_IRQ_TSC: AtomicU64 = AtomicU64::new(0);

/// Like [`KEY_IRQ_TSC`], for USB keys: the TSC when the USB task queued the key's event.
static KEY_USB_TSC: AtomicU64 = AtomicU64::new(0);

/// Which keyboard a timed key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ps2,
    Usb,
}

/// Takes the arrival time of the last keyboard key (PS/2 or USB), if one arrived since
/// the last call.
pub fn take_keyboard_key_tsc() -> Option<(Source, u64)> {
    match KEY_IRQ_TSC.swap(0, Ordering::Relaxed) {
        0 => match KEY_USB_TSC.swap(0, Ordering::Relaxed) {
            0 => None,
            t => Some((Source::Usb, t)),
        },
        t => Some((Source::Ps2, t)),
    }
}

/// Keystroke-to-echo latencies (microseconds) of the last PS/2 and USB keys, for
/// `bench keys`.
static LATENCY: Mutex<VecDeque<u64>> = Mutex::new(VecDeque::new());
static USB_LATENCY: Mutex<VecDeque<u64>> = Mutex::new(VecDeque::new());

/// Records that the key from `source` that arrived at TSC `tsc` has just been echoed.
pub fn record_echo(source: Source, tsc: u64) {
    let us = crate::arch::clock::tsc_to_us(crate::arch::clock::rdtsc().saturating_sub(tsc));
    let mut l = match source {
        Source::Ps2 => LATENCY.lock(),
        Source::Usb => USB_LATENCY.lock(),
    };
    if l.len() >= 256 {
        l.pop_front();
    }
    l.push_back(us);
}

/// The recorded keystroke-to-echo latencies of one keyboard kind, oldest first.
pub fn latency_samples(source: Source) -> Vec<u64> {
    match source {
        Source::Ps2 => LATENCY.lock().iter().copied().collect(),
        Source::Usb => USB_LATENCY.lock().iter().copied().collect(),
    }
}

/// Sets up decoding; the drivers' `init` must have run.
pub fn init() {
    *STATE.lock() = Some(State {
        keyboard: keys::Decoder::new(),
        serial: SerialDecoder::new(),
        pending: VecDeque::new(),
    });
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.lock().as_mut().map(f)
}

/// The next key already received, without waiting.
pub fn try_key() -> Option<Key> {
    with_state(|st| {
        if let Some(k) = st.pending.pop_front() {
            return Some(k);
        }
        while let Some(code) = keyboard::RING.pop() {
            if let Some(k) = st.keyboard.feed_ps2(code) {
                // Typing is slow next to the interrupt, so the last IRQ is this key's.
                KEY_IRQ_TSC.store(
                    keyboard::LAST_IRQ_TSC.load(Ordering::Relaxed),
                    Ordering::Relaxed,
                );
                return Some(k);
            }
        }
        while let Some(ev) = usb::pop_key_event() {
            if let Some(k) = st.keyboard.feed_event(ev) {
                KEY_USB_TSC.store(
                    usb::LAST_EVENT_TSC.load(Ordering::Relaxed),
                    Ordering::Relaxed,
                );
                return Some(k);
            }
        }
        while let Some(b) = serial::input::pop() {
            st.pending.extend(st.serial.feed(b));
            if let Some(k) = st.pending.pop_front() {
                return Some(k);
            }
        }
        None
    })
    .flatten()
}

/// Keys decoded ahead of time and not yet read are kept, up to this many.
const MAX_PENDING: usize = 4096;

/// Whether Ctrl-C was typed since the last key was read: decodes what has arrived
/// (keeping it for [`try_key`]) and, if a Ctrl-C is among it, drops it and the keys typed
/// before it, as a terminal's interrupt does. Long-running commands call this between
/// pieces of work.
pub fn interrupt_requested() -> bool {
    with_state(|st| {
        while let Some(code) = keyboard::RING.pop() {
            st.pending.extend(st.keyboard.feed_ps2(code));
        }
        while let Some(b) = serial::input::pop() {
            st.pending.extend(st.serial.feed(b));
        }
        while st.pending.len() > MAX_PENDING {
            st.pending.pop_front();
        }
        match st.pending.iter().position(|k| *k == Key::CtrlC) {
            Some(i) => {
                st.pending.drain(..=i);
                true
            }
            None => false,
        }
    })
    .unwrap_or(false)
}

/// Every key from every input device, as an endless `Stream` (the seed's `ScancodeStream`,
/// decoded): wakers are registered with both interrupt handlers before looking again, so a
/// key that arrives in between is never missed.
pub struct KeyStream;

impl Stream for KeyStream {
    type Item = Key;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Key>> {
        if let Some(k) = try_key() {
            return Poll::Ready(Some(k));
        }
        keyboard::WAKER.register(cx.waker());
        serial::input::WAKER.register(cx.waker());
        usb::WAKER.register(cx.waker());
        // A byte may have arrived between the check and the registration: look again.
        match try_key() {
            Some(k) => Poll::Ready(Some(k)),
            None => Poll::Pending,
        }
    }
}

/// Waits for the next key from any input.
pub async fn next_key() -> Key {
    // KeyStream never ends; `Other` is unreachable in practice and harmless to the editor.
    KeyStream.next().await.unwrap_or(Key::Other)
}

/// The current keyboard layout's short name.
pub fn layout() -> &'static str {
    with_state(|st| st.keyboard.layout()).unwrap_or("us")
}

/// Switches the keyboard layout; false for an unknown name.
pub fn set_layout(name: &str) -> bool {
    with_state(|st| st.keyboard.set_layout(name)).unwrap_or(false)
}

/// Drops every queued key (e.g. when a game ends, so its keys do not reach the shell).
pub fn discard_pending() {
    while try_key().is_some() {}
}
