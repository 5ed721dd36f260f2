//! WASI preview 1 (`wasi_snapshot_preview1`): ordinary programs, as built by `cargo build
//! --target wasm32-wasip1`, wasi-libc, AssemblyScript, TinyGo or Zig.
//!
//! # How a program runs
//!
//! A program is a module that exports `_start` and `memory` and imports only
//! `wasi_snapshot_preview1` functions (every one of the 46 is provided). [`Command::load`]
//! checks and instantiates it; then the caller calls [`Command::step`] repeatedly. Each step
//! runs the program for one slice of fuel and says what happened ([`Step`]): the slice ran
//! out (call again, after letting other work run), the program waits for something
//! ([`Wait`]: input, a time, output room, or just a yield), or it ended (an exit status, or
//! a trap with its message). So a program can never hold its caller for longer than one
//! slice, there is no wall-clock limit on how long it may run in total, and waiting for the
//! keyboard does not block anything: the blocked call is recorded, wasmi's resumable call
//! keeps the program's state, and the next [`Command::step`] tries the call again.
//!
//! # The sandbox
//!
//! A program sees only what it is given: its arguments, the environment variables passed in
//! [`CommandConfig`], standard streams provided by the [`Platform`], and the preopened
//! directories (nothing is inherited). Paths are resolved beneath a directory descriptor
//! (`path.rs`), descriptors carry rights (`fd.rs`), and every pointer is checked (`mem.rs`):
//! out of bounds or misaligned is a trap, as in wasmtime. Memory is capped
//! ([`CommandConfig::memory_limit`]), as are tables, instances and recursion.

mod calls;
mod fd;
mod fs;
mod mem;
#[cfg(any(test, feature = "memfs"))]
mod memfs;
mod path;
pub mod types;

pub use fd::MAX_FDS;
pub use fs::{DirEntry, FileSystem, Ino, Kind, Stat};
#[cfg(any(test, feature = "memfs"))]
pub use memfs::{MAX_FILE_SIZE, MemFs};
pub use path::{Last, MAX_NAME, MAX_PATH, MAX_SYMLINKS, Scope, Walk, walk};
pub use types::{Errno, IMPORTS, MODULE, import_sig, rights};

use crate::Platform;
use crate::engine::{self, ImportRules, Stop, Translation, clean, trap_name};
use crate::game::{LoadError, check_memory_export, check_unit_export};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use calls::{Ctx, Pending};
use core::fmt;
use fd::{Desc, Entry, FdTable};
use wasmi::{
    Caller, Engine, Extern, Linker, Memory, Module, Store, StoreLimits, TypedFunc,
    TypedResumableCall, TypedResumableCallHostTrap, TypedResumableCallOutOfFuel, Val,
};

/// How a call failed, inside the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    /// Return this errno to the program.
    Errno(Errno),
    /// End the program with this message (names what was wrong, not the call).
    Trap(String),
    /// The program asked to exit with this status.
    Exit(i32),
    /// The call cannot finish yet; the program pauses until [`Wait`] is satisfied.
    Block(Wait),
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Self {
        Fail::Errno(e)
    }
}

/// What a paused program is waiting for. Whatever it is, calling [`Command::step`] again is
/// always safe: a call that still cannot finish just reports the wait again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Nothing in particular: let other work run, then step again (`sched_yield`).
    Yield,
    /// Standard input to have data or end (or, if given, monotonic time `deadline`).
    Input { deadline: Option<u64> },
    /// Monotonic time (ns) to reach this value (`poll_oneoff` with a timeout).
    Until(u64),
    /// Standard output or error to take more bytes.
    Output,
}

/// What one [`Command::step`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The fuel slice ran out; the program is ready to go on.
    Running,
    /// The program waits (see [`Wait`]).
    Wait(Wait),
    /// The program ended with this exit status (`_start` returning is 0).
    Exit(i32),
    /// The program was stopped by a trap; the message says why.
    Trap(String),
}

