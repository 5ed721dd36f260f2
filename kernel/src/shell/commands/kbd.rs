//! `kbd [layout]`: shows or switches the keyboard layout.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;
use keys::{LAYOUTS, layout_names};

pub const COMMAND: Command = Command {
    name: "kbd",
    usage: "[layout]",
    summary: "show or set the keyboard layout",
    help: "Without an argument, shows the current layout and the choices.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    match args.get(1) {
        None => {
            let cur = crate::drivers::input::layout();
            writeln!(out, "layout: {cur}").map_err(output_error)?;
            for l in LAYOUTS {
                let mark = if l.name == cur { '*' } else { ' ' };
                writeln!(out, " {mark} {:<8} {}", l.name, l.description).map_err(output_error)?;
            }
            Ok(())
        }
        Some(name) => {
            if crate::drivers::input::set_layout(name) {
                writeln!(out, "layout: {name}").map_err(output_error)?;
                Ok(())
            } else {
                Err(format!(
                    "unknown layout '{name}' (try: {})",
                    layout_names(" ")
                ))
            }
        }
    }
}
