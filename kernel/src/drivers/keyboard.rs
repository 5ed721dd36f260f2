//! PS/2 keyboard: IRQ 1 → lock-free scancode ring → waker → decoded keys.
//!
//! The interrupt handler does the minimum: read port 0x60, push the byte into a
//! single-producer/single-consumer ring (`heapless::spsc`), wake the input task, send the
//! end-of-interrupt. It never allocates, takes no lock normal code can hold with
//! interrupts enabled, and never panics: when the ring is full the byte is dropped and
//! [`DROPPED`] counts it. Decoding (scancode set 1 → keys, with the layout chosen at run
//! time) happens in task context, in [`Decoder`].

use crate::arch::pic;
use crate::sync::RacyCell;
use core::sync::atomic::{AtomicU64, Ordering};
use futures_util::task::AtomicWaker;
use heapless::spsc::{Consumer, Producer, Queue};
use lineedit::Key;
use pc_keyboard::layouts::{
    AnyLayout, Azerty, Colemak, De105Key, Dvorak104Key, Uk105Key, Us104Key,
};
use pc_keyboard::{DecodedKey, HandleControl, KeyCode, PS2Keyboard, ScancodeSet1};
use spin::Mutex;
use x86_64::instructions::port::Port;
use x86_64::structures::idt::InterruptStackFrame;

const RING: usize = 256;

static QUEUE: RacyCell<Queue<u8, RING>> = RacyCell::new(Queue::new());
/// Only the interrupt handler touches the producer (set once before IRQ 1 is unmasked).
static PRODUCER: RacyCell<Option<Producer<'static, u8>>> = RacyCell::new(None);
/// The consumer, used from task context only.
static CONSUMER: Mutex<Option<Consumer<'static, u8>>> = Mutex::new(None);

/// Woken when a scancode arrives.
pub static WAKER: AtomicWaker = AtomicWaker::new();
/// Scancodes dropped because the ring was full.
pub static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Scancodes received.
pub static RECEIVED: AtomicU64 = AtomicU64::new(0);
/// TSC at the last keyboard interrupt (for the keystroke-latency benchmark).
pub static LAST_IRQ_TSC: AtomicU64 = AtomicU64::new(0);

const DATA: u16 = 0x60;
const STATUS_CMD: u16 = 0x64;

/// Waits (bounded) until the controller accepts a command byte.
fn wait_input_empty() {
    let mut status: Port<u8> = Port::new(STATUS_CMD);
    for _ in 0..100_000 {
        // SAFETY: reading the i8042 status port has no side effects.
        if unsafe { status.read() } & 0x02 == 0 {
            return;
        }
    }
}

/// Enables the keyboard interrupt and scancode translation in the i8042 controller (some
/// firmware leaves them off), empties its output buffer, sets up the ring, and registers
/// the IRQ 1 handler.
pub fn init() {
    // SAFETY: called once, with interrupts disabled, before IRQ 1 is unmasked: nothing
    // else can be using the queue or the producer.
    unsafe {
        let q: &'static mut Queue<u8, RING> = &mut *QUEUE.get();
        let (p, c) = q.split();
        *PRODUCER.get() = Some(p);
        *CONSUMER.lock() = Some(c);
    }
    let mut data: Port<u8> = Port::new(DATA);
    let mut cmd: Port<u8> = Port::new(STATUS_CMD);
    // SAFETY: standard i8042 ports and commands (0x20 read / 0x60 write the configuration
    // byte). Every wait is bounded, so a missing controller cannot hang the boot.
    unsafe {
        for _ in 0..32 {
            if cmd.read() & 0x01 == 0 {
                break;
            }
            data.read();
        }
        wait_input_empty();
        cmd.write(0x20);
        let mut config = None;
        for _ in 0..100_000 {
            if cmd.read() & 0x01 != 0 {
                config = Some(data.read());
                break;
            }
        }
        if let Some(c) = config {
            wait_input_empty();
            cmd.write(0x60);
            wait_input_empty();
            data.write((c | 0x01 | 0x40) & !0x10); // IRQ 1 on, translation on, clock on
        }
    }
    crate::arch::idt::set_irq_handler(pic::IRQ_KEYBOARD, keyboard_interrupt);
}

