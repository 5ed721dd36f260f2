//! Host-side harness that runs RustOS modules under the kernel's own WebAssembly host
//! (`crates/wasm-host`), outside the kernel.
//!
//! Why: booting QEMU to find out that a game traps on frame 40, or that a WASI program gets the
//! wrong errno, is slow and opaque. The host itself is shared with the kernel; this crate only
//! supplies a [`TestPlatform`] for it: a fake clock that moves only when a test says so, a
//! seeded random source, a log and output buffers in memory, scripted standard input, and an
//! in-memory file system. So the tests in `tests/` run every built game and WASI test program
//! deterministically against exactly the host the kernel runs.

use std::fmt;

use wasm_host::game::{self, Budget, End, Picture, PixelLayout, Screen};
use wasm_host::wasi::{self, Command, CommandConfig, FileSystem, MemFs, Preopen, Step, Wait};
use wasm_host::{Platform, StdinBuffer, StdinRead, Stream, WouldBlock};
use wasmi::{Engine, ExternType, Module, ValType};

pub use wasm_host;

/// Width of the fake screen.
pub const SCREEN_W: usize = 640;
/// Height of the fake screen.
pub const SCREEN_H: usize = 480;
/// Fuel given to every `init` / `frame` call.
pub const FUEL_PER_CALL: u64 = Budget::DEFAULT.max_fuel;
/// The realtime clock of a [`TestPlatform`] at monotonic time 0 (2026-01-01T00:00:00Z).
pub const EPOCH_NS: u64 = 1_767_225_600_000_000_000;

/// The machine as a test sees it.
#[derive(Debug)]
pub struct TestPlatform {
    /// Monotonic time; moves only when a test (or a program's wait) moves it.
    pub now_ns: u64,
    rng: wasm_abi::Rng,
    /// Everything games printed (already sanitised by the host).
    pub log: String,
    /// Standard input: bytes still to deliver, and whether more can come (when not closed
    /// and empty, reading waits).
    pub stdin: StdinBuffer,
    /// What programs wrote to standard output / error.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// When set, output takes at most this many bytes per call, and blocks once after each
    /// call that took some (to exercise short writes and waiting for output).
    pub output_trickle: Option<usize>,
    output_blocked: bool,
    /// Whether the standard streams claim to be a terminal.
    pub terminal: bool,
    /// The file system preopened directories live in.
    pub fs: MemFs,
}

impl TestPlatform {
    pub fn new(seed: u64) -> Self {
        Self {
            now_ns: 0,
            rng: wasm_abi::Rng::new(seed | 1),
            log: String::new(),
            stdin: StdinBuffer {
                closed: true,
                ..StdinBuffer::default()
            },
            stdout: Vec::new(),
            stderr: Vec::new(),
            output_trickle: None,
            output_blocked: false,
            terminal: false,
            fs: MemFs::new(),
        }
    }
}

impl Platform for TestPlatform {
    fn monotonic_ns(&mut self) -> u64 {
        self.now_ns
    }

    fn realtime_ns(&mut self) -> u64 {
        EPOCH_NS + self.now_ns
    }

    fn fill_random(&mut self, buf: &mut [u8]) {
        // Deterministic for a given seed, so two runs can be compared.
        for chunk in buf.chunks_mut(4) {
            let r = self.rng.next_u32().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }

    fn log(&mut self, text: &str) {
        self.log.push_str(text);
    }

    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead {
        self.stdin.read(buf)
    }

    fn stdin_ready(&mut self) -> bool {
        self.stdin.ready()
    }

    fn write_output(&mut self, stream: Stream, bytes: &[u8]) -> Result<usize, WouldBlock> {
        let n = match self.output_trickle {
            Some(_) if self.output_blocked => {
                self.output_blocked = false;
                return Err(WouldBlock);
            }
            Some(max) => {
                self.output_blocked = true;
                bytes.len().min(max.max(1))
            }
            None => bytes.len(),
        };
        let out = match stream {
            Stream::Stderr => &mut self.stderr,
            _ => &mut self.stdout,
        };
        out.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn is_terminal(&mut self, _stream: Stream) -> bool {
        self.terminal
    }

    fn fs(&mut self) -> Option<&mut dyn FileSystem> {
        Some(&mut self.fs)
    }
}

// ---- games ---------------------------------------------------------------------------------

/// Why a game could not be loaded or stopped running.
#[derive(Debug)]
pub enum GameError {
    /// The module was rejected (malformed, invalid, or it could not be instantiated).
    Load(String),
    /// The module imports something outside ABI v1, or with the wrong signature.
    BadImport(String),
    /// A required export is missing or has the wrong type.
    BadExport(String),
    /// A trap: wasm `unreachable`, out of fuel, a host-call argument error, ...
    Trap(String),
    /// The game called `exit(code)`.
    Exited(i32),
}

impl fmt::Display for GameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GameError::Load(e) => write!(f, "cannot load module: {e}"),
            GameError::BadImport(e) => write!(f, "bad import: {e}"),
            GameError::BadExport(e) => write!(f, "bad export: {e}"),
            GameError::Trap(e) => write!(f, "game trapped: {e}"),
            GameError::Exited(c) => write!(f, "game exited with code {c}"),
        }
    }
}

