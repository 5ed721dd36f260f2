//! What the RustOS commands share: reading their inputs, reporting errors, `--help`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::process::exit;

/// The command line, after moving to the directory the shell was in.
///
/// WASI has no current directory; wasi-libc emulates one that starts at `/`. RustOS passes
/// the shell's directory as `PWD` (and preopens it as `.` and the root as `/`), so relative
/// paths mean what the user expects.
pub fn args() -> Vec<String> {
    if let Ok(pwd) = std::env::var("PWD") {
        let _ = std::env::set_current_dir(pwd);
    }
    std::env::args().collect()
}

/// Prints `text` and exits 0 if `--help` is among the arguments.
pub fn help(args: &[String], text: &str) {
    if args.iter().skip(1).any(|a| a == "--help" || a == "-h") {
        print!("{text}");
        exit(0);
    }
}

/// Prints `prog: msg` to standard error and exits with `code`.
pub fn die(prog: &str, msg: impl std::fmt::Display, code: i32) -> ! {
    eprintln!("{prog}: {msg}");
    exit(code)
}

/// One input: a named file, or standard input for `-` (or when there are no files).
pub fn open(name: &str) -> io::Result<Box<dyn BufRead>> {
    if name == "-" {
        Ok(Box::new(BufReader::new(io::stdin())))
    } else {
        Ok(Box::new(BufReader::new(File::open(name)?)))
    }
}

/// The inputs named on the command line, or standard input.
pub fn inputs(files: &[String]) -> Vec<String> {
    if files.is_empty() {
        vec![String::from("-")]
    } else {
        files.to_vec()
    }
}

/// Reads a whole input.
pub fn read_all(name: &str) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    open(name)?.read_to_end(&mut v)?;
    Ok(v)
}

/// Splits `-n N` / `-nN` / `-N` style count options off the arguments (for head and tail).
pub fn count_option(prog: &str, args: &[String], default: usize) -> (usize, Vec<String>) {
    let mut n = default;
    let mut rest = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let value = if a == "-n" {
            it.next().map(String::as_str)
        } else if let Some(v) = a.strip_prefix("-n") {
            Some(v)
        } else if a.len() > 1 && a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) {
            Some(&a[1..])
        } else {
            rest.push(a.clone());
            continue;
        };
        n = value
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| die(prog, format!("bad count in {a}"), 2));
    }
    (n, rest)
}

/// The per-file loop of head and tail: each input is loaded with `load` (an error is
/// reported as `prog: NAME: error` and makes the status 1), preceded by a `==> NAME <==`
/// header when there are several, and handed to `show` with standard output. Returns the
/// exit status.
pub fn each_input<T>(
    prog: &str,
    names: &[String],
    load: impl Fn(&str) -> io::Result<T>,
    mut show: impl FnMut(T, &mut io::StdoutLock<'static>),
) -> i32 {
    use std::io::Write;
    let mut out = io::stdout().lock();
    let mut status = 0;
    for (i, name) in names.iter().enumerate() {
        if names.len() > 1 {
            let _ = writeln!(out, "{}==> {name} <==", if i > 0 { "\n" } else { "" });
        }
        match load(name) {
            Ok(input) => show(input, &mut out),
            Err(e) => {
                eprintln!("{prog}: {name}: {e}");
                status = 1;
            }
        }
    }
    status
}
