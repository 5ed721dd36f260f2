//! Modules the kernel must refuse, each with a clear message and without harm: damaged or
//! non-WebAssembly bytes, memory larger than the limit, missing or mistyped exports,
//! imports outside ABI v1, start functions that trap or never return, oversized tables.
//! Also fuzzes: truncations, random bytes and bit flips of a valid module must never panic.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "wasm/common.rs"]
mod common;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use common::us_since;
use kernel::arch::clock;
use kernel::support::qemu::{ExitCode, exit};
use kernel::wasm::{Budget, Encoding, Game, LoadError, Screen, run_headless};
use kernel::{entry_point, serial_println};

macro_rules! wasm {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".wasm"))
    };
}

const GOOD: &[u8] = wasm!("good");

entry_point!(main);

fn main() -> ! {
    kernel::init();
    common::run_all(
        "wasm_validation",
        &[
            ("empty_and_text", empty_and_text),
            ("wrong_magic_and_version", wrong_magic_and_version),
            ("truncated", truncated),
            ("random_bytes", random_bytes),
            ("bit_flips", bit_flips),
            ("huge_declared_memory", huge_declared_memory),
            ("large_maximum_is_fine", large_maximum_is_fine),
            ("missing_exports", missing_exports),
            ("wrong_export_types", wrong_export_types),
            ("unknown_imports", unknown_imports),
            ("wrong_import_signatures", wrong_import_signatures),
            ("start_function_endless", start_function_endless),
            ("start_function_trap", start_function_trap),
            ("oversized_table", oversized_table),
            ("minimal_module_runs", minimal_module_runs),
        ],
    );
    exit(ExitCode::Success)
}

/// Loads `bytes`, expecting a refusal; returns it.
fn refused(bytes: &[u8]) -> LoadError {
    let screen = Screen::new(640, 480, Encoding::Xrgb).expect("screen buffer");
    match Game::load("test", bytes, screen, Budget::DEFAULT) {
        Ok(_) => panic!("the module was accepted"),
        Err(e) => e,
    }
}

fn refused_with(bytes: &[u8], want: LoadError) {
    let got = refused(bytes);
    serial_println!("   {got}");
    assert_eq!(got, want);
}

fn invalid(bytes: &[u8]) {
    let e = refused(bytes);
    assert!(matches!(e, LoadError::Invalid(_)), "got {e}");
    assert!(
        e.to_string()
            .starts_with("not a valid WebAssembly module: ")
    );
}

fn empty_and_text() {
    invalid(b"");
    invalid(b"\0as");
    invalid(b"hello, world\n");
    invalid(b"#!/bin/sh\necho hi\n");
    serial_println!("   {}", refused(b"hello"));
}

fn wrong_magic_and_version() {
    let mut bad = GOOD.to_vec();
    bad[3] = b'X';
    invalid(&bad);
    let mut bad = GOOD.to_vec();
    bad[4] = 2;
    invalid(&bad);
    serial_println!("   {}", refused(&bad));
}

fn truncated() {
    // A prefix that ends inside a section is damaged. One that happens to end between two
    // sections is a smaller module: refused for its missing exports, or (cut before the
    // data section) even a valid game, which must then run safely.
    let (mut damaged, mut incomplete, mut valid) = (0, 0, 0);
    for len in 0..GOOD.len() {
        let screen = Screen::new(640, 480, Encoding::Xrgb).expect("screen buffer");
        match Game::load("test", &GOOD[..len], screen, Budget::DEFAULT) {
            Err(LoadError::Invalid(_)) => damaged += 1,
            Err(LoadError::Export(_)) => incomplete += 1,
            Err(other) => panic!("prefix of {len} bytes: unexpected {other}"),
            Ok(mut game) => {
                valid += 1;
                kernel::wasm::drive(&mut game, 3);
            }
        }
    }
    serial_println!(
        "   {} prefixes: {damaged} damaged, {incomplete} without the exports, {valid} valid; e.g. {}",
        GOOD.len(),
        refused(&GOOD[..GOOD.len() / 2])
    );
    assert!(damaged > 10 * (incomplete + valid));
}

