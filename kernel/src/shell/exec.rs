//! Running a parsed line: lists, pipelines, redirections, assignments, exit statuses.
//!
//! Pipelines run their commands one after the other, each command's output captured in
//! memory and handed to the next as its input (a pipe is a buffer, bounded by the memory
//! users may claim). That keeps the shell a single task with no scheduler of its own; the
//! price is that a producer that never ends (`yes | head`) ends with "out of memory"
//! rather than being stopped by its consumer.
//!
//! Exit statuses follow the POSIX shell: 0 success, 1 a command's error, 2 a syntax error,
//! 127 command not found, 130 interrupted by Ctrl-C, 134 a program that trapped. A failed
//! command's redirected output is not written (it may be cut short); its error message goes
//! to standard error, which is the console unless `2>` or `2>&1` says otherwise. After each
//! pipeline, changes to mounted disks are written back (`fs::write_back`); a failure there
//! is reported and fails the pipeline.

use super::Shell;
use super::commands;
use super::io::{self, Input, Output};
use crate::wasm::STATUS_INTERRUPTED;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use shellparse::{Command, Pipeline, Redirect, Stderr};

/// Status of a command's error, of a syntax error, of an unknown command, of Ctrl-C.
pub const FAILURE: i32 = 1;
pub const SYNTAX_ERROR: i32 = 2;
pub const NOT_FOUND: i32 = 127;
pub const INTERRUPTED: i32 = 130;

impl Shell {
    /// Parses and runs one line; `$?` is the status of its last pipeline. Each element of
    /// a `;` list is expanded just before it runs, so it sees what the ones before it did.
    pub async fn execute(&mut self, line: &str) {
        // A Ctrl-C that stopped output outside any command (the message of the day) must
        // not cut this line's output short.
        io::take_interrupted();
        let parts = match shellparse::split_list(line) {
            Ok(p) => p,
            Err(e) => return self.syntax_error(e),
        };
        for part in parts {
            let parsed = match shellparse::parse_line(part, &self.vars) {
                Ok(l) => l,
                Err(e) => return self.syntax_error(e),
            };
            for pipeline in &parsed.pipelines {
                self.vars.status = self.run_pipeline(pipeline).await;
                // What the command changed on a mounted disk goes there now, and a write
                // error is this command's error.
                if let Err(e) = crate::fs::write_back() {
                    crate::println!("{e}");
                    if self.vars.status == 0 {
                        self.vars.status = FAILURE;
                    }
                }
                if self.vars.status == INTERRUPTED {
                    return; // Ctrl-C stops the rest of the line too
                }
            }
        }
    }

    fn syntax_error(&mut self, e: shellparse::ParseError) {
        crate::println!("syntax error: {e}");
        self.vars.status = SYNTAX_ERROR;
    }

    async fn run_pipeline(&mut self, pipeline: &Pipeline) -> i32 {
        let mut piped: Option<Vec<u8>> = None;
        let mut status = 0;
        let count = pipeline.commands.len();
        for (i, cmd) in pipeline.commands.iter().enumerate() {
            let stdin = match (&cmd.stdin, piped.take()) {
                (Some(path), _) => match self.read_file(path) {
                    Ok(bytes) => Input::Bytes(bytes),
                    Err(e) => {
                        crate::println!("{e}");
                        status = FAILURE;
                        piped = Some(Vec::new());
                        continue;
                    }
                },
                (None, Some(bytes)) => Input::Bytes(bytes),
                (None, None) if i > 0 => Input::Bytes(Vec::new()),
                (None, None) => Input::Terminal,
            };
            let last = i + 1 == count;
            let mut out = if cmd.stdout.is_some() || !last {
                Output::Buffer(Vec::new())
            } else {
                Output::Console
            };
            let result = self.run_command(cmd, stdin, &mut out).await;
            if let Err((INTERRUPTED, _)) = result {
                return INTERRUPTED; // the program printed ^C itself
            }
            let mut errors = String::new();
            for warning in core::mem::take(&mut self.warnings) {
                self.report(cmd, &mut out, &mut errors, &warning);
            }
            if io::take_interrupted() {
                crate::println!("^C");
                return INTERRUPTED;
            }
            status = match result {
                Ok(()) => 0,
                Err((code, message)) => {
                    if !message.is_empty() {
                        self.report(cmd, &mut out, &mut errors, &message);
                    }
                    code
                }
            };
            if let Some(Stderr::File(r)) = &cmd.stderr
                && let Err(e) = self.write_file(r, errors.as_bytes())
            {
                crate::println!("{}: {e}", ramfs::Escaped(&r.path));
                crate::print!("{errors}");
            }
            let captured = match out {
                Output::Buffer(bytes) => bytes,
                Output::Console => Vec::new(),
            };
            match &cmd.stdout {
                Some(r) if status == 0 => {
                    if let Err(e) = self.write_file(r, &captured) {
                        let name = cmd.args.first().map(String::as_str).unwrap_or("sh");
                        crate::println!(
                            "{}: {}: {e}",
                            ramfs::Escaped(name),
                            ramfs::Escaped(&r.path)
                        );
                        status = FAILURE;
                    }
                    piped = Some(Vec::new());
                }
                Some(_) => piped = Some(Vec::new()),
                None => piped = Some(captured),
            }
        }
        status
    }

