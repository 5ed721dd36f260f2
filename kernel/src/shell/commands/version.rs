//! `version`: kernel version and build facts.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "version",
    usage: "",
    summary: "show the RustOS version",
    help: "",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let (name, version) = crate::bootloader();
    writeln!(
        out,
        "RustOS {} (x86_64, Limine protocol; booted by {name} {version})",
        crate::VERSION
    )
    .map_err(output_error)?;
    Ok(())
}
