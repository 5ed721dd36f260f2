//! `true`: does nothing, successfully (status 0).
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "true",
    usage: "",
    summary: "do nothing, successfully",
    help: "",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    Ok(())
}
