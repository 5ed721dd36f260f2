//! Shell variables: `NAME=value`, `export`, `$NAME`, `$?`.
//!
//! Exported variables make up the environment of programs; the others are the shell's
//! own. `PATH` (where bare command names are looked up as `NAME.wasm`) and `HOME` start
//! exported.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Longest value kept (expansion is bounded by the parser too).
pub const MAX_VALUE: usize = 16 * 1024;
/// Most variables.
pub const MAX_VARS: usize = 256;

struct Var {
    value: String,
    exported: bool,
}

pub struct Vars {
    vars: BTreeMap<String, Var>,
    /// Exit status of the last pipeline.
    pub status: i32,
}

impl Default for Vars {
    fn default() -> Self {
        Self::new()
    }
}

impl Vars {
    pub fn new() -> Self {
        let mut v = Self {
            vars: BTreeMap::new(),
            status: 0,
        };
        let _ = v.set("PATH", "/bin");
        let _ = v.set("HOME", "/");
        v.export("PATH");
        v.export("HOME");
        v
    }

    /// Sets a variable (keeping its exported flag).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !shellparse::is_name(name) {
            return Err(alloc::format!(
                "'{}': not a valid name",
                ramfs::Escaped(name)
            ));
        }
        if value.len() > MAX_VALUE {
            return Err(alloc::format!(
                "{name}: value too long (at most {MAX_VALUE} bytes)"
            ));
        }
        if !self.vars.contains_key(name) && self.vars.len() >= MAX_VARS {
            return Err(alloc::format!("too many variables (at most {MAX_VARS})"));
        }
        let var = self.vars.entry(String::from(name)).or_insert(Var {
            value: String::new(),
            exported: false,
        });
        var.value = String::from(value);
        Ok(())
    }

    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// Marks a variable as exported (creating it empty if needed); false if it cannot be.
    pub fn export(&mut self, name: &str) -> bool {
        if !self.vars.contains_key(name) && self.set(name, "").is_err() {
            return false;
        }
        if let Some(v) = self.vars.get_mut(name) {
            v.exported = true;
        }
        true
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    /// The environment of programs: exported variables, plus `extra` (a command's own
    /// `NAME=value` prefixes), sorted by name.
    pub fn environment(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut env: BTreeMap<&str, &str> = self
            .vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(n, v)| (n.as_str(), v.value.as_str()))
            .collect();
        for (n, v) in extra {
            env.insert(n, v);
        }
        env.into_iter()
            .map(|(n, v)| (String::from(n), String::from(v)))
            .collect()
    }
}

impl shellparse::Vars for Vars {
    fn get(&self, name: &str) -> Option<&str> {
        Vars::get(self, name)
    }
    fn status(&self) -> i32 {
        self.status
    }
}
