//! `umount`: writes a mounted file system's changes and takes it out of the tree.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "umount",
    usage: "PATH|DEVICE",
    summary: "sync and unmount a file system",
    help: "Writes the changes to the disk (as sync), then removes the mounted files from \
           the tree. If writing fails the file system stays mounted.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let [_, target] = args else {
        return Err(String::from("usage: umount PATH|DEVICE"));
    };
    let at = if target.starts_with('/') || target.starts_with('.') || target.contains('/') {
        super::util::resolve(sh, target)?
    } else {
        String::from(*target)
    };
    if sh.cwd == at || sh.cwd.starts_with(&alloc::format!("{at}/")) {
        return Err(alloc::format!(
            "{at}: busy (the current directory is inside)"
        ));
    }
    crate::fs::umount(&at)
}
