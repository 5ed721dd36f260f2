//! `stat path`: kind, size and origin of a file or directory.
use super::Command;
use super::util::{err, output_error, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;
use ramfs::Kind;

pub const COMMAND: Command = Command {
    name: "stat",
    usage: "path",
    summary: "show a file's kind and size",
    help: "",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let p = args
        .get(1)
        .ok_or_else(|| String::from("usage: stat path"))?;
    let abs = resolve(sh, p)?;
    let m = crate::fs::with(|fs| fs.metadata(&abs)).map_err(|e| err(p, e))?;
    writeln!(out, "  path: {abs}").map_err(output_error)?;
    match m.kind {
        Kind::File => {
            writeln!(out, "  kind: file\n  size: {} bytes", m.size).map_err(output_error)?;
        }
        Kind::Dir => {
            writeln!(out, "  kind: directory\n  entries: {}", m.size).map_err(output_error)?;
        }
    }
    let origin = if m.in_ram {
        "RAM (created or changed since boot)"
    } else {
        "initrd"
    };
    writeln!(out, "  stored in: {origin}").map_err(output_error)?;
    Ok(())
}
