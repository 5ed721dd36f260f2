//! `games`: lists the WebAssembly games in /games with their one-line descriptions.
use super::Command;
use super::util::{err, output_error};
use crate::shell::{Output, Shell};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Where the games live (`make` puts them into the initrd).
pub const GAMES_DIR: &str = "/games";
/// Longest description shown by `games`, in characters.
const MAX_DESCRIPTION: usize = 60;

pub const COMMAND: Command = Command {
    name: "games",
    usage: "",
    summary: "list the games",
    help: "Lists the games in /games (NAME.wasm, described by NAME.txt). Start one with \
           'play NAME'.",
    run: games,
};

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
            list.push((format!("{}", ramfs::Escaped(name)), desc));
        }
        Ok(list)
    })?;
    if list.is_empty() {
        writeln!(out, "no games in {GAMES_DIR}").map_err(output_error)?;
        return Ok(());
    }
    let width = list
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, desc) in &list {
        writeln!(out, "  {name:<width$}  {desc}").map_err(output_error)?;
    }
    writeln!(out, "start one with 'play NAME'; Esc quits").map_err(output_error)
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
