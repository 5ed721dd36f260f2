//! `run [--dir HOST[::GUEST]]... [--env NAME=VALUE]... FILE.wasm [ARGS...]`: runs a
//! WebAssembly module by path, the way `wasmtime run` does: `argv[0]` is the file name as
//! typed, only the given directories are preopened (`--dir D` is `D::D`, `--dir D::/` makes D
//! the program's `/`), and only the given variables are set. A module exporting `_start` is a
//! WASI command; one exporting `init`/`frame` is a game.
//!
//! Also here: a command name that is not a built-in runs `NAME.wasm` from `/bin` (the
//! default `$PATH`), with the current directory (as `.`) and `/` preopened and `PWD` set.
//!
//! Commands are synchronous, so these only read the module and hand it to the shell in
//! `pending_wasm`; the shell then awaits `wasm::run`.
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use crate::wasm::Program;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub const COMMAND: Command = Command {
    name: "run",
    usage: "[--dir HOST[::GUEST]]... [--env NAME=VALUE]... file.wasm [args...]",
    summary: "run a WebAssembly program or game",
    help: "Runs a WebAssembly module by path, like `wasmtime run`. A WASI program (one built \
           for wasm32-wasip1) gets the arguments after the file name, the --env variables and \
           only the --dir directories: --dir D shows D as D, --dir D::/ shows D as /. Its \
           standard input is the keyboard (a line at a time) and Ctrl-C ends it. A game \
           (docs/wasm-abi.md) runs full screen; Esc quits. Programs in /bin also run by \
           name: `wc file` is `run --dir . --dir / --env PWD=<cwd> /bin/wc.wasm file`.",
    run,
};

fn usage() -> String {
    format!("usage: run {}", COMMAND.usage)
}

fn run(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let mut dirs = Vec::new();
    let mut env = Vec::new();
    let mut i = 1;
    while let Some(&a) = args.get(i) {
        let (opt, inline) = match a.split_once('=') {
            Some((o @ ("--dir" | "--env"), v)) => (o, Some(v)),
            _ => (a, None),
        };
        match opt {
            "--dir" | "--env" => {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        *args.get(i).ok_or_else(usage)?
                    }
                };
                if opt == "--dir" {
                    let (host, guest) = value.split_once("::").unwrap_or((value, value));
                    if host.is_empty() || guest.is_empty() {
                        return Err(format!("--dir {value}: expected HOST or HOST::GUEST"));
                    }
                    dirs.push((resolve(sh, host)?, String::from(guest)));
                } else {
                    let Some((k, v)) = value.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                        return Err(format!("--env {value}: expected NAME=VALUE"));
                    };
                    env.push((String::from(k), String::from(v)));
                }
            }
            "--" => {
                i += 1;
                break;
            }
            o if o.starts_with("--") => return Err(format!("unknown option {o}\n{}", usage())),
            _ => break,
        }
        i += 1;
    }
    let Some(&path) = args.get(i) else {
        return Err(usage());
    };
    let abs = resolve(sh, path)?;
    let bytes = crate::fs::read_copy(&abs).map_err(|e| err(path, e))?;
    let file = abs.rsplit('/').next().unwrap_or(&abs);
    let name = file.strip_suffix(".wasm").unwrap_or(file);
    sh.pending_wasm = Some(Program {
        name: String::from(if name.is_empty() { "wasm" } else { name }),
        bytes,
        args: args[i..].iter().map(|a| String::from(*a)).collect(),
        env,
        dirs,
        ..Program::default()
    });
    Ok(())
}

/// A program for a command name that is not a built-in: `NAME.wasm` in a `$PATH`
/// directory, given `/` and the current directory (as `.`), the exported variables plus
/// the command's own `NAME=value` prefixes, and `PWD`; or `None` if there is none.
pub fn program_for(
    sh: &Shell,
    args: &[&str],
    assignments: &[(String, String)],
) -> Option<Result<Program, String>> {
    let name = *args.first()?;
    let path = sh.find_program(name)?;
    let mut env = sh.vars.environment(assignments);
    env.retain(|(k, _)| k != "PWD");
    env.push((String::from("PWD"), sh.cwd.clone()));
    Some(
        crate::fs::read_copy(&path)
            .map_err(|e| err(&path, e))
            .map(|bytes| Program {
                name: String::from(name),
                bytes,
                args: args.iter().map(|a| String::from(*a)).collect(),
                env,
                // WASI has no current directory: wasi-libc starts at `/` and treats the
                // names `.` and `/` alike, the last preopen winning. So `.` comes first and
                // `/` last (absolute paths work), and PWD tells a program where the shell
                // was (the /bin commands move there, so relative paths work too).
                dirs: alloc::vec![
                    (sh.cwd.clone(), String::from(".")),
                    (String::from("/"), String::from("/")),
                ],
                ..Program::default()
            }),
    )
}
