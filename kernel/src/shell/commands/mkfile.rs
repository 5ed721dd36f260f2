//! Commands that create and change files: `touch`, `mkdir`, `write`.
//! Changes live in RAM and are lost at reboot.
use super::Command;
use super::files::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const TOUCH: Command = Command {
    name: "touch",
    usage: "file...",
    summary: "create empty files (in RAM)",
    help: "Creates each file if it does not exist. RAM changes are lost at reboot.",
    run: touch,
};

pub const MKDIR: Command = Command {
    name: "mkdir",
    usage: "[-p] dir...",
    summary: "create directories (in RAM)",
    help: "-p: create missing parents too, and accept existing directories. RAM changes are lost at reboot.",
    run: mkdir,
};

pub const WRITE: Command = Command {
    name: "write",
    usage: "file text...",
    summary: "write text to a file (in RAM)",
    help: "Replaces the file's contents with the text and a newline. 'echo text >> file' appends. RAM changes are lost at reboot.",
    run: write,
};

fn touch(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        return Err(String::from("usage: touch file..."));
    }
    for p in &args[1..] {
        let abs = resolve(sh, p)?;
        crate::fs::with(|fs| fs.touch(&abs)).map_err(|e| err(p, e))?;
    }
    Ok(())
}

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

fn write(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let p = args
        .get(1)
        .ok_or_else(|| String::from("usage: write file text..."))?;
    let abs = resolve(sh, p)?;
    let mut text = args[2.min(args.len())..].join(" ");
    text.push('\n');
    crate::fs::with(|fs| fs.write(&abs, text.as_bytes())).map_err(|e| err(p, e))
}
