//! `play NAME`: runs the game /games/NAME.wasm full screen.
//!
//! Commands are synchronous, so this only reads the module and hands it to the shell in
//! `pending_wasm`; the shell then awaits `wasm::run`, which runs it frame by frame.
use super::Command;
use super::games::GAMES_DIR;
use super::util::err;
use crate::shell::{Output, Shell};
use crate::wasm::Program;
use alloc::format;
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "play",
    usage: "name",
    summary: "play a game from /games",
    help: "Runs /games/NAME.wasm full screen. Esc (or Ctrl-C on a serial terminal) quits.\n\
           'games' lists the names.",
    run: play,
};

fn play(sh: &mut Shell, args: &[&str], _out: &mut Output) -> Result<(), String> {
    let [_, name] = args else {
        return Err(String::from("usage: play NAME (try 'games' for the list)"));
    };
    let name = name.strip_suffix(".wasm").unwrap_or(name);
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(format!(
            "'{}' is not a game name (try 'games')",
            ramfs::Escaped(name)
        ));
    }
    let path = format!("{GAMES_DIR}/{name}.wasm");
    let bytes = match crate::fs::read_copy(&path) {
        Ok(b) => b,
        Err(ramfs::FsError::NotFound) => {
            return Err(format!(
                "no game named '{}' (try 'games')",
                ramfs::Escaped(name)
            ));
        }
        Err(e) => return Err(err(&path, e)),
    };
    sh.pending_wasm = Some(Program {
        name: String::from(name),
        bytes,
    });
    Ok(())
}
