//! Device drivers: each one owns one piece of hardware and nothing else, plus `input`,
//! which merges the input devices into one stream of keys.
pub mod acpi;
pub mod block;
pub mod console;
pub mod framebuffer;
pub mod input;
pub mod keyboard;
pub mod pci;
pub mod rtc;
pub mod serial;
pub mod usb;
