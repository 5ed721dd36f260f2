//! Games: modules that export `init` and `frame` and draw through the ABI v1 imports
//! (docs/wasm-abi.md).
//!
//! Why fuel *slices*: a fixed fuel budget alone cannot promise "an endless loop ends within
//! about a second", because how long a unit of fuel takes depends on the machine (QEMU's
//! TCG is tens of times slower than hardware). So each `init`/`frame` call runs with a
//! small slice of fuel through wasmi's resumable calls; whenever a slice runs out, the
//! runner looks at the platform's clock and either gives the next slice or ends the game. A
//! call thus stops at whichever comes first: [`Budget::max_fuel`] (deterministic, the ABI's
//! 10 M) or [`Budget::max_wall_us`] of wall time. Host calls check the same deadline
//! themselves, because their work is not metered by wasm fuel.
//!
//! Why checks of our own on top of wasmi's validation: wasmi accepts any valid module, but
//! a game may only use the ABI v1 interface. Checking imports and exports before
//! instantiation gives the user a message that names the offending import or export instead
//! of a generic link error, and refuses a module that asks for more memory than the limit
//! before a single page is allocated.

mod host;
mod screen;

pub use host::{HostState, KEY_QUEUE, PRINT_BUDGET};
pub use screen::{BlitTarget, Picture, PixelLayout, Screen, ScreenError};

use crate::Platform;
use crate::engine::{self, ImportRules, Stop, Translation, clean, trap_name};
use alloc::format;
use alloc::string::String;
use core::fmt;
use wasm_abi::{
    EXPORT_FRAME, EXPORT_INIT, EXPORT_MEMORY, IMPORT_MODULE, IMPORTS, MEMORY_LIMIT_PAGES,
};
use wasmi::{ExternType, Module, Store, TrapCode, TypedFunc, TypedResumableCall};

/// Why a module was refused before it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not WebAssembly, damaged, or uses features wasmi (or the host) does not allow.
    Invalid(String),
    /// An import outside the interface, or with the wrong signature. Names the import.
    Import(String),
    /// A missing or mistyped export.
    Export(String),
    /// The module's memory is larger than the limit from the start.
    Memory(String),
    /// Instantiation failed (limits, or a `start` function that trapped).
    Instantiate(String),
    /// No memory for the screen buffer.
    Screen(ScreenError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Invalid(e) => write!(f, "not a valid WebAssembly module: {e}"),
            LoadError::Import(e) => write!(f, "unsupported import: {e}"),
            LoadError::Export(e) => write!(f, "bad exports: {e}"),
            LoadError::Memory(e) => write!(f, "memory too large: {e}"),
            LoadError::Instantiate(e) => write!(f, "cannot instantiate: {e}"),
            LoadError::Screen(e) => write!(f, "{e}"),
        }
    }
}

/// The import rules of ABI v1.
pub const RULES: ImportRules = ImportRules {
    module: IMPORT_MODULE,
    who: "games",
    abi: "ABI v1",
    a_function: "an ABI v1 function",
    lookup: wasm_abi::import_sig,
};

/// Checks that `module` exports a 32-bit `memory` of at most `limit_pages` pages.
pub(crate) fn check_memory_export(module: &Module, limit_pages: u64) -> Result<(), LoadError> {
    match module.get_export(EXPORT_MEMORY) {
        Some(ExternType::Memory(m)) => {
            if m.is_64() {
                return Err(LoadError::Memory(String::from(
                    "64-bit memories are not supported",
                )));
            }
            if m.minimum() > limit_pages {
                return Err(LoadError::Memory(format!(
                    "the module starts with {} pages ({} KiB); the limit is {} pages ({} MiB)",
                    m.minimum(),
                    m.minimum().saturating_mul(64),
                    limit_pages,
                    limit_pages / 16
                )));
            }
            Ok(())
        }
        Some(other) => Err(LoadError::Export(format!(
            "`{EXPORT_MEMORY}` is a {}, not a memory",
            engine::kind(&other)
        ))),
        None => Err(LoadError::Export(format!(
            "missing export `{EXPORT_MEMORY}`"
        ))),
    }
}

/// Checks that `module` exports `name: () -> ()`.
pub(crate) fn check_unit_export(module: &Module, name: &str, abi: &str) -> Result<(), LoadError> {
    match module.get_export(name) {
        Some(ExternType::Func(f)) if f.params().is_empty() && f.results().is_empty() => Ok(()),
        Some(ExternType::Func(f)) => Err(LoadError::Export(format!(
            "`{name}` has type {}, {abi} wants () -> ()",
            engine::FuncSig(&f)
        ))),
        Some(other) => Err(LoadError::Export(format!(
            "`{name}` is a {}, not a function",
            engine::kind(&other)
        ))),
        None => Err(LoadError::Export(format!("missing export `{name}`"))),
    }
}

