//! `games`, `play NAME`, `run FILE.wasm`: WebAssembly games and programs.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;

pub const GAMES: Command = Command {
    name: "games",
    usage: "",
    summary: "list the games",
    help: "",
    run: games,
};
pub const PLAY: Command = Command {
    name: "play",
    usage: "name",
    summary: "play a game from /games",
    help: "",
    run: play,
};
pub const RUN: Command = Command {
    name: "run",
    usage: "file.wasm",
    summary: "run a WebAssembly program",
    help: "",
    run,
};

fn games(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    Err(String::from("not implemented yet"))
}

fn play(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    Err(String::from("not implemented yet"))
}

fn run(_sh: &mut Shell, _args: &[&str], _out: &mut Output) -> Result<(), String> {
    Err(String::from("not implemented yet"))
}
