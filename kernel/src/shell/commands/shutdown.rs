//! `shutdown`: powers off through ACPI, or halts when that is not possible.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "shutdown",
    usage: "",
    summary: "power off (ACPI)",
    help: "Powers off through ACPI (sleep state S5). When the firmware's tables do not allow it, says why and the shell carries on.",
    run: shutdown,
};

fn shutdown(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    // Files on mounted disks first; a disk that cannot be written is reported, and the
    // machine goes down anyway (as asked).
    if let Err(e) = crate::fs::sync_all() {
        crate::println!("sync: {e}");
    }
    crate::println!("Powering off...");
    // Returns only when the machine could not be powered off; the shell carries on.
    Err(crate::drivers::acpi::shutdown())
}
