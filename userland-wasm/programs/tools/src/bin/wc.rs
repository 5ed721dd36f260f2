//! wc: counts lines, words and bytes.
use rustos_tools::{die, help, inputs, read_all};

const HELP: &str = "usage: wc [-l] [-w] [-c] [FILE...]
Counts the lines, words and bytes of each FILE (standard input if none or -),
and a total when there are several. -l, -w, -c show only those counts.
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let (mut l, mut w, mut c) = (false, false, false);
    let mut files = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-l" => l = true,
            "-w" => w = true,
            "-c" => c = true,
            s if s.starts_with('-') && s.len() > 1 => die("wc", format!("unknown option {s}"), 2),
            s => files.push(s.to_string()),
        }
    }
    if !(l || w || c) {
        (l, w, c) = (true, true, true);
    }
    let mut total = [0usize; 3];
    let names = inputs(&files);
    let mut status = 0;
    for name in &names {
        let data = match read_all(name) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("wc: {name}: {e}");
                status = 1;
                continue;
            }
        };
        let counts = [
            data.iter().filter(|b| **b == b'\n').count(),
            data.split(|b| b.is_ascii_whitespace())
                .filter(|s| !s.is_empty())
                .count(),
            data.len(),
        ];
        for i in 0..3 {
            total[i] += counts[i];
        }
        print_counts(counts, [l, w, c], if name == "-" { "" } else { name });
    }
    if names.len() > 1 {
        print_counts(total, [l, w, c], "total");
    }
    std::process::exit(status);
}

/// One line of counts: padded columns, or just the number when only one count is asked for
/// (as `wc -l < file` prints `5`).
fn print_counts(counts: [usize; 3], show: [bool; 3], name: &str) {
    let shown: Vec<usize> = counts
        .iter()
        .zip(show)
        .filter(|(_, s)| *s)
        .map(|(n, _)| *n)
        .collect();
    let mut line = if shown.len() == 1 {
        shown[0].to_string()
    } else {
        shown
            .iter()
            .map(|n| format!("{n:>7}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !name.is_empty() {
        line.push(' ');
        line.push_str(name);
    }
    println!("{line}");
}
