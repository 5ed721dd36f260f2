//! `cd [path]` and `pwd`.
use super::Command;
use super::files::{err, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;
use ramfs::{FsError, Kind};

pub const CD: Command = Command {
    name: "cd",
    usage: "[path]",
    summary: "change the current directory (default /)",
    help: "",
    run: cd,
};

pub const PWD: Command = Command {
    name: "pwd",
    usage: "",
    summary: "print the current directory",
    help: "",
    run: pwd,
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

fn pwd(sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let _ = writeln!(out, "{}", sh.cwd);
    Ok(())
}
