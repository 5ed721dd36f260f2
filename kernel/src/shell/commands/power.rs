//! `reboot` and `shutdown`.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const REBOOT: Command = Command {
    name: "reboot",
    usage: "",
    summary: "restart the machine",
    help: "",
    run: reboot,
};

pub const SHUTDOWN: Command = Command {
    name: "shutdown",
    usage: "",
    summary: "power off (ACPI)",
    help: "Powers off through ACPI (sleep state S5). Without ACPI it halts the CPU instead.",
    run: shutdown,
};

fn reboot(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    crate::println!("Rebooting...");
    crate::power::reboot()
}

fn shutdown(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    crate::println!("Powering off...");
    let why = crate::power::shutdown();
    crate::println!("shutdown: {why}; halting instead. It is now safe to turn off the machine.");
    crate::halt_forever()
}
