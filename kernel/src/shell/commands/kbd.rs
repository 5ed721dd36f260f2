//! `kbd [layout]`: shows or switches the keyboard layout.
use super::Command;
use crate::drivers::keyboard::LAYOUTS;
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "kbd",
    usage: "[us|uk|de|fr|dvorak|colemak]",
    summary: "show or set the keyboard layout",
    help: "Without an argument, shows the current layout and the choices.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    match args.get(1) {
        None => {
            let cur = crate::input::layout();
            let _ = writeln!(out, "layout: {cur}");
            for (name, desc) in LAYOUTS {
                let mark = if *name == cur { '*' } else { ' ' };
                let _ = writeln!(out, " {mark} {name:<8} {desc}");
            }
            Ok(())
        }
        Some(name) => {
            if crate::input::set_layout(name) {
                let _ = writeln!(out, "layout: {name}");
                Ok(())
            } else {
                Err(format!(
                    "unknown layout '{name}' (try: us uk de fr dvorak colemak)"
                ))
            }
        }
    }
}