impl std::error::Error for GameError {}

impl From<game::LoadError> for GameError {
    fn from(e: game::LoadError) -> Self {
        match e {
            game::LoadError::Import(m) => GameError::BadImport(m),
            game::LoadError::Export(m) => GameError::BadExport(m),
            other => GameError::Load(other.to_string()),
        }
    }
}

impl From<End> for GameError {
    fn from(e: End) -> Self {
        match e {
            End::Exited(code) => GameError::Exited(code),
            End::Quit => GameError::Exited(0),
            End::Trap(t) => GameError::Trap(t.to_string()),
        }
    }
}

/// A loaded, instantiated game on a [`SCREEN_W`] x [`SCREEN_H`] screen.
#[derive(Debug)]
pub struct Game {
    inner: game::Game<TestPlatform>,
    /// What is "on the monitor": the screen as of the end of the last successful call,
    /// copied there by the kernel's own `Screen::blit` (changed rows only).
    front: Picture,
    /// Fuel used by the most expensive call so far.
    pub max_fuel_used: u64,
}

/// The engine games run on (the kernel's).
pub fn engine() -> Engine {
    wasm_host::engine::engine(wasm_host::engine::Translation::Eager)
}

/// Checks that a module imports only ABI v1 functions with their exact signatures and exports
/// `memory`, `init: () -> ()` and `frame: () -> ()` (the kernel's check).
pub fn check_interface(module: &Module) -> Result<(), GameError> {
    game::check_interface(module).map_err(GameError::from)
}

/// Lists a module's imports as `module.name(params) -> results`.
pub fn describe_imports(module: &Module) -> Vec<String> {
    module
        .imports()
        .map(|i| {
            let ty = match i.ty() {
                ExternType::Func(f) => {
                    let list = |t: &[ValType]| {
                        t.iter()
                            .map(|v| format!("{v:?}").to_lowercase())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    match f.results() {
                        [] => format!("({})", list(f.params())),
                        r => format!("({}) -> {}", list(f.params()), list(r)),
                    }
                }
                other => format!(": {other:?}"),
            };
            format!("{}.{}{ty}", i.module(), i.name())
        })
        .collect()
}

impl Game {
    /// Validates, checks the interface of, links and instantiates a game. `seed` drives the
    /// `random` import so runs are reproducible.
    pub fn load(wasm: &[u8], seed: u64) -> Result<Game, GameError> {
        let screen = Screen::new(SCREEN_W, SCREEN_H, PixelLayout::XRGB)
            .map_err(|e| GameError::Load(e.to_string()))?;
        let inner = game::Game::load(
            "game",
            wasm,
            screen,
            Budget::DEFAULT,
            TestPlatform::new(seed),
        )?;
        Ok(Game {
            inner,
            front: Picture::new(SCREEN_W, SCREEN_H),
            max_fuel_used: 0,
        })
    }

    fn after(&mut self, r: Result<game::CallStats, End>) -> Result<(), GameError> {
        match r {
            Ok(stats) => {
                self.max_fuel_used = self.max_fuel_used.max(stats.fuel);
                // The frame is complete: show it at once (no partial frames, no flicker).
                self.inner.screen().blit(&mut self.front);
                Ok(())
            }
            Err(end) => Err(end.into()),
        }
    }

    /// Calls the game's `init`.
    pub fn init(&mut self) -> Result<(), GameError> {
        let r = self.inner.init();
        self.after(r)
    }

    /// Calls the game's `frame`.
    pub fn frame(&mut self) -> Result<(), GameError> {
        let r = self.inner.frame();
        self.after(r)
    }

    /// Queues a key press (an ABI key code). Esc is never delivered, as on the real host.
    pub fn press(&mut self, code: i32) {
        self.inner.press(code);
    }

    /// Moves the fake clock forward.
    pub fn advance_ms(&mut self, ms: i64) {
        let p = self.inner.platform_mut();
        p.now_ns = p.now_ns.saturating_add_signed(ms.saturating_mul(1_000_000));
    }

    /// The screen as last shown (640x480 `0x00RRGGBB`).
    pub fn screen(&self) -> &[u32] {
        &self.front.pixels
    }

    /// Everything the game printed, as the kernel would log it (each line prefixed `game: `).
    pub fn log(&self) -> &str {
        &self.inner.platform().log
    }

    /// Host-call counts, paired with import names.
    pub fn call_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner.call_counts().collect()
    }
}

