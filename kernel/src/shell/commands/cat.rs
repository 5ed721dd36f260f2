//! `cat file...`: prints files (invalid UTF-8 shows as U+FFFD).
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "cat",
    usage: "file...",
    summary: "print files",
    help: "",
    run,
};

/// Writes bytes as text, replacing invalid UTF-8.
pub fn write_text(out: &mut Output, bytes: &[u8]) -> Result<(), String> {
    for chunk in bytes.utf8_chunks() {
        out.write_str(chunk.valid())
            .map_err(|_| String::from("out of memory"))?;
        if !chunk.invalid().is_empty() {
            out.write_str("\u{fffd}")
                .map_err(|_| String::from("out of memory"))?;
        }
    }
    Ok(())
}

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        return Err(String::from("usage: cat file..."));
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
