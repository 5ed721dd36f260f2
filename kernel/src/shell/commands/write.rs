//! `write file text...`: replace a file's contents with a line of text (in RAM).
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "write",
    usage: "file text...",
    summary: "write text to a file (in RAM)",
    help: "Replaces the file's contents with the text and a newline. 'echo text >> file' appends. RAM changes are lost at reboot.",
    run: write,
};

fn write(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let p = args
        .get(1)
        .ok_or_else(|| String::from("usage: write file text..."))?;
    let abs = resolve(sh, p)?;
    let mut text = args[2.min(args.len())..].join(" ");
    text.push('\n');
    crate::fs::with(|fs| fs.write(&abs, text.as_bytes())).map_err(|e| err(p, e))
}
