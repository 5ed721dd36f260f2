//! WebAssembly games and programs, run by wasmi inside the kernel.
//!
//! The host itself (engine settings, limits, import checks, every host function, fuel
//! slicing) is the `wasm-host` crate, shared with the host-side test harness so that what is
//! tested there is what runs here. This module supplies the kernel's side of it
//! ([`platform`]: clocks, randomness, the console, the keyboard and the RAM file system) and
//! drives modules in real time:
//! - a module that exports `init` and `frame` is an ABI v1 game (docs/wasm-abi.md), shown
//!   full screen at [`FRAME_HZ`] until it exits, traps, or the user presses Esc;
//! - a module that exports `_start` is a WASI preview 1 command ([`command`]): it runs in fuel
//!   slices with the executor getting control between slices, reads the keyboard as its
//!   standard input and writes to the console, and Ctrl-C ends it (status 130).
//!
//! Whatever a module does, it ends with a one-line message and the shell carries on.

mod command;
mod platform;
mod ramfs_wasi;
mod stats;

pub use command::{CommandError, STATUS_INTERRUPTED, STATUS_TRAPPED, run_command};
pub use platform::KernelPlatform;
pub use wasm_host::engine::{MAX_RECURSION_DEPTH, MAX_TABLE_ELEMENTS, MAX_VALUE_STACK};
pub use wasm_host::game::{
    Budget, CallStats, End, KEY_QUEUE, LoadError, MAX_START_FUEL, PRINT_BUDGET, PixelLayout,
    Screen, ScreenError, Trap,
};
pub use wasmi::TrapCode;

use crate::arch::clock::uptime_ms;
use crate::arch::clock::{rdtsc, tsc_to_us};
use crate::drivers::framebuffer::{PixelFormat, Rgb};
use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use stats::{Histogram, Ms};
use wasm_host::engine::printable;

/// A module to run: its name (for messages), its bytes, and what a WASI program is given
/// (games ignore the rest).
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub name: String,
    pub bytes: Vec<u8>,
    /// `argv` (the program's name first). Empty: just the name.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Preopened directories: (absolute path in the file system, name the program sees).
    pub dirs: Vec<(String, String)>,
    /// Standard input: these bytes then end of file (a pipe or `< file`), or `None` for
    /// the terminal.
    pub stdin: Option<Vec<u8>>,
    /// Keep standard output (for a pipe or `> file`) instead of showing it.
    pub capture_stdout: bool,
}

/// How a module's run ended.
#[derive(Debug, Default)]
pub struct Ran {
    /// Exit status: 0 success, the program's own code, [`STATUS_INTERRUPTED`] (Ctrl-C),
    /// [`command::STATUS_TRAPPED`], or 1 when it could not be loaded.
    pub status: i32,
    /// Standard output, when it was captured.
    pub stdout: Vec<u8>,
    /// When a WASI program first wrote output (`monotonic_ns`), for startup timing.
    pub first_output_ns: Option<u64>,
}

impl Program {
    /// A module with no arguments, environment or directories.
    pub fn new(name: String, bytes: Vec<u8>) -> Self {
        Self {
            name,
            bytes,
            ..Self::default()
        }
    }
}

/// How a screen stores colour: as `0x00RRGGBB` (headless screens, tests) or in the
/// framebuffer's own layout.
#[derive(Clone, Copy, Debug)]
pub enum Encoding {
    Xrgb,
    Native(PixelFormat),
}

impl From<Encoding> for PixelLayout {
    fn from(e: Encoding) -> Self {
        match e {
            Encoding::Xrgb => PixelLayout::XRGB,
            Encoding::Native(f) => {
                // Where each channel lands: encode a pure colour and find its lowest bit.
                let shift = |c: u32| f.encode(Rgb(c)).trailing_zeros().min(24) as u8;
                PixelLayout {
                    red_shift: shift(0xff_0000),
                    green_shift: shift(0x00_ff00),
                    blue_shift: shift(0x00_00ff),
                }
            }
        }
    }
}

/// A loaded game (the crate's game on the kernel's platform).
#[derive(Debug)]
pub struct Game(wasm_host::game::Game<KernelPlatform>);

impl Game {
    /// Validates, checks and instantiates `bytes`, drawing on `screen`.
    pub fn load(
        name: &str,
        bytes: &[u8],
        screen: Screen,
        budget: Budget,
    ) -> Result<Game, LoadError> {
        wasm_host::game::Game::load(name, bytes, screen, budget, KernelPlatform::new()).map(Game)
    }

    /// Calls `init`.
    pub fn init(&mut self) -> Result<CallStats, End> {
        self.0.init()
    }

    /// Calls `frame`.
    pub fn frame(&mut self) -> Result<CallStats, End> {
        self.0.frame()
    }

    /// Queues a key press (an ABI key code) for `poll_key`.
    pub fn press(&mut self, code: i32) {
        self.0.press(code);
    }

