//! `mkdir [-p] dir...`: create directories (in RAM).
use super::Command;
use super::util::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "mkdir",
    usage: "[-p] dir...",
    summary: "create directories (in RAM)",
    help: "-p: create missing parents too, and accept existing directories. RAM changes are lost at reboot.",
    run: mkdir,
};

fn mkdir(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let (parents, paths) = split_flag(args, "-p");
    if paths.is_empty() {
        return Err(String::from("usage: mkdir [-p] dir..."));
    }
    for p in paths {
        let abs = resolve(sh, p)?;
        crate::fs::with(|fs| {
            if parents {
                fs.mkdir_all(&abs)
            } else {
                fs.mkdir(&abs)
            }
        })
        .map_err(|e| err(p, e))?;
    }
    Ok(())
}