    /// Runs one command with its input; `Err((status, message))` on failure.
    async fn run_command(
        &mut self,
        cmd: &Command,
        stdin: Input,
        out: &mut Output,
    ) -> Result<(), (i32, String)> {
        let Some(name) = cmd.args.first() else {
            // Only assignments and/or redirections: set variables, create files.
            for (n, v) in &cmd.assignments {
                self.vars.set(n, v).map_err(|e| (FAILURE, e))?;
            }
            return Ok(());
        };
        let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
        let stdin = match commands::find(name) {
            Some(builtin) => {
                self.stdin = stdin;
                let result = (builtin.run)(self, &args, out);
                let stdin = core::mem::replace(&mut self.stdin, Input::Terminal);
                result.map_err(|e| (FAILURE, e))?;
                stdin
            }
            // Not a built-in: a program NAME.wasm from $PATH, if there is one.
            None => match commands::program_for(self, &args, &cmd.assignments) {
                Some(program) => {
                    self.pending_wasm = Some(program.map_err(|e| (FAILURE, e))?);
                    stdin
                }
                None => {
                    crate::println!("unknown command: {} (try 'help')", ramfs::Escaped(name));
                    return Err((NOT_FOUND, String::new()));
                }
            },
        };
        let Some(mut program) = self.pending_wasm.take() else {
            return Ok(());
        };
        // A program's standard input is the pipe or file, or else the terminal; its output
        // is captured when the command's is.
        program.stdin = match stdin {
            Input::Bytes(bytes) => Some(bytes),
            Input::Terminal => None,
        };
        program.capture_stdout = matches!(out, Output::Buffer(_));
        let ran = crate::wasm::run(program).await;
        if !ran.stdout.is_empty() {
            out.write_bytes(&ran.stdout)
                .map_err(|_| (FAILURE, commands::util::output_error(core::fmt::Error)))?;
        }
        match ran.status {
            0 => Ok(()),
            STATUS_INTERRUPTED => Err((INTERRUPTED, String::new())),
            code => Err((code, String::new())),
        }
    }

    /// Sends `name: message` to the command's standard error: the console, its standard
    /// output (`2>&1`), or `errors`, which is written to the `2>` file once it is done.
    fn report(&mut self, cmd: &Command, out: &mut Output, errors: &mut String, message: &str) {
        let name = cmd.args.first().map(String::as_str).unwrap_or("sh");
        let line = format!("{}: {message}\n", ramfs::Escaped(name));
        match &cmd.stderr {
            None => crate::print!("{line}"),
            Some(Stderr::ToStdout) => {
                if out.write_str(&line).is_err() {
                    crate::print!("{line}");
                }
            }
            Some(Stderr::File(_)) => {
                if errors.try_reserve(line.len()).is_ok() {
                    errors.push_str(&line);
                }
            }
        }
    }

    /// The program a bare command name runs: `NAME.wasm` in the first directory of `$PATH`
    /// (`:`-separated, relative ones against the current directory) that has it.
    pub fn find_program(&self, name: &str) -> Option<String> {
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return None;
        }
        let path = self.vars.get("PATH").unwrap_or("");
        path.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
            let candidate = format!("{}/{name}.wasm", dir.trim_end_matches('/'));
            let abs = crate::fs::with(|fs| fs.resolve(&self.cwd, &candidate)).ok()?;
            let meta = crate::fs::with(|fs| fs.metadata(&abs)).ok()?;
            (meta.kind == ramfs::Kind::File).then_some(abs)
        })
    }

    /// Reads a whole file named relative to the current directory.
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        let abs = commands::util::resolve(self, path)?;
        crate::fs::read_copy(&abs).map_err(|e| commands::util::err(path, e))
    }

    /// Writes (or appends) `data` to a redirection's file.
    fn write_file(&self, r: &Redirect, data: &[u8]) -> Result<(), String> {
        commands::redirect(self, &r.path, r.append, data)
    }
}
