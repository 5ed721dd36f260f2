//! Running a WASI command in the kernel without ever freezing it.
//!
//! The program runs one fuel slice at a time (`wasm_host::wasi::Command::step`); between
//! slices this runner lets every other task run, and reads the keyboard: Ctrl-C ends the
//! program (status 130), anything else is standard input. When the program waits (for input,
//! for a time, or just yields) the runner sleeps on the keyboard and the timer instead of
//! spinning. There is no wall-clock limit: a program may compute for as long as it likes,
//! and the system stays usable meanwhile.
//!
//! Standard input is the terminal, a line at a time: typed characters are echoed, Backspace
//! edits, Enter hands the line (with its `\n`) to the program. Standard output and error go
//! to the console.

use super::platform::KernelPlatform;
use super::{LoadError, Program, YieldNow};
use crate::arch::clock::monotonic_ns;
use crate::drivers::input;
use crate::task::sleep::sleep_ms;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use futures_util::future::{Either, select};
use futures_util::pin_mut;
use lineedit::Key;
use wasm_host::engine::printable;
use wasm_host::wasi::{self, Command, CommandConfig, Preopen, Step, Wait};
use wasmi::{Engine, Module};

/// Exit status of a program ended by Ctrl-C (as a shell reports SIGINT).
pub const STATUS_INTERRUPTED: i32 = 130;
/// Exit status of a program stopped by a trap (as wasmtime: 128 + SIGABRT).
pub const STATUS_TRAPPED: i32 = 134;
/// Never give a program more memory than this share of what the heap can still grow by.
const HEAP_SHARE: usize = 2;

/// Why a program could not start.
#[derive(Debug)]
pub enum CommandError {
    Load(LoadError),
    /// A `--dir` that does not exist or is not a directory.
    Dir(String),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Load(e) => write!(f, "{e}"),
            CommandError::Dir(d) => write!(f, "--dir {d}: not a directory"),
        }
    }
}

/// The memory cap for one program: 64 MiB, or half of what the heap can still spare.
fn memory_limit() -> usize {
    let h = crate::mem::heap::stats();
    let spare = h.cap.saturating_sub(h.used) / HEAP_SHARE;
    let limit = wasi::DEFAULT_MEMORY_LIMIT.min(spare);
    (limit / wasm_abi::WASM_PAGE_SIZE).max(16) * wasm_abi::WASM_PAGE_SIZE
}

/// Runs a WASI command (already compiled on `wasm_host::wasi::engine()`) to its end and
/// returns its exit status; a trap prints its message and gives [`STATUS_TRAPPED`].
pub async fn run_command(
    program: &Program,
    stdin: Option<Vec<u8>>,
    engine: &Engine,
    module: &Module,
) -> Result<super::Ran, CommandError> {
    let name = printable(&program.name);
    let mut platform = KernelPlatform::with_fs();
    let terminal_stdin = stdin.is_none();
    if let Some(bytes) = stdin {
        // Moved, not copied: a pipe may hold most of the memory there is.
        platform.stdin = wasm_host::StdinBuffer::closed_with(bytes);
    }
    if program.capture_stdout {
        platform.captured = Some(Vec::new());
    }
    let mut preopens = Vec::new();
    if let Some(fs) = platform.fs.as_mut() {
        for (host, guest) in &program.dirs {
            let dir = fs
                .ino_of(host)
                .map_err(|_| CommandError::Dir(printable(host)))?;
            preopens.push(Preopen {
                guest: guest.clone(),
                dir,
            });
        }
    }
    let args = if program.args.is_empty() {
        alloc::vec![program.name.clone()]
    } else {
        program.args.clone()
    };
    let config = CommandConfig {
        args,
        env: program.env.clone(),
        preopens,
        memory_limit: memory_limit(),
        slice: wasi::DEFAULT_SLICE,
    };
    let mut cmd =
        Command::from_module(engine, module, config, platform).map_err(CommandError::Load)?;
    let mut line = String::new();
    let status = 'run: loop {
        // Keys typed while the program computes: Ctrl-C, or input for later.
        while let Some(key) = input::try_key() {
            if feed(&mut cmd, &mut line, key, terminal_stdin) {
                break 'run STATUS_INTERRUPTED;
            }
        }
        let wait = match cmd.step() {
            Step::Running | Step::Wait(Wait::Yield | Wait::Output) => {
                YieldNow(false).await;
                continue;
            }
            Step::Wait(Wait::Until(t)) => Some(t),
            Step::Wait(Wait::Input { deadline }) => deadline,
            Step::Exit(code) => break code,
            Step::Trap(msg) => {
                crate::println!("{name}: trap: {msg}");
                break STATUS_TRAPPED;
            }
        };
        if let Some(key) = wait_key_or(wait).await
            && feed(&mut cmd, &mut line, key, terminal_stdin)
        {
            break STATUS_INTERRUPTED;
        }
    };
    if status == STATUS_INTERRUPTED {
        crate::println!("^C");
    }
    let platform = cmd.platform_mut();
    let status = if platform.capture_overflow {
        crate::println!("{name}: output too large to capture (out of memory)");
        if status == 0 { 1 } else { status }
    } else {
        status
    };
    Ok(super::Ran {
        status,
        stdout: platform.captured.take().unwrap_or_default(),
        first_output_ns: platform.first_output_ns,
    })
}

/// The terminal's line discipline: echo, Backspace, Enter hands the line over. Returns true
/// for Ctrl-C. When standard input is not the terminal, only Ctrl-C matters.
fn feed(cmd: &mut Command<KernelPlatform>, line: &mut String, key: Key, terminal: bool) -> bool {
    match key {
        Key::CtrlC => return true,
        _ if !terminal => {}
        Key::Char(c) => {
            line.push(c);
            crate::print!("{c}");
        }
        Key::Tab => {
            line.push('\t');
            crate::print!("\t");
        }
        Key::Backspace => {
            if line.pop().is_some() {
                crate::print!("\x08 \x08");
            }
        }
        Key::CtrlD => {
            // End of input: what is typed on the line goes first, as on a Unix terminal.
            let p = cmd.platform_mut();
            p.stdin.bytes.extend(line.as_bytes());
            line.clear();
            p.stdin.closed = true;
        }
        Key::Enter => {
            crate::print!("\n");
            line.push('\n');
            let p = cmd.platform_mut();
            p.stdin.bytes.extend(line.as_bytes());
            line.clear();
        }
        _ => {}
    }
    false
}

/// Waits for a key, or until monotonic time `deadline` (ns) if given.
async fn wait_key_or(deadline: Option<u64>) -> Option<Key> {
    let key = input::next_key();
    pin_mut!(key);
    match deadline {
        None => Some(key.await),
        Some(t) => {
            let ms = t.saturating_sub(monotonic_ns()).div_ceil(1_000_000);
            if ms == 0 {
                return None;
            }
            let timer = sleep_ms(ms);
            pin_mut!(timer);
            match select(key, timer).await {
                Either::Left((k, _)) => Some(k),
                Either::Right(((), _)) => None,
            }
        }
    }
}
