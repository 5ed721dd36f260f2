//! `clear`: clears the screen.
use super::Command;
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
    let _ = write!(out, "\x1b[2J\x1b[H");
    Ok(())
}
