//! The WASI host on hand-written modules: loading rules, hostile pointers, exit statuses,
//! waiting (input, time, yield, output) and limits. These pin down what no compiler would emit.
//! Each module reports an errno by exiting with it (`proc_exit(errno)`).

use harness::{Program, Status, TestPlatform};
use wasm_host::wasi::{Command, CommandConfig, Step, Wait, types::Errno};

/// A command module: the common imports, one page of memory with `data` at 0x100, and
/// `body` as `_start`.
fn module(body: &str) -> Vec<u8> {
    module_with("", body)
}

fn module_with(extra: &str, body: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
            (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
            {extra}
            (memory (export "memory") 1)
            (data (i32.const 0x100) "hello\n")
            (data (i32.const 0x200) "\00\01\00\00\06\00\00\00")
            (func (export "_start") {body}))"#
    );
    wat::parse_str(wat).expect("valid wat")
}

fn run(wasm: &[u8]) -> harness::Ran {
    Program::new("t").run(wasm).expect("loads")
}

fn exit_code(wasm: &[u8]) -> i32 {
    match run(wasm).status {
        Status::Exit(c) => c,
        other => panic!("expected an exit, got {other:?}"),
    }
}

fn trap(wasm: &[u8]) -> String {
    match run(wasm).status {
        Status::Trap(m) => m,
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn errno(e: Errno) -> i32 {
    i32::from(e as u16)
}

#[test]
fn hello_world_and_exit_statuses() {
    // iovec at 0x200 -> "hello\n" at 0x100; nwritten at 0x300.
    let r = run(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))",
    ));
    assert_eq!(r.status, Status::Exit(0));
    assert_eq!(r.stdout(), "hello\n");
    let r = run(&module(
        "(drop (call $fd_write (i32.const 2) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))
         (call $exit (i32.load (i32.const 0x300)))",
    ));
    assert_eq!(r.status, Status::Exit(6), "nwritten is 6");
    assert_eq!(r.stderr(), "hello\n");
    assert_eq!(exit_code(&module("(call $exit (i32.const 125))")), 125);
    assert!(trap(&module("(call $exit (i32.const 126))")).contains("invalid exit status"));
    assert!(trap(&module("(call $exit (i32.const -1))")).contains("invalid exit status"));
    assert!(trap(&module("unreachable")).contains("unreachable"));
}

#[test]
fn hostile_pointers_trap() {
    // iovec array out of memory.
    let m = trap(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0xfffc) (i32.const 1) (i32.const 0x300)))",
    ));
    assert!(m.starts_with("fd_write:") && m.contains("outside"), "{m}");
    // nwritten pointer misaligned / out of memory.
    assert!(trap(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x301)))"
    ))
    .contains("misaligned"));
    assert!(trap(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x10000)))"
    ))
    .contains("outside"));
    // An iovec whose buffer runs past the end of memory.
    assert!(trap(&module(
        "(i32.store (i32.const 0x400) (i32.const 0xfff0)) (i32.store (i32.const 0x404) (i32.const 0x20))
         (drop (call $fd_write (i32.const 1) (i32.const 0x400) (i32.const 1) (i32.const 0x300)))"
    ))
    .contains("outside"));
    // A huge iovec count.
    assert!(trap(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0x300)))"
    ))
    .contains("outside"));
    // Negative pointers are huge unsigned ones.
    assert!(
        trap(&module(
            "(drop (call $args_sizes_get (i32.const -4) (i32.const 0x300)))"
        ))
        .contains("outside")
    );
    assert!(
        trap(&module(
            "(drop (call $random (i32.const 0xff00) (i32.const 0x200)))"
        ))
        .contains("outside")
    );
    assert!(
        trap(&module(
            "(drop (call $args_get (i32.const 0x10000) (i32.const 0x300)))"
        ))
        .contains("outside")
    );
    // The host is unharmed: nothing was written.
    let r = run(&module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0xfffc) (i32.const 1) (i32.const 0x300)))",
    ));
    assert!(r.stdout.is_empty());
}

