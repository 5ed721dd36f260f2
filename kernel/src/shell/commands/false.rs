//! `false`: does nothing, unsuccessfully (status 1).
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "false",
    usage: "",
    summary: "do nothing, unsuccessfully (status 1)",
    help: "",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    Err(String::new())
}
