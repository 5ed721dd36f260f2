//! `games`, `play NAME`, `run FILE.wasm`: WebAssembly games and programs.
//!
//! Commands are synchronous, so `play` and `run` only read the module and hand it to the
//! shell in `pending_wasm`; the shell then awaits `wasm::run`, which runs it frame by frame.
use super::Command;
use super::files::{err, resolve};
use crate::shell::{Output, Shell};
use crate::wasm::Program;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Where the games live (`make` puts them into the initrd).
const GAMES_DIR: &str = "/games";
/// Longest description shown by `games`, in characters.
const MAX_DESCRIPTION: usize = 60;

pub const GAMES: Command = Command {
    name: "games",
    usage: "",
    summary: "list the games",
    help: "Lists the games in /games (NAME.wasm, described by NAME.txt). Start one with \
           'play NAME'.",
    run: games,
};
pub const PLAY: Command = Command {
    name: "play",
    usage: "name",
    summary: "play a game from /games",
    help: "Runs /games/NAME.wasm full screen. Esc (or Ctrl-C on a serial terminal) quits.\n\
           'games' lists the names.",
    run: play,
};
pub const RUN: Command = Command {
    name: "run",
    usage: "file.wasm",
    summary: "run a WebAssembly program",
    help: "Runs any WebAssembly module that follows the game ABI (docs/wasm-abi.md), by \
           path. Esc (or Ctrl-C) quits.",
    run,
};

fn write_err(_: core::fmt::Error) -> String {
    String::from("out of memory")
}

fn games(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() > 1 {
        return Err(String::from("usage: games"));
    }
    let list = crate::fs::with(|fs| -> Result<Vec<(String, String)>, String> {
        let entries = fs.read_dir(GAMES_DIR).map_err(|e| err(GAMES_DIR, e))?;
        let mut list = Vec::new();
        for e in entries.iter().filter(|e| e.kind == ramfs::Kind::File) {
            let Some(name) = e.name.strip_suffix(".wasm") else {
                continue;
            };
            let txt = format!("{GAMES_DIR}/{name}.txt");
            let desc = fs.read(&txt).map(describe).unwrap_or_default();
            list.try_reserve(1)
                .map_err(|_| String::from("out of memory"))?;
            list.push((String::from(name), desc));
        }
        Ok(list)
    })?;
    if list.is_empty() {
        writeln!(out, "no games in {GAMES_DIR}").map_err(write_err)?;
        return Ok(());
    }
    let width = list
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, desc) in &list {
        writeln!(out, "  {name:<width$}  {desc}").map_err(write_err)?;
    }
    writeln!(out, "start one with 'play NAME'; Esc quits").map_err(write_err)
}

/// The first line of a description file, as printable text of bounded length.
fn describe(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let mut s = String::new();
    for c in String::from_utf8_lossy(line)
        .trim()
        .chars()
        .take(MAX_DESCRIPTION)
    {
        s.push(if c.is_control() { ' ' } else { c });
    }
    s
}

fn play(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let [_, name] = args else {
        return Err(String::from("usage: play NAME (try 'games' for the list)"));
    };
    let name = name.strip_suffix(".wasm").unwrap_or(name);
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(format!("'{name}' is not a game name (try 'games')"));
    }
    let path = format!("{GAMES_DIR}/{name}.wasm");
    let bytes = match crate::fs::read_copy(&path) {
        Ok(b) => b,
        Err(ramfs::FsError::NotFound) => {
            return Err(format!("no game named '{name}' (try 'games')"));
        }
        Err(e) => return Err(err(&path, e)),
    };
    sh.pending_wasm = Some(Program {
        name: String::from(name),
        bytes,
    });
    Ok(())
}

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
