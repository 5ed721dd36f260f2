//! The names and signatures a game module may import and must export. The host checks a
//! module against [`IMPORTS`] before instantiating it, so an import outside this table
//! never reaches a host function.

/// Module name of every host import (`(import "env" "put_pixel" ...)`).
pub const IMPORT_MODULE: &str = "env";

/// Export names the host looks up in a game module.
pub const EXPORT_MEMORY: &str = "memory";
/// Called once after instantiation.
pub const EXPORT_INIT: &str = "init";
/// Called at about 60 Hz.
pub const EXPORT_FRAME: &str = "frame";

/// Value types of the ABI, for describing import signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValType {
    I32,
    I64,
}

/// One host import: name, parameter types and optional result type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSig {
    pub name: &'static str,
    pub params: &'static [ValType],
    pub result: Option<ValType>,
}

use ValType::{I32, I64};

/// Every import a v1 game may use (all from [`IMPORT_MODULE`]). A module importing anything
/// else, or with another signature, must be rejected before instantiation.
pub const IMPORTS: &[ImportSig] = &[
    ImportSig {
        name: "put_pixel",
        params: &[I32, I32, I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "fill_rect",
        params: &[I32, I32, I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "present",
        params: &[I32, I32, I32],
        result: None,
    },
    ImportSig {
        name: "screen_width",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "screen_height",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "poll_key",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "time_ms",
        params: &[],
        result: Some(I64),
    },
    ImportSig {
        name: "random",
        params: &[],
        result: Some(I32),
    },
    ImportSig {
        name: "print",
        params: &[I32, I32],
        result: None,
    },
    ImportSig {
        name: "exit",
        params: &[I32],
        result: None,
    },
];

/// Looks up an import by name.
pub fn import_sig(name: &str) -> Option<&'static ImportSig> {
    IMPORTS.iter().find(|s| s.name == name)
}
