//! The two 8259 programmable interrupt controllers.
//!
//! At reset the PICs deliver IRQs on vectors 8-15, which collide with CPU exceptions
//! (IRQ 0 would look like a double fault), so they are remapped to the vectors `irq`
//! chooses. Limine leaves every IRQ masked; we unmask only the lines that have a driver.
//!
//! The `PICS` lock is only ever taken with interrupts disabled (at init, and inside
//! interrupt handlers for the end-of-interrupt), so a handler can never find it held.

use pic8259::ChainedPics;
use spin::Mutex;

static PICS: Mutex<Option<(ChainedPics, u8)>> = Mutex::new(None);

/// The line that chains the second PIC to the first.
const CASCADE: u8 = 2;

/// Remaps both PICs to `base..base + 16` and unmasks exactly `lines` (plus the cascade
/// line when any line of the second PIC is wanted).
pub fn init(base: u8, lines: impl Iterator<Item = u8>) {
    let mut mask: u16 = 0xffff;
    for l in lines.filter(|&l| l < 16) {
        mask &= !(1 << l);
        if l >= 8 {
            mask &= !(1 << CASCADE);
        }
    }
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut guard = PICS.lock();
        // SAFETY: `base` is chosen by `irq` above the 32 exception vectors, so the remapped
        // vectors overlap no exception.
        let (pics, _) = guard.insert((unsafe { ChainedPics::new(base, base + 8) }, base));
        // SAFETY: the IDT has an entry for each of the 16 vectors (`irq::install` sets
        // them first), so unmasking cannot deliver an interrupt to an empty gate.
        unsafe {
            pics.initialize();
            pics.write_masks(mask as u8, (mask >> 8) as u8);
        }
    });
}

/// Acknowledges IRQ `line`; called by `irq` at the end of the line's handler.
pub fn end_of_interrupt(line: u8) {
    if let Some((pics, base)) = PICS.lock().as_mut() {
        // SAFETY: called once per handled interrupt of `line`, for which the PIC is
        // waiting for this EOI.
        unsafe { pics.notify_end_of_interrupt(*base + line) };
    }
}
