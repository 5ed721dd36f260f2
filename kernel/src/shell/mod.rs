//! The shell: the kernel's main task. Reads keys, edits the line, runs commands.
//!
//! Line editing and parsing are host-tested crates (`lineedit`, `shellparse`); this module
//! wires them to the console and the input stream; [`exec`] runs what was parsed
//! (pipelines, redirections, variables in [`vars`]), dispatching to one small module per
//! command (`commands/`). Command input and output go through [`io`] so that pipes and
//! redirections can capture them.

pub mod commands;
pub mod exec;
pub mod io;
pub mod vars;

pub use io::{Input, Output};

use crate::drivers::input;
use crate::print;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use lineedit::{Completer, Event, Key, LineEditor};

/// Longest command line, in characters.
pub const MAX_LINE: usize = 512;
/// Lines kept in the history.
pub const HISTORY: usize = 64;

/// Writes the editor's terminal output to the console.
struct Terminal;

impl Write for Terminal {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        print!("{s}");
        Ok(())
    }
}

/// What commands can see and change.
pub struct Shell {
    pub editor: LineEditor,
    pub cwd: String,
    /// Variables, and `$?` (the prompt turns red when it is not 0).
    pub vars: vars::Vars,
    /// The running command's standard input (built-ins like `cat` read it).
    pub stdin: Input,
    /// Messages for standard error from a command that carries on (see [`Shell::warn`]).
    pub warnings: Vec<String>,
    /// A WebAssembly program a command asked to run: commands are synchronous, so the
    /// shell runs it (asynchronously, frame by frame) right after the command returns.
    pub pending_wasm: Option<crate::wasm::Program>,
}

/// Completes command names (first word) and paths (other words).
struct ShellCompleter<'a> {
    cwd: &'a str,
}

impl Completer for ShellCompleter<'_> {
    fn complete(&mut self, line: &str, word_start: usize, first_word: bool, out: &mut Vec<String>) {
        let word = line.get(word_start..).unwrap_or("");
        if first_word && !word.contains('/') {
            out.extend(
                commands::COMMANDS
                    .iter()
                    .filter(|c| c.name.starts_with(word))
                    .map(|c| String::from(c.name)),
            );
        } else {
            // A name with control characters is never inserted into the line: the editor
            // would echo it raw. Such files are still listed (escaped) by `ls`.
            let names = crate::fs::with(|fs| fs.complete(self.cwd, word));
            out.extend(names.into_iter().filter(|n| !ramfs::Escaped(n).is_needed()));
        }
    }
}

impl Default for Shell {
    fn default() -> Self {
        Self::new()
    }
}

impl Shell {
    pub fn new() -> Self {
        Self {
            editor: LineEditor::new(MAX_LINE, HISTORY),
            cwd: String::from("/"),
            vars: vars::Vars::new(),
            stdin: Input::Terminal,
            warnings: Vec::new(),
            pending_wasm: None,
        }
    }

    /// Queues a message for the running command's standard error (for commands that
    /// report a problem and carry on, like `ls` with several paths).
    pub fn warn(&mut self, message: String) {
        if self.warnings.len() < 64 {
            self.warnings.push(message);
        }
    }

    fn prompt(&self) -> String {
        let mark = if self.vars.status == 0 {
            "\x1b[1;32m"
        } else {
            "\x1b[1;31m"
        };
        alloc::format!(
            "{mark}rustos\x1b[0m:\x1b[1;34m{}\x1b[0m$ ",
            ramfs::Escaped(&self.cwd)
        )
    }

    /// Reads and runs lines forever.
    pub async fn run(&mut self) {
        loop {
            let prompt = self.prompt();
            print!("{prompt}");
            let mut warned = false;
            loop {
                let key = input::next_key().await;
                let len_before = self.editor.line().chars().count();
                let mut completer = ShellCompleter { cwd: &self.cwd };
                let event = self.editor.feed(key, &mut completer, &mut Terminal);
                // The echo is on screen now (the console flushes every write).
                if let Some((source, tsc)) = input::take_keyboard_key_tsc() {
                    input::record_echo(source, tsc);
                }
                match event {
                    Event::Line(line) => {
                        self.execute(&line).await;
                        break;
                    }
                    Event::Cancelled => break,
                    Event::ClearScreen => {
                        print!("\x1b[2J\x1b[H");
                        self.editor.redraw(&prompt, &mut Terminal);
                    }
                    Event::Candidates(list) => {
                        print!("\n");
                        for c in &list {
                            print!("{}  ", ramfs::Escaped(c));
                        }
                        print!("\n");
                        self.editor.redraw(&prompt, &mut Terminal);
                    }
                    Event::Bell => {
                        if matches!(key, Key::Char(_)) && len_before >= MAX_LINE && !warned {
                            warned = true;
                            print!("\n(line too long: at most {MAX_LINE} characters)\n");
                            self.editor.redraw(&prompt, &mut Terminal);
                        }
                    }
                    Event::None => {}
                }
            }
        }
    }
}

/// The shell task: shows the message of the day, then reads commands forever.
pub async fn main_task() {
    let mut shell = Shell::new();
    if let Ok(motd) = crate::fs::with(|fs| fs.read("/etc/motd").map(alloc::vec::Vec::from)) {
        let mut out = Output::Console;
        let _ = commands::write_text(&mut out, &motd);
    }
    shell.run().await;
}
