//! Every kind of trap ends a game with a message that names it, in bounded time, and
//! leaves the kernel working: wasm traps (unreachable, out-of-bounds access, divide by
//! zero, stack overflow, null indirect call), endless loops in wasm and in host calls
//! (out of fuel), host calls with bad arguments, and memory.grow past the limit (which
//! must *not* trap).

#![no_std]
#![no_main]

extern crate alloc;

#[path = "wasm/common.rs"]
mod common;

use alloc::format;
use alloc::string::ToString;
use common::{load, load_with, us_since};
use kernel::arch::clock;
use kernel::support::qemu::{ExitCode, exit};
use kernel::wasm::{Budget, End, Trap, TrapCode, drive};
use kernel::{entry_point, serial_println};

const TRAPS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/traps.wasm"));
const HOST_ERRORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/host_errors.wasm"));

/// An endless loop must end within about a second; allow for a slow, busy TCG host.
const BOUNDED_US: u64 = 2_500_000;

entry_point!(main);

fn main() -> ! {
    kernel::init();
    common::run_all(
        "wasm_traps",
        &[
            ("unreachable", unreachable),
            ("out_of_bounds_load", out_of_bounds_load),
            ("out_of_bounds_store", out_of_bounds_store),
            ("divide_by_zero", divide_by_zero),
            ("stack_overflow", stack_overflow),
            ("null_indirect_call", null_indirect_call),
            ("endless_loop_out_of_fuel", endless_loop_out_of_fuel),
            ("endless_loop_wall_clock", endless_loop_wall_clock),
            ("present_loop_bounded", present_loop_bounded),
            ("print_loop_bounded", print_loop_bounded),
            ("memory_grow_beyond_limit", memory_grow_beyond_limit),
            ("host_call_errors", host_call_errors),
            ("no_leak_over_many_runs", no_leak_over_many_runs),
        ],
    );
    exit(ExitCode::Success)
}

/// Runs case `case` ('0' + n) of `module` and returns how it ended and how long it took.
fn run_case(module: &[u8], case: u8) -> (End, u64) {
    let mut game = load(module);
    game.press(i32::from(b'0' + case));
    let t0 = clock::rdtsc();
    let out = drive(&mut game, 5);
    let us = us_since(t0);
    let end = out.end.expect("the case must end the game");
    serial_println!(
        "   ended after {} frames, {} ms: {end}",
        out.frames,
        us / 1000
    );
    (end, us)
}

fn wasm_trap(case: u8, code: TrapCode, message: &str) {
    let (end, _) = run_case(TRAPS, case);
    assert_eq!(end, End::Trap(Trap::Wasm(code)));
    assert_eq!(end.to_string(), format!("trap: {message}"));
    assert!(!end.is_success());
}

fn unreachable() {
    wasm_trap(0, TrapCode::UnreachableCodeReached, "unreachable executed");
}

fn out_of_bounds_load() {
    wasm_trap(
        1,
        TrapCode::MemoryOutOfBounds,
        "out-of-bounds memory access",
    );
}

fn out_of_bounds_store() {
    wasm_trap(
        8,
        TrapCode::MemoryOutOfBounds,
        "out-of-bounds memory access",
    );
}

fn divide_by_zero() {
    wasm_trap(2, TrapCode::IntegerDivisionByZero, "integer divide by zero");
}

fn stack_overflow() {
    wasm_trap(
        3,
        TrapCode::StackOverflow,
        "stack overflow (call depth limit reached)",
    );
}

fn null_indirect_call() {
    wasm_trap(
        7,
        TrapCode::IndirectCallToNull,
        "indirect call to a null table entry",
    );
}

fn assert_out_of_fuel(end: &End, us: u64) {
    assert!(
        matches!(end, End::Trap(Trap::OutOfFuel { .. })),
        "expected out of fuel, got {end}"
    );
    assert!(end.to_string().starts_with("trap: out of fuel"));
    assert!(us < BOUNDED_US, "took {} ms", us / 1000);
}

fn endless_loop_out_of_fuel() {
    let (end, us) = run_case(TRAPS, 4);
    assert_out_of_fuel(&end, us);
}

/// With an unlimited fuel cap, the wall-clock limit alone must stop the loop.
fn endless_loop_wall_clock() {
    let budget = Budget {
        slice: 100_000,
        max_fuel: u64::MAX,
        max_wall_us: 200_000,
    };
    let mut game = load_with(TRAPS, budget);
    game.press(i32::from(b'4'));
    let t0 = clock::rdtsc();
    let end = drive(&mut game, 5).end.expect("must end");
    let us = us_since(t0);
    serial_println!("   {end} after {} ms", us / 1000);
    assert!(matches!(end, End::Trap(Trap::OutOfFuel { ms, .. }) if ms >= 200));
    assert!(us < 1_000_000, "took {} ms", us / 1000);
}

/// Host work is not metered by wasm fuel; the host's own checks must bound it.
fn present_loop_bounded() {
    let (end, us) = run_case(TRAPS, 6);
    assert_out_of_fuel(&end, us);
}

fn print_loop_bounded() {
    let (end, us) = run_case(TRAPS, 9);
    assert_out_of_fuel(&end, us);
}

/// memory.grow past 16 MiB returns -1 (no trap), growing to exactly 16 MiB works and the
/// last byte is usable; the module checks all that and exits with 0.
fn memory_grow_beyond_limit() {
    let (end, _) = run_case(TRAPS, 5);
    assert_eq!(end, End::Exited(0));
    assert!(end.is_success());
}

fn host_call_errors() {
    let cases: [(u8, &str); 7] = [
        (0, "present: negative guest pointer -4"),
        (1, "present: bad dimensions 0x200 (each must be 1..=4096)"),
        (
            2,
            "present: guest range 0x0+256000 is outside guest memory (65536 bytes)",
        ),
        (3, "present: bad dimensions 4097x1 (each must be 1..=4096)"),
        (4, "print: length 4097 exceeds maximum 4096"),
        (
            5,
            "print: guest range 0xfffa+10 is outside guest memory (65536 bytes)",
        ),
        (6, "print: negative length -1"),
    ];
    for (case, message) in cases {
        let (end, _) = run_case(HOST_ERRORS, case);
        assert_eq!(end, End::Trap(Trap::Host(message.to_string())));
        assert_eq!(end.to_string(), format!("trap: {message}"));
    }
}

/// Loading and trapping many times must not leak kernel memory.
fn no_leak_over_many_runs() {
    // Warm up (the first run may grow the heap or fill caches).
    for case in [0, 1, 5] {
        run_case(TRAPS, case);
    }
    let before = kernel::mem::heap::stats().used;
    for _ in 0..10 {
        for case in [0, 1, 2, 3, 5] {
            run_case(TRAPS, case);
        }
    }
    let after = kernel::mem::heap::stats().used;
    serial_println!("   heap used before {before}, after {after}");
    assert!(
        after <= before + 64 * 1024,
        "heap use grew from {before} to {after} bytes"
    );
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
