//! `clear`: clears the screen.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "clear",
    usage: "",
    summary: "clear the screen",
    help: "",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    write!(out, "\x1b[2J\x1b[H").map_err(output_error)?;
    Ok(())
}
