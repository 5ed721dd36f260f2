//! `run FILE.wasm`: runs a WebAssembly module by path.
//!
//! Like `play`, it only reads the module and hands it to the shell in `pending_wasm`.
use super::Command;
use super::util::{err, resolve};
use crate::shell::{Output, Shell};
use crate::wasm::Program;
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "run",
    usage: "file.wasm",
    summary: "run a WebAssembly program",
    help: "Runs any WebAssembly module that follows the game ABI (docs/wasm-abi.md), by \
           path. Esc (or Ctrl-C) quits.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let [_, path] = args else {
        return Err(String::from("usage: run FILE.wasm"));
    };
    let abs = resolve(sh, path)?;
    let bytes = crate::fs::read_copy(&abs).map_err(|e| err(path, e))?;
    let file = abs.rsplit('/').next().unwrap_or(&abs);
    let name = file.strip_suffix(".wasm").unwrap_or(file);
    sh.pending_wasm = Some(Program {
        name: String::from(if name.is_empty() { "wasm" } else { name }),
        bytes,
    });
    Ok(())
}
