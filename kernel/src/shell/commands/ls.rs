//! `ls [-l] [path...]`: lists directories.
use super::Command;
use super::util::{err, resolve, split_flag};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;
use ramfs::Kind;

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
                    let _ = writeln!(out, "-  {:>10}  {p}", meta.size);
                } else {
                    let _ = writeln!(out, "{p}");
                }
                return Ok(());
            }
            let entries = fs.read_dir(&abs).map_err(|e| err(p, e))?;
            if many {
                let _ = writeln!(out, "{p}:");
            }
            if long {
                for e in &entries {
                    let (k, slash) = if e.kind == Kind::Dir {
                        ('d', "/")
                    } else {
                        ('-', "")
                    };
                    let _ = writeln!(out, "{k}  {:>10}  {}{slash}", e.size, e.name);
                }
            } else {
                let mut line = String::new();
                for e in &entries {
                    if e.kind == Kind::Dir {
                        let _ = write!(line, "\x1b[1;34m{}/\x1b[0m  ", e.name);
                    } else if e.name.ends_with(".wasm") {
                        let _ = write!(line, "\x1b[1;32m{}\x1b[0m  ", e.name);
                    } else {
                        let _ = write!(line, "{}  ", e.name);
                    }
                }
                if !line.is_empty() {
                    let _ = writeln!(out, "{}", line.trim_end());
                }
            }
            Ok(())
        });
        if let Err(e) = r {
            crate::println!("ls: {e}");
            result = Err(String::from("some paths could not be listed"));
        }
    }
    result
}
