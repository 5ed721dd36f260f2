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
    // Files on mounted disks first; a disk that cannot be written is reported, and the
    // machine goes down anyway (as asked).
    if let Err(e) = crate::fs::sync_all() {
        crate::println!("sync: {e}");
    }
    crate::println!("Rebooting...");
    crate::drivers::acpi::reboot()
}
