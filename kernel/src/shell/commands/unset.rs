//! `unset NAME...`: removes shell variables.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "unset",
    usage: "NAME...",
    summary: "remove variables",
    help: "",
    run,
};

fn run(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        return Err(String::from("usage: unset NAME..."));
    }
    for name in &args[1..] {
        sh.vars.unset(name);
    }
    Ok(())
}
