//! One instantiated game and the budgeted calls into it.
//!
//! Why fuel *slices*: a fixed fuel budget alone cannot promise "an endless loop ends within
//! about a second", because how long a unit of fuel takes depends on the machine (QEMU's
//! TCG is tens of times slower than hardware). So each `init`/`frame` call runs with a
//! small slice of fuel through wasmi's resumable calls; whenever a slice runs out, the
//! runner looks at the TSC and either gives the next slice or ends the game. A call thus
//! stops at whichever comes first: [`Budget::max_fuel`] (deterministic, the ABI's 10 M) or
//! [`Budget::max_wall_us`] of wall time. Host calls check the same deadline themselves,
//! because their work is not metered by wasm fuel.

use super::host::{self, HostState, Stop};
use super::load::{self, LoadError};
use super::screen::Screen;
use crate::arch::clock::{rdtsc, tsc_hz, tsc_to_us};
use alloc::format;
use alloc::string::String;
use core::fmt;
use wasmi::{Store, TrapCode, TypedFunc, TypedResumableCall};

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

pub(super) fn trap_name(code: TrapCode) -> &'static str {
    match code {
        TrapCode::UnreachableCodeReached => "unreachable executed",
        TrapCode::MemoryOutOfBounds => "out-of-bounds memory access",
        TrapCode::TableOutOfBounds => "out-of-bounds table access",
        TrapCode::IndirectCallToNull => "indirect call to a null table entry",
        TrapCode::IntegerDivisionByZero => "integer divide by zero",
        TrapCode::IntegerOverflow => "integer overflow",
        TrapCode::BadConversionToInteger => "invalid conversion to integer",
        TrapCode::StackOverflow => "stack overflow (call depth limit reached)",
        TrapCode::BadSignature => "indirect call type mismatch",
        TrapCode::OutOfFuel => "out of fuel",
        TrapCode::GrowthOperationLimited => "memory or table growth refused",
        TrapCode::OutOfSystemMemory => "out of kernel memory",
        #[allow(unreachable_patterns)]
        _ => code.trap_message(),
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
pub struct Game {
    store: Store<HostState>,
    init: TypedFunc<(), ()>,
    frame: TypedFunc<(), ()>,
    budget: Budget,
}

impl Game {
    /// Validates, checks and instantiates `bytes`, drawing on `screen`. A `start` function
    /// (Rust never emits one) runs here, under the fuel of one call: wasmi cannot pause a
    /// start function, so it gets at most [`MAX_START_FUEL`] whatever the budget says.
    pub fn load(
        name: &str,
        bytes: &[u8],
        screen: Screen,
        budget: Budget,
    ) -> Result<Game, LoadError> {
        let engine = load::engine();
        let module = load::compile(&engine, bytes)?;
        let linker = host::linker(&engine)
            .map_err(|e| LoadError::Instantiate(format!("host functions: {e}")))?;
        let mut store = Store::new(&engine, HostState::new(name, screen));
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(budget.max_fuel.min(MAX_START_FUEL))
            .map_err(|e| LoadError::Instantiate(load::clean(&e)))?;
        let deadline = deadline_after(budget.max_wall_us);
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
                        None => load::clean(&e),
                    },
                };
                LoadError::Instantiate(why)
            })?;
        let memory = instance
            .get_memory(&store, wasm_abi::EXPORT_MEMORY)
            .ok_or_else(|| LoadError::Export(String::from("missing export `memory`")))?;
        store.data_mut().memory = Some(memory);
        let func = |name: &str| {
            instance
                .get_typed_func::<(), ()>(&store, name)
                .map_err(|e| LoadError::Export(format!("`{name}`: {}", load::clean(&e))))
        };
        let init = func(wasm_abi::EXPORT_INIT)?;
        let frame = func(wasm_abi::EXPORT_FRAME)?;
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

    /// The back buffer: what the last successful call drew (and earlier ones left).
    pub fn screen(&self) -> &Screen {
        &self.store.data().screen
    }

    /// Ends an unterminated `print` line; call once when the game is over.
    pub fn finish(&mut self) {
        self.store.data_mut().finish_output();
    }

    /// Runs one export within the budget. See the module docs for the slicing.
    fn call(&mut self, f: TypedFunc<(), ()>) -> Result<CallStats, End> {
        let b = self.budget;
        let start = rdtsc();
        self.store
            .data_mut()
            .begin_call(deadline_after(b.max_wall_us));
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
                    let elapsed_us = tsc_to_us(rdtsc().wrapping_sub(start));
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
            us: tsc_to_us(rdtsc().wrapping_sub(start)),
        })
    }

    fn out_of_fuel(&mut self, given: u64, start: u64) -> End {
        let left = self.store.get_fuel().unwrap_or(0);
        End::Trap(Trap::OutOfFuel {
            fuel: given.saturating_sub(left),
            ms: tsc_to_us(rdtsc().wrapping_sub(start)) / 1000,
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
            None => End::Trap(Trap::Other(load::clean(e))),
        }
    }
}

/// The TSC value `us` microseconds from now.
fn deadline_after(us: u64) -> u64 {
    let ticks = (u128::from(us) * u128::from(tsc_hz()) / 1_000_000) as u64;
    rdtsc().saturating_add(ticks)
}
