//! `reboot`: restarts the machine.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "reboot",
    usage: "",
    summary: "restart the machine",
    help: "",
    run: reboot,
};

fn reboot(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    crate::println!("Rebooting...");
    crate::drivers::acpi::reboot()
}
