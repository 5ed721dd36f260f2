//! sort: sorts lines.
use rustos_tools::{die, help, inputs, read_all};

const HELP: &str = "usage: sort [-r] [-n] [-u] [FILE...]
Sorts the lines of all FILEs together (standard input if none or -) and prints them.
-r reverses the order, -n compares leading numbers, -u drops repeated lines.
";

fn number(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-'))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    t[..end].parse().unwrap_or(0.0)
}

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let (mut r, mut n, mut u) = (false, false, false);
    let mut files = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-r" => r = true,
            "-n" => n = true,
            "-u" => u = true,
            s if s.starts_with('-') && s.len() > 1 => die("sort", format!("unknown option {s}"), 2),
            s => files.push(s.to_string()),
        }
    }
    let mut lines = Vec::new();
    for name in inputs(&files) {
        let data = read_all(&name).unwrap_or_else(|e| die("sort", format!("{name}: {e}"), 2));
        let text = String::from_utf8_lossy(&data).into_owned();
        lines.extend(text.lines().map(String::from));
    }
    if n {
        lines.sort_by(|a, b| number(a).total_cmp(&number(b)).then_with(|| a.cmp(b)));
    } else {
        lines.sort();
    }
    if u {
        lines.dedup();
    }
    if r {
        lines.reverse();
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    print!("{out}");
}
