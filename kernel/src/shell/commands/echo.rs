//! `echo [-n] words...`: prints its arguments.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "echo",
    usage: "[-n] [text...]",
    summary: "print text (use > file or >> file to write it to a file)",
    help: "Prints its arguments separated by spaces. -n: no newline at the end.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let (newline, words) = match args.get(1) {
        Some(&"-n") => (false, &args[2..]),
        _ => (true, &args[1.min(args.len())..]),
    };
    let mut first = true;
    for w in words {
        if !first {
            out.write_str(" ").map_err(output_error)?;
        }
        out.write_str(w).map_err(output_error)?;
        first = false;
    }
    if newline {
        out.write_str("\n").map_err(output_error)?;
    }
    Ok(())
}
