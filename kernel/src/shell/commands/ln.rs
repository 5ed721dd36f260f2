//! `ln [-s] target name`: makes a hard link (another name for a file) or, with `-s`, a
//! symbolic link (a name that points to a path).
use super::Command;
use super::util::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "ln",
    usage: "[-s] target name",
    summary: "link a name to a file (-s: a symbolic link)",
    help: "A hard link is a second name for the same file: changes through either name \
           show in both, and the data stays until the last name is removed. A symbolic \
           link stores the target path as given (relative targets are resolved from the \
           link's directory) and may dangle.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let (symbolic, paths) = split_flag(args, "-s");
    let [target, name] = paths.as_slice() else {
        return Err(String::from("usage: ln [-s] target name"));
    };
    let link = resolve(sh, name)?;
    if symbolic {
        crate::fs::with(|fs| fs.symlink(target, &link)).map_err(|e| err(name, e))
    } else {
        let existing = resolve(sh, target)?;
        crate::fs::with(|fs| fs.hard_link(&existing, &link)).map_err(|e| err(name, e))
    }
}
