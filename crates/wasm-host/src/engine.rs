//! The rules every module runs under, whatever its kind: engine configuration, store limits,
//! compiling untrusted bytes, and printing text that came from a module.
//!
//! Why these settings: fuel metering lets the caller stop any module (an endless loop included)
//! and pause it between slices; recursion depth and the value stack are bounded so that deep
//! recursion is a trap, not an exhausted kernel heap; wasmi's strict parsing limits bound
//! the work of compiling a hostile module; multi-memory is off, so a module has exactly one
//! memory to limit and to check pointers against. Everything else is wasmi's default feature
//! set, which covers what rustc, clang and AssemblyScript emit by default.
//!
//! Every name or message printed from here may quote module contents, so it is shortened and
//! stripped of control characters first: a hostile module must not be able to drive the
//! terminal.

use alloc::string::String;
use core::fmt::{self, Write};
use wasm_abi::{ImportSig, ValType as AbiTy};
use wasmi::{
    CompilationMode, Config, EnforcedLimits, Engine, ExternType, FuncType, Module, StoreLimits,
    StoreLimitsBuilder, TrapCode, ValType,
};

/// Deepest wasm call nesting; deeper recursion traps with "stack overflow".
pub const MAX_RECURSION_DEPTH: usize = 1024;
/// Largest wasmi value stack, in bytes (wasmi's own heap-allocated stack, not the caller's).
pub const MAX_VALUE_STACK: usize = 1024 * 1024;
/// Largest table a module may have or grow to, in elements.
pub const MAX_TABLE_ELEMENTS: usize = 65_536;

/// When a module's code is translated to wasmi's internal form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Translation {
    /// All of it at load time: games, whose frames must not stall on first use of a function.
    Eager,
    /// Each function on its first call, after validating the whole module at load time.
    /// Not used for sliced calls: wasmi 2.0 cannot pause a call that runs out of fuel while
    /// translating a function (see `wasi::engine`).
    Lazy,
}

/// The engine a module runs on (see the module docs for why these settings).
pub fn engine(translation: Translation) -> Engine {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .set_max_recursion_depth(MAX_RECURSION_DEPTH)
        .set_max_stack_height(MAX_VALUE_STACK)
        .compilation_mode(match translation {
            Translation::Eager => CompilationMode::Eager,
            Translation::Lazy => CompilationMode::LazyTranslation,
        })
        .enforced_limits(EnforcedLimits::strict())
        .wasm_multi_memory(false);
    Engine::new(&config)
}

/// Store limits: one memory of at most `memory_bytes`, one table of at most
/// [`MAX_TABLE_ELEMENTS`], one instance.
pub fn limits(memory_bytes: usize) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(memory_bytes)
        .table_elements(MAX_TABLE_ELEMENTS)
        .memories(1)
        .tables(1)
        .instances(1)
        .build()
}

/// Validates and compiles untrusted bytes. The error is one printable line.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Module, String> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err(String::from(
            "no WebAssembly header (the file must start with \\0asm)",
        ));
    }
    Module::new(engine, bytes).map_err(|e| clean(&e))
}

/// What a wasm trap code means, in words.
pub fn trap_name(code: TrapCode) -> &'static str {
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
        TrapCode::OutOfSystemMemory => "out of memory",
        #[allow(unreachable_patterns)]
        _ => code.trap_message(),
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

/// An error as one printable line of at most 200 characters (its text may quote module
/// contents).
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

/// The wasmi value type of an ABI value type.
pub fn abi_ty(t: AbiTy) -> ValType {
    match t {
        AbiTy::I32 => ValType::I32,
        AbiTy::I64 => ValType::I64,
    }
}

/// True when a function type is exactly `sig`.
pub fn sig_matches(sig: &ImportSig, f: &FuncType) -> bool {
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

/// "function", "memory", ... for an extern type.
pub fn kind(t: &ExternType) -> &'static str {
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
#[derive(Debug)]
pub struct FuncSig<'a>(pub &'a FuncType);

impl fmt::Display for FuncSig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0.params().iter().copied())?;
        f.write_str(" -> ")?;
        write_list(f, self.0.results().iter().copied())
    }
}

/// The same notation for an ABI signature.
#[derive(Debug)]
pub struct AbiSig<'a>(pub &'a ImportSig);

impl fmt::Display for AbiSig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0.params.iter().map(|t| abi_ty(*t)))?;
        f.write_str(" -> ")?;
        write_list(f, self.0.result.into_iter().map(abi_ty))
    }
}

/// Which imports a kind of module may have, for [`check_import`].
#[derive(Clone, Copy, Debug)]
pub struct ImportRules {
    /// The only import module allowed (`env`, `wasi_snapshot_preview1`).
    pub module: &'static str,
    /// Who the rules are for, in messages ("games").
    pub who: &'static str,
    /// The interface's name in messages ("ABI v1").
    pub abi: &'static str,
    /// "an ABI v1 function", for messages.
    pub a_function: &'static str,
    /// The signature of each allowed function.
    pub lookup: fn(&str) -> Option<&'static ImportSig>,
}

/// Checks one import against `rules`; the error names the import.
pub fn check_import(import: &wasmi::ImportType<'_>, rules: &ImportRules) -> Result<(), String> {
    let what = alloc::format!(
        "`{}.{}`",
        printable(import.module()),
        printable(import.name())
    );
    if import.module() != rules.module {
        return Err(alloc::format!(
            "{what}: {} may only import functions from `{}`",
            rules.who,
            rules.module
        ));
    }
    let Some(sig) = (rules.lookup)(import.name()) else {
        return Err(alloc::format!("{what} is not {}", rules.a_function));
    };
    match import.ty() {
        ExternType::Func(f) if sig_matches(sig, f) => Ok(()),
        ExternType::Func(f) => Err(alloc::format!(
            "{what} has type {}, {} has {}",
            FuncSig(f),
            rules.abi,
            AbiSig(sig)
        )),
        other => Err(alloc::format!(
            "{what} is a {}, not a function",
            kind(other)
        )),
    }
}

/// Records how a host function stopped a module, so the runner reports the real cause
/// whatever wrapper wasmi puts around the host error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The module asked to exit with this code (`exit`, `proc_exit`).
    Exit(i32),
    /// A bad argument or a broken rule: the message names the call.
    Trap(String),
    /// A wall-clock budget ran out inside a host call.
    Deadline,
}

/// Records `why` in `slot` and returns the error that makes wasmi stop the module.
pub fn stop(slot: &mut Option<Stop>, why: Stop) -> wasmi::Error {
    let err = match &why {
        Stop::Exit(code) => wasmi::Error::i32_exit(*code),
        Stop::Trap(m) => wasmi::Error::new(m.clone()),
        Stop::Deadline => wasmi::Error::new("time limit exceeded in a host call"),
    };
    *slot = Some(why);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_strips_and_shortens() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a?[2Jb");
        let long: String = core::iter::repeat_n('x', 60).collect();
        assert_eq!(printable(&long).chars().count(), 49);
    }

    #[test]
    fn compile_rejects_garbage_without_panicking() {
        let e = engine(Translation::Eager);
        assert!(compile(&e, b"").is_err());
        assert!(compile(&e, b"\0asm").is_err());
        assert!(compile(&e, b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f").is_err());
        assert!(compile(&e, b"\0asm\x01\0\0\0").is_ok());
    }
}
