//! rhai: runs scripts in Rhai, a small scripting language made for embedding in Rust
//! (the `rhai` crate). With a file, runs it; with `-e CODE`, runs CODE; with neither, reads
//! statements from standard input a line at a time and prints each result (a REPL).

use rhai::{Array, Dynamic, Engine, Scope};
use std::io::{BufRead, Write};

const HELP: &str = "usage: rhai [FILE [ARGS...]] | rhai -e CODE [ARGS...]
Runs a Rhai script (a small, safe scripting language with a Rust-like syntax).
The script sees its arguments as the array `args`. Without FILE or -e, reads
lines from standard input and prints the value of each (end with Ctrl-C).
Example: rhai -e 'let x = 6; print(x * 7)'
Language reference: the Rhai book (rhai.rs/book).
";

fn main() {
    // WASI has no current directory; RustOS passes the shell's as PWD (see docs/programs.md).
    if let Ok(pwd) = std::env::var("PWD") {
        let _ = std::env::set_current_dir(pwd);
    }
    let args: Vec<String> = std::env::args().collect();
    if args
        .iter()
        .skip(1)
        .take(1)
        .any(|a| a == "--help" || a == "-h")
    {
        print!("{HELP}");
        return;
    }
    let engine = Engine::new();
    let mut scope = Scope::new();
    let script_args = |from: usize| -> Array {
        args.iter()
            .skip(from)
            .map(|a| Dynamic::from(a.clone()))
            .collect()
    };
    match args.get(1).map(String::as_str) {
        Some("-e") => {
            let Some(code) = args.get(2) else {
                eprintln!("rhai: -e needs code");
                std::process::exit(2);
            };
            scope.push("args", script_args(3));
            run(&engine, &mut scope, code);
        }
        Some(file) => {
            let code = std::fs::read_to_string(file).unwrap_or_else(|e| {
                eprintln!("rhai: {file}: {e}");
                std::process::exit(2)
            });
            scope.push("args", script_args(2));
            run(&engine, &mut scope, &code);
        }
        None => repl(&engine, &mut scope),
    }
}

fn run(engine: &Engine, scope: &mut Scope, code: &str) {
    if let Err(e) = engine.run_with_scope(scope, code) {
        eprintln!("rhai: {e}");
        std::process::exit(1);
    }
}

fn repl(engine: &Engine, scope: &mut Scope) {
    scope.push("args", Array::new());
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    print!("rhai> ");
    let _ = out.flush();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if !line.trim().is_empty() {
            match engine.eval_with_scope::<Dynamic>(scope, &line) {
                Ok(v) if !v.is_unit() => println!("{v}"),
                Ok(_) => {}
                Err(e) => println!("error: {e}"),
            }
        }
        print!("rhai> ");
        let _ = out.flush();
    }
    println!();
}
