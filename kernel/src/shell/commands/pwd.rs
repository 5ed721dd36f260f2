//! `pwd`: prints the current directory.
use super::Command;
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
    let _ = writeln!(out, "{}", sh.cwd);
    Ok(())
}
