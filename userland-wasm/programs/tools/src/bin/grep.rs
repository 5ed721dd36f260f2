//! grep: prints lines that match a regular expression (the `regex` crate's syntax).
use regex::RegexBuilder;
use rustos_tools::{die, help, inputs, open};
use std::io::BufRead;

const HELP: &str = "usage: grep [-i] [-v] [-n] [-c] [-q] PATTERN [FILE...]
Prints the lines of each FILE (standard input if none or -) that match the regular
expression PATTERN (Rust `regex` syntax). -i ignores case, -v selects lines that do
not match, -n numbers lines, -c prints only a count, -q prints nothing.
Exit status: 0 if a line was selected, 1 if none, 2 on an error.
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let (mut i, mut v, mut n, mut c, mut q) = (false, false, false, false, false);
    let mut rest = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-i" => i = true,
            "-v" => v = true,
            "-n" => n = true,
            "-c" => c = true,
            "-q" => q = true,
            s if s.starts_with('-') && s.len() > 1 && rest.is_empty() => {
                die("grep", format!("unknown option {s}"), 2)
            }
            s => rest.push(s.to_string()),
        }
    }
    let Some(pattern) = rest.first() else {
        die(
            "grep",
            "usage: grep [-i] [-v] [-n] [-c] [-q] PATTERN [FILE...]",
            2,
        )
    };
    let re = RegexBuilder::new(pattern)
        .case_insensitive(i)
        .build()
        .unwrap_or_else(|e| die("grep", e, 2));
    let names = inputs(&rest[1..]);
    let many = names.len() > 1;
    let mut found = false;
    let mut status = 1;
    for name in &names {
        let input = match open(name) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("grep: {name}: {e}");
                status = 2;
                continue;
            }
        };
        let mut count = 0;
        for (no, line) in input.split(b'\n').enumerate() {
            let Ok(line) = line else { break };
            let text = String::from_utf8_lossy(&line);
            if re.is_match(&text) != v {
                found = true;
                count += 1;
                if q || c {
                    continue;
                }
                let prefix = if many {
                    format!("{name}:")
                } else {
                    String::new()
                };
                let num = if n {
                    format!("{}:", no + 1)
                } else {
                    String::new()
                };
                println!("{prefix}{num}{text}");
            }
        }
        if c && !q {
            if many {
                println!("{name}:{count}");
            } else {
                println!("{count}");
            }
        }
    }
    if found && status != 2 {
        status = 0;
    }
    std::process::exit(status);
}