/// Deterministic "random" test data, from the hosts' own generator.
struct Rng(wasm_abi::Rng);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(wasm_abi::Rng::new(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_bytes() {
    let mut rng = Rng::new(0x1234_5678_9abc_def1);
    for i in 0..200 {
        let len = 1 + rng.below(4096);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 2 == 0 {
            // Half of them get a valid header, so the section parser sees garbage too.
            let header = b"\0asm\x01\0\0\0";
            let n = header.len().min(bytes.len());
            bytes[..n].copy_from_slice(&header[..n]);
        }
        invalid(&bytes);
    }
}

/// Random corruptions of a valid module: whatever wasmi makes of them (most are refused,
/// some still validate), nothing may panic, and modules that load must run safely.
/// Mutants of a valid module (1-4 flipped bits): each is refused with an error or runs
/// within its budget, both outcomes occur (so neither path is skipped by accident), and
/// the heap is back where it started afterwards (nothing leaks from a refused module).
fn bit_flips() {
    let mut rng = Rng::new(0xfeed_beef_cafe_f00d);
    let (mut refused_n, mut ran) = (0, 0);
    let budget = Budget {
        slice: 100_000,
        max_fuel: 1_000_000,
        max_wall_us: 200_000,
    };
    let heap_before = kernel::mem::heap::stats().used;
    for _ in 0..300 {
        let mut bytes = GOOD.to_vec();
        for _ in 0..1 + rng.below(4) {
            let i = 8 + rng.below(bytes.len() - 8);
            bytes[i] ^= 1 << rng.below(8);
        }
        match run_headless(&bytes, 4, budget) {
            Ok(out) => {
                ran += 1;
                assert!(out.frames <= 4);
                assert!(out.max_fuel <= budget.max_fuel, "fuel {}", out.max_fuel);
            }
            Err(e) => {
                refused_n += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    serial_println!("   300 mutants: {refused_n} refused, {ran} loaded and ran");
    assert!(refused_n > 0 && ran > 0, "both outcomes must occur");
    let heap_after = kernel::mem::heap::stats().used;
    assert!(
        heap_after <= heap_before + 64 * 1024,
        "heap grew from {heap_before} to {heap_after} bytes"
    );
}

fn huge_declared_memory() {
    refused_with(
        wasm!("huge_memory"),
        LoadError::Memory(String::from(
            "the module starts with 1000 pages (64000 KiB); the limit is 256 pages (16 MiB)",
        )),
    );
    let e = refused(wasm!("huge_memory_4g"));
    serial_println!("   {e}");
    assert!(matches!(e, LoadError::Memory(_)));
}

fn large_maximum_is_fine() {
    let out = run_headless(wasm!("big_max_memory"), 3, Budget::DEFAULT).expect("loads");
    assert_eq!(out.end, None);
}

fn missing_exports() {
    refused_with(
        wasm!("no_frame"),
        LoadError::Export(String::from("missing export `frame`")),
    );
    refused_with(
        wasm!("no_memory"),
        LoadError::Export(String::from("missing export `memory`")),
    );
    refused_with(
        wasm!("memory_not_exported"),
        LoadError::Export(String::from("missing export `memory`")),
    );
}

fn wrong_export_types() {
    refused_with(
        wasm!("bad_frame_sig"),
        LoadError::Export(String::from(
            "`frame` has type (i32) -> (), ABI v1 wants () -> ()",
        )),
    );
    refused_with(
        wasm!("init_result"),
        LoadError::Export(String::from(
            "`init` has type () -> (i32), ABI v1 wants () -> ()",
        )),
    );
    refused_with(
        wasm!("init_global"),
        LoadError::Export(String::from("`init` is a global, not a function")),
    );
}

fn unknown_imports() {
    refused_with(
        wasm!("unknown_import"),
        LoadError::Import(String::from("`env.open` is not an ABI v1 function")),
    );
    refused_with(
        wasm!("wasi_import"),
        LoadError::Import(String::from(
            "`wasi_snapshot_preview1.fd_write`: games may only import functions from `env`",
        )),
    );
    refused_with(
        wasm!("imported_memory"),
        LoadError::Import(String::from("`env.memory` is not an ABI v1 function")),
    );
    let e = refused(wasm!("unknown_import"));
    assert_eq!(
        e.to_string(),
        "unsupported import: `env.open` is not an ABI v1 function"
    );
}

fn wrong_import_signatures() {
    refused_with(
        wasm!("bad_import_sig"),
        LoadError::Import(String::from(
            "`env.present` has type (i32, i32) -> (), ABI v1 has (i32, i32, i32) -> ()",
        )),
    );
    refused_with(
        wasm!("time_ms_i32"),
        LoadError::Import(String::from(
            "`env.time_ms` has type () -> (i32), ABI v1 has () -> (i64)",
        )),
    );
}

fn start_function_endless() {
    let t0 = clock::rdtsc();
    let e = refused(wasm!("start_loop"));
    let us = us_since(t0);
    serial_println!("   {e} ({} ms)", us / 1000);
    assert!(matches!(e, LoadError::Instantiate(_)));
    assert!(us < 2_500_000, "took {} ms", us / 1000);
}

fn start_function_trap() {
    let e = refused(wasm!("start_trap"));
    serial_println!("   {e}");
    assert!(matches!(e, LoadError::Instantiate(_)));
}

fn oversized_table() {
    let e = refused(wasm!("big_table"));
    serial_println!("   {e}");
    assert!(matches!(e, LoadError::Instantiate(_)));
}

fn minimal_module_runs() {
    let out = run_headless(wasm!("minimal"), 100, Budget::DEFAULT).expect("loads");
    assert_eq!(out.end, None);
    assert_eq!(out.frames, 100);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
