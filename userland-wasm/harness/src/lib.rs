//! Host-side harness that runs RustOS game modules under wasmi, outside the kernel.
//!
//! Why: booting QEMU to find out that a game traps on frame 40 is slow and opaque. This crate
//! implements the host ABI v1 (`docs/wasm-abi.md`) against an in-memory 640x480 screen with the
//! same argument checks the kernel uses (the shared `wasm-abi` crate), a scripted keyboard, a
//! fake clock and a seeded random source, so the tests in `tests/` can run every built game
//! deterministically and compare screens. It is also the reference the kernel's `host.rs` can
//! be compared against: same import table, same fuel-per-call model, same traps.

use std::collections::VecDeque;
use std::fmt;

use wasm_abi::{AbiError, IMPORT_MODULE, IMPORTS, ImportSig, Scale, ValType as AbiTy};
use wasmi::{
    Caller, Config, Engine, Extern, ExternType, Linker, Memory, Module, Store, StoreLimits,
    StoreLimitsBuilder, TypedFunc, ValType,
};

/// Width of the fake screen.
pub const SCREEN_W: usize = 640;
/// Height of the fake screen.
pub const SCREEN_H: usize = 480;
/// Fuel given to every `init` / `frame` call.
pub const FUEL_PER_CALL: u64 = 10_000_000;

/// Why a game could not be loaded or stopped running.
#[derive(Debug)]
pub enum GameError {
    /// wasmi rejected the module (malformed, invalid, or linking failed).
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

/// The host side of one running game.
pub struct HostState {
    /// What the game has drawn so far (composed off-screen).
    back: Vec<u32>,
    /// What is "on the monitor": `back` as of the end of the last successful call.
    front: Vec<u32>,
    keys: VecDeque<i32>,
    now_ms: i64,
    rng: wasm_abi::Rng,
    log: String,
    limits: StoreLimits,
    /// Host calls made, by import name order in [`IMPORTS`].
    pub calls: [u64; IMPORTS.len()],
}

impl HostState {
    fn new(seed: u64) -> Self {
        HostState {
            back: vec![0; SCREEN_W * SCREEN_H],
            front: vec![0; SCREEN_W * SCREEN_H],
            keys: VecDeque::new(),
            now_ms: 0,
            rng: wasm_abi::Rng::new(seed | 1),
            log: String::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(wasm_abi::MEMORY_LIMIT_BYTES)
                .memories(1)
                .tables(1)
                .instances(1)
                .build(),
            calls: [0; IMPORTS.len()],
        }
    }

    fn count(&mut self, name: &str) {
        if let Some(i) = IMPORTS.iter().position(|s| s.name == name) {
            self.calls[i] += 1;
        }
    }

