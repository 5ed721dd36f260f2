//! `cp [-r] from to`: copy a file or a directory tree.
use super::Command;
use super::util::{err, split_flag, two_paths};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "cp",
    usage: "[-r] from to",
    summary: "copy a file (-r: a directory)",
    help: "Copying into an existing directory puts the copy inside it.",
    run: cp,
};

fn cp(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let (recursive, paths) = split_flag(args, "-r");
    let (from, to) = two_paths(sh, &paths, "usage: cp [-r] from to")?;
    crate::fs::with(|fs| fs.copy(&from, &to, recursive)).map_err(|e| err(paths[0], e))
}
