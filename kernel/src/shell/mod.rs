//! The shell: the kernel's main task. Reads keys, edits the line, runs commands.
//!
//! Line editing and parsing are host-tested crates (`lineedit`, `shellparse`); this module
//! wires them to the console and the input stream, and dispatches to one small module per
//! command (`commands/`). Command output goes through an [`Output`] so that
//! `cmd > file` can capture it.

pub mod commands;

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

/// Where a command's output goes: the console, or a buffer for redirection.
pub enum Output {
    Console,
    Buffer(String),
}

impl Write for Output {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self {
            Output::Console => {
                print!("{s}");
                Ok(())
            }
            Output::Buffer(b) => {
                b.try_reserve(s.len()).map_err(|_| fmt::Error)?;
                b.push_str(s);
                Ok(())
            }
        }
    }
}

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
    /// Exit status of the last command (shown in the prompt when non-zero).
    pub last_ok: bool,
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
            out.extend(crate::fs::with(|fs| fs.complete(self.cwd, word)));
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
            last_ok: true,
            pending_wasm: None,
        }
    }

    fn prompt(&self) -> String {
        let mark = if self.last_ok {
            "\x1b[1;32m"
        } else {
            "\x1b[1;31m"
        };
        alloc::format!("{mark}rustos\x1b[0m:\x1b[1;34m{}\x1b[0m$ ", self.cwd)
    }

    /// Parses and runs one line; errors are printed as `cmd: message`.
    pub fn execute(&mut self, line: &str) {
        let cmd = match shellparse::parse(line) {
            Ok(c) => c,
            Err(e) => {
                crate::println!("syntax error: {e}");
                self.last_ok = false;
                return;
            }
        };
        let Some(name) = cmd.args.first() else {
            if cmd.redirect.is_some() {
                crate::println!("syntax error: redirection without a command");
                self.last_ok = false;
            }
            return;
        };
        let Some(command) = commands::find(name) else {
            crate::println!("unknown command: {name} (try 'help')");
            self.last_ok = false;
            return;
        };
        let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
        let mut out = match cmd.redirect {
            Some(_) => Output::Buffer(String::new()),
            None => Output::Console,
        };
        let result = (command.run)(self, &args, &mut out);
        if let (Some(r), Output::Buffer(text)) = (cmd.redirect.as_ref(), &out)
            && let Err(e) = commands::redirect(self, &r.path, r.append, text.as_bytes())
        {
            crate::println!("{name}: {}: {e}", r.path);
            self.last_ok = false;
            return;
        }
        self.last_ok = match result {
            Ok(()) => true,
            Err(e) => {
                crate::println!("{name}: {e}");
                false
            }
        };
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
                        self.execute(&line);
                        if let Some(program) = self.pending_wasm.take() {
                            self.last_ok = crate::wasm::run(program).await;
                        }
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
                            print!("{c}  ");
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
