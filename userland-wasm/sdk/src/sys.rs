//! Raw host imports (module "env", ABI v1). Only `lib.rs` calls these, through safe wrappers.
//!
//! Every import is bound under a private Rust name with `link_name`, so names like `exit` or
//! `random` can never collide with another symbol of the same name in a game.

#[cfg(target_arch = "wasm32")]
mod imp {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        #[link_name = "put_pixel"]
        pub fn put_pixel(x: i32, y: i32, r: i32, g: i32, b: i32);
        #[link_name = "fill_rect"]
        pub fn fill_rect(x: i32, y: i32, w: i32, h: i32, rgb: i32);
        #[link_name = "present"]
        pub fn present(ptr: *const u32, width: i32, height: i32);
        #[link_name = "screen_width"]
        pub fn screen_width() -> i32;
        #[link_name = "screen_height"]
        pub fn screen_height() -> i32;
        #[link_name = "poll_key"]
        pub fn poll_key() -> i32;
        #[link_name = "time_ms"]
        pub fn time_ms() -> i64;
        #[link_name = "random"]
        pub fn random() -> i32;
        #[link_name = "print"]
        pub fn print(ptr: *const u8, len: i32);
        #[link_name = "exit"]
        pub fn exit(code: i32);
    }

    pub fn unreachable() -> ! {
        core::arch::wasm32::unreachable()
    }
}

/// Host-side stand-ins so the SDK's drawing code can be unit-tested natively. They draw nothing,
/// report a 640x480 screen, no keys, a clock stuck at 0 and a fixed xorshift sequence.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc, unused_variables)]
mod imp {
    use core::sync::atomic::{AtomicU32, Ordering};

    static SEED: AtomicU32 = AtomicU32::new(0x2545_f491);

    pub unsafe fn put_pixel(x: i32, y: i32, r: i32, g: i32, b: i32) {}
    pub unsafe fn fill_rect(x: i32, y: i32, w: i32, h: i32, rgb: i32) {}
    pub unsafe fn present(ptr: *const u32, width: i32, height: i32) {}
    pub unsafe fn screen_width() -> i32 {
        640
    }
    pub unsafe fn screen_height() -> i32 {
        480
    }
    pub unsafe fn poll_key() -> i32 {
        wasm_abi::NO_KEY
    }
    pub unsafe fn time_ms() -> i64 {
        0
    }
    pub unsafe fn random() -> i32 {
        let mut x = SEED.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        SEED.store(x, Ordering::Relaxed);
        x as i32
    }
    pub unsafe fn print(ptr: *const u8, len: i32) {}
    pub unsafe fn exit(code: i32) {
        panic!("game called exit({code})");
    }
    pub fn unreachable() -> ! {
        unreachable!("exit returned")
    }
}

pub use imp::*;
