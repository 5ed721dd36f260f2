//! The two 8259 programmable interrupt controllers, remapped to vectors 32-47.
//!
//! At reset the PICs deliver IRQs on vectors 8-15, which collide with CPU exceptions
//! (IRQ 0 would look like a double fault), hence the remap. Limine leaves every IRQ
//! masked; we unmask only the lines that have a driver.
//!
//! The `PICS` lock is only ever taken with interrupts disabled (at init, and inside
//! interrupt handlers for the end-of-interrupt), so a handler can never find it held.

use crate::arch::idt::IRQ_BASE;
use pic8259::ChainedPics;
use spin::Mutex;

// SAFETY: IRQ_BASE..IRQ_BASE+16 are unused by CPU exceptions (0-31).
static PICS: Mutex<ChainedPics> = Mutex::new(unsafe { ChainedPics::new(IRQ_BASE, IRQ_BASE + 8) });

/// IRQ lines.
pub const IRQ_TIMER: u8 = 0;
pub const IRQ_KEYBOARD: u8 = 1;
pub const IRQ_CASCADE: u8 = 2;
pub const IRQ_COM1: u8 = 4;

/// Remaps both PICs and unmasks exactly `lines` (the cascade line is added when any line
/// of the second PIC is wanted).
pub fn init(lines: &[u8]) {
    let mut mask: u16 = 0xffff;
    for &l in lines {
        mask &= !(1 << l);
        if l >= 8 {
            mask &= !(1 << IRQ_CASCADE);
        }
    }
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut pics = PICS.lock();
        // SAFETY: the vectors were chosen above not to overlap exceptions, and the IDT
        // has handlers (or the spurious-IRQ default) for every line we unmask.
        unsafe {
            pics.initialize();
            pics.write_masks(mask as u8, (mask >> 8) as u8);
        }
    });
}

/// Acknowledges IRQ `line`; call at the end of its handler (interrupts are off there).
pub fn end_of_interrupt(line: u8) {
    // SAFETY: called from the handler of `line`, so the PIC is waiting for this EOI.
    unsafe { PICS.lock().notify_end_of_interrupt(IRQ_BASE + line) };
}
