//! `sync`: writes every mounted file system's changes to its disk.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "sync",
    usage: "[-v]",
    summary: "write changes to the disks",
    help: "Writes what changed in mounted file systems to their disks and flushes the \
           disks' caches. The shell already does this after every command; `sync` retries \
           what failed then. -v says what was written.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let verbose = match args.get(1..).unwrap_or(&[]) {
        [] => false,
        ["-v"] => true,
        _ => return Err(String::from("usage: sync [-v]")),
    };
    let lines = crate::fs::sync_all()?;
    if verbose {
        if lines.is_empty() {
            let _ = writeln!(out, "nothing to write: every change is on disk");
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    Ok(())
}