/// Default cap on a program's linear memory.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;
/// Default fuel per [`Command::step`]: a few milliseconds of work.
pub const DEFAULT_SLICE: u64 = 1_000_000;
/// Fuel for a module's `start` function, which runs inside instantiation and cannot be
/// paused (compilers for WASI do not emit one; `_start` is an export instead).
pub const MAX_START_FUEL: u64 = 10_000_000;

/// A directory given to a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preopen {
    /// The name the program knows it by (`.`, `/`, `/data`).
    pub guest: String,
    /// The directory, in the platform's file system.
    pub dir: Ino,
}

/// What a program is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandConfig {
    /// `argv`, with the program's name first.
    pub args: Vec<String>,
    /// Environment variables as `(name, value)`.
    pub env: Vec<(String, String)>,
    /// Preopened directories, as descriptors 3, 4, ... in this order.
    pub preopens: Vec<Preopen>,
    /// Most bytes of linear memory.
    pub memory_limit: usize,
    /// Fuel per step.
    pub slice: u64,
}

impl Default for CommandConfig {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            preopens: Vec::new(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            slice: DEFAULT_SLICE,
        }
    }
}

/// The import rules of WASI programs.
pub const RULES: ImportRules = ImportRules {
    module: MODULE,
    who: "WASI programs",
    abi: "WASI preview 1",
    a_function: "a WASI preview 1 function",
    lookup: import_sig,
};

/// Name of the entry point of a WASI command.
pub const EXPORT_START: &str = "_start";

/// What kind of program a module is, judged by its exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleKind {
    /// Exports `_start`: a WASI command.
    Command,
    /// Exports `init` and `frame`: an ABI v1 game.
    Game,
}

/// The kind of `module`, if it is either.
pub fn kind_of(module: &Module) -> Option<ModuleKind> {
    if module.get_export(EXPORT_START).is_some() {
        Some(ModuleKind::Command)
    } else if module.get_export(wasm_abi::EXPORT_INIT).is_some()
        && module.get_export(wasm_abi::EXPORT_FRAME).is_some()
    {
        Some(ModuleKind::Game)
    } else {
        None
    }
}

/// The engine programs run on. Translation is eager, like games': with lazy translation wasmi
/// charges fuel for translating a function on its first call, and running out of fuel there
/// ends the program instead of pausing it (wasmi 2.0), which would break fuel slicing.
pub fn engine() -> Engine {
    engine::engine(Translation::Eager)
}

/// Checks a module's imports and exports against the rules of WASI commands.
pub fn check_interface(module: &Module, memory_limit: usize) -> Result<(), LoadError> {
    for import in module.imports() {
        engine::check_import(&import, &RULES).map_err(LoadError::Import)?;
    }
    let pages = (memory_limit / wasm_abi::WASM_PAGE_SIZE) as u64;
    check_memory_export(module, pages)?;
    check_unit_export(module, EXPORT_START, "WASI")
}

/// The store data of a running program.
struct WasiState<P> {
    ctx: Ctx,
    platform: P,
    memory: Option<Memory>,
    limits: StoreLimits,
    stop: Option<Stop>,
    /// Set by a call that blocked.
    blocked: Option<Wait>,
}

/// Where a program is.
enum Run {
    Start(TypedFunc<(), ()>),
    OutOfFuel(TypedResumableCallOutOfFuel<()>),
    Blocked(TypedResumableCallHostTrap<()>),
    Done,
}

/// A loaded WASI program (see the module docs).
pub struct Command<P: Platform + 'static> {
    store: Store<WasiState<P>>,
    run: Run,
    slice: u64,
    fuel_used: u64,
    /// Fuel in the store when the current slice started or was last counted.
    last_fuel: u64,
}

impl<P: Platform + 'static> fmt::Debug for Command<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("fuel_used", &self.fuel_used)
            .finish_non_exhaustive()
    }
}

