//! Cooperative multitasking with async/await: the executor and its sleeps.
pub mod executor;
pub mod sleep;
