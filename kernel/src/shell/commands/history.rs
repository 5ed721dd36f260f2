//! `history`: the lines typed so far (Up/Down recall them).
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "history",
    usage: "",
    summary: "show the command history",
    help: "",
    run,
};

fn run(sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    for (i, line) in sh.editor.history().enumerate() {
        writeln!(out, "{:4}  {line}", i + 1).map_err(output_error)?;
    }
    Ok(())
}
