//! Cooperative multitasking with async/await: the executor and its timers.
pub mod executor;
pub mod timer;
