//! `rm [-r] path...`, `cp [-r] from to`, `mv from to`.
use super::Command;
use super::files::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const RM: Command = Command {
    name: "rm",
    usage: "[-r] path...",
    summary: "remove files (-r: directories too)",
    help: "Removing an initrd file hides it until reboot.",
    run: rm,
};

pub const CP: Command = Command {
    name: "cp",
    usage: "[-r] from to",
    summary: "copy a file (-r: a directory)",
    help: "Copying into an existing directory puts the copy inside it.",
    run: cp,
};

pub const MV: Command = Command {
    name: "mv",
    usage: "from to",
    summary: "move or rename",
    help: "Moving into an existing directory puts the entry inside it.",
    run: mv,
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

fn two_paths(sh: &Shell, paths: &[&str], usage: &str) -> Result<(String, String), String> {
    match paths {
        [a, b] => Ok((resolve(sh, a)?, resolve(sh, b)?)),
        _ => Err(String::from(usage)),
    }
}

fn cp(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let (recursive, paths) = split_flag(args, "-r");
    let (from, to) = two_paths(sh, &paths, "usage: cp [-r] from to")?;
    crate::fs::with(|fs| fs.copy(&from, &to, recursive)).map_err(|e| err(paths[0], e))
}

fn mv(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let paths: alloc::vec::Vec<&str> = args.iter().skip(1).copied().collect();
    let (from, to) = two_paths(sh, &paths, "usage: mv from to")?;
    crate::fs::with(|fs| fs.rename(&from, &to)).map_err(|e| err(paths[0], e))
}
