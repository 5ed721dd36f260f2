//! `ls [-l] [path...]`: lists directories.
use super::Command;
use super::util::{err, output_error, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;
use ramfs::{Escaped, Kind};

pub const COMMAND: Command = Command {
    name: "ls",
    usage: "[-l] [path...]",
    summary: "list a directory",
    help: "-l: one entry per line with its kind and size. Directories end in '/'.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let (long, mut paths) = split_flag(args, "-l");
    if paths.is_empty() {
        paths.push(".");
    }
    let many = paths.len() > 1;
    let mut result = Ok(());
    for p in paths {
        let abs = resolve(sh, p)?;
        let r = crate::fs::with(|fs| -> Result<(), String> {
            let meta = fs.metadata(&abs).map_err(|e| err(p, e))?;
            if meta.kind == Kind::File {
                if long {
                    writeln!(out, "-  {:>10}  {}", meta.size, Escaped(p)).map_err(output_error)?;
                } else {
                    writeln!(out, "{}", Escaped(p)).map_err(output_error)?;
                }
                return Ok(());
            }
            // Streamed entry by entry: a directory of any size lists without a copy.
            let entries = fs.entries(&abs).map_err(|e| err(p, e))?;
            if many {
                writeln!(out, "{}:", Escaped(p)).map_err(output_error)?;
            }
            let mut any = false;
            for e in entries {
                let name = Escaped(e.name);
                if long {
                    let (k, slash) = match e.kind {
                        Kind::Dir => ('d', "/"),
                        Kind::Symlink => ('l', ""),
                        Kind::File => ('-', ""),
                    };
                    writeln!(out, "{k}  {:>10}  {name}{slash}", e.size).map_err(output_error)?;
                    continue;
                }
                let sep = if any { "  " } else { "" };
                any = true;
                if e.kind == Kind::Dir {
                    write!(out, "{sep}\x1b[1;34m{name}/\x1b[0m").map_err(output_error)?;
                } else if e.name.ends_with(".wasm") {
                    write!(out, "{sep}\x1b[1;32m{name}\x1b[0m").map_err(output_error)?;
                } else {
                    write!(out, "{sep}{name}").map_err(output_error)?;
                }
            }
            if any && !long {
                writeln!(out).map_err(output_error)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            sh.warn(e);
            result = Err(String::from("some paths could not be listed"));
        }
    }
    result
}
