//! `cd [path]`: changes the shell's current directory.
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use ramfs::{FsError, Kind};

pub const COMMAND: Command = Command {
    name: "cd",
    usage: "[path]",
    summary: "change the current directory (default /)",
    help: "",
    run: cd,
};

fn cd(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let target = args.get(1).copied().unwrap_or("/");
    let abs = resolve(sh, target)?;
    match crate::fs::with(|fs| fs.metadata(&abs)) {
        Ok(m) if m.kind == Kind::Dir => {
            sh.cwd = abs;
            Ok(())
        }
        Ok(_) => Err(err(target, FsError::NotADirectory)),
        Err(e) => Err(err(target, e)),
    }
}
