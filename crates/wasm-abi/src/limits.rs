//! Sizes the host enforces on every game: one place for the numbers that the checks in
//! `guest.rs`, the host's memory limiter and the game SDK must agree on.

/// Largest accepted `present` width or height.
pub const MAX_PRESENT_DIM: i32 = 4096;
/// Largest accepted `print` length in bytes.
pub const MAX_PRINT_LEN: i32 = 4096;
/// Size of one WebAssembly page.
pub const WASM_PAGE_SIZE: usize = 64 * 1024;
/// Upper bound on a game's linear memory (initial size and growth).
pub const MEMORY_LIMIT_BYTES: usize = 16 * 1024 * 1024;
/// [`MEMORY_LIMIT_BYTES`] in wasm pages.
pub const MEMORY_LIMIT_PAGES: usize = MEMORY_LIMIT_BYTES / WASM_PAGE_SIZE;
/// Bytes per pixel of a `present` buffer (little-endian `0x00RRGGBB`).
pub const PRESENT_BYTES_PER_PIXEL: usize = 4;
