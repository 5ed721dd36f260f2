//! The harness host's behaviour on hostile or broken guests, written as tiny WAT modules.
//! These pin down what `docs/wasm-abi.md` promises (and what the kernel host must do too).

use harness::{Game, GameError, SCREEN_W};

fn module(body: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
            (import "env" "present" (func $present (param i32 i32 i32)))
            (import "env" "fill_rect" (func $fill_rect (param i32 i32 i32 i32 i32)))
            (import "env" "put_pixel" (func $put_pixel (param i32 i32 i32 i32 i32)))
            (import "env" "print" (func $print (param i32 i32)))
            (import "env" "exit" (func $exit (param i32)))
            (import "env" "poll_key" (func $poll_key (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "hello")
            (func (export "init"))
            (func (export "frame") {body}))"#
    );
    wat::parse_str(wat).expect("valid wat")
}

fn frame_result(body: &str) -> Result<(), GameError> {
    let mut g = Game::load(&module(body), 1).expect("loads");
    g.init().expect("init");
    g.frame()
}

fn trap(body: &str) -> String {
    match frame_result(body) {
        Err(GameError::Trap(msg)) => msg,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn present_bounds() {
    assert!(frame_result("(call $present (i32.const 0) (i32.const 128) (i32.const 128))").is_ok());
    assert!(
        trap("(call $present (i32.const 0) (i32.const 129) (i32.const 128))").contains("outside")
    );
    assert!(
        trap("(call $present (i32.const -4) (i32.const 1) (i32.const 1))").contains("negative")
    );
    assert!(
        trap("(call $present (i32.const 0) (i32.const 0) (i32.const 1))").contains("dimensions")
    );
    assert!(
        trap("(call $present (i32.const 0) (i32.const 4097) (i32.const 1))").contains("dimensions")
    );
    assert!(
        trap("(call $present (i32.const 65532) (i32.const 2) (i32.const 1))").contains("outside")
    );
}

#[test]
fn print_bounds() {
    let mut g = Game::load(&module("(call $print (i32.const 0) (i32.const 5))"), 1).unwrap();
    g.init().unwrap();
    g.frame().unwrap();
    assert_eq!(
        g.log(),
        "game: hello",
        "each line is prefixed with the game's name"
    );
    assert!(trap("(call $print (i32.const 0) (i32.const 4097))").contains("exceeds"));
    assert!(trap("(call $print (i32.const 65535) (i32.const 2))").contains("outside"));
    assert!(trap("(call $print (i32.const 0) (i32.const -1))").contains("negative"));
}

/// One rule for kernel and harness: at most `PRINT_BUDGET` (8 KiB) of `print` output per
/// `init`/`frame` call reaches the log, then one notice; control characters show as `?`.
#[test]
fn print_budget_and_sanitising() {
    let three = "(call $print (i32.const 0) (i32.const 4096)) (call $print (i32.const 0) (i32.const 4096)) (call $print (i32.const 0) (i32.const 4096))";
    let mut g = Game::load(&module(three), 1).unwrap();
    g.init().unwrap();
    g.frame().unwrap();
    let log = g.log().to_string();
    assert_eq!(
        log.matches("hello").count(),
        2,
        "8 KiB of the 12 KiB arrive"
    );
    assert_eq!(log.matches("[print limit reached").count(), 1);
    g.frame().unwrap();
    assert_eq!(
        g.log().matches("hello").count(),
        4,
        "the budget is per call"
    );
    assert_eq!(wasm_host::game::PRINT_BUDGET, 8192);
    let ctl = wat::parse_str(
        r#"(module (import "env" "print" (func $print (param i32 i32))) (memory (export "memory") 1)
            (data (i32.const 0) "a\1b[2Jb\0a\ff")
            (func (export "init")) (func (export "frame") (call $print (i32.const 0) (i32.const 8))))"#,
    )
    .unwrap();
    let mut g = Game::load(&ctl, 1).unwrap();
    g.init().unwrap();
    g.frame().unwrap();
    assert_eq!(g.log(), "game: a?[2Jb\ngame: \u{fffd}");
}

#[test]
fn drawing_is_clipped_and_clamped() {
    let body = "(call $fill_rect (i32.const -100) (i32.const -100) (i32.const 2147483647) (i32.const 110) (i32.const 0xff00ff))
                (call $put_pixel (i32.const 639) (i32.const 479) (i32.const 999) (i32.const -5) (i32.const 128))
                (call $put_pixel (i32.const 640) (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))
                (call $put_pixel (i32.const -2147483648) (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))";
    let mut g = Game::load(&module(body), 1).unwrap();
    g.init().unwrap();
    g.frame().unwrap();
    let s = g.screen();
    assert_eq!(s[0], 0xff00ff);
    assert_eq!(s[9 * SCREEN_W + 639], 0xff00ff);
    assert_eq!(s[10 * SCREEN_W], 0);
    assert_eq!(s[479 * SCREEN_W + 639], 0xff0080);
}

#[test]
fn frames_are_composed_off_screen() {
    // A frame that draws and then traps shows nothing of what it drew.
    let body = "(call $fill_rect (i32.const 0) (i32.const 0) (i32.const 10) (i32.const 10) (i32.const 0xffffff)) unreachable";
    let mut g = Game::load(&module(body), 1).unwrap();
    g.init().unwrap();
    assert!(matches!(g.frame(), Err(GameError::Trap(_))));
    assert_eq!(g.screen()[0], 0);
}

#[test]
fn endless_loop_runs_out_of_fuel() {
    let msg = trap("(loop $l (br $l))");
    assert!(msg.contains("fuel"), "{msg}");
}

#[test]
fn exit_reports_code() {
    assert!(matches!(
        frame_result("(call $exit (i32.const 3))"),
        Err(GameError::Exited(3))
    ));
}

#[test]
fn no_key_and_esc_is_never_delivered() {
    let body = "(if (i32.ne (call $poll_key) (i32.const -1)) (then unreachable))";
    let mut g = Game::load(&module(body), 1).unwrap();
    g.init().unwrap();
    g.press(27);
    g.frame().expect("esc was filtered, poll_key returned -1");
    g.press(0x100);
    assert!(g.frame().is_err(), "a real key is delivered");
}

#[test]
fn foreign_imports_are_rejected() {
    let bad_name = wat::parse_str(
        r#"(module (import "env" "fopen" (func)) (memory (export "memory") 1)
            (func (export "init")) (func (export "frame")))"#,
    )
    .unwrap();
    assert!(matches!(
        Game::load(&bad_name, 1),
        Err(GameError::BadImport(_))
    ));
    let bad_sig = wat::parse_str(
        r#"(module (import "env" "time_ms" (func (result i32))) (memory (export "memory") 1)
            (func (export "init")) (func (export "frame")))"#,
    )
    .unwrap();
    assert!(matches!(
        Game::load(&bad_sig, 1),
        Err(GameError::BadImport(_))
    ));
    let bad_module = wat::parse_str(
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1) (func (export "init")) (func (export "frame")))"#,
    )
    .unwrap();
    assert!(matches!(
        Game::load(&bad_module, 1),
        Err(GameError::BadImport(_))
    ));
}

#[test]
fn missing_exports_are_rejected() {
    let no_frame =
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "init")))"#).unwrap();
    assert!(matches!(
        Game::load(&no_frame, 1),
        Err(GameError::BadExport(_))
    ));
    let no_memory =
        wat::parse_str(r#"(module (func (export "init")) (func (export "frame")))"#).unwrap();
    assert!(matches!(
        Game::load(&no_memory, 1),
        Err(GameError::BadExport(_))
    ));
}

#[test]
fn memory_limit_is_enforced() {
    let too_big = wat::parse_str(
        r#"(module (memory (export "memory") 257) (func (export "init")) (func (export "frame")))"#,
    )
    .unwrap();
    assert!(Game::load(&too_big, 1).is_err());
    let grow = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "init"))
            (func (export "frame") (if (i32.ne (memory.grow (i32.const 256)) (i32.const -1)) (then unreachable))))"#,
    )
    .unwrap();
    let mut g = Game::load(&grow, 1).unwrap();
    g.init().unwrap();
    g.frame()
        .expect("memory.grow past 16 MiB fails with -1 instead of growing");
}