impl<P: Platform + 'static> Command<P> {
    /// Validates, checks and instantiates a program from its bytes.
    pub fn load(bytes: &[u8], config: CommandConfig, platform: P) -> Result<Self, LoadError> {
        let engine = engine();
        let module = engine::compile(&engine, bytes).map_err(LoadError::Invalid)?;
        Self::from_module(&engine, &module, config, platform)
    }

    /// Instantiates a program compiled on [`engine()`].
    pub fn from_module(
        engine: &Engine,
        module: &Module,
        config: CommandConfig,
        mut platform: P,
    ) -> Result<Self, LoadError> {
        check_interface(module, config.memory_limit)?;
        let mut fds = FdTable::with_stdio();
        for pre in &config.preopens {
            let Some(fs) = platform.fs() else {
                return Err(LoadError::Instantiate(String::from(
                    "directories were given, but there is no file system",
                )));
            };
            match fs.stat(pre.dir) {
                Ok(st) if st.kind == Kind::Dir => {}
                _ => {
                    return Err(LoadError::Instantiate(format!(
                        "preopened `{}` is not a directory",
                        engine::printable(&pre.guest)
                    )));
                }
            }
            fs.open(pre.dir);
            fds.insert(Entry {
                desc: Desc::Dir {
                    ino: pre.dir,
                    preopen: Some(pre.guest.clone()),
                },
                flags: 0,
                base: rights::DIRECTORY,
                inheriting: rights::ALL,
            })
            .map_err(|e| LoadError::Instantiate(format!("too many directories ({e})")))?;
        }
        let started = platform.monotonic_ns();
        let ctx = Ctx {
            args: config.args,
            env: config.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            fds,
            started,
            pending: None,
        };
        let linker = linker::<P>(engine)
            .map_err(|e| LoadError::Instantiate(format!("host functions: {e}")))?;
        let state = WasiState {
            ctx,
            platform,
            memory: None,
            limits: engine::limits(config.memory_limit),
            stop: None,
            blocked: None,
        };
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(MAX_START_FUEL)
            .map_err(|e| LoadError::Instantiate(clean(&e)))?;
        let mut cmd_store = store;
        let instance = match linker.instantiate_and_start(&mut cmd_store, module) {
            Ok(i) => i,
            Err(e) => {
                let why = match cmd_store.data_mut().stop.take() {
                    Some(Stop::Exit(code)) => format!("start function called proc_exit({code})"),
                    Some(Stop::Trap(m)) => m,
                    Some(Stop::Deadline) => String::from("start function: out of time"),
                    None if cmd_store.data().blocked.is_some() => {
                        String::from("start function: a call that must wait")
                    }
                    None => match e.as_trap_code() {
                        Some(code) => format!("start function: {}", trap_name(code)),
                        None => clean(&e),
                    },
                };
                release_all(cmd_store.data_mut());
                return Err(LoadError::Instantiate(why));
            }
        };
        let memory = instance
            .get_memory(&cmd_store, wasm_abi::EXPORT_MEMORY)
            .ok_or_else(|| LoadError::Export(String::from("missing export `memory`")))?;
        cmd_store.data_mut().memory = Some(memory);
        let start = instance
            .get_typed_func::<(), ()>(&cmd_store, EXPORT_START)
            .map_err(|e| LoadError::Export(format!("`{EXPORT_START}`: {}", clean(&e))))?;
        Ok(Self {
            store: cmd_store,
            run: Run::Start(start),
            slice: config.slice.max(1),
            fuel_used: 0,
            last_fuel: 0,
        })
    }

    /// Runs the program for at most one slice of fuel (see [`Step`]).
    pub fn step(&mut self) -> Step {
        let run = core::mem::replace(&mut self.run, Run::Done);
        let result = match run {
            Run::Start(f) => {
                self.give_fuel(self.slice);
                f.call_resumable(&mut self.store, ())
            }
            Run::OutOfFuel(paused) => {
                self.give_fuel(self.slice.max(paused.required_fuel()));
                paused.resume(&mut self.store)
            }
            Run::Blocked(call) => match self.retry() {
                Retried::Blocked(w) => {
                    self.run = Run::Blocked(call);
                    return Step::Wait(w);
                }
                Retried::Ended(step) => return step,
                Retried::Done(errno) => {
                    self.give_fuel(self.slice);
                    call.resume(&mut self.store, &[Val::I32(errno)])
                }
            },
            Run::Done => return Step::Trap(String::from("the program has already ended")),
        };
        self.count_fuel();
        match result {
            Ok(TypedResumableCall::Finished(())) => self.end(Step::Exit(0)),
            Ok(TypedResumableCall::OutOfFuel(paused)) => {
                self.run = Run::OutOfFuel(paused);
                Step::Running
            }
            Ok(TypedResumableCall::HostTrap(call)) => {
                if let Some(w) = self.store.data_mut().blocked.take() {
                    self.run = Run::Blocked(call);
                    return Step::Wait(w);
                }
                let step = self.ended_by(call.host_error());
                self.end(step)
            }
            Err(e) => {
                let step = self.ended_by(&e);
                self.end(step)
            }
        }
    }

    /// Fuel the program has used so far.
    pub fn fuel_used(&self) -> u64 {
        self.fuel_used
    }

    /// The platform the program runs on.
    pub fn platform(&self) -> &P {
        &self.store.data().platform
    }

    /// The platform the program runs on, to change (feed input, advance a test clock).
    pub fn platform_mut(&mut self) -> &mut P {
        &mut self.store.data_mut().platform
    }

    fn give_fuel(&mut self, fuel: u64) {
        let _ = self.store.set_fuel(fuel);
        self.store.data_mut().blocked = None;
        self.last_fuel = fuel;
    }

    fn count_fuel(&mut self) {
        let left = self.store.get_fuel().unwrap_or(0);
        self.fuel_used = self
            .fuel_used
            .saturating_add(self.last_fuel.saturating_sub(left));
        self.last_fuel = left;
    }

    /// Marks the program as ended and releases its descriptors.
    fn end(&mut self, step: Step) -> Step {
        self.run = Run::Done;
        release_all(self.store.data_mut());
        step
    }

    /// Classifies the error that ended the program, preferring what a host call recorded.
    fn ended_by(&mut self, e: &wasmi::Error) -> Step {
        match self.store.data_mut().stop.take() {
            Some(Stop::Exit(code)) => return Step::Exit(code),
            Some(Stop::Trap(m)) => return Step::Trap(m),
            Some(Stop::Deadline) => return Step::Trap(String::from("out of time")),
            None => {}
        }
        if let Some(code) = e.i32_exit_status() {
            return Step::Exit(code);
        }
        match e.as_trap_code() {
            Some(code) => Step::Trap(String::from(trap_name(code))),
            None => Step::Trap(clean(e)),
        }
    }

    /// Tries the blocked call again.
    fn retry(&mut self) -> Retried {
        let Some(memory) = self.store.data().memory else {
            return Retried::Ended(self.end(Step::Trap(String::from("no memory"))));
        };
        let (m, st) = memory.data_and_store_mut(&mut self.store);
        let Some(call) = st.ctx.pending else {
            return Retried::Done(0);
        };
        match calls::retry(&mut st.ctx, &mut st.platform, m, call) {
            Ok(()) => Retried::Done(0),
            Err(Fail::Errno(e)) => Retried::Done(i32::from(e as u16)),
            Err(Fail::Block(w)) => Retried::Blocked(w),
            Err(Fail::Exit(code)) => Retried::Ended(self.end(Step::Exit(code))),
            Err(Fail::Trap(msg)) => {
                let step = Step::Trap(format!("{}: {msg}", call.name()));
                Retried::Ended(self.end(step))
            }
        }
    }
}

