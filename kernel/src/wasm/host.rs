//! The host side of ABI v1: the ten `env` imports a game may call (docs/wasm-abi.md).
//!
//! Why it is written this way:
//! - **Untrusted arguments.** Every guest pointer and length goes through the `wasm-abi`
//!   checks (`checked_buffer`, `checked_text`) against the memory's size *at the time of
//!   the call*, and every coordinate through `clip_point` / `clip_rect`. A bad pointer is a
//!   host error, which wasmi turns into a trap that ends the game; nothing here can panic
//!   or index out of bounds on guest input.
//! - **Bounded work.** Host calls do work that wasm fuel does not see (a `present` copies a
//!   whole screen). So drawing calls charge fuel for the pixels they touch, and every
//!   expensive call checks the wall-clock deadline of the current `init`/`frame` call: a
//!   guest looping on `present` or `print` is stopped as surely as one looping in wasm.
//! - **Why a call ended.** A host function that ends the game (exit, a bad argument, the
//!   deadline) records the reason in [`HostState::stop`] before returning its error, so the
//!   runner reports the real cause whatever wrapper wasmi puts around the error.

use super::screen::Screen;
use crate::arch::clock::rdtsc;
use alloc::collections::VecDeque;
use alloc::string::String;
use core::fmt::{self, Write};
use wasm_abi::{AbiError, IMPORT_MODULE, NO_KEY, PRESENT_BYTES_PER_PIXEL};
use wasmi::{Caller, Linker, Memory, StoreLimits, StoreLimitsBuilder};

/// Key presses kept for `poll_key`; newer ones are dropped when full (the ABI asks for 16+).
pub const KEY_QUEUE: usize = 64;
/// Bytes of `print` output passed to the log per `init`/`frame` call; the rest is dropped
/// (a real UART at 115200 baud needs ~90 ms per KiB).
pub const PRINT_BUDGET: usize = 4096;
/// Largest table a module may have or grow to, in elements.
pub const MAX_TABLE_ELEMENTS: usize = 65_536;
/// Screen pixels written per unit of fuel charged by the drawing calls.
const PIXELS_PER_FUEL: usize = 16;

/// Why a host call stopped the game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `exit(code)`.
    Exit(i32),
    /// A bad argument: the message names the call (`present: negative guest pointer -4`).
    Trap(String),
    /// The current call ran past its wall-clock deadline inside a host call.
    Deadline,
}

/// Everything the imports can see: the store data of a running game.
pub struct HostState {
    pub(super) screen: Screen,
    /// The exported `memory`, set right after instantiation.
    pub(super) memory: Option<Memory>,
    pub(super) limits: StoreLimits,
    /// Set by the import that ended the game.
    pub(super) stop: Option<Stop>,
    keys: VecDeque<i32>,
    rng: wasm_abi::Rng,
    /// Prefix for `print` lines.
    name: String,
    at_line_start: bool,
    printed: usize,
    /// TSC value after which expensive host calls refuse to work.
    deadline: u64,
}

impl HostState {
    pub fn new(name: &str, screen: Screen) -> Self {
        let mut keys = VecDeque::new();
        // Best effort: without the reservation the queue simply grows on demand.
        let _ = keys.try_reserve_exact(KEY_QUEUE);
        Self {
            screen,
            memory: None,
            limits: StoreLimitsBuilder::new()
                .memory_size(wasm_abi::MEMORY_LIMIT_BYTES)
                .table_elements(MAX_TABLE_ELEMENTS)
                .memories(1)
                .tables(1)
                .instances(1)
                .build(),
            stop: None,
            keys,
            rng: wasm_abi::Rng::new(seed()),
            name: String::from(name),
            at_line_start: true,
            printed: 0,
            deadline: u64::MAX,
        }
    }

    /// Prepares for one `init`/`frame` call that must finish by TSC value `deadline`.
    pub(super) fn begin_call(&mut self, deadline: u64) {
        self.deadline = deadline;
        self.printed = 0;
        self.stop = None;
    }