// ---- WASI programs -------------------------------------------------------------------------

/// How a WASI program ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `proc_exit(code)` or `_start` returning (0).
    Exit(i32),
    /// A trap, with the host's message.
    Trap(String),
    /// Still running after the step limit (an endless loop, or waiting for input forever).
    Stuck,
}

/// What a finished program left behind.
#[derive(Debug)]
pub struct Ran {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The file system after the run.
    pub fs: MemFs,
    /// Fuel used.
    pub fuel: u64,
    /// Steps taken (each at most one slice).
    pub steps: u64,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A WASI program to run, and what it is given.
#[derive(Debug)]
pub struct Program {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `(path in fs, name the program sees)`.
    pub dirs: Vec<(String, String)>,
    pub platform: TestPlatform,
    pub memory_limit: usize,
    /// Steps before giving up with [`Status::Stuck`].
    pub max_steps: u64,
}

impl Program {
    /// A program called `name` with an empty file system, no input, no directories.
    pub fn new(name: &str) -> Self {
        Self {
            args: vec![name.to_string()],
            env: Vec::new(),
            dirs: Vec::new(),
            platform: TestPlatform::new(7),
            memory_limit: wasi::DEFAULT_MEMORY_LIMIT,
            max_steps: 20_000,
        }
    }

    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_string());
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// Preopens fs directory `host` as `guest` (created if missing).
    pub fn dir(mut self, host: &str, guest: &str) -> Self {
        self.platform.fs.put_dir(host);
        self.dirs.push((host.to_string(), guest.to_string()));
        self
    }

    pub fn stdin(mut self, data: &[u8]) -> Self {
        self.platform.stdin.bytes.extend(data);
        self
    }

    /// Loads the program (the error is the loader's message).
    pub fn load(mut self, wasm: &[u8]) -> Result<(Command<TestPlatform>, u64), String> {
        let preopens = self
            .dirs
            .iter()
            .map(|(host, guest)| Preopen {
                guest: guest.clone(),
                dir: self.platform.fs.find(host).expect("preopened dir exists"),
            })
            .collect();
        let config = CommandConfig {
            args: self.args,
            env: self.env,
            preopens,
            memory_limit: self.memory_limit,
            slice: wasi::DEFAULT_SLICE,
        };
        Command::load(wasm, config, self.platform)
            .map(|c| (c, self.max_steps))
            .map_err(|e| e.to_string())
    }

    /// Runs the program to its end: waits for time are skipped by moving the fake clock, and
    /// input that never comes ends the run as [`Status::Stuck`].
    pub fn run(self, wasm: &[u8]) -> Result<Ran, String> {
        let (mut cmd, max_steps) = self.load(wasm)?;
        let mut steps = 0;
        let status = loop {
            if steps == max_steps {
                break Status::Stuck;
            }
            steps += 1;
            match cmd.step() {
                Step::Running | Step::Wait(Wait::Yield | Wait::Output) => {}
                Step::Wait(Wait::Until(t) | Wait::Input { deadline: Some(t) }) => {
                    let p = cmd.platform_mut();
                    p.now_ns = p.now_ns.max(t);
                }
                Step::Wait(Wait::Input { deadline: None }) => {
                    if cmd.platform_mut().stdin.bytes.is_empty() {
                        break Status::Stuck;
                    }
                }
                Step::Exit(code) => break Status::Exit(code),
                Step::Trap(m) => break Status::Trap(m),
            }
        };
        let fuel = cmd.fuel_used();
        drop_into(cmd, status, fuel, steps)
    }
}

/// Takes the platform's buffers out of a finished command.
fn drop_into(
    mut cmd: Command<TestPlatform>,
    status: Status,
    fuel: u64,
    steps: u64,
) -> Result<Ran, String> {
    let p = cmd.platform_mut();
    let stdout = std::mem::take(&mut p.stdout);
    let stderr = std::mem::take(&mut p.stderr);
    let fs = std::mem::take(&mut p.fs);
    drop(cmd);
    Ok(Ran {
        status,
        stdout,
        stderr,
        fs,
        fuel,
        steps,
    })
}

/// Writes `pixels` (`0x00RRGGBB`, row-major) as an uncompressed PNG, for eyeballing a frame.
/// Deflate "stored" blocks keep this dependency-free.
pub fn write_png(
    path: &std::path::Path,
    width: usize,
    height: usize,
    pixels: &[u32],
) -> std::io::Result<()> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut raw = Vec::with_capacity(height * (1 + width * 3));
    for row in pixels.chunks(width).take(height) {
        raw.push(0); // filter: none
        for p in row {
            raw.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, *p as u8]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png)
}
