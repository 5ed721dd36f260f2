//! Keyboard logic that does not touch hardware, shared by every keyboard driver.
//!
//! PS/2 and USB keyboards differ only in how a key press reaches the kernel (scancodes
//! from port 0x60, HID reports from an interrupt endpoint). Both become
//! `pc_keyboard::KeyEvent`s, and from there one [`Decoder`] applies the modifiers and the
//! layout the user picked, so layouts, Ctrl-C and the arrow keys behave identically on
//! both. The PS/2 interrupt handler also runs [`Ps2Filter`], which decides which key
//! events must survive a full ring (releases and control keys) and which may be dropped.

#![no_std]

mod decoder;
mod filter;
mod layouts;

pub use decoder::{Decoder, char_key};
pub use filter::{Ps2Code, Ps2Filter, Urgency};
pub use layouts::{LAYOUTS, Layout, layout_names};
pub use pc_keyboard::{KeyCode, KeyEvent, KeyState};

#[cfg(test)]
mod tests;