extern "x86-interrupt" fn keyboard_interrupt(_frame: InterruptStackFrame) {
    // SAFETY: reading port 0x60 takes the byte the controller has for us.
    let scancode: u8 = unsafe { Port::new(DATA).read() };
    push(scancode);
    pic::end_of_interrupt(pic::IRQ_KEYBOARD);
}

/// Called by the interrupt handler. Must not block or allocate.
fn push(scancode: u8) {
    LAST_IRQ_TSC.store(crate::time::rdtsc(), Ordering::Relaxed);
    RECEIVED.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the handler is the only user of the producer, and interrupt handlers do
    // not nest (interrupt gates clear IF), so there is never a second live reference.
    let producer = unsafe { (*PRODUCER.get()).as_mut() };
    let queued = producer.is_some_and(|p| p.enqueue(scancode).is_ok());
    if queued {
        WAKER.wake();
    } else {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Takes the next scancode from the ring, if any.
pub fn pop() -> Option<u8> {
    CONSUMER.lock().as_mut()?.dequeue()
}

/// Keyboard layouts the user can pick with `kbd`.
pub const LAYOUTS: &[(&str, &str)] = &[
    ("us", "US English (104 keys)"),
    ("uk", "UK English (105 keys)"),
    ("de", "German (105 keys)"),
    ("fr", "French AZERTY"),
    ("dvorak", "US Dvorak"),
    ("colemak", "Colemak"),
];

fn layout_by_name(name: &str) -> Option<AnyLayout> {
    Some(match name {
        "us" => AnyLayout::Us104Key(Us104Key),
        "uk" => AnyLayout::Uk105Key(Uk105Key),
        "de" => AnyLayout::De105Key(De105Key),
        "fr" => AnyLayout::Azerty(Azerty),
        "dvorak" => AnyLayout::Dvorak104Key(Dvorak104Key),
        "colemak" => AnyLayout::Colemak(Colemak),
        _ => return None,
    })
}

/// Scancode decoder with a run-time layout.
pub struct Decoder {
    kb: PS2Keyboard<AnyLayout, ScancodeSet1>,
    layout: &'static str,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self {
            kb: PS2Keyboard::new(
                ScancodeSet1::new(),
                AnyLayout::Us104Key(Us104Key),
                HandleControl::MapLettersToUnicode,
            ),
            layout: "us",
        }
    }

    pub fn layout(&self) -> &'static str {
        self.layout
    }

    /// Switches layout; false if the name is unknown.
    pub fn set_layout(&mut self, name: &str) -> bool {
        let Some((canonical, _)) = LAYOUTS.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        let Some(layout) = layout_by_name(canonical) else {
            return false;
        };
        self.kb = PS2Keyboard::new(
            ScancodeSet1::new(),
            layout,
            HandleControl::MapLettersToUnicode,
        );
        self.layout = canonical;
        true
    }

    /// Feeds one scancode; returns a key when one was pressed. Unknown or malformed
    /// scancodes are ignored (pc-keyboard reports them as errors, which we drop).
    pub fn feed(&mut self, scancode: u8) -> Option<Key> {
        let event = self.kb.add_byte(scancode).ok()??;
        Some(match self.kb.process_keyevent(event)? {
            DecodedKey::Unicode(c) => char_key(c),
            DecodedKey::RawKey(code) => match code {
                KeyCode::ArrowUp => Key::Up,
                KeyCode::ArrowDown => Key::Down,
                KeyCode::ArrowLeft => Key::Left,
                KeyCode::ArrowRight => Key::Right,
                KeyCode::Home => Key::Home,
                KeyCode::End => Key::End,
                KeyCode::Delete => Key::Delete,
                KeyCode::Escape => Key::Escape,
                _ => return None,
            },
        })
    }
}

/// Maps a decoded character (including control characters) to an editor key.
pub fn char_key(c: char) -> Key {
    match c {
        '\n' | '\r' => Key::Enter,
        '\x08' => Key::Backspace,
        '\x7f' => Key::Delete,
        '\t' => Key::Tab,
        '\x1b' => Key::Escape,
        '\x03' => Key::CtrlC,
        '\x0c' => Key::CtrlL,
        '\x01' => Key::CtrlA,
        '\x05' => Key::CtrlE,
        '\x15' => Key::CtrlU,
        '\x0b' => Key::CtrlK,
        '\x17' => Key::CtrlW,
        c if (c as u32) < 0x20 => Key::Other,
        c => Key::Char(c),
    }
}
