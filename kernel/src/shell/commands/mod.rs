//! The shell's commands: one module each, with its own help text.
//!
//! A command is `fn(&mut Shell, args, out) -> Result<(), String>`: it writes its output
//! to `out` (the console, or a file under redirection) and returns an error message that
//! the shell prints as `name: message`.

use super::{Output, Shell};
use alloc::string::String;

mod clear;
mod date;
mod echo;
mod help;
mod history;
mod kbd;
mod mem;
mod power;
mod uptime;
mod version;

pub type Run = fn(&mut Shell, &[&str], &mut Output) -> Result<(), String>;

/// A shell command.
pub struct Command {
    pub name: &'static str,
    /// Argument synopsis, e.g. `[name]`.
    pub usage: &'static str,
    /// One line for `help`.
    pub summary: &'static str,
    /// Longer help for `help name` (may be empty).
    pub help: &'static str,
    pub run: Run,
}

/// Every command, in the order `help` lists them.
pub static COMMANDS: &[Command] = &[
    help::COMMAND,
    clear::COMMAND,
    echo::COMMAND,
    history::COMMAND,
    uptime::COMMAND,
    date::COMMAND,
    mem::COMMAND,
    kbd::COMMAND,
    version::COMMAND,
    power::REBOOT,
    power::SHUTDOWN,
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Writes redirected output to a file (the file system arrives with the initrd work).
pub fn redirect(
    _shell: &mut Shell,
    _path: &str,
    _append: bool,
    _data: &[u8],
) -> Result<(), String> {
    Err(String::from(
        "redirection needs the file system, which is not available",
    ))
}