    /// The picture (shown with [`Screen::blit`]).
    pub fn screen(&self) -> &Screen {
        self.0.screen()
    }

    /// Nanoseconds spent in `present` so far.
    pub fn present_ns(&self) -> u64 {
        self.0.present_ns()
    }

    /// Ends an unterminated `print` line; call once when the game is over.
    pub fn finish(&mut self) {
        self.0.finish();
    }
}

/// Frames per second the runner aims for.
pub const FRAME_HZ: u64 = 60;
/// Screen size used by [`run_headless`].
pub const HEADLESS_SIZE: (usize, usize) = (640, 480);
/// If the runner falls this far behind its frame schedule (slow frames), it stops trying
/// to catch up and restarts the schedule from now.
const MAX_LAG_MS: u64 = 100;

/// Memory the interpreter needs per byte of module while compiling and running it (its
/// translated code and tables are a few times the module's size); checked against the
/// memory users may claim before compiling, so a huge module is refused with a message
/// instead of exhausting the heap.
const COMPILE_FACTOR: usize = 8;

/// Runs a module to its end: a WASI command (see [`run_command`]) or a game.
pub async fn run(mut program: Program) -> Ran {
    let name = printable(&program.name);
    let failed = Ran {
        status: 1,
        ..Ran::default()
    };
    let need = program.bytes.len().saturating_mul(COMPILE_FACTOR);
    let spare = crate::mem::reserve::spare();
    if need > spare {
        crate::println!(
            "{name}: not enough memory to load this {} KiB module (about {} KiB needed, {} KiB free)",
            program.bytes.len() / 1024,
            need / 1024,
            spare / 1024
        );
        return failed;
    }
    let engine = wasm_host::wasi::engine();
    let module = match wasm_host::engine::compile(&engine, &program.bytes) {
        Ok(m) => m,
        Err(e) => {
            crate::println!("{name}: {}", LoadError::Invalid(e));
            return failed;
        }
    };
    match wasm_host::wasi::kind_of(&module) {
        Some(wasm_host::wasi::ModuleKind::Command) => {
            let stdin = program.stdin.take();
            match run_command(&program, stdin, &engine, &module).await {
                Ok(ran) => ran,
                Err(e) => {
                    crate::println!("{name}: {e}");
                    failed
                }
            }
        }
        _ => {
            drop(module);
            let ok = run_game(program).await;
            Ran {
                status: if ok { 0 } else { 1 },
                ..Ran::default()
            }
        }
    }
}

/// Runs a game to its end (exit, Esc, or a trap), then restores the console.
/// Returns true when it ended normally (`exit(0)` or Esc).
pub async fn run_game(program: Program) -> bool {
    let Program { name, bytes, .. } = program;
    let name = printable(&name);
    let Some((w, h, format)) = crate::drivers::console::with(|c| {
        let fb = c.framebuffer();
        (fb.width, fb.height, fb.format)
    }) else {
        crate::println!(
            "{name}: games need a framebuffer, and this machine has none (serial only)"
        );
        return false;
    };
    let screen = match Screen::new(w, h, Encoding::Native(format)) {
        Ok(s) => s,
        Err(e) => {
            crate::println!("{name}: {e}");
            return false;
        }
    };
    let mut game = match Game::load(&name, &bytes, screen, Budget::DEFAULT) {
        Ok(g) => g,
        Err(e) => {
            crate::println!("{name}: {e}");
            return false;
        }
    };
    drop(bytes); // compiled: the file copy is no longer needed
    crate::println!("{name}: running; Esc quits");
    // The Enter that started the game must not reach it.
    crate::drivers::input::discard_pending();
    let mut frames = Histogram::new();
    let mut blits = Histogram::new();
    let mut max_fuel = 0;
    // The worst frame and its copy to video memory together: what must fit in a 60 Hz tick.
    let mut tick_worst_us = 0;
    let end = play(
        &mut game,
        &mut frames,
        &mut blits,
        &mut max_fuel,
        &mut tick_worst_us,
    )
    .await;
    game.finish();
    drop(game);
    crate::drivers::console::with(|c| c.repaint());
    crate::drivers::input::discard_pending();
    crate::println!("{name}: {end}");
    crate::serial_println!(
        "{name}: stats: frames={} frame_median_ms={} frame_worst_ms={} frame_mean_ms={} \
         blit_median_ms={} blit_worst_ms={} tick_worst_ms={} max_fuel={max_fuel}",
        frames.count(),
        Ms(frames.median_us()),
        Ms(frames.worst_us()),
        Ms(frames.mean_us()),
        Ms(blits.median_us()),
        Ms(blits.worst_us()),
        Ms(tick_worst_us),
    );
    end.is_success()
}

