//! Device drivers: each one owns one piece of hardware and nothing else.
pub mod framebuffer;
pub mod keyboard;
pub mod rtc;
pub mod serial;
