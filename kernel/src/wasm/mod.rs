//! WebAssembly games and programs, run by wasmi inside the kernel (ABI v1: docs/wasm-abi.md).

use alloc::string::String;
use alloc::vec::Vec;

/// A module to run: its name (for messages) and its bytes.
pub struct Program {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Runs a program to its end (exit, Esc, or a trap), then restores the console.
/// Returns true when it ended normally.
pub async fn run(program: Program) -> bool {
    crate::println!("{}: the WebAssembly runtime is not implemented yet", program.name);
    false
}
