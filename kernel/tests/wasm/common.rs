#![allow(dead_code)] // each test kernel uses a different subset
//! Shared by the `wasm_*` test kernels: running named tests, and checking after each one
//! that the kernel is unharmed (the heap allocates, the file system reads and writes).

use alloc::vec::Vec;
use kernel::arch::clock;
use kernel::serial_println;
use kernel::wasm::{Budget, Encoding, Game, Screen};

/// A test: its name and body. The body panics (through `assert!`) on failure, which the
/// test panic handler reports and turns into a failing QEMU exit.
pub type Test = (&'static str, fn());

/// Runs every test, each followed by the health check, printing `kernel::name ... ok`
/// *after* the test (a test's game output must not split that line).
pub fn run_all(kernel: &str, tests: &[Test]) {
    serial_println!("running {} tests", tests.len());
    for (name, test) in tests {
        serial_println!("-- {kernel}::{name}");
        let t0 = clock::rdtsc();
        test();
        kernel_still_works();
        let ms = clock::tsc_to_us(clock::rdtsc() - t0) / 1000;
        serial_println!("{kernel}::{name} ... ok ({ms} ms)");
    }
    serial_println!("test result: ok. {} passed; 0 failed", tests.len());
}

/// The heap hands out (and takes back) a megabyte, and a file written to the RAM file
/// system reads back the same.
pub fn kernel_still_works() {
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(1 << 20)
        .expect("the heap still allocates a MiB");
    v.resize(1 << 20, 0x5a);
    assert!(v.iter().all(|&b| b == 0x5a));
    drop(v);
    kernel::fs::with(|fs| fs.write("/wasm-test.txt", b"still here"))
        .expect("the file system still writes");
    let back = kernel::fs::read_copy("/wasm-test.txt").expect("the file system still reads");
    assert_eq!(back, b"still here");
}

/// A game on a 640x480 in-memory screen with the default budget.
pub fn load(bytes: &[u8]) -> Game {
    load_with(bytes, Budget::DEFAULT)
}

pub fn load_with(bytes: &[u8], budget: Budget) -> Game {
    let screen = Screen::new(640, 480, Encoding::Xrgb).expect("screen buffer");
    match Game::load("test", bytes, screen, budget) {
        Ok(g) => g,
        Err(e) => panic!("module failed to load: {e}"),
    }
}

/// Microseconds since `t0` (a TSC value).
pub fn us_since(t0: u64) -> u64 {
    clock::tsc_to_us(clock::rdtsc().wrapping_sub(t0))
}