impl<P: Platform + 'static> Drop for Command<P> {
    fn drop(&mut self) {
        release_all(self.store.data_mut());
    }
}

/// The outcome of retrying a blocked call.
enum Retried {
    Blocked(Wait),
    Done(i32),
    Ended(Step),
}

/// Closes every descriptor, so the file system can free inodes that lost their names.
fn release_all<P: Platform>(st: &mut WasiState<P>) {
    let fds = core::mem::take(&mut st.ctx.fds);
    if let Some(fs) = st.platform.fs() {
        for ino in fds.inodes() {
            fs.close(ino);
        }
    }
}

impl Pending {
    fn name(self) -> &'static str {
        match self {
            Pending::Read { .. } => "fd_read",
            Pending::Write { .. } => "fd_write",
            Pending::Poll { .. } => "poll_oneoff",
            Pending::Yield => "sched_yield",
        }
    }
}

/// Runs one WASI function with the program's memory, context and platform, and turns its
/// outcome into what wasmi expects: an errno, or an error that stops (or pauses) the program.
fn call<P: Platform + 'static>(
    c: &mut Caller<'_, WasiState<P>>,
    name: &'static str,
    f: impl FnOnce(&mut Ctx, &mut dyn Platform, &mut [u8]) -> Result<(), Fail>,
) -> Result<i32, wasmi::Error> {
    let memory = c.data().memory.or_else(|| {
        c.get_export(wasm_abi::EXPORT_MEMORY)
            .and_then(Extern::into_memory)
    });
    let Some(memory) = memory else {
        let st = c.data_mut();
        return Err(engine::stop(
            &mut st.stop,
            Stop::Trap(format!("{name}: the program exports no memory")),
        ));
    };
    let (m, st) = memory.data_and_store_mut(c);
    let r = f(&mut st.ctx, &mut st.platform, m);
    match r {
        Ok(()) => Ok(0),
        Err(Fail::Errno(e)) => Ok(i32::from(e as u16)),
        Err(Fail::Trap(msg)) => Err(engine::stop(
            &mut st.stop,
            Stop::Trap(format!("{name}: {msg}")),
        )),
        Err(Fail::Exit(code)) => Err(engine::stop(&mut st.stop, Stop::Exit(code))),
        Err(Fail::Block(w)) => {
            st.blocked = Some(w);
            Err(wasmi::Error::new("waiting"))
        }
    }
}

