//! Hardware interrupt lines: the one place that owns handler registration and the
//! end-of-interrupt.
//!
//! The 8259 PICs deliver IRQs 0-15 on vectors [`IRQ_BASE`]..+16. A driver's handler is a
//! plain `fn()` that does the minimum (read the device, push into an `IrqRing`, wake a
//! task). [`install`] is called once, from the boot sequence in `lib.rs`, with every
//! handler the kernel has: it points each line's IDT entry at a stub that calls the
//! handler and then acknowledges the PIC, and unmasks exactly those lines. So no driver
//! touches the IDT or sends an EOI, and the list of interrupt sources is in one place.

use crate::arch::{idt, pic};
use x86_64::structures::idt::InterruptStackFrame;

/// First vector of the remapped PICs (0-31 are CPU exceptions).
pub const IRQ_BASE: u8 = 32;

/// IRQ lines of the legacy PC devices.
pub const TIMER: u8 = 0;
pub const KEYBOARD: u8 = 1;
pub const COM1: u8 = 4;

/// A driver's interrupt handler: runs with interrupts disabled, must not block, allocate
/// or take a lock that normal code holds with interrupts enabled.
pub type Handler = fn();

/// The handlers, set once by [`install`]. Reading a `Once` is one atomic load, so the
/// interrupt path never waits.
static HANDLERS: spin::Once<[Option<Handler>; 16]> = spin::Once::new();

fn dispatch(line: u8) {
    let handler = HANDLERS.get().and_then(|h| h[line as usize]);
    if let Some(handler) = handler {
        handler();
        pic::end_of_interrupt(line);
    }
    // A line without a handler is masked, so what lands here is a spurious IRQ 7 or 15,
    // which must not be acknowledged.
}

macro_rules! stubs {
    ($($line:literal => $name:ident),* $(,)?) => {
        $(extern "x86-interrupt" fn $name(_frame: InterruptStackFrame) { dispatch($line) })*
        const STUBS: [extern "x86-interrupt" fn(InterruptStackFrame); 16] = [$($name),*];
    };
}

stubs!(
    0 => irq0, 1 => irq1, 2 => irq2, 3 => irq3, 4 => irq4, 5 => irq5, 6 => irq6, 7 => irq7,
    8 => irq8, 9 => irq9, 10 => irq10, 11 => irq11, 12 => irq12, 13 => irq13, 14 => irq14,
    15 => irq15,
);

/// Registers `handlers` (line, handler), remaps the PICs and unmasks exactly those lines.
/// Call once, with interrupts disabled, after the drivers' `init`s; a second call is
/// ignored (the set of interrupt sources is fixed at boot).
pub fn install(handlers: &[(u8, Handler)]) {
    if HANDLERS.is_completed() {
        return;
    }
    let mut table: [Option<Handler>; 16] = [None; 16];
    for &(line, h) in handlers {
        if let Some(slot) = table.get_mut(line as usize) {
            *slot = Some(h);
        }
    }
    HANDLERS.call_once(|| table);
    for (line, stub) in STUBS.iter().enumerate() {
        idt::set_vector(IRQ_BASE + line as u8, *stub);
    }
    let lines = table.iter().enumerate().filter(|(_, h)| h.is_some());
    pic::init(IRQ_BASE, lines.map(|(l, _)| l as u8));
}
