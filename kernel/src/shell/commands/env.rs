//! `env`: prints the environment programs get (the exported variables).
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "env",
    usage: "",
    summary: "print the exported variables",
    help: "One NAME=value per line. 'export' adds variables; 'NAME=value cmd' sets one for \
           a single command.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() > 1 {
        return Err(String::from("usage: env"));
    }
    for (name, value) in sh.vars.environment(&[]) {
        writeln!(out, "{name}={}", ramfs::Escaped(&value)).map_err(output_error)?;
    }
    Ok(())
}
