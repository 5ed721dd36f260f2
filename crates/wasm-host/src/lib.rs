//! The RustOS WebAssembly host: games (ABI v1) and ordinary programs (WASI preview 1), run by
//! the wasmi interpreter.
//!
//! # Why a crate of its own
//!
//! The kernel runs untrusted modules, and the host-side harness runs the same modules in tests.
//! If each had its own copy of the host (the engine settings, the limits, the import checks and
//! every host function), the tests would check a host the kernel does not have. So the whole
//! host lives here, `no_std` + `alloc`, and touches the machine only through one small trait,
//! [`Platform`]: clocks, randomness, console output, standard input and a file system. The
//! kernel implements it with the PIT, the RTC, the serial port and the RAM file system; the
//! harness with a fake clock, a seeded random source and buffers.
//!
//! # What is here
//!
//! - [`engine`]: the wasmi configuration every module runs under, the store limits, fuel
//!   slicing, and turning module-supplied text into something safe to print.
//! - [`game`]: ABI v1 (`docs/wasm-abi.md`): the ten `env` imports, the off-screen screen,
//!   budgeted `init`/`frame` calls.
//! - [`wasi`]: WASI preview 1 (`wasi_snapshot_preview1`, every function), over the
//!   [`wasi::FileSystem`] trait, as resumable commands that run in fuel slices and can wait
//!   for input without blocking the caller.
//!
//! Nothing here panics on guest input: every guest pointer is checked against the memory's
//! size at the time of the call, and every allocation a guest can make large is fallible.

#![no_std]
#![warn(missing_debug_implementations)]

extern crate alloc;

pub mod engine;
pub mod game;
mod platform;
pub mod wasi;

pub use platform::{Platform, StdinBuffer, StdinRead, Stream, WouldBlock};
pub use wasmi::TrapCode;
