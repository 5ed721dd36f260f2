//! `df`: file-system usage.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "df",
    usage: "",
    summary: "show file-system usage",
    help: "Files from the initrd are read in place from the archive in memory; files created or changed since boot live on the heap.",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let s = crate::fs::with(|fs| fs.stats());
    writeln!(
        out,
        "files: {} ({} unchanged from the initrd), directories: {}",
        s.files, s.initrd_files, s.dirs
    )
    .map_err(output_error)?;
    writeln!(
        out,
        "initrd archive: {} KiB in memory; file data served from it: {} KiB",
        s.archive_bytes / 1024,
        s.initrd_bytes / 1024
    )
    .map_err(output_error)?;
    writeln!(
        out,
        "RAM layer: {} bytes of file data on the heap (lost at reboot)",
        s.ram_bytes
    )
    .map_err(output_error)?;
    Ok(())
}
