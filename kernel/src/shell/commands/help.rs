//! `help [command]`: lists the commands, or explains one.
use super::util::output_error;
use super::{COMMANDS, Command, find};
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "help",
    usage: "[command]",
    summary: "list the commands, or show help for one",
    help: "",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    match args.get(1) {
        Some(name) => {
            let c = find(name).ok_or_else(|| format!("no such command: {name}"))?;
            writeln!(out, "{} {}\n  {}", c.name, c.usage, c.summary).map_err(output_error)?;
            if !c.help.is_empty() {
                writeln!(out, "\n{}", c.help).map_err(output_error)?;
            }
        }
        None => {
            writeln!(out, "Commands (type 'help NAME' for details):").map_err(output_error)?;
            for c in COMMANDS {
                let syn = format!("{} {}", c.name, c.usage);
                writeln!(out, "  {syn:<24} {}", c.summary).map_err(output_error)?;
            }
            writeln!(
                out,
                "Keys: Left/Right/Home/End edit, Up/Down history, Tab completes, Ctrl-C cancels, Ctrl-L clears."
            ).map_err(output_error)?;
        }
    }
    Ok(())
}
