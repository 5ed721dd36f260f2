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
use crate::Platform;
use crate::engine::{self, Stop};
use alloc::collections::VecDeque;
use alloc::string::String;
use wasm_abi::{AbiError, IMPORT_MODULE, IMPORTS, NO_KEY, PRESENT_BYTES_PER_PIXEL};
use wasmi::{Caller, Linker, Memory, StoreLimits};

/// Key presses kept for `poll_key`; newer ones are dropped when full (the ABI asks for 16+).
pub const KEY_QUEUE: usize = 64;
/// Bytes of `print` output passed to the log per `init`/`frame` call; the rest of that call's
/// output is dropped with one notice (a real UART at 115200 baud needs ~90 ms per KiB).
pub const PRINT_BUDGET: usize = 8192;
/// Screen pixels written per unit of fuel charged by the drawing calls.
const PIXELS_PER_FUEL: usize = 16;

/// Everything the imports can see: the store data of a running game.
#[derive(Debug)]
pub struct HostState<P> {
    pub(super) screen: Screen,
    /// The exported `memory`, set right after instantiation.
    pub(super) memory: Option<Memory>,
    pub(super) limits: StoreLimits,
    /// Set by the import that ended the game.
    pub(super) stop: Option<Stop>,
    pub(super) platform: P,
    /// Host calls made, in the order of `wasm_abi::IMPORTS`.
    pub(super) calls: [u64; IMPORTS.len()],
    keys: VecDeque<i32>,
    /// Prefix for `print` lines.
    name: String,
    at_line_start: bool,
    printed: usize,
    /// Monotonic time (ns) after which expensive host calls refuse to work.
    deadline: u64,
    /// Time spent in `present` so far (ns), for the benchmarks.
    pub(super) present_ns: u64,
}

impl<P: Platform> HostState<P> {
    pub fn new(name: &str, screen: Screen, platform: P) -> Self {
        let mut keys = VecDeque::new();
        // Best effort: without the reservation the queue simply grows on demand.
        let _ = keys.try_reserve_exact(KEY_QUEUE);
        Self {
            screen,
            memory: None,
            limits: engine::limits(wasm_abi::MEMORY_LIMIT_BYTES),
            stop: None,
            platform,
            calls: [0; IMPORTS.len()],
            keys,
            name: String::from(name),
            at_line_start: true,
            printed: 0,
            deadline: u64::MAX,
            present_ns: 0,
        }
    }

    /// Prepares for one `init`/`frame` call that must finish by monotonic time `deadline`.
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
            self.platform.log("\n");
            self.at_line_start = true;
        }
    }

    fn count(&mut self, name: &str) {
        if let Some(i) = IMPORTS.iter().position(|s| s.name == name) {
            self.calls[i] = self.calls[i].saturating_add(1);
        }
    }

    fn past_deadline(&mut self) -> bool {
        if self.platform.monotonic_ns() > self.deadline {
            self.stop = Some(Stop::Deadline);
            true
        } else {
            false
        }
    }

    /// Writes guest text to the log: UTF-8 lossy, control characters (which could drive the
    /// terminal) shown as `?`, each line prefixed with the game's name, at most
    /// [`PRINT_BUDGET`] bytes per call.
    fn print(&mut self, bytes: &[u8]) {
        let room = PRINT_BUDGET.saturating_sub(self.printed);
        if room == 0 {
            return;
        }
        let shown = bytes.get(..room).unwrap_or(bytes);
        // Counting the dropped part too makes the notice below appear exactly once.
        self.printed = self.printed.saturating_add(bytes.len());
        for chunk in shown.utf8_chunks() {
            self.log_text(chunk.valid());
            if !chunk.invalid().is_empty() {
                self.log_text("\u{fffd}");
            }
        }
        if self.printed >= PRINT_BUDGET {
            self.log_text("\n[print limit reached: further output from this call is dropped]\n");
        }
    }

    /// Line-prefixing, sanitising output to the platform's log.
    fn log_text(&mut self, s: &str) {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                self.platform.log("\n");
                self.at_line_start = true;
            }
            if line.is_empty() {
                continue;
            }
            if self.at_line_start {
                let name = core::mem::take(&mut self.name);
                self.platform.log(&name);
                self.platform.log(": ");
                self.name = name;
                self.at_line_start = false;
            }
            let mut rest = line;
            while let Some(pos) = rest.find(|c: char| c.is_control() && c != '\t') {
                let bad = rest[pos..].chars().next().map_or(1, char::len_utf8);
                self.platform.log(&rest[..pos]);
                self.platform.log("?");
                rest = &rest[pos + bad..];
            }
            self.platform.log(rest);
        }
    }
}

fn abi_trap<P>(state: &mut HostState<P>, call: &str, e: AbiError) -> wasmi::Error {
    engine::stop(&mut state.stop, Stop::Trap(alloc::format!("{call}: {e}")))
}

fn host_trap<P>(state: &mut HostState<P>, msg: &str) -> wasmi::Error {
    engine::stop(&mut state.stop, Stop::Trap(String::from(msg)))
}

