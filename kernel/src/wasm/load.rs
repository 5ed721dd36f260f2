//! Turning untrusted bytes into a module the kernel is willing to instantiate.
//!
//! Why checks of our own on top of wasmi's validation: wasmi accepts any valid module, but
//! a game may only use the ABI v1 interface (docs/wasm-abi.md). Checking imports and
//! exports here, before instantiation, gives the user a message that names the offending
//! import or export instead of a generic link error, and refuses a module that asks for
//! more memory than the limit before a single page is allocated.
//!
//! Every name printed here comes from the module, so it is shortened and stripped of
//! control characters first: a hostile module must not be able to drive the terminal.

use alloc::format;
use alloc::string::String;
use core::fmt::{self, Write};
use wasm_abi::{
    EXPORT_FRAME, EXPORT_INIT, EXPORT_MEMORY, IMPORT_MODULE, ImportSig, MEMORY_LIMIT_BYTES,
    MEMORY_LIMIT_PAGES, ValType as AbiTy,
};
use wasmi::{
    CompilationMode, Config, EnforcedLimits, Engine, ExternType, FuncType, Module, ValType,
};

/// Deepest wasm call nesting; deeper recursion traps with "stack overflow".
pub const MAX_RECURSION_DEPTH: usize = 1024;
/// Largest wasmi value stack, in bytes (wasmi's own heap-allocated stack, not the kernel's).
pub const MAX_VALUE_STACK: usize = 1024 * 1024;

/// Why a module was refused before it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not WebAssembly, damaged, or uses features wasmi (or ABI v1) does not allow.
    Invalid(String),
    /// An import outside ABI v1, or with the wrong signature. Names the import.
    Import(String),
    /// A missing or mistyped `memory` / `init` / `frame` export.
    Export(String),
    /// The module's memory is larger than [`MEMORY_LIMIT_BYTES`] from the start.
    Memory(String),
    /// Instantiation failed (limits, or a `start` function that trapped).
    Instantiate(String),
    /// No memory for the screen buffer.
    Screen(super::screen::ScreenError),
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

/// The engine every game runs on: fuel metering on, bounded recursion and value stack,
/// eager compilation (all translation work happens at load time, not in the first
/// frames), wasmi's strict parsing limits, and the feature set of ABI v1 (wasmi's
/// defaults minus multi-memory, so a module has exactly one memory to limit).
pub fn engine() -> Engine {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .set_max_recursion_depth(MAX_RECURSION_DEPTH)
        .set_max_stack_height(MAX_VALUE_STACK)
        .compilation_mode(CompilationMode::Eager)
        .enforced_limits(EnforcedLimits::strict())
        .wasm_multi_memory(false);
    Engine::new(&config)
}

/// Validates and compiles `bytes`, then checks the ABI v1 interface.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Module, LoadError> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err(LoadError::Invalid(String::from(
            "no WebAssembly header (the file must start with \\0asm)",
        )));
    }
    let module = Module::new(engine, bytes).map_err(|e| LoadError::Invalid(clean(&e)))?;
    check_interface(&module)?;
    Ok(module)
}