/// Checks imports and exports against ABI v1.
pub fn check_interface(module: &Module) -> Result<(), LoadError> {
    for import in module.imports() {
        engine::check_import(&import, &RULES).map_err(LoadError::Import)?;
    }
    check_memory_export(module, MEMORY_LIMIT_PAGES as u64)?;
    for name in [EXPORT_INIT, EXPORT_FRAME] {
        check_unit_export(module, name, "ABI v1")?;
    }
    Ok(())
}

/// Validates and compiles `bytes` for a game, then checks the ABI v1 interface.
pub fn compile(engine: &wasmi::Engine, bytes: &[u8]) -> Result<Module, LoadError> {
    let module = engine::compile(engine, bytes).map_err(LoadError::Invalid)?;
    check_interface(&module)?;
    Ok(module)
}

/// Limits of one `init` or `frame` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Fuel between two wall-clock checks.
    pub slice: u64,
    /// Total fuel per call (the ABI recommends 10,000,000).
    pub max_fuel: u64,
    /// Wall time per call, in microseconds.
    pub max_wall_us: u64,
}

impl Budget {
    /// What games get: the ABI's 10 M fuel, at most one second, checked every 250 k fuel
    /// (a few milliseconds even under TCG).
    pub const DEFAULT: Budget = Budget {
        slice: 250_000,
        max_fuel: 10_000_000,
        max_wall_us: 1_000_000,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Fuel for a module's `start` function, which runs inside instantiation and cannot be
/// sliced: the ABI's per-call budget (about 0.2 s under QEMU's TCG).
pub const MAX_START_FUEL: u64 = 10_000_000;

/// Why a game stopped with an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A trap raised by wasm code (`unreachable`, out-of-bounds access, ...).
    Wasm(TrapCode),
    /// A call did not return within its [`Budget`].
    OutOfFuel { fuel: u64, ms: u64 },
    /// A host call rejected its arguments; the text names the call.
    Host(String),
    /// Any other engine error.
    Other(String),
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Wasm(code) => f.write_str(trap_name(*code)),
            Trap::OutOfFuel { fuel, ms } => write!(
                f,
                "out of fuel (a call ran {ms} ms and used {fuel} fuel without returning)"
            ),
            Trap::Host(m) | Trap::Other(m) => f.write_str(m),
        }
    }
}

/// How a game ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The game called `exit(code)`.
    Exited(i32),
    /// The user pressed Esc.
    Quit,
    /// A trap; the game is not called again.
    Trap(Trap),
}

impl End {
    /// True for a normal end: `exit(0)` or Esc.
    pub fn is_success(&self) -> bool {
        matches!(self, End::Exited(0) | End::Quit)
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Exited(code) => write!(f, "exited (code {code})"),
            End::Quit => f.write_str("quit (Esc)"),
            End::Trap(t) => write!(f, "trap: {t}"),
        }
    }
}

/// What one successful call cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    pub fuel: u64,
    pub us: u64,
}

/// A loaded, instantiated game.
#[derive(Debug)]
pub struct Game<P: 'static> {
    store: Store<HostState<P>>,
    init: TypedFunc<(), ()>,
    frame: TypedFunc<(), ()>,
    budget: Budget,
}

