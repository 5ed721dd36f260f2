//! `tree [path]`: the directory tree.
use super::Command;
use super::util::{err, output_error, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use ramfs::{Escaped, Kind};

pub const COMMAND: Command = Command {
    name: "tree",
    usage: "[path]",
    summary: "show a directory tree",
    help: "",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let p = args.get(1).copied().unwrap_or(".");
    let abs = resolve(sh, p)?;
    let (mut files, mut dirs) = (0, 0);
    // Whether each ancestor level still has siblings below (draws the "│" rails).
    let mut open: Vec<bool> = Vec::new();
    let mut written = Ok(());
    crate::fs::with(|fs| {
        fs.walk(&abs, |e| {
            if written.is_err() {
                return;
            }
            if e.depth == 0 {
                written = writeln!(out, "{}", Escaped(e.path));
                return;
            }
            open.truncate(e.depth - 1);
            let mut line = String::new();
            for &more in &open {
                line.push_str(if more { "│   " } else { "    " });
            }
            line.push_str(if e.is_last {
                "└── "
            } else {
                "├── "
            });
            let _ = write!(line, "{}", Escaped(e.name));
            if e.kind == Kind::Dir {
                line.push('/');
                dirs += 1;
            } else {
                files += 1;
            }
            written = writeln!(out, "{line}");
            open.push(!e.is_last);
        })
    })
    .map_err(|e| err(p, e))?;
    written.map_err(output_error)?;
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    writeln!(
        out,
        "\n{dirs} {}, {files} {}",
        plural(dirs, "directory", "directories"),
        plural(files, "file", "files")
    )
    .map_err(output_error)?;
    Ok(())
}