/// Checks imports and exports against ABI v1.
pub fn check_interface(module: &Module) -> Result<(), LoadError> {
    for import in module.imports() {
        let what = format!(
            "`{}.{}`",
            printable(import.module()),
            printable(import.name())
        );
        if import.module() != IMPORT_MODULE {
            return Err(LoadError::Import(format!(
                "{what}: games may only import functions from `{IMPORT_MODULE}`"
            )));
        }
        let Some(sig) = wasm_abi::import_sig(import.name()) else {
            return Err(LoadError::Import(format!(
                "{what} is not an ABI v1 function"
            )));
        };
        match import.ty() {
            ExternType::Func(f) if sig_matches(sig, f) => {}
            ExternType::Func(f) => {
                return Err(LoadError::Import(format!(
                    "{what} has type {}, ABI v1 has {}",
                    FuncSig(f),
                    AbiSig(sig)
                )));
            }
            other => {
                return Err(LoadError::Import(format!(
                    "{what} is a {}, not a function",
                    kind(other)
                )));
            }
        }
    }
    match module.get_export(EXPORT_MEMORY) {
        Some(ExternType::Memory(m)) => {
            if m.is_64() {
                return Err(LoadError::Memory(String::from(
                    "64-bit memories are not supported",
                )));
            }
            if m.minimum() > MEMORY_LIMIT_PAGES as u64 {
                return Err(LoadError::Memory(format!(
                    "the module starts with {} pages ({} KiB); the limit is {} pages ({} MiB)",
                    m.minimum(),
                    m.minimum().saturating_mul(64),
                    MEMORY_LIMIT_PAGES,
                    MEMORY_LIMIT_BYTES >> 20
                )));
            }
        }
        Some(other) => {
            return Err(LoadError::Export(format!(
                "`{EXPORT_MEMORY}` is a {}, not a memory",
                kind(&other)
            )));
        }
        None => {
            return Err(LoadError::Export(format!(
                "missing export `{EXPORT_MEMORY}`"
            )));
        }
    }
    for name in [EXPORT_INIT, EXPORT_FRAME] {
        match module.get_export(name) {
            Some(ExternType::Func(f)) if f.params().is_empty() && f.results().is_empty() => {}
            Some(ExternType::Func(f)) => {
                return Err(LoadError::Export(format!(
                    "`{name}` has type {}, ABI v1 wants () -> ()",
                    FuncSig(&f)
                )));
            }
            Some(other) => {
                return Err(LoadError::Export(format!(
                    "`{name}` is a {}, not a function",
                    kind(&other)
                )));
            }
            None => return Err(LoadError::Export(format!("missing export `{name}`"))),
        }
    }
    Ok(())
}

fn abi_ty(t: AbiTy) -> ValType {
    match t {
        AbiTy::I32 => ValType::I32,
        AbiTy::I64 => ValType::I64,
    }
}

fn sig_matches(sig: &ImportSig, f: &FuncType) -> bool {
    let results_ok = match (sig.result, f.results()) {
        (None, []) => true,
        (Some(t), [r]) => abi_ty(t) == *r,
        _ => false,
    };
    results_ok
        && f.params().len() == sig.params.len()
        && f.params()
            .iter()
            .zip(sig.params)
            .all(|(p, s)| *p == abi_ty(*s))
}

fn kind(t: &ExternType) -> &'static str {
    match t {
        ExternType::Func(_) => "function",
        ExternType::Global(_) => "global",
        ExternType::Table(_) => "table",
        ExternType::Memory(_) => "memory",
    }
}

fn ty_name(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::FuncRef => "funcref",
        ValType::ExternRef => "externref",
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = ValType>) -> fmt::Result {
    f.write_char('(')?;
    for (i, t) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(ty_name(t))?;
    }
    f.write_char(')')
}

/// `(i32, i32) -> (i64)` for a wasmi function type.
struct FuncSig<'a>(&'a FuncType);

impl fmt::Display for FuncSig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0.params().iter().copied())?;
        f.write_str(" -> ")?;
        write_list(f, self.0.results().iter().copied())
    }
}

/// The same notation for an ABI signature.
struct AbiSig<'a>(&'a ImportSig);

impl fmt::Display for AbiSig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0.params.iter().map(|t| abi_ty(*t)))?;
        f.write_str(" -> ")?;
        write_list(f, self.0.result.into_iter().map(abi_ty))
    }
}

/// At most 48 characters of a module-supplied name, control characters as `?`.
pub fn printable(s: &str) -> String {
    const MAX: usize = 48;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out
}

/// A wasmi error as one printable line (its text may quote module contents).
pub fn clean(e: &dyn fmt::Display) -> String {
    let mut s = String::new();
    let _ = write!(s, "{e}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 200 {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}
