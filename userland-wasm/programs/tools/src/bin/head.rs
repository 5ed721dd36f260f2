//! head: the first lines of files.
use rustos_tools::{count_option, each_input, help, inputs, open};
use std::io::{BufRead, Write};

const HELP: &str = "usage: head [-n N] [FILE...]
Prints the first N lines (10 by default) of each FILE (standard input if none or -).
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let (n, files) = count_option("head", &args, 10);
    let status = each_input("head", &inputs(&files), open, |input, out| {
        for line in input.split(b'\n').take(n) {
            let Ok(line) = line else { break };
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
        }
    });
    std::process::exit(status);
}
