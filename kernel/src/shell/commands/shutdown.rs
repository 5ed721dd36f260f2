//! `shutdown`: powers off through ACPI, or halts when that is not possible.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "shutdown",
    usage: "",
    summary: "power off (ACPI)",
    help: "Powers off through ACPI (sleep state S5). Without ACPI it halts the CPU instead.",
    run: shutdown,
};

fn shutdown(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    crate::println!("Powering off...");
    let why = crate::drivers::acpi::shutdown();
    crate::println!("shutdown: {why}; halting instead. It is now safe to turn off the machine.");
    crate::halt_forever()
}
