//! `mv from to`: move or rename.
use super::Command;
use super::util::{err, two_paths};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "mv",
    usage: "from to",
    summary: "move or rename",
    help: "Moving into an existing directory puts the entry inside it.",
    run: mv,
};

fn mv(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let paths: alloc::vec::Vec<&str> = args.iter().skip(1).copied().collect();
    let (from, to) = two_paths(sh, &paths, "usage: mv from to")?;
    crate::fs::with(|fs| fs.rename(&from, &to)).map_err(|e| err(paths[0], e))
}
