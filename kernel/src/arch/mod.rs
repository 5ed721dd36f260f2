//! CPU set-up: descriptor tables, exception handlers, interrupt lines and the clock.
pub mod clock;
pub mod gdt;
pub mod idt;
pub mod irq;
pub mod pic;
pub mod pit;
