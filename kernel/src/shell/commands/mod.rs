//! The shell's commands: one module each, with its own help text.
//!
//! A command is `fn(&mut Shell, args, out) -> Result<(), String>`: it writes its output
//! to `out` (the console, or a file under redirection) and returns an error message that
//! the shell prints as `name: message`.

use super::{Output, Shell};
use alloc::string::String;

mod bench;
mod cat;
mod cd;
mod clear;
mod cp;
mod date;
mod df;
mod echo;
mod env;
mod export;
mod r#false;
mod games;
mod help;
mod hexdump;
mod history;
mod kbd;
mod ln;
mod ls;
mod lsblk;
mod lspci;
mod lsusb;
mod mem;
mod mkdir;
mod mount;
mod mv;
mod play;
mod pwd;
mod reboot;
mod rm;
mod run;
mod shutdown;
mod stat;
mod sync;
mod touch;
mod tree;
mod r#true;
mod umount;
mod unset;
mod uptime;
pub(crate) mod util;
mod version;
mod which;
mod write;

pub use cat::write_text;
pub use run::program_for;

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
    ls::COMMAND,
    cd::COMMAND,
    pwd::COMMAND,
    cat::COMMAND,
    hexdump::COMMAND,
    stat::COMMAND,
    tree::COMMAND,
    touch::COMMAND,
    mkdir::COMMAND,
    write::COMMAND,
    rm::COMMAND,
    cp::COMMAND,
    mv::COMMAND,
    ln::COMMAND,
    df::COMMAND,
    games::COMMAND,
    play::COMMAND,
    run::COMMAND,
    clear::COMMAND,
    echo::COMMAND,
    history::COMMAND,
    export::COMMAND,
    unset::COMMAND,
    env::COMMAND,
    which::COMMAND,
    r#true::COMMAND,
    r#false::COMMAND,
    uptime::COMMAND,
    date::COMMAND,
    mem::COMMAND,
    kbd::COMMAND,
    version::COMMAND,
    lspci::COMMAND,
    lsusb::COMMAND,
    lsblk::COMMAND,
    mount::COMMAND,
    umount::COMMAND,
    sync::COMMAND,
    bench::COMMAND,
    reboot::COMMAND,
    shutdown::COMMAND,
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Writes redirected output (`> file`, `>> file`) to a file.
pub fn redirect(shell: &Shell, path: &str, append: bool, data: &[u8]) -> Result<(), String> {
    // The shell prints `cmd: path: message`, so only the message is returned here.
    crate::fs::with(|fs| {
        let abs = fs.resolve(&shell.cwd, path)?;
        if append {
            fs.append(&abs, data)
        } else {
            fs.write(&abs, data)
        }
    })
    .map_err(|e| alloc::format!("{e}"))
}
