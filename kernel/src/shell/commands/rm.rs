//! `rm [-r] path...`: remove files and directories.
use super::Command;
use super::util::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "rm",
    usage: "[-r] path...",
    summary: "remove files (-r: directories too)",
    help: "Removing an initrd file hides it until reboot.",
    run: rm,
};

fn rm(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let (recursive, paths) = split_flag(args, "-r");
    if paths.is_empty() {
        return Err(String::from("usage: rm [-r] path..."));
    }
    for p in paths {
        let abs = resolve(sh, p)?;
        if abs == "/" {
            return Err(String::from("refusing to remove /"));
        }
        crate::fs::with(|fs| fs.remove(&abs, recursive)).map_err(|e| err(p, e))?;
    }
    Ok(())
}