/// The real-time loop: `init`, then `frame` at [`FRAME_HZ`] on the PIT clock, sleeping in
/// between so the executor can halt the CPU. Each successful call is shown at once.
async fn play(
    game: &mut Game,
    frames: &mut Histogram,
    blits: &mut Histogram,
    max_fuel: &mut u64,
    tick_worst_us: &mut u64,
) -> End {
    match game.init() {
        Ok(s) => *max_fuel = s.fuel,
        Err(end) => return end,
    }
    show(game);
    let mut epoch = uptime_ms();
    let mut n: u64 = 0;
    loop {
        n += 1;
        let due = epoch + n * 1000 / FRAME_HZ;
        let now = uptime_ms();
        if due > now {
            crate::task::sleep::sleep_ms(due - now).await;
        } else {
            // Late: still let other tasks run, and give up on frames that are long gone.
            YieldNow(false).await;
            if now - due > MAX_LAG_MS {
                epoch = now;
                n = 0;
            }
        }
        if pump_input(game) {
            return End::Quit;
        }
        let t0 = rdtsc();
        match game.frame() {
            Ok(s) => *max_fuel = (*max_fuel).max(s.fuel),
            Err(end) => return end,
        }
        let t1 = rdtsc();
        show(game);
        let t2 = rdtsc();
        frames.record(tsc_to_us(t1.wrapping_sub(t0)));
        blits.record(tsc_to_us(t2.wrapping_sub(t1)));
        *tick_worst_us = (*tick_worst_us).max(tsc_to_us(t2.wrapping_sub(t0)));
    }
}

/// Shows the finished frame: the rows that changed since the last one go to video memory.
fn show(game: &Game) {
    crate::drivers::console::with(|c| game.screen().blit(c.framebuffer()));
}

/// Moves waiting key presses into the game's queue. True if the user asked to quit.
fn pump_input(game: &mut Game) -> bool {
    while let Some(key) = crate::drivers::input::try_key() {
        match abi_key(key) {
            KeyAction::Quit => return true,
            KeyAction::Deliver(code) => game.press(code),
            KeyAction::Drop => {}
        }
    }
    false
}

/// What a key press means to a running game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    /// Hand this ABI code to `poll_key`.
    Deliver(i32),
    /// End the game: Esc (reserved by the ABI), or Ctrl-C (handy on a serial terminal,
    /// where a lone Esc byte waits for the next byte to rule out an escape sequence).
    Quit,
    /// ABI v1 has no code for it.
    Drop,
}

/// Maps a decoded key to what the game sees.
pub fn abi_key(key: lineedit::Key) -> KeyAction {
    use lineedit::Key as K;
    use wasm_abi::Key as A;
    let abi = match key {
        K::Escape | K::CtrlC => return KeyAction::Quit,
        K::Char(c) => A::Char(c),
        K::Enter => A::Enter,
        K::Backspace => A::Backspace,
        K::Tab => A::Tab,
        K::Up => A::Up,
        K::Down => A::Down,
        K::Left => A::Left,
        K::Right => A::Right,
        _ => return KeyAction::Drop,
    };
    match abi.code() {
        wasm_abi::NO_KEY => KeyAction::Drop,
        code => KeyAction::Deliver(code),
    }
}

/// Resolves after letting every other ready task run once.
pub(crate) struct YieldNow(pub(crate) bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// How a headless run went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How the game ended, or `None` if it was still running after all frames.
    pub end: Option<End>,
    /// `frame` calls that returned normally.
    pub frames: u32,
    /// Most fuel used by one call.
    pub max_fuel: u64,
    /// Longest call, in microseconds.
    pub max_call_us: u64,
}

/// Loads `bytes` and runs `init` plus up to `frames` frames back to back on a
/// [`HEADLESS_SIZE`] screen in memory, with no keys and no waiting: everything [`run`]
/// does except real-time pacing and the framebuffer. For tests and benchmarks.
pub fn run_headless(bytes: &[u8], frames: u32, budget: Budget) -> Result<Outcome, LoadError> {
    let (w, h) = HEADLESS_SIZE;
    let screen = Screen::new(w, h, Encoding::Xrgb).map_err(LoadError::Screen)?;
    let mut game = Game::load("wasm", bytes, screen, budget)?;
    Ok(drive(&mut game, frames))
}

/// Calls `init` and up to `frames` frames of an already loaded game.
pub fn drive(game: &mut Game, frames: u32) -> Outcome {
    let mut out = Outcome {
        end: None,
        frames: 0,
        max_fuel: 0,
        max_call_us: 0,
    };
    let note = |s: CallStats, out: &mut Outcome| {
        out.max_fuel = out.max_fuel.max(s.fuel);
        out.max_call_us = out.max_call_us.max(s.us);
    };
    match game.init() {
        Ok(s) => note(s, &mut out),
        Err(end) => out.end = Some(end),
    }
    while out.end.is_none() && out.frames < frames {
        match game.frame() {
            Ok(s) => {
                note(s, &mut out);
                out.frames += 1;
            }
            Err(end) => out.end = Some(end),
        }
    }
    game.finish();
    out
}