    fn next_random(&mut self) -> u32 {
        // Deterministic for a given seed, so two runs can be compared.
        self.rng.next_u32()
    }
}

/// A loaded, instantiated game.
pub struct Game {
    store: Store<HostState>,
    init: TypedFunc<(), ()>,
    frame: TypedFunc<(), ()>,
    /// Fuel used by the most expensive call so far.
    pub max_fuel_used: u64,
}

fn abi_to_wasmi(t: AbiTy) -> ValType {
    match t {
        AbiTy::I32 => ValType::I32,
        AbiTy::I64 => ValType::I64,
    }
}

fn sig_matches(sig: &ImportSig, ty: &ExternType) -> bool {
    let ExternType::Func(f) = ty else {
        return false;
    };
    let params: Vec<ValType> = sig.params.iter().copied().map(abi_to_wasmi).collect();
    let results: Vec<ValType> = sig.result.into_iter().map(abi_to_wasmi).collect();
    f.params() == params.as_slice() && f.results() == results.as_slice()
}

/// The engine configuration the kernel should use too: wasmi's default proposals (which cover
/// everything rustc emits for wasm32 by default) plus fuel metering.
pub fn engine() -> Engine {
    let mut config = Config::default();
    config.consume_fuel(true);
    Engine::new(&config)
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

/// Checks that a module imports only ABI v1 functions with their exact signatures and exports
/// `memory`, `init: () -> ()` and `frame: () -> ()`.
pub fn check_interface(module: &Module) -> Result<(), GameError> {
    for import in module.imports() {
        let sig = (import.module() == IMPORT_MODULE)
            .then(|| wasm_abi::import_sig(import.name()))
            .flatten()
            .ok_or_else(|| {
                GameError::BadImport(format!(
                    "{}.{} is not in ABI v1",
                    import.module(),
                    import.name()
                ))
            })?;
        if !sig_matches(sig, import.ty()) {
            return Err(GameError::BadImport(format!(
                "{}.{} has type {:?}",
                import.module(),
                import.name(),
                import.ty()
            )));
        }
    }
    match module.get_export(wasm_abi::EXPORT_MEMORY) {
        Some(ExternType::Memory(_)) => {}
        _ => return Err(GameError::BadExport("no exported memory".into())),
    }
    for name in [wasm_abi::EXPORT_INIT, wasm_abi::EXPORT_FRAME] {
        match module.get_export(name) {
            Some(ExternType::Func(f)) if f.params().is_empty() && f.results().is_empty() => {}
            _ => {
                return Err(GameError::BadExport(format!(
                    "no `{name}: () -> ()` export"
                )));
            }
        }
    }
    Ok(())
}

fn guest_memory(caller: &Caller<'_, HostState>) -> Result<Memory, wasmi::Error> {
    caller
        .get_export(wasm_abi::EXPORT_MEMORY)
        .and_then(Extern::into_memory)
        .ok_or_else(|| wasmi::Error::new("game has no exported memory"))
}

fn abi_err(call: &str, e: AbiError) -> wasmi::Error {
    wasmi::Error::new(format!("{call}: {e}"))
}

fn link(engine: &Engine) -> Result<Linker<HostState>, wasmi::Error> {
    let mut linker = Linker::<HostState>::new(engine);
    let env = IMPORT_MODULE;
    linker.func_wrap(
        env,
        "put_pixel",
        |mut c: Caller<'_, HostState>, x: i32, y: i32, r: i32, g: i32, b: i32| {
            let s = c.data_mut();
            s.count("put_pixel");
            if let Some((x, y)) = wasm_abi::clip_point(x, y, SCREEN_W as i32, SCREEN_H as i32) {
                let (r, g, b) = (
                    wasm_abi::rgb_clamp(r),
                    wasm_abi::rgb_clamp(g),
                    wasm_abi::rgb_clamp(b),
                );
                s.back[y * SCREEN_W + x] = wasm_abi::rgb(r, g, b);
            }
        },
    )?;
    linker.func_wrap(
        env,
        "fill_rect",
        |mut c: Caller<'_, HostState>, x: i32, y: i32, w: i32, h: i32, rgb: i32| {
            let s = c.data_mut();
            s.count("fill_rect");
            if let Some(r) = wasm_abi::clip_rect(x, y, w, h, SCREEN_W as i32, SCREEN_H as i32) {
                for row in r.y..r.y + r.h {
                    s.back[row * SCREEN_W + r.x..row * SCREEN_W + r.x + r.w]
                        .fill(rgb as u32 & 0xff_ffff);
                }
            }
        },
    )?;
    linker.func_wrap(
        env,
        "present",
        |mut c: Caller<'_, HostState>, ptr: i32, w: i32, h: i32| -> Result<(), wasmi::Error> {
            let memory = guest_memory(&c)?;
            let (mem, s) = memory.data_and_store_mut(&mut c);
            s.count("present");
            let range =
                wasm_abi::checked_buffer(mem.len(), ptr, w, h, wasm_abi::PRESENT_BYTES_PER_PIXEL)
                    .map_err(|e| abi_err("present", e))?;
            let src = &mem[range];
            let (w, h) = (w as usize, h as usize);
            let scale = Scale::for_present(w, h, SCREEN_W, SCREEN_H).expect("sizes are non-zero");
            s.back.fill(0);
            let f = scale.factor;
            for sy in 0..scale.rows {
                let dst_y = scale.off_y + sy * f;
                for sx in 0..scale.cols {
                    let i = (sy * w + sx) * 4;
                    let px = u32::from_le_bytes([src[i], src[i + 1], src[i + 2], src[i + 3]])
                        & 0xff_ffff;
                    let dst_x = scale.off_x + sx * f;
                    for dy in 0..f {
                        let row = (dst_y + dy) * SCREEN_W;
                        s.back[row + dst_x..row + dst_x + f].fill(px);
                    }
                }
            }
            Ok(())
        },
    )?;
    linker.func_wrap(env, "screen_width", |mut c: Caller<'_, HostState>| -> i32 {
        c.data_mut().count("screen_width");
        SCREEN_W as i32
    })?;
    linker.func_wrap(
        env,
        "screen_height",
        |mut c: Caller<'_, HostState>| -> i32 {
            c.data_mut().count("screen_height");
            SCREEN_H as i32
        },
    )?;
    linker.func_wrap(env, "poll_key", |mut c: Caller<'_, HostState>| -> i32 {
        let s = c.data_mut();
        s.count("poll_key");
        s.keys.pop_front().unwrap_or(wasm_abi::NO_KEY)
    })?;
    linker.func_wrap(env, "time_ms", |mut c: Caller<'_, HostState>| -> i64 {
        let s = c.data_mut();
        s.count("time_ms");
        s.now_ms
    })?;
    linker.func_wrap(env, "random", |mut c: Caller<'_, HostState>| -> i32 {
        let s = c.data_mut();
        s.count("random");
        s.next_random() as i32
    })?;
    linker.func_wrap(
        env,
        "print",
        |mut c: Caller<'_, HostState>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
            let memory = guest_memory(&c)?;
            let (mem, s) = memory.data_and_store_mut(&mut c);
            s.count("print");
            let range =
                wasm_abi::checked_text(mem.len(), ptr, len).map_err(|e| abi_err("print", e))?;
            s.log.push_str(&String::from_utf8_lossy(&mem[range]));
            Ok(())
        },
    )?;
    linker.func_wrap(
        env,
        "exit",
        |mut c: Caller<'_, HostState>, code: i32| -> Result<(), wasmi::Error> {
            c.data_mut().count("exit");
            Err(wasmi::Error::i32_exit(code))
        },
    )?;
    Ok(linker)
}

