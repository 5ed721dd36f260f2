//! tail: the last lines of files.
use rustos_tools::{count_option, each_input, help, inputs, read_all};
use std::io::Write;

const HELP: &str = "usage: tail [-n N] [FILE...]
Prints the last N lines (10 by default) of each FILE (standard input if none or -).
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let (n, files) = count_option("tail", &args, 10);
    let status = each_input("tail", &inputs(&files), read_all, |data, out| {
        let body = data.strip_suffix(b"\n").unwrap_or(&data);
        let lines: Vec<&[u8]> = if body.is_empty() {
            Vec::new()
        } else {
            body.split(|b| *b == b'\n').collect()
        };
        for line in &lines[lines.len().saturating_sub(n)..] {
            let _ = out.write_all(line);
            let _ = out.write_all(b"\n");
        }
    });
    std::process::exit(status);
}
