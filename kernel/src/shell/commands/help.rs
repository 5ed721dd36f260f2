//! `help [command]`: lists the commands, or explains one.
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
            let _ = writeln!(out, "{} {}\n  {}", c.name, c.usage, c.summary);
            if !c.help.is_empty() {
                let _ = writeln!(out, "\n{}", c.help);
            }
        }
        None => {
            let _ = writeln!(out, "Commands (type 'help NAME' for details):");
            for c in COMMANDS {
                let syn = format!("{} {}", c.name, c.usage);
                let _ = writeln!(out, "  {syn:<24} {}", c.summary);
            }
            let _ = writeln!(
                out,
                "Keys: Left/Right/Home/End edit, Up/Down history, Tab completes, Ctrl-C cancels, Ctrl-L clears."
            );
        }
    }
    Ok(())
}
