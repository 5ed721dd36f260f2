//! find: walks directory trees and prints the paths that match.
use regex::Regex;
use rustos_tools::{die, help};
use std::fs;
use std::path::Path;

const HELP: &str = "usage: find [PATH...] [-name PATTERN] [-type f|d] [-maxdepth N]
Prints every path under each PATH (. if none) that matches: -name compares the last
component with a shell pattern (* and ? wildcards, [abc] sets), -type f selects files
and -type d directories, -maxdepth limits how deep to go.
";

/// A shell pattern as an anchored regular expression.
fn glob(p: &str) -> Regex {
    let mut re = String::from("^");
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut set = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    set.push(d);
                }
                re.push('[');
                re.push_str(&set.replace('\\', "\\\\"));
                re.push(']');
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).unwrap_or_else(|e| die("find", e, 2))
}

struct Filter {
    name: Option<Regex>,
    kind: Option<char>,
    max: usize,
}

fn visit(path: &Path, depth: usize, f: &Filter, status: &mut i32) {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("find: {}: {e}", path.display());
            *status = 1;
            return;
        }
    };
    let name = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
    let kind_ok = match f.kind {
        Some('f') => meta.is_file(),
        Some('d') => meta.is_dir(),
        _ => true,
    };
    if kind_ok && f.name.as_ref().is_none_or(|re| re.is_match(&name)) {
        println!("{}", path.display());
    }
    if meta.is_dir() && depth < f.max {
        let mut entries: Vec<_> = match fs::read_dir(path) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) => {
                eprintln!("find: {}: {e}", path.display());
                *status = 1;
                return;
            }
        };
        entries.sort();
        for p in entries {
            visit(&p, depth + 1, f, status);
        }
    }
}

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let mut roots = Vec::new();
    let mut f = Filter {
        name: None,
        kind: None,
        max: usize::MAX,
    };
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .unwrap_or_else(|| die("find", format!("{a} needs a value"), 2))
        };
        match a.as_str() {
            "-name" => f.name = Some(glob(&value())),
            "-type" => {
                let v = value();
                if v != "f" && v != "d" {
                    die("find", "-type takes f or d", 2);
                }
                f.kind = v.chars().next();
            }
            "-maxdepth" => {
                f.max = value()
                    .parse()
                    .unwrap_or_else(|_| die("find", "bad -maxdepth", 2))
            }
            s if s.starts_with('-') => die("find", format!("unknown option {s}"), 2),
            s => roots.push(s.to_string()),
        }
    }
    if roots.is_empty() {
        roots.push(String::from("."));
    }
    let mut status = 0;
    for r in &roots {
        visit(Path::new(r), 0, &f, &mut status);
    }
    std::process::exit(status);
}
