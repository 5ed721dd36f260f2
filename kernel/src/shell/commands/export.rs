//! `export [NAME[=value]...]`: puts variables into programs' environment.
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "export",
    usage: "[NAME[=value]...]",
    summary: "export variables to programs (no argument: list them)",
    help: "'export NAME=value' sets and exports; 'export NAME' exports an existing (or \
           empty) variable. Programs see exported variables as their environment.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() < 2 {
        for (name, value) in sh.vars.environment(&[]) {
            writeln!(out, "export {name}={}", ramfs::Escaped(&value)).map_err(output_error)?;
        }
        return Ok(());
    }
    for arg in &args[1..] {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*arg, None),
        };
        if let Some(v) = value {
            sh.vars.set(name, v)?;
        }
        if !sh.vars.export(name) {
            return Err(format!("'{}': not a valid name", ramfs::Escaped(name)));
        }
    }
    Ok(())
}
