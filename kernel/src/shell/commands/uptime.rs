//! `uptime`: time since the timer started.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "uptime",
    usage: "",
    summary: "time since boot",
    help: "",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let ms = crate::arch::clock::uptime_ms();
    let s = ms / 1000;
    writeln!(
        out,
        "up {}:{:02}:{:02}.{:03}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
    .map_err(output_error)?;
    Ok(())
}