    /// Queues a key press (an ABI code); dropped when the queue is full. Esc is never queued.
    pub fn push_key(&mut self, code: i32) {
        if code >= 0 && code != wasm_abi::KEY_ESC_RESERVED && self.keys.len() < KEY_QUEUE {
            self.keys.push_back(code);
        }
    }

    /// Ends a `print` line that the game left open (when the game ends).
    pub(super) fn finish_output(&mut self) {
        if !self.at_line_start {
            crate::serial_println!();
            self.at_line_start = true;
        }
    }

    fn next_random(&mut self) -> u32 {
        self.rng.next_u32()
    }

    fn past_deadline(&mut self) -> bool {
        if rdtsc() > self.deadline {
            self.stop = Some(Stop::Deadline);
            true
        } else {
            false
        }
    }

    /// Writes guest text to the serial log: UTF-8 lossy, control characters (which could
    /// drive the terminal) shown as `?`, each line prefixed with the game's name, at most
    /// [`PRINT_BUDGET`] bytes per call.
    fn print(&mut self, bytes: &[u8]) {
        let room = PRINT_BUDGET.saturating_sub(self.printed);
        if room == 0 {
            return;
        }
        let shown = bytes.get(..room).unwrap_or(bytes);
        // Counting the dropped part too makes the notice below appear exactly once.
        self.printed = self.printed.saturating_add(bytes.len());
        let mut out = LogWriter {
            name: &self.name,
            at_line_start: &mut self.at_line_start,
        };
        for chunk in shown.utf8_chunks() {
            let _ = out.write_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                let _ = out.write_str("\u{fffd}");
            }
        }
        if self.printed >= PRINT_BUDGET {
            let _ = out
                .write_str("\n[print limit reached: further output from this call is dropped]\n");
        }
    }
}

/// Line-prefixing, sanitising writer to serial.
struct LogWriter<'a> {
    name: &'a str,
    at_line_start: &'a mut bool,
}

impl Write for LogWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                crate::serial_println!();
                *self.at_line_start = true;
            }
            if line.is_empty() {
                continue;
            }
            if *self.at_line_start {
                crate::serial_print!("{}: ", self.name);
                *self.at_line_start = false;
            }
            let mut rest = line;
            while let Some(pos) = rest.find(|c: char| c.is_control() && c != '\t') {
                let bad = rest[pos..].chars().next().map_or(1, char::len_utf8);
                crate::serial_print!("{}?", &rest[..pos]);
                rest = &rest[pos + bad..];
            }
            crate::serial_print!("{rest}");
        }
        Ok(())
    }
}

/// A seed that differs from run to run: the TSC, mixed (splitmix64) so that close TSC
/// values give unrelated sequences. Never 0 (xorshift would stay at 0).
fn seed() -> u64 {
    let mut z = rdtsc().wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) | 1
}

/// Records why the game stops and returns the error that makes wasmi trap.
fn stop(state: &mut HostState, why: Stop) -> wasmi::Error {
    let err = match &why {
        Stop::Exit(code) => wasmi::Error::i32_exit(*code),
        Stop::Trap(m) => wasmi::Error::new(m.clone()),
        Stop::Deadline => wasmi::Error::new("time limit exceeded in a host call"),
    };
    state.stop = Some(why);
    err
}

fn abi_trap(state: &mut HostState, call: &str, e: AbiError) -> wasmi::Error {
    stop(state, Stop::Trap(alloc::format!("{call}: {e}")))
}

/// The guest's memory: the handle saved after instantiation, or (in a `start` function,
/// which runs before that) the export looked up by name.
fn guest_memory(c: &Caller<'_, HostState>) -> Option<Memory> {
    c.data().memory.or_else(|| {
        c.get_export(wasm_abi::EXPORT_MEMORY)
            .and_then(wasmi::Extern::into_memory)
    })
}

