//! `cat [file...]`: prints files, or its standard input when given none (a pipe or a
//! `< file`); invalid UTF-8 shows as U+FFFD.
use super::Command;
use super::util::{err, output_error, resolve};
use crate::shell::{Input, Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "cat",
    usage: "[file...]",
    summary: "print files (or standard input)",
    help: "Without a file, prints its standard input: 'echo hi | cat', 'cat < file'.",
    run,
};

/// Writes bytes as text, replacing invalid UTF-8.
pub fn write_text(out: &mut Output, bytes: &[u8]) -> Result<(), String> {
    for chunk in bytes.utf8_chunks() {
        out.write_str(chunk.valid()).map_err(output_error)?;
        if !chunk.invalid().is_empty() {
            out.write_str("\u{fffd}").map_err(output_error)?;
        }
    }
    Ok(())
}

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        return match &sh.stdin {
            Input::Bytes(bytes) => write_text(out, bytes),
            Input::Terminal => Err(String::from(
                "usage: cat file... (reading the terminal needs a pipe or '< file')",
            )),
        };
    }
    for p in &args[1..] {
        let abs = resolve(sh, p)?;
        crate::fs::with(|fs| -> Result<(), String> {
            let data = fs.read(&abs).map_err(|e| err(p, e))?;
            write_text(out, data)
        })?;
    }
    Ok(())
}