#[test]
fn bad_arguments_are_errnos() {
    // A path that is not UTF-8.
    let wasm = module(
        "(i32.store (i32.const 0x400) (i32.const 0xffffffff))
         (call $exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x400) (i32.const 4)
            (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0x300)))",
    );
    let r = Program::new("t").dir("/d", ".").run(&wasm).unwrap();
    assert_eq!(r.status, Status::Exit(errno(Errno::Ilseq)));
    // Unknown oflags / lookupflags bits, bad descriptors.
    let open = |fd: i32, lookup: i32, oflags: i32| {
        module(&format!(
            "(call $exit (call $path_open (i32.const {fd}) (i32.const {lookup}) (i32.const 0x100) (i32.const 5)
                (i32.const {oflags}) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0x300)))"
        ))
    };
    let code = |wasm: &[u8]| match Program::new("t").dir("/d", ".").run(wasm).unwrap().status {
        Status::Exit(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(code(&open(3, 0, 16)), errno(Errno::Inval));
    assert_eq!(code(&open(3, 2, 0)), errno(Errno::Inval));
    assert_eq!(code(&open(9, 0, 0)), errno(Errno::Badf));
    assert_eq!(code(&open(1, 0, 0)), errno(Errno::Badf));
    assert_eq!(code(&open(3, 0, 0)), errno(Errno::Noent));
    assert_eq!(code(&open(3, 0, 1)), 0, "O_CREAT creates `hello`");
    // No preopen at all: fd 3 does not exist.
    assert_eq!(exit_code(&open(3, 0, 0)), errno(Errno::Badf));
    assert_eq!(
        exit_code(&module(
            "(call $exit (call $prestat (i32.const 3) (i32.const 0x300)))"
        )),
        errno(Errno::Badf)
    );
}

#[test]
fn loading_rules() {
    let load = |wat: &str| {
        Program::new("t")
            .load(&wat::parse_str(wat).unwrap())
            .map(|_| ())
    };
    let e = load(
        r#"(module (import "wasi_snapshot_preview1" "fd_open" (func)) (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap_err();
    assert_eq!(
        e,
        "unsupported import: `wasi_snapshot_preview1.fd_open` is not a WASI preview 1 function"
    );
    let e = load(
        r#"(module (import "wasi_snapshot_preview1" "fd_close" (func (param i64) (result i32))) (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap_err();
    assert!(
        e.contains("has type (i64) -> (i32), WASI preview 1 has (i32) -> (i32)"),
        "{e}"
    );
    let e = load(
        r#"(module (import "wasi_unstable" "fd_close" (func (param i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap_err();
    assert!(
        e.contains("may only import functions from `wasi_snapshot_preview1`"),
        "{e}"
    );
    let e = load(r#"(module (import "env" "put_pixel" (func (param i32 i32 i32 i32 i32))) (memory (export "memory") 1) (func (export "_start")))"#).unwrap_err();
    assert!(e.contains("unsupported import"), "{e}");
    let e = load(r#"(module (memory (export "memory") 1))"#).unwrap_err();
    assert!(e.contains("missing export `_start`"), "{e}");
    let e = load(r#"(module (func (export "_start")))"#).unwrap_err();
    assert!(e.contains("missing export `memory`"), "{e}");
    let e =
        load(r#"(module (memory (export "memory") 1025) (func (export "_start")))"#).unwrap_err();
    assert!(e.contains("memory too large"), "{e}");
    assert!(Program::new("t").load(b"\0asm\x01\0\0\0garbage").is_err());
    assert!(Program::new("t").load(b"").is_err());
    // A module importing every function loads, and every import links.
    let imports: String = wasm_host::wasi::IMPORTS
        .iter()
        .map(|s| {
            let params: String = s
                .params
                .iter()
                .map(|p| {
                    format!(
                        " {}",
                        if *p == wasm_abi::ValType::I32 {
                            "i32"
                        } else {
                            "i64"
                        }
                    )
                })
                .collect();
            let result = if s.result.is_some() {
                "(result i32)"
            } else {
                ""
            };
            format!(
                r#"(import "wasi_snapshot_preview1" "{}" (func (param{params}) {result}))"#,
                s.name
            )
        })
        .collect();
    load(&format!(
        r#"(module {imports} (memory (export "memory") 1) (func (export "_start")))"#
    ))
    .expect("all 46 functions link");
}

#[test]
fn memory_is_capped() {
    // 64 MiB = 1024 pages: growing to 1024 works, past it returns -1 (no trap).
    let wasm = module(
        "(if (i32.eq (memory.grow (i32.const 1023)) (i32.const -1)) (then (call $exit (i32.const 1))))
         (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 2))))",
    );
    assert_eq!(exit_code(&wasm), 0);
    let mut p = Program::new("t");
    p.memory_limit = 1 << 20;
    let r = p
        .run(&module(
            "(if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then (call $exit (i32.const 5))))",
        ))
        .unwrap();
    assert_eq!(
        r.status,
        Status::Exit(5),
        "a 1 MiB cap stops growth at 16 pages"
    );
}

fn command(wasm: &[u8], platform: TestPlatform) -> Command<TestPlatform> {
    Command::load(wasm, CommandConfig::default(), platform).expect("loads")
}

#[test]
fn an_endless_loop_runs_in_slices() {
    let mut c = command(&module("(loop $l (br $l))"), TestPlatform::new(1));
    for _ in 0..20 {
        assert_eq!(c.step(), Step::Running);
    }
    assert!(c.fuel_used() >= 19 * wasm_host::wasi::DEFAULT_SLICE);
    // Dropping it is how a runner ends it (Ctrl-C).
}

#[test]
fn reading_stdin_waits_for_input() {
    // Read up to 16 bytes into 0x400 (iovec at 0x500), write them back, exit with the count.
    let wasm = module(
        "(i32.store (i32.const 0x500) (i32.const 0x400)) (i32.store (i32.const 0x504) (i32.const 16))
         (drop (call $fd_read (i32.const 0) (i32.const 0x500) (i32.const 1) (i32.const 0x300)))
         (i32.store (i32.const 0x504) (i32.load (i32.const 0x300)))
         (drop (call $fd_write (i32.const 1) (i32.const 0x500) (i32.const 1) (i32.const 0x304)))
         (call $exit (i32.load (i32.const 0x300)))",
    );
    let mut p = TestPlatform::new(1);
    p.stdin.closed = false;
    let mut c = command(&wasm, p);
    assert_eq!(c.step(), Step::Wait(Wait::Input { deadline: None }));
    assert_eq!(
        c.step(),
        Step::Wait(Wait::Input { deadline: None }),
        "still nothing"
    );
    c.platform_mut().stdin.bytes.extend(b"typed\n");
    assert_eq!(c.step(), Step::Exit(6));
    assert_eq!(c.platform().stdout, b"typed\n");
    // End of input: a read of 0.
    let c2 = Program::new("t").run(&wasm).unwrap();
    assert_eq!(c2.status, Status::Exit(0));
}

#[test]
fn poll_oneoff_sleeps_on_the_clock() {
    // One relative monotonic clock subscription of 1.5 s at 0x400; event at 0x500.
    let wasm = module(
        "(i64.store (i32.const 0x400) (i64.const 77))
         (i32.store8 (i32.const 0x408) (i32.const 0))
         (i32.store (i32.const 0x410) (i32.const 1))
         (i64.store (i32.const 0x418) (i64.const 1500000000))
         (i32.store16 (i32.const 0x428) (i32.const 0))
         (drop (call $poll (i32.const 0x400) (i32.const 0x500) (i32.const 1) (i32.const 0x300)))
         (if (i64.ne (i64.load (i32.const 0x500)) (i64.const 77)) (then (call $exit (i32.const 9))))
         (call $exit (i32.load (i32.const 0x300)))",
    );
    let mut c = command(&wasm, TestPlatform::new(1));
    assert_eq!(c.step(), Step::Wait(Wait::Until(1_500_000_000)));
    c.platform_mut().now_ns = 1_000_000_000;
    assert_eq!(
        c.step(),
        Step::Wait(Wait::Until(1_500_000_000)),
        "the timeout counts from the first call"
    );
    c.platform_mut().now_ns = 1_500_000_000;
    assert_eq!(c.step(), Step::Exit(1), "one event");
    // Zero subscriptions: EINVAL.
    assert_eq!(
        exit_code(&module(
            "(call $exit (call $poll (i32.const 0x400) (i32.const 0x500) (i32.const 0) (i32.const 0x300)))"
        )),
        errno(Errno::Inval)
    );
    // Misaligned subscriptions trap.
    assert!(trap(&module(
        "(drop (call $poll (i32.const 0x404) (i32.const 0x500) (i32.const 1) (i32.const 0x300)))"
    ))
    .contains("misaligned"));
}

#[test]
fn sched_yield_yields_once() {
    let mut c = command(&module("(call $exit (call $yield))"), TestPlatform::new(1));
    assert_eq!(c.step(), Step::Wait(Wait::Yield));
    assert_eq!(c.step(), Step::Exit(0));
}

#[test]
fn full_output_waits_and_short_writes_are_reported() {
    let wasm = module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))
         (call $exit (i32.load (i32.const 0x300)))",
    );
    let mut p = TestPlatform::new(1);
    p.output_trickle = Some(2);
    let mut c = command(&wasm, p);
    assert_eq!(c.step(), Step::Exit(2), "a short write of 2 bytes");
    assert_eq!(c.platform().stdout, b"he");
    // Writing again right after blocks once, then goes on.
    let wasm = module(
        "(drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))
         (drop (call $fd_write (i32.const 1) (i32.const 0x200) (i32.const 1) (i32.const 0x300)))
         (call $exit (i32.load (i32.const 0x300)))",
    );
    let mut p = TestPlatform::new(1);
    p.output_trickle = Some(2);
    let mut c = command(&wasm, p);
    assert_eq!(c.step(), Step::Wait(Wait::Output));
    assert_eq!(c.step(), Step::Exit(2));
    assert_eq!(c.platform().stdout, b"hehe");
}

#[test]
fn args_reach_the_program() {
    // args_sizes_get then args_get; print argv[1].
    let wasm = module(
        "(drop (call $args_sizes_get (i32.const 0x300) (i32.const 0x304)))
         (drop (call $args_get (i32.const 0x400) (i32.const 0x800)))
         (i32.store (i32.const 0x500) (i32.load (i32.const 0x404)))
         (i32.store (i32.const 0x504) (i32.sub (i32.load (i32.const 0x304)) (i32.const 3)))
         (drop (call $fd_write (i32.const 1) (i32.const 0x500) (i32.const 1) (i32.const 0x308)))
         (call $exit (i32.load (i32.const 0x300)))",
    );
    let r = Program::new("p").arg("world").run(&wasm).unwrap();
    assert_eq!(r.status, Status::Exit(2));
    assert_eq!(r.stdout(), "world");
}
