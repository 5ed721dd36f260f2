//! Real WASI programs, built from `../programs` with Rust's std for `wasm32-wasip1`, run on the
//! kernel's host: the conformance program (every preview 1 function and its errno cases), and
//! each /bin command on known input.
//!
//! The programs are built by `programs/build.sh` when these tests start (incrementally). If
//! the `wasm32-wasip1` target is missing the tests FAIL with the command to install it: a
//! skipped test here would hide a host that was never checked.

use harness::{Program, Status};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Builds the programs once per test binary and returns where the .wasm files are.
fn release_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../programs/build.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(3) {
            panic!("{stderr}(the WASI program tests need it; this is a failure, not a skip)");
        }
        assert!(out.status.success(), "programs/build.sh failed:\n{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let dir = stdout
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("RELEASE_DIR="))
            .expect("build.sh prints RELEASE_DIR=");
        PathBuf::from(dir)
    })
}

fn wasm(name: &str) -> Vec<u8> {
    let p = release_dir().join(format!("{name}.wasm"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn conformance() {
    let r = Program::new("conformance.wasm")
        .arg("scratch")
        .env("GREETING", "hi")
        .dir("/scratch", ".")
        .run(&wasm("conformance"))
        .expect("loads");
    let out = r.stdout();
    assert_eq!(
        r.status,
        Status::Exit(0),
        "stderr: {}\nstdout tail: {}",
        r.stderr(),
        &out[out.len().saturating_sub(600)..]
    );
    assert!(out.contains("checks passed"), "{out}");
    let n: u32 = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("all ")?
                .strip_suffix(" checks passed")?
                .parse()
                .ok()
        })
        .unwrap();
    assert!(n >= 200, "only {n} checks ran");
    eprintln!("conformance: {n} checks, fuel {}", r.fuel);
}

fn tool(name: &str, args: &[&str], stdin: &[u8], files: &[(&str, &[u8])]) -> harness::Ran {
    // As the kernel runs a command from /bin in directory /work.
    let mut p = Program::new(name)
        .dir("/work", ".")
        .dir("/", "/")
        .env("PWD", "/work")
        .stdin(stdin);
    for a in args {
        p = p.arg(a);
    }
    for (path, data) in files {
        p.platform.fs.put_file(&format!("/work/{path}"), data);
    }
    p.run(&wasm(name)).expect("loads")
}

#[test]
fn wc_grep_sort_head_tail() {
    let text: &[u8] = b"pear\napple\nfig\napple\nbanana\n";
    let r = tool("wc", &["f"], b"", &[("f", text)]);
    assert_eq!(
        (r.status.clone(), r.stdout()),
        (Status::Exit(0), "      5       5      28 f\n".into())
    );
    let r = tool("wc", &["-l"], text, &[]);
    assert_eq!(r.stdout(), "5\n");
    let r = tool("grep", &["-n", "^a", "f"], b"", &[("f", text)]);
    assert_eq!(
        (r.status.clone(), r.stdout()),
        (Status::Exit(0), "2:apple\n4:apple\n".into())
    );
    let r = tool("grep", &["-c", "x"], text, &[]);
    assert_eq!(
        (r.status.clone(), r.stdout()),
        (Status::Exit(1), "0\n".into())
    );
    let r = tool("grep", &["("], text, &[]);
    assert_eq!(r.status, Status::Exit(2));
    let r = tool("sort", &["-u"], text, &[]);
    assert_eq!(r.stdout(), "apple\nbanana\nfig\npear\n");
    let r = tool("sort", &["-rn"], b"10\n9\n100\n", &[]);
    assert_eq!(r.status, Status::Exit(2), "flags are given one at a time");
    let r = tool("head", &["-n", "2", "f"], b"", &[("f", text)]);
    assert_eq!(r.stdout(), "pear\napple\n");
    let r = tool("tail", &["-2"], text, &[]);
    assert_eq!(r.stdout(), "apple\nbanana\n");
    let r = tool("wc", &["missing"], b"", &[]);
    assert_eq!(r.status, Status::Exit(1));
    assert!(r.stderr().contains("missing"), "{}", r.stderr());
}

#[test]
fn sha256sum_base64_find() {
    let r = tool("sha256sum", &[], b"abc", &[]);
    assert_eq!(
        r.stdout(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -\n"
    );
    let r = tool("base64", &[], b"hello, world", &[]);
    assert_eq!(r.stdout(), "aGVsbG8sIHdvcmxk\n");
    let r = tool("base64", &["-d"], b"aGVsbG8s\nIHdvcmxk\n", &[]);
    assert_eq!(r.stdout(), "hello, world");
    let r = tool(
        "find",
        &[".", "-name", "*.txt"],
        b"",
        &[("a.txt", b""), ("sub/b.txt", b""), ("sub/c.md", b"")],
    );
    assert_eq!(r.stdout(), "./a.txt\n./sub/b.txt\n");
    let r = tool("find", &["/work", "-type", "d"], b"", &[("sub/x", b"")]);
    assert_eq!(r.stdout(), "/work\n/work/sub\n");
}

#[test]
fn every_tool_has_help() {
    for name in [
        "wc",
        "grep",
        "sort",
        "head",
        "tail",
        "sha256sum",
        "base64",
        "find",
        "rhai",
    ] {
        let r = tool(name, &["--help"], b"", &[]);
        assert_eq!(r.status, Status::Exit(0), "{name}");
        assert!(r.stdout().starts_with("usage:"), "{name}: {}", r.stdout());
    }
}

#[test]
fn rhai_scripts() {
    let r = tool("rhai", &["-e", "let x = 6; print(x * 7);"], b"", &[]);
    assert_eq!(
        (r.status.clone(), r.stdout()),
        (Status::Exit(0), "42\n".into())
    );
    let script: &[u8] = b"fn fib(n) { if n < 2 { n } else { fib(n-1) + fib(n-2) } }\nprint(`fib = ${fib(15)} args = ${args}`);\n";
    let r = tool("rhai", &["s.rhai", "a", "b"], b"", &[("s.rhai", script)]);
    assert_eq!(
        r.stdout(),
        "fib = 610 args = [\"a\", \"b\"]\n",
        "{}",
        r.stderr()
    );
    let r = tool("rhai", &[], b"40 + 2\nlet y = 3\ny * y\n", &[]);
    assert_eq!(r.stdout(), "rhai> 42\nrhai> rhai> 9\nrhai> \n");
    let r = tool("rhai", &["-e", "let x = ;"], b"", &[]);
    assert_eq!(r.status, Status::Exit(1));
}
