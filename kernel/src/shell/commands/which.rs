//! `which NAME...`: says what a command name runs: a shell built-in or a program file.
use super::util::output_error;
use super::{Command, find};
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "which",
    usage: "NAME...",
    summary: "show what a command name runs",
    help: "Built-ins are named as such; other names are looked up as NAME.wasm in the \
           directories of $PATH (separated by ':').",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        return Err(String::from("usage: which NAME..."));
    }
    let mut missing = None;
    for name in &args[1..] {
        if find(name).is_some() {
            writeln!(out, "{name}: shell built-in").map_err(output_error)?;
        } else if let Some(path) = sh.find_program(name) {
            writeln!(out, "{}", ramfs::Escaped(&path)).map_err(output_error)?;
        } else {
            missing = Some(*name);
        }
    }
    match missing {
        Some(name) => Err(format!("no {} in built-ins or $PATH", ramfs::Escaped(name))),
        None => Ok(()),
    }
}
