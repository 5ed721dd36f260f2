//! RustOS game SDK: everything a `no_std` WebAssembly game needs to run under the RustOS kernel.
//!
//! Why it exists: the host ABI (`docs/wasm-abi.md`) is a handful of raw `extern "C"` imports that
//! take `i32` pointers. This crate wraps them in safe functions, adds the pieces every game
//! otherwise rewrites (an off-screen [`Canvas`] presented in one host call, a bitmap font,
//! a frame [`Ticker`], a single-threaded [`Global`] for game state, the [`Game`] trait whose
//! [`export_game!`] macro writes the `init`/`frame` exports) and installs a panic handler that
//! reports the panic on the kernel log before ending the game.
//!
//! On non-wasm targets the imports are replaced by inert stand-ins so the drawing code can be
//! unit-tested on the host; games themselves are only built for `wasm32-unknown-unknown`.

#![no_std]

#[cfg(test)]
extern crate std;

pub mod canvas;
pub mod font;
mod game;
mod global;
mod keys;
mod sys;
mod text;
mod ticker;

pub use canvas::{BannerStyle, Canvas, Screen};
pub use game::{Game, run_frame};
pub use global::Global;
pub use keys::{Dir, KeyExt};
pub use text::TextBuf;
pub use ticker::Ticker;
pub use wasm_abi as abi;
pub use wasm_abi::{Key, rgb};

/// Everything a game usually needs, for `use rustos_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        BannerStyle, Canvas, Dir, Game, Global, Key, KeyExt, Screen, TextBuf, Ticker, exit,
        poll_key, print, random, random_below, rgb, time_ms,
    };
    pub use core::fmt::Write as _;
}

/// Draws one pixel directly on the screen (slow path; prefer [`Canvas`] + [`present`]).
/// Off-screen coordinates are ignored; channels are clamped to 0..=255 by the host.
pub fn put_pixel(x: i32, y: i32, r: i32, g: i32, b: i32) {
    // SAFETY: plain-value host call.
    unsafe { sys::put_pixel(x, y, r, g, b) }
}

/// Fills a rectangle on the screen with `0xRRGGBB`, clipped by the host.
pub fn fill_rect(x: i32, y: i32, w: i32, h: i32, rgb: u32) {
    // SAFETY: plain-value host call.
    unsafe { sys::fill_rect(x, y, w, h, rgb as i32) }
}

/// Shows a `width` x `height` buffer of `0x00RRGGBB` pixels, scaled by the largest integer
/// factor that fits the screen and centred.
///
/// # Panics
/// If a dimension is outside `1..=4096` or `pixels` holds fewer than `width * height` pixels
/// (the host would trap on such a call anyway; panicking here gives a clearer message).
pub fn present(pixels: &[u32], width: usize, height: usize) {
    let max = abi::MAX_PRESENT_DIM as usize;
    assert!(
        (1..=max).contains(&width) && (1..=max).contains(&height),
        "present: bad size"
    );
    assert!(pixels.len() >= width * height, "present: buffer too small");
    // SAFETY: the buffer is valid for width*height u32 reads for the duration of the call.
    unsafe { sys::present(pixels.as_ptr(), width as i32, height as i32) }
}

/// The screen size in pixels, `(width, height)`.
pub fn screen_size() -> (i32, i32) {
    // SAFETY: plain-value host calls.
    unsafe { (sys::screen_width(), sys::screen_height()) }
}

/// The next key press, if any. Esc never arrives: the host ends the game on Esc.
pub fn poll_key() -> Option<Key> {
    // SAFETY: plain-value host call.
    Key::from_code(unsafe { sys::poll_key() })
}

/// Milliseconds since boot. Use it (not a frame count) for pacing: frames may be irregular.
pub fn time_ms() -> i64 {
    // SAFETY: plain-value host call.
    unsafe { sys::time_ms() }
}

/// 32 random bits from the host.
pub fn random() -> u32 {
    // SAFETY: plain-value host call.
    unsafe { sys::random() as u32 }
}

/// A random number in `0..n` (0 if `n == 0`), without modulo bias worth noticing in a game.
pub fn random_below(n: u32) -> u32 {
    ((u64::from(random()) * u64::from(n)) >> 32) as u32
}

/// Writes UTF-8 text to the kernel log (serial). Long text is sent in pieces of at most
/// `MAX_PRINT_LEN` bytes, split at character boundaries.
pub fn print(text: &str) {
    let max = abi::MAX_PRINT_LEN as usize;
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        // SAFETY: chunk is valid for chunk.len() bytes, and chunk.len() <= MAX_PRINT_LEN.
        unsafe { sys::print(chunk.as_ptr(), chunk.len() as i32) }
        rest = tail;
    }
}

/// Formats into a 256-byte buffer and [`print`]s it (longer output is truncated).
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {{
        let mut buf = $crate::TextBuf::<256>::new();
        let _ = core::fmt::Write::write_fmt(&mut buf, format_args!($($arg)*));
        $crate::print(buf.as_str());
    }};
}

/// Ends the game; 0 means a normal exit. Never returns.
pub fn exit(code: i32) -> ! {
    // SAFETY: plain-value host call; the host does not return from it.
    unsafe { sys::exit(code) };
    sys::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut buf = TextBuf::<512>::new();
    let _ = core::fmt::Write::write_fmt(&mut buf, format_args!("game panicked: {info}\n"));
    print(buf.as_str());
    exit(1)
}
