//! The RustOS game ABI (version 1), shared by the kernel (host) and the game SDK (guest).
//!
//! Why a crate of its own: the kernel and the games must agree on key codes, limits and on
//! how untrusted guest arguments are checked. Keeping the numbers and the checks in one
//! `no_std`, dependency-free crate means both sides compile against the same definitions, and
//! the arithmetic that guards the kernel against hostile pointers, sizes and rectangles is
//! tested exhaustively on the host instead of inside a booted kernel.
//!
//! Every check takes the guest's raw `i32` values and either returns a usable `usize` range /
//! rectangle or an [`AbiError`]; nothing here panics or overflows, whatever the input.
//! The full contract is written down in `docs/wasm-abi.md`.

#![no_std]

#[cfg(test)]
extern crate std;

mod guest;
mod imports;
mod keys;
mod limits;
mod rng;
mod screen;

#[cfg(test)]
mod tests;

pub use guest::{AbiError, checked_buffer, checked_range, checked_text};
pub use imports::{
    EXPORT_FRAME, EXPORT_INIT, EXPORT_MEMORY, IMPORT_MODULE, IMPORTS, ImportSig, ValType,
    import_sig,
};
pub use keys::{
    KEY_BACKSPACE, KEY_DOWN, KEY_ENTER, KEY_ESC_RESERVED, KEY_LEFT, KEY_RIGHT, KEY_SPACE,
    KEY_SPECIAL_BASE, KEY_TAB, KEY_UP, Key, NO_KEY,
};
pub use limits::{
    MAX_PRESENT_DIM, MAX_PRINT_LEN, MEMORY_LIMIT_BYTES, MEMORY_LIMIT_PAGES,
    PRESENT_BYTES_PER_PIXEL, WASM_PAGE_SIZE,
};
pub use rng::Rng;
pub use screen::{Rect, Scale, clip_point, clip_rect, rgb, rgb_clamp, unpack_rgb};

/// Version of the host ABI described by this crate and `docs/wasm-abi.md`.
pub const ABI_VERSION: u32 = 1;
