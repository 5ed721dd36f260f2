//! `date`: the date and time from the CMOS clock.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "date",
    usage: "",
    summary: "show the date and time (CMOS clock)",
    help: "The PC's clock has no time zone; it is usually UTC.",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let t = crate::drivers::rtc::now();
    writeln!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
    .map_err(output_error)?;
    Ok(())
}