/// Charges fuel for `pixels` of host drawing work and enforces the call's deadline.
fn charge(caller: &mut Caller<'_, HostState>, pixels: usize) -> Result<(), wasmi::Error> {
    let cost = (pixels / PIXELS_PER_FUEL) as u64;
    if cost > 0
        && let Ok(fuel) = caller.get_fuel()
    {
        // Running dry here makes the next wasm instruction stop for a budget check.
        let _ = caller.set_fuel(fuel.saturating_sub(cost));
    }
    let state = caller.data_mut();
    if state.past_deadline() {
        return Err(stop(state, Stop::Deadline));
    }
    Ok(())
}

/// A linker with every ABI v1 import. Signatures here must match `wasm_abi::IMPORTS`;
/// the loader rejects modules with other signatures before instantiation, and the
/// `wasm_*` test kernels check that every import links.
pub fn linker(engine: &wasmi::Engine) -> Result<Linker<HostState>, wasmi::Error> {
    let mut l = Linker::<HostState>::new(engine);
    let env = IMPORT_MODULE;
    l.func_wrap(
        env,
        "put_pixel",
        |mut c: Caller<'_, HostState>, x: i32, y: i32, r: i32, g: i32, b: i32| {
            let n = c.data_mut().screen.put_pixel(x, y, r, g, b);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "fill_rect",
        |mut c: Caller<'_, HostState>, x: i32, y: i32, w: i32, h: i32, rgb: i32| {
            let n = c.data_mut().screen.fill_rect(x, y, w, h, rgb as u32);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "present",
        |mut c: Caller<'_, HostState>, ptr: i32, w: i32, h: i32| {
            let Some(memory) = guest_memory(&c) else {
                return Err(stop(c.data_mut(), Stop::Trap("present: no memory".into())));
            };
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range =
                match wasm_abi::checked_buffer(mem.len(), ptr, w, h, PRESENT_BYTES_PER_PIXEL) {
                    Ok(r) => r,
                    Err(e) => return Err(abi_trap(state, "present", e)),
                };
            let Some(src) = mem.get(range) else {
                return Err(stop(state, Stop::Trap("present: bad range".into())));
            };
            // checked_buffer guarantees 1..=MAX_PRESENT_DIM, so the casts are lossless.
            let n = state.screen.present(src, w as usize, h as usize);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(env, "screen_width", |c: Caller<'_, HostState>| -> i32 {
        c.data().screen.width_i32()
    })?;
    l.func_wrap(env, "screen_height", |c: Caller<'_, HostState>| -> i32 {
        c.data().screen.height_i32()
    })?;
    l.func_wrap(env, "poll_key", |mut c: Caller<'_, HostState>| -> i32 {
        c.data_mut().keys.pop_front().unwrap_or(NO_KEY)
    })?;
    l.func_wrap(env, "time_ms", |_c: Caller<'_, HostState>| -> i64 {
        i64::try_from(crate::arch::clock::uptime_ms()).unwrap_or(i64::MAX)
    })?;
    l.func_wrap(env, "random", |mut c: Caller<'_, HostState>| -> i32 {
        c.data_mut().next_random() as i32
    })?;
    l.func_wrap(
        env,
        "print",
        |mut c: Caller<'_, HostState>, ptr: i32, len: i32| {
            let Some(memory) = guest_memory(&c) else {
                return Err(stop(c.data_mut(), Stop::Trap("print: no memory".into())));
            };
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range = match wasm_abi::checked_text(mem.len(), ptr, len) {
                Ok(r) => r,
                Err(e) => return Err(abi_trap(state, "print", e)),
            };
            let Some(text) = mem.get(range) else {
                return Err(stop(state, Stop::Trap("print: bad range".into())));
            };
            state.print(text);
            let n = text.len();
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "exit",
        |mut c: Caller<'_, HostState>, code: i32| -> Result<(), wasmi::Error> {
            Err(stop(c.data_mut(), Stop::Exit(code)))
        },
    )?;
    Ok(l)
}