/// Registers one WASI function: its name, its wasm parameters, and the call to make.
macro_rules! wasi {
    ($l:ident, $name:literal, ($($a:ident : $t:ty),*), |$cx:ident, $p:ident, $m:ident| $body:expr) => {
        $l.func_wrap(
            MODULE,
            $name,
            |mut c: Caller<'_, WasiState<P>>, $($a: $t),*| -> Result<i32, wasmi::Error> {
                #[allow(unused_variables)]
                let r = call(&mut c, $name, |$cx, $p, $m| $body);
                r
            },
        )?;
    };
}

/// A linker with every `wasi_snapshot_preview1` function. The loader checks each import's
/// signature against [`IMPORTS`] first, and a test checks that every one links.
fn linker<P: Platform + 'static>(engine: &Engine) -> Result<Linker<WasiState<P>>, wasmi::Error> {
    use calls as k;
    let mut l = Linker::<WasiState<P>>::new(engine);
    wasi!(l, "args_get", (a: i32, b: i32), |cx, p, m| k::args_get(cx, m, a as u32, b as u32));
    wasi!(l, "args_sizes_get", (a: i32, b: i32), |cx, p, m| k::args_sizes_get(cx, m, a as u32, b as u32));
    wasi!(l, "environ_get", (a: i32, b: i32), |cx, p, m| k::environ_get(cx, m, a as u32, b as u32));
    wasi!(l, "environ_sizes_get", (a: i32, b: i32), |cx, p, m| k::environ_sizes_get(cx, m, a as u32, b as u32));
    wasi!(l, "clock_res_get", (id: i32, out: i32), |cx, p, m| k::clock_res_get(m, id as u32, out as u32));
    wasi!(l, "clock_time_get", (id: i32, prec: i64, out: i32), |cx, p, m| k::clock_time_get(cx, p, m, id as u32, prec as u64, out as u32));
    wasi!(l, "fd_advise", (fd: i32, off: i64, len: i64, adv: i32), |cx, p, m| k::fd_advise(cx, fd as u32, off as u64, len as u64, adv as u32));
    wasi!(l, "fd_allocate", (fd: i32, off: i64, len: i64), |cx, p, m| k::fd_allocate(cx, p, fd as u32, off as u64, len as u64));
    wasi!(l, "fd_close", (fd: i32), |cx, p, m| k::fd_close(cx, p, fd as u32));
    wasi!(l, "fd_datasync", (fd: i32), |cx, p, m| k::fd_sync(cx, fd as u32, rights::FD_DATASYNC));
    wasi!(l, "fd_fdstat_get", (fd: i32, out: i32), |cx, p, m| k::fd_fdstat_get(cx, p, m, fd as u32, out as u32));
    wasi!(l, "fd_fdstat_set_flags", (fd: i32, fl: i32), |cx, p, m| k::fd_fdstat_set_flags(cx, fd as u32, fl as u32));
    wasi!(l, "fd_fdstat_set_rights", (fd: i32, b: i64, i: i64), |cx, p, m| k::fd_fdstat_set_rights(cx, fd as u32, b as u64, i as u64));
    wasi!(l, "fd_filestat_get", (fd: i32, out: i32), |cx, p, m| k::fd_filestat_get(cx, p, m, fd as u32, out as u32));
    wasi!(l, "fd_filestat_set_size", (fd: i32, size: i64), |cx, p, m| k::fd_filestat_set_size(cx, p, fd as u32, size as u64));
    wasi!(l, "fd_filestat_set_times", (fd: i32, a: i64, t: i64, fl: i32), |cx, p, m| k::fd_filestat_set_times(cx, p, fd as u32, a as u64, t as u64, fl as u32));
    wasi!(l, "fd_pread", (fd: i32, iovs: i32, n: i32, off: i64, out: i32), |cx, p, m| k::fd_pread(cx, p, m, fd as u32, iovs as u32, n as u32, off as u64, out as u32));
    wasi!(l, "fd_prestat_get", (fd: i32, out: i32), |cx, p, m| k::fd_prestat_get(cx, m, fd as u32, out as u32));
    wasi!(l, "fd_prestat_dir_name", (fd: i32, buf: i32, len: i32), |cx, p, m| k::fd_prestat_dir_name(cx, m, fd as u32, buf as u32, len as u32));
    wasi!(l, "fd_pwrite", (fd: i32, iovs: i32, n: i32, off: i64, out: i32), |cx, p, m| k::fd_pwrite(cx, p, m, fd as u32, iovs as u32, n as u32, off as u64, out as u32));
    wasi!(l, "fd_read", (fd: i32, iovs: i32, n: i32, out: i32), |cx, p, m| k::fd_read(cx, p, m, fd as u32, iovs as u32, n as u32, out as u32));
    wasi!(l, "fd_readdir", (fd: i32, buf: i32, len: i32, cookie: i64, out: i32), |cx, p, m| k::fd_readdir(cx, p, m, fd as u32, buf as u32, len as u32, cookie as u64, out as u32));
    wasi!(l, "fd_renumber", (from: i32, to: i32), |cx, p, m| k::fd_renumber(cx, p, from as u32, to as u32));
    wasi!(l, "fd_seek", (fd: i32, off: i64, wh: i32, out: i32), |cx, p, m| k::fd_seek(cx, p, m, fd as u32, off, wh as u32, out as u32));
    wasi!(l, "fd_sync", (fd: i32), |cx, p, m| k::fd_sync(cx, fd as u32, rights::FD_SYNC));
    wasi!(l, "fd_tell", (fd: i32, out: i32), |cx, p, m| k::fd_tell(cx, m, fd as u32, out as u32));
    wasi!(l, "fd_write", (fd: i32, iovs: i32, n: i32, out: i32), |cx, p, m| k::fd_write(cx, p, m, fd as u32, iovs as u32, n as u32, out as u32));
    wasi!(l, "path_create_directory", (fd: i32, path: i32, len: i32), |cx, p, m| k::path_create_directory(cx, p, m, fd as u32, path as u32, len as u32));
    wasi!(l, "path_filestat_get", (fd: i32, fl: i32, path: i32, len: i32, out: i32), |cx, p, m| k::path_filestat_get(cx, p, m, fd as u32, fl as u32, path as u32, len as u32, out as u32));
    wasi!(l, "path_filestat_set_times", (fd: i32, fl: i32, path: i32, len: i32, a: i64, t: i64, fst: i32), |cx, p, m| k::path_filestat_set_times(cx, p, m, fd as u32, fl as u32, path as u32, len as u32, a as u64, t as u64, fst as u32));
    wasi!(l, "path_link", (ofd: i32, ofl: i32, op: i32, ol: i32, nfd: i32, np: i32, nl: i32), |cx, p, m| k::path_link(cx, p, m, ofd as u32, ofl as u32, op as u32, ol as u32, nfd as u32, np as u32, nl as u32));
    wasi!(l, "path_open", (fd: i32, dfl: i32, path: i32, len: i32, of: i32, base: i64, inh: i64, ff: i32, out: i32), |cx, p, m| k::path_open(cx, p, m, fd as u32, dfl as u32, path as u32, len as u32, of as u32, base as u64, inh as u64, ff as u32, out as u32));
    wasi!(l, "path_readlink", (fd: i32, path: i32, len: i32, buf: i32, blen: i32, out: i32), |cx, p, m| k::path_readlink(cx, p, m, fd as u32, path as u32, len as u32, buf as u32, blen as u32, out as u32));
    wasi!(l, "path_remove_directory", (fd: i32, path: i32, len: i32), |cx, p, m| k::path_remove_directory(cx, p, m, fd as u32, path as u32, len as u32));
    wasi!(l, "path_rename", (ofd: i32, op: i32, ol: i32, nfd: i32, np: i32, nl: i32), |cx, p, m| k::path_rename(cx, p, m, ofd as u32, op as u32, ol as u32, nfd as u32, np as u32, nl as u32));
    wasi!(l, "path_symlink", (op: i32, ol: i32, fd: i32, np: i32, nl: i32), |cx, p, m| k::path_symlink(cx, p, m, op as u32, ol as u32, fd as u32, np as u32, nl as u32));
    wasi!(l, "path_unlink_file", (fd: i32, path: i32, len: i32), |cx, p, m| k::path_unlink_file(cx, p, m, fd as u32, path as u32, len as u32));
    wasi!(l, "poll_oneoff", (subs: i32, evs: i32, n: i32, out: i32), |cx, p, m| {
        let started = p.monotonic_ns();
        k::poll(cx, p, m, subs as u32, evs as u32, n as u32, out as u32, started)
    });
    l.func_wrap(
        MODULE,
        "proc_exit",
        |mut c: Caller<'_, WasiState<P>>, code: i32| -> Result<(), wasmi::Error> {
            call(&mut c, "proc_exit", |_, _, _| calls::proc_exit(code as u32)).map(|_| ())
        },
    )?;
    wasi!(l, "proc_raise", (sig: i32), |cx, p, m| k::proc_raise(sig as u32));
    wasi!(l, "sched_yield", (), |cx, p, m| k::sched_yield(cx));
    wasi!(l, "random_get", (buf: i32, len: i32), |cx, p, m| k::random_get(p, m, buf as u32, len as u32));
    wasi!(l, "sock_accept", (fd: i32, fl: i32, _out: i32), |cx, p, m| k::sock(cx, fd as u32, fl as u32, k::SOCK_ACCEPT_FLAGS));
    wasi!(l, "sock_recv", (fd: i32, _d: i32, _n: i32, fl: i32, _o1: i32, _o2: i32), |cx, p, m| k::sock(cx, fd as u32, fl as u32, k::SOCK_RECV_FLAGS));
    wasi!(l, "sock_send", (fd: i32, _d: i32, _n: i32, fl: i32, _out: i32), |cx, p, m| k::sock(cx, fd as u32, fl as u32, k::SOCK_SEND_FLAGS));
    wasi!(l, "sock_shutdown", (fd: i32, how: i32), |cx, p, m| k::sock(cx, fd as u32, how as u32, k::SOCK_SHUTDOWN_FLAGS));
    Ok(l)
}
