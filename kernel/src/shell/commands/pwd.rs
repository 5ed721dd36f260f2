//! `pwd`: prints the current directory.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "pwd",
    usage: "",
    summary: "print the current directory",
    help: "",
    run: pwd,
};

fn pwd(sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    writeln!(out, "{}", ramfs::Escaped(&sh.cwd)).map_err(output_error)?;
    Ok(())
}
