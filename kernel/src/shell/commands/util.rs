//! Helpers shared by the file commands: path resolution and error wording.
use crate::shell::Shell;
use alloc::format;
use alloc::string::String;
use ramfs::FsError;

/// Resolves `path` against the shell's current directory.
pub fn resolve(sh: &Shell, path: &str) -> Result<String, String> {
    crate::fs::with(|fs| fs.resolve(&sh.cwd, path)).map_err(|e| err(path, e))
}

/// `path: message`, as the shell prints it after the command name.
pub fn err(path: &str, e: FsError) -> String {
    format!("{}: {e}", ramfs::Escaped(path))
}

/// Positional (non-option) arguments after the command name, and whether `flag` was given.
pub fn split_flag<'a>(args: &[&'a str], flag: &str) -> (bool, alloc::vec::Vec<&'a str>) {
    let mut seen = false;
    let mut rest = alloc::vec::Vec::new();
    for a in args.iter().skip(1) {
        if *a == flag {
            seen = true;
        } else {
            rest.push(*a);
        }
    }
    (seen, rest)
}

/// The two paths of `cp`/`mv`, resolved, or the usage message.
pub fn two_paths(sh: &Shell, paths: &[&str], usage: &str) -> Result<(String, String), String> {
    match paths {
        [a, b] => Ok((resolve(sh, a)?, resolve(sh, b)?)),
        _ => Err(String::from(usage)),
    }
}

/// The error a command returns when its output could not be written (only a redirection
/// buffer can refuse: when memory runs out).
pub fn output_error(_: core::fmt::Error) -> String {
    String::from("cannot write the output: out of memory")
}