impl Game {
    /// Validates, checks the interface of, links and instantiates a game. `seed` drives the
    /// `random` import so runs are reproducible.
    pub fn load(wasm: &[u8], seed: u64) -> Result<Game, GameError> {
        let engine = engine();
        let module = Module::new(&engine, wasm).map_err(|e| GameError::Load(e.to_string()))?;
        check_interface(&module)?;
        let linker = link(&engine).map_err(|e| GameError::Load(e.to_string()))?;
        let mut store = Store::new(&engine, HostState::new(seed));
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(FUEL_PER_CALL)
            .map_err(|e| GameError::Load(e.to_string()))?;
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| GameError::Load(e.to_string()))?;
        let func = |store: &Store<HostState>, name: &str| {
            instance
                .get_typed_func::<(), ()>(store, name)
                .map_err(|e| GameError::BadExport(format!("{name}: {e}")))
        };
        let init = func(&store, wasm_abi::EXPORT_INIT)?;
        let frame = func(&store, wasm_abi::EXPORT_FRAME)?;
        Ok(Game {
            store,
            init,
            frame,
            max_fuel_used: 0,
        })
    }

    fn call(&mut self, f: TypedFunc<(), ()>) -> Result<(), GameError> {
        self.store
            .set_fuel(FUEL_PER_CALL)
            .expect("fuel metering is enabled");
        let result = f.call(&mut self.store, ());
        let left = self.store.get_fuel().expect("fuel metering is enabled");
        self.max_fuel_used = self.max_fuel_used.max(FUEL_PER_CALL - left);
        match result {
            Ok(()) => {
                // The frame is complete: show it at once (no partial frames, no flicker).
                let s = self.store.data_mut();
                s.front.copy_from_slice(&s.back);
                Ok(())
            }
            Err(e) => match e.i32_exit_status() {
                Some(code) => Err(GameError::Exited(code)),
                None => Err(GameError::Trap(e.to_string())),
            },
        }
    }

    /// Calls the game's `init`.
    pub fn init(&mut self) -> Result<(), GameError> {
        self.call(self.init)
    }

    /// Calls the game's `frame`.
    pub fn frame(&mut self) -> Result<(), GameError> {
        self.call(self.frame)
    }

    /// Queues a key press (an ABI key code). Esc is never delivered, as on the real host.
    pub fn press(&mut self, code: i32) {
        if code != wasm_abi::KEY_ESC_RESERVED {
            self.store.data_mut().keys.push_back(code);
        }
    }

    /// Moves the fake clock forward.
    pub fn advance_ms(&mut self, ms: i64) {
        self.store.data_mut().now_ms += ms;
    }

    /// The screen as last shown (640x480 `0x00RRGGBB`).
    pub fn screen(&self) -> &[u32] {
        &self.store.data().front
    }

    /// Everything the game printed.
    pub fn log(&self) -> &str {
        &self.store.data().log
    }

    /// Host-call counts, paired with import names.
    pub fn call_counts(&self) -> Vec<(&'static str, u64)> {
        IMPORTS
            .iter()
            .zip(self.store.data().calls)
            .map(|(s, n)| (s.name, n))
            .collect()
    }
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
