//! CPU set-up: descriptor tables, exception handlers, the interrupt controller and timers.
pub mod gdt;
pub mod idt;
pub mod pic;
pub mod pit;