impl<P: Platform + 'static> Game<P> {
    /// Validates, checks and instantiates `bytes`, drawing on `screen`. A `start` function
    /// (Rust never emits one) runs here, under the fuel of one call: wasmi cannot pause a
    /// start function, so it gets at most [`MAX_START_FUEL`] whatever the budget says.
    pub fn load(
        name: &str,
        bytes: &[u8],
        screen: Screen,
        budget: Budget,
        platform: P,
    ) -> Result<Game<P>, LoadError> {
        let engine = engine::engine(Translation::Eager);
        let module = compile(&engine, bytes)?;
        let linker = host::linker::<P>(&engine)
            .map_err(|e| LoadError::Instantiate(format!("host functions: {e}")))?;
        let mut store = Store::new(&engine, HostState::new(name, screen, platform));
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(budget.max_fuel.min(MAX_START_FUEL))
            .map_err(|e| LoadError::Instantiate(clean(&e)))?;
        let deadline = deadline_after(&mut store.data_mut().platform, budget.max_wall_us);
        store.data_mut().begin_call(deadline);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| {
                let why = match store.data_mut().stop.take() {
                    Some(Stop::Exit(code)) => format!("start function called exit({code})"),
                    Some(Stop::Trap(m)) => m,
                    Some(Stop::Deadline) => String::from("start function: out of fuel"),
                    None => match e.as_trap_code() {
                        Some(code) => format!("start function: {}", trap_name(code)),
                        None => clean(&e),
                    },
                };
                LoadError::Instantiate(why)
            })?;
        let memory = instance
            .get_memory(&store, EXPORT_MEMORY)
            .ok_or_else(|| LoadError::Export(String::from("missing export `memory`")))?;
        store.data_mut().memory = Some(memory);
        let func = |name: &str| {
            instance
                .get_typed_func::<(), ()>(&store, name)
                .map_err(|e| LoadError::Export(format!("`{name}`: {}", clean(&e))))
        };
        let init = func(EXPORT_INIT)?;
        let frame = func(EXPORT_FRAME)?;
        Ok(Game {
            store,
            init,
            frame,
            budget,
        })
    }

    /// Calls `init`.
    pub fn init(&mut self) -> Result<CallStats, End> {
        self.call(self.init)
    }

    /// Calls `frame`.
    pub fn frame(&mut self) -> Result<CallStats, End> {
        self.call(self.frame)
    }

    /// Queues a key press (an ABI key code) for `poll_key`.
    pub fn press(&mut self, code: i32) {
        self.store.data_mut().push_key(code);
    }

    /// The picture: what the last successful call drew (and earlier ones left). Show it
    /// with [`Screen::blit`] after each successful call.
    pub fn screen(&self) -> &Screen {
        &self.store.data().screen
    }

    /// Nanoseconds (on the platform's monotonic clock) spent in `present` host calls so
    /// far: the benchmarks' split of a frame into the guest's work and the host's.
    pub fn present_ns(&self) -> u64 {
        self.store.data().present_ns
    }

    /// The platform the game runs on.
    pub fn platform(&self) -> &P {
        &self.store.data().platform
    }

    /// The platform the game runs on, to change (e.g. a test's fake clock).
    pub fn platform_mut(&mut self) -> &mut P {
        &mut self.store.data_mut().platform
    }

    /// Host calls made so far, paired with the import names.
    pub fn call_counts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        IMPORTS
            .iter()
            .zip(self.store.data().calls)
            .map(|(s, n)| (s.name, n))
    }

    /// Ends an unterminated `print` line; call once when the game is over.
    pub fn finish(&mut self) {
        self.store.data_mut().finish_output();
    }

    /// Runs one export within the budget. See the module docs for the slicing.
    fn call(&mut self, f: TypedFunc<(), ()>) -> Result<CallStats, End> {
        let b = self.budget;
        let start = self.now_ns();
        let deadline = start.saturating_add(b.max_wall_us.saturating_mul(1000));
        self.store.data_mut().begin_call(deadline);
        let first = b.slice.clamp(1, b.max_fuel.max(1));
        let mut given = first;
        let mut result = self
            .store
            .set_fuel(first)
            .and_then(|()| f.call_resumable(&mut self.store, ()));
        loop {
            match result {
                Ok(TypedResumableCall::Finished(())) => break,
                Ok(TypedResumableCall::OutOfFuel(paused)) => {
                    let elapsed_us = self.now_ns().saturating_sub(start) / 1000;
                    let left = b.max_fuel.saturating_sub(given);
                    let need = paused.required_fuel();
                    if elapsed_us > b.max_wall_us || left == 0 || need > left {
                        return Err(self.out_of_fuel(given, start));
                    }
                    let next = b.slice.max(need).min(left);
                    given += next;
                    result = self
                        .store
                        .set_fuel(next)
                        .and_then(|()| paused.resume(&mut self.store));
                }
                Ok(TypedResumableCall::HostTrap(trap)) => {
                    return Err(self.ended_by(trap.host_error(), given, start));
                }
                Err(e) => return Err(self.ended_by(&e, given, start)),
            }
        }
        let left = self.store.get_fuel().unwrap_or(0);
        Ok(CallStats {
            fuel: given.saturating_sub(left),
            us: self.now_ns().saturating_sub(start) / 1000,
        })
    }

    fn now_ns(&mut self) -> u64 {
        self.store.data_mut().platform.monotonic_ns()
    }

    fn out_of_fuel(&mut self, given: u64, start: u64) -> End {
        let left = self.store.get_fuel().unwrap_or(0);
        End::Trap(Trap::OutOfFuel {
            fuel: given.saturating_sub(left),
            ms: self.now_ns().saturating_sub(start) / 1_000_000,
        })
    }

    /// Classifies the error that ended a call, preferring what a host call recorded.
    fn ended_by(&mut self, e: &wasmi::Error, given: u64, start: u64) -> End {
        match self.store.data_mut().stop.take() {
            Some(Stop::Exit(code)) => return End::Exited(code),
            Some(Stop::Trap(m)) => return End::Trap(Trap::Host(m)),
            Some(Stop::Deadline) => return self.out_of_fuel(given, start),
            None => {}
        }
        if let Some(code) = e.i32_exit_status() {
            return End::Exited(code);
        }
        match e.as_trap_code() {
            Some(TrapCode::OutOfFuel) => self.out_of_fuel(given, start),
            Some(code) => End::Trap(Trap::Wasm(code)),
            None => End::Trap(Trap::Other(clean(e))),
        }
    }
}

/// The monotonic time `us` microseconds from now.
fn deadline_after<P: Platform>(platform: &mut P, us: u64) -> u64 {
    platform
        .monotonic_ns()
        .saturating_add(us.saturating_mul(1000))
}