/// The guest's memory: the handle saved after instantiation, or (in a `start` function,
/// which runs before that) the export looked up by name.
fn guest_memory<P>(c: &Caller<'_, HostState<P>>) -> Option<Memory> {
    c.data().memory.or_else(|| {
        c.get_export(wasm_abi::EXPORT_MEMORY)
            .and_then(wasmi::Extern::into_memory)
    })
}

/// Charges fuel for `pixels` of host drawing work and enforces the call's deadline.
fn charge<P: Platform>(
    caller: &mut Caller<'_, HostState<P>>,
    pixels: usize,
) -> Result<(), wasmi::Error> {
    let cost = (pixels / PIXELS_PER_FUEL) as u64;
    if cost > 0
        && let Ok(fuel) = caller.get_fuel()
    {
        // Running dry here makes the next wasm instruction stop for a budget check.
        let _ = caller.set_fuel(fuel.saturating_sub(cost));
    }
    let state = caller.data_mut();
    if state.past_deadline() {
        return Err(engine::stop(&mut state.stop, Stop::Deadline));
    }
    Ok(())
}

/// A linker with every ABI v1 import. Signatures here must match `wasm_abi::IMPORTS`; the
/// loader rejects modules with other signatures before instantiation, and a test checks that
/// every import links.
pub fn linker<P: Platform + 'static>(
    engine: &wasmi::Engine,
) -> Result<Linker<HostState<P>>, wasmi::Error> {
    let mut l = Linker::<HostState<P>>::new(engine);
    let env = IMPORT_MODULE;
    l.func_wrap(
        env,
        "put_pixel",
        |mut c: Caller<'_, HostState<P>>, x: i32, y: i32, r: i32, g: i32, b: i32| {
            let s = c.data_mut();
            s.count("put_pixel");
            let n = s.screen.put_pixel(x, y, r, g, b);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "fill_rect",
        |mut c: Caller<'_, HostState<P>>, x: i32, y: i32, w: i32, h: i32, rgb: i32| {
            let s = c.data_mut();
            s.count("fill_rect");
            let n = s.screen.fill_rect(x, y, w, h, rgb as u32);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "present",
        |mut c: Caller<'_, HostState<P>>, ptr: i32, w: i32, h: i32| {
            c.data_mut().count("present");
            let Some(memory) = guest_memory(&c) else {
                return Err(host_trap(c.data_mut(), "present: no memory"));
            };
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range =
                match wasm_abi::checked_buffer(mem.len(), ptr, w, h, PRESENT_BYTES_PER_PIXEL) {
                    Ok(r) => r,
                    Err(e) => return Err(abi_trap(state, "present", e)),
                };
            let Some(src) = mem.get(range) else {
                return Err(host_trap(state, "present: bad range"));
            };
            // checked_buffer guarantees 1..=MAX_PRESENT_DIM, so the casts are lossless.
            let t0 = state.platform.monotonic_ns();
            let n = state.screen.present(src, w as usize, h as usize);
            let spent = state.platform.monotonic_ns().saturating_sub(t0);
            state.present_ns = state.present_ns.saturating_add(spent);
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "screen_width",
        |mut c: Caller<'_, HostState<P>>| -> i32 {
            c.data_mut().count("screen_width");
            c.data().screen.width_i32()
        },
    )?;
    l.func_wrap(
        env,
        "screen_height",
        |mut c: Caller<'_, HostState<P>>| -> i32 {
            c.data_mut().count("screen_height");
            c.data().screen.height_i32()
        },
    )?;
    l.func_wrap(env, "poll_key", |mut c: Caller<'_, HostState<P>>| -> i32 {
        let s = c.data_mut();
        s.count("poll_key");
        s.keys.pop_front().unwrap_or(NO_KEY)
    })?;
    l.func_wrap(env, "time_ms", |mut c: Caller<'_, HostState<P>>| -> i64 {
        let s = c.data_mut();
        s.count("time_ms");
        i64::try_from(s.platform.monotonic_ns() / 1_000_000).unwrap_or(i64::MAX)
    })?;
    l.func_wrap(env, "random", |mut c: Caller<'_, HostState<P>>| -> i32 {
        let s = c.data_mut();
        s.count("random");
        let mut b = [0; 4];
        s.platform.fill_random(&mut b);
        i32::from_le_bytes(b)
    })?;
    l.func_wrap(
        env,
        "print",
        |mut c: Caller<'_, HostState<P>>, ptr: i32, len: i32| {
            c.data_mut().count("print");
            let Some(memory) = guest_memory(&c) else {
                return Err(host_trap(c.data_mut(), "print: no memory"));
            };
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range = match wasm_abi::checked_text(mem.len(), ptr, len) {
                Ok(r) => r,
                Err(e) => return Err(abi_trap(state, "print", e)),
            };
            let Some(text) = mem.get(range) else {
                return Err(host_trap(state, "print: bad range"));
            };
            state.print(text);
            let n = text.len();
            charge(&mut c, n)
        },
    )?;
    l.func_wrap(
        env,
        "exit",
        |mut c: Caller<'_, HostState<P>>, code: i32| -> Result<(), wasmi::Error> {
            let s = c.data_mut();
            s.count("exit");
            Err(engine::stop(&mut s.stop, Stop::Exit(code)))
        },
    )?;
    Ok(l)
}
