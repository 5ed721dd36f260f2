//! `touch file...`: create empty files (in RAM).
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "touch",
    usage: "file...",
    summary: "create empty files (in RAM)",
    help: "Creates each file if it does not exist. RAM changes are lost at reboot.",
    run: touch,
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
