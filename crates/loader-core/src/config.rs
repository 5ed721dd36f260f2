//! `limine.conf` (Limine v8 syntax) parsing.
//!
//! Why our own parser: the loader must accept exactly the configuration files that real
//! Limine v8 accepts for the entries RustOS uses, and reject with a clear message the ones
//! it cannot honour (other resources than `boot():`, non-limine protocols, ...), instead of
//! silently booting something different.
//!
//! Syntax handled (from Limine's CONFIG.md, v8):
//! - blank lines and lines whose first non-blank character is `#` are ignored;
//! - `${NAME}=value` defines a macro, `${NAME}` expands it anywhere after; `${ARCH}` is
//!   built in (`x86-64`). Values expand where they are defined, so each line can double
//!   the text: one expansion may produce at most [`MAX_EXPANSION_BYTES`], a whole file
//!   [`MAX_EXPANDED_TOTAL`], and the file itself may be at most [`MAX_CONFIG_BYTES`]
//!   (errors name the line);
//! - `key: value` options; keys are case-insensitive, whitespace around key and value is
//!   ignored; options before the first entry are global (`timeout`, `serial`,
//!   `default_entry`, ...);
//! - `/Name` starts an entry, `//Name` a sub-entry (any depth; a leading `+` after the
//!   slashes only means "expanded" in the menu). Entries without options are directories.
//!
//! There is no menu: the default entry boots at once (`timeout` is parsed and ignored).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::limits::{MAX_CONFIG_BYTES, MAX_EXPANDED_TOTAL, MAX_EXPANSION_BYTES};

/// The value of `${ARCH}` on this loader's only architecture.
pub const ARCH: &str = "x86-64";

/// Where Limine v8 looks for its configuration file on the boot volume, in order.
pub const SEARCH_PATHS: [&str; 5] = [
    "/boot/limine/limine.conf",
    "/limine/limine.conf",
    "/limine.conf",
    "/boot/limine.conf",
    "/EFI/BOOT/limine.conf",
];

/// A parse or selection error, with the 1-based line number where one applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line number in limine.conf, when the error is tied to a line.
    pub line: Option<usize>,
    /// Human-readable description.
    pub message: String,
}

impl ConfigError {
    fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }
    fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

impl ConfigError {
    /// The error with the configuration file's path, e.g.
    /// ``"`/boot/limine/limine.conf` line 3: ..."``.
    pub fn in_file<'a>(&'a self, path: &'a str) -> impl fmt::Display + 'a {
        InFile { error: self, path }
    }
}

struct InFile<'a> {
    error: &'a ConfigError,
    path: &'a str,
}

impl fmt::Display for InFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.line {
            Some(l) => write!(f, "`{}` line {l}: {}", self.path, self.error.message),
            None => write!(f, "`{}`: {}", self.path, self.error.message),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "limine.conf line {l}: {}", self.message),
            None => write!(f, "limine.conf: {}", self.message),
        }
    }
}

/// One `key: value` option, key lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// Lower-cased key.
    pub key: String,
    /// Value with surrounding whitespace removed and macros expanded.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A menu entry (`/Name`, `//Sub`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Name as written after the slashes (and optional `+`).
    pub name: String,
    /// Number of leading slashes (1 = top level).
    pub depth: usize,
    /// 1-based line number of the header.
    pub line: usize,
    /// Options in file order.
    pub options: Vec<Opt>,
}

/// A whole parsed `limine.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Global options (before the first entry), in file order.
    pub globals: Vec<Opt>,
    /// All entries in file order, including directories.
    pub entries: Vec<Entry>,
}

/// One module to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpec {
    /// The `module_path` value exactly as written (after macro expansion): reported to the
    /// kernel as the module's path.
    pub path: String,
    /// The `module_cmdline` that followed it, or "".
    pub cmdline: String,
}

/// What the selected entry asks the loader to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSpec {
    /// Entry name.
    pub name: String,
    /// `kernel_path` as written.
    pub kernel_path: String,
    /// `kernel_cmdline` / `cmdline`, or "".
    pub kernel_cmdline: String,
    /// Modules in order.
    pub modules: Vec<ModuleSpec>,
}

fn get<'a>(opts: &'a [Opt], key: &str) -> Option<&'a Opt> {
    opts.iter().find(|o| o.key == key)
}

impl Entry {
    /// First value of `key` (lower case), like Limine's `config_get_value(.., 0, KEY)`.
    pub fn get(&self, key: &str) -> Option<&str> {
        get(&self.options, key).map(|o| o.value.as_str())
    }

    /// Whether this entry can be booted (a header with options; the rest are directories).
    pub fn is_bootable(&self) -> bool {
        !self.options.is_empty()
    }

    /// Validates the entry for the Limine protocol and extracts what to load.
    pub fn boot_spec(&self) -> Result<BootSpec, ConfigError> {
        let proto = get(&self.options, "protocol").ok_or_else(|| {
            ConfigError::at(
                self.line,
                format!("entry `{}` has no `protocol:`", self.name),
            )
        })?;
        if !proto.value.eq_ignore_ascii_case("limine") {
            return Err(ConfigError::at(
                proto.line,
                format!(
                    "entry `{}` uses protocol `{}`; this loader only boots `protocol: limine`",
                    self.name, proto.value
                ),
            ));
        }
        let kernel = get(&self.options, "kernel_path").ok_or_else(|| {
            let hint = if self.get("path").is_some() {
                " (`path:` is the Limine v9+ name; v8 uses `kernel_path:`)"
            } else {
                ""
            };
            ConfigError::at(
                self.line,
                format!("entry `{}` has no `kernel_path:`{hint}", self.name),
            )
        })?;
        if kernel.value.is_empty() {
            return Err(ConfigError::at(kernel.line, "empty `kernel_path:`"));
        }
        let kernel_cmdline = self
            .options
            .iter()
            .find(|o| o.key == "kernel_cmdline" || o.key == "cmdline")
            .map(|o| o.value.clone())
            .unwrap_or_default();

        let mut modules: Vec<ModuleSpec> = Vec::new();
        for o in &self.options {
            match o.key.as_str() {
                "module_path" => {
                    if o.value.is_empty() {
                        return Err(ConfigError::at(o.line, "empty `module_path:`"));
                    }
                    modules.push(ModuleSpec {
                        path: o.value.clone(),
                        cmdline: String::new(),
                    });
                }
                "module_cmdline" | "module_string" => match modules.last_mut() {
                    Some(m) => m.cmdline = o.value.clone(),
                    None => {
                        return Err(ConfigError::at(
                            o.line,
                            format!("`{}:` before any `module_path:`", o.key),
                        ));
                    }
                },
                _ => {}
            }
        }
        Ok(BootSpec {
            name: self.name.clone(),
            kernel_path: kernel.value.clone(),
            kernel_cmdline,
            modules,
        })
    }
}

impl Config {
    /// First value of a global option (key in lower case).
    pub fn global(&self, key: &str) -> Option<&str> {
        get(&self.globals, key).map(|o| o.value.as_str())
    }

    /// `serial: yes` was given.
    pub fn serial(&self) -> bool {
        self.global("serial")
            .is_some_and(|v| v.eq_ignore_ascii_case("yes"))
    }

    /// The entry to boot: `default_entry` (1-based, default 1) counted over bootable
    /// entries (entries with options) in file order.
    pub fn default_entry(&self) -> Result<&Entry, ConfigError> {
        let bootable: Vec<&Entry> = self.entries.iter().filter(|e| e.is_bootable()).collect();
        if bootable.is_empty() {
            return Err(ConfigError::new(
                "no bootable entry (an entry is `/Name` followed by options)",
            ));
        }
        let n = match get(&self.globals, "default_entry") {
            None => 1,
            Some(o) => o.value.parse::<usize>().map_err(|_| {
                ConfigError::at(
                    o.line,
                    format!("default_entry `{}` is not a number", o.value),
                )
            })?,
        };
        if n == 0 || n > bootable.len() {
            return Err(ConfigError::new(format!(
                "default_entry {n} is out of range (there are {} bootable entries)",
                bootable.len()
            )));
        }
        Ok(bootable[n - 1])
    }
}

/// The macros defined so far, and how much text expansions have produced in total.
struct Macros {
    defs: Vec<(String, String)>,
    total: usize,
}

impl Macros {
    /// Expands `${NAME}` in `s`; unknown macros expand to "" like Limine does. Refuses
    /// (naming `line`) to produce more than [`MAX_EXPANSION_BYTES`], or to take the
    /// file's total past [`MAX_EXPANDED_TOTAL`]: nothing larger is ever allocated.
    fn expand(&mut self, s: &str, line: usize) -> Result<String, ConfigError> {
        let mut out = String::new();
        let push = |out: &mut String, piece: &str| {
            if out.len() + piece.len() > MAX_EXPANSION_BYTES {
                return Err(ConfigError::at(
                    line,
                    format!(
                        "macro expansion longer than {MAX_EXPANSION_BYTES} bytes (macros expand where they are defined: does each line double the last?)"
                    ),
                ));
            }
            out.push_str(piece);
            Ok(())
        };
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            push(&mut out, &rest[..start])?;
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    if let Some((_, v)) = self.defs.iter().rev().find(|(k, _)| k == name) {
                        push(&mut out, v)?;
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    push(&mut out, &rest[start..])?;
                    rest = "";
                }
            }
        }
        push(&mut out, rest)?;
        self.total += out.len();
        if self.total > MAX_EXPANDED_TOTAL {
            return Err(ConfigError::at(
                line,
                format!("macro expansions exceed {MAX_EXPANDED_TOTAL} bytes in total"),
            ));
        }
        Ok(out)
    }
}

/// Parses a whole `limine.conf`.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::new(format!(
            "{} bytes; a limine.conf may be at most {MAX_CONFIG_BYTES} bytes",
            text.len()
        )));
    }
    let mut macros = Macros {
        defs: alloc::vec![("ARCH".to_owned(), ARCH.to_owned())],
        total: 0,
    };
    let mut globals = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();

    // A UTF-8 BOM some editors add must not turn the first line into garbage.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(def) = line.strip_prefix("${") {
            // Macro definition: ${NAME}=value
            let (name, value) = def.split_once("}=").ok_or_else(|| {
                ConfigError::at(
                    line_no,
                    "malformed macro definition (expected `${NAME}=value`)",
                )
            })?;
            if name.is_empty() || name.contains('}') {
                return Err(ConfigError::at(line_no, "malformed macro name"));
            }
            let value = macros.expand(value.trim(), line_no)?;
            macros.defs.push((name.to_owned(), value));
            continue;
        }
        if line.starts_with('/') {
            let depth = line.bytes().take_while(|&b| b == b'/').count();
            let name = line[depth..].trim_start_matches('+').trim();
            if name.is_empty() {
                return Err(ConfigError::at(line_no, "entry with an empty name"));
            }
            entries.push(Entry {
                name: macros.expand(name, line_no)?,
                depth,
                line: line_no,
                options: Vec::new(),
            });
            continue;
        }
        let (key, value) = line.split_once(':').ok_or_else(|| {
            ConfigError::at(
                line_no,
                format!("expected `key: value` or `/Entry`, found `{line}`"),
            )
        })?;
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(ConfigError::at(
                line_no,
                format!("malformed option name `{key}`"),
            ));
        }
        let opt = Opt {
            key: key.to_ascii_lowercase(),
            value: macros.expand(value.trim(), line_no)?,
            line: line_no,
        };
        match entries.last_mut() {
            Some(e) => e.options.push(opt),
            None => globals.push(opt),
        }
    }
    Ok(Config { globals, entries })
}

/// Resolves a Limine URI naming a file on the boot volume (`boot():/path`) to the path on
/// that volume (always starting with `/`). Anything else is refused with a reason.
pub fn boot_volume_path(uri: &str) -> Result<String, ConfigError> {
    let uri = uri.trim();
    if uri.starts_with('$') {
        return Err(ConfigError::new(format!(
            "`{uri}`: compressed (`$`) files are not supported by this loader"
        )));
    }
    let Some((resource, rest)) = uri.split_once('(') else {
        return Err(ConfigError::new(format!(
            "`{uri}` is not a Limine path; write it as `boot():/path/on/boot/volume`"
        )));
    };
    let Some((arg, path)) = rest.split_once("):") else {
        return Err(ConfigError::new(format!(
            "`{uri}` is not a Limine path (expected `resource(arg):/path`)"
        )));
    };
    if !resource.eq_ignore_ascii_case("boot") {
        return Err(ConfigError::new(format!(
            "`{uri}`: resource `{resource}()` is not supported by this loader, only `boot():`"
        )));
    }
    if !arg.is_empty() {
        return Err(ConfigError::new(format!(
            "`{uri}`: `boot({arg}):` names another partition; only `boot():` (the boot volume) is supported"
        )));
    }
    if path.contains('#') {
        return Err(ConfigError::new(format!(
            "`{uri}`: hash verification (`#...`) is not supported by this loader"
        )));
    }
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return Err(ConfigError::new(format!("`{uri}` names no file")));
    }
    Ok(format!("/{path}"))
}

/// Parses `text` and returns what its default entry boots.
pub fn boot_spec(text: &str) -> Result<BootSpec, ConfigError> {
    parse(text)?.default_entry()?.boot_spec()
}

impl fmt::Display for BootSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} module", self.kernel_path, self.modules.len())?;
        if self.modules.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const RUSTOS: &str = "timeout: 0\nserial: yes\n\n/RustOS\n    protocol: limine\n    kernel_path: boot():/boot/kernel\n    module_path: boot():/boot/initrd.tar\n";

    #[test]
    fn rustos_config() {
        let c = parse(RUSTOS).unwrap();
        assert_eq!(c.global("timeout"), Some("0"));
        assert!(c.serial());
        let b = c.default_entry().unwrap().boot_spec().unwrap();
        assert_eq!(b.name, "RustOS");
        assert_eq!(b.kernel_path, "boot():/boot/kernel");
        assert_eq!(b.kernel_cmdline, "");
        assert_eq!(
            b.modules,
            alloc::vec![ModuleSpec {
                path: "boot():/boot/initrd.tar".into(),
                cmdline: "".into()
            }]
        );
        assert_eq!(boot_volume_path(&b.kernel_path).unwrap(), "/boot/kernel");
        assert_eq!(b.to_string(), "boot():/boot/kernel (1 module)");
    }

    #[test]
    fn case_whitespace_comments_and_cmdlines() {
        let text = "\u{feff}# comment\r\n  TIMEOUT:3\r\nDefault_Entry :  2 \r\n/First\r\nPROTOCOL: limine\r\nKERNEL_PATH: boot():/a\r\n\t/Second entry\r\n  # indented comment\r\n  Protocol :LIMINE\r\n  kernel_path:boot():/k\r\n  cmdline: quiet  loud\r\n  module_path: boot():/m1\r\n  module_cmdline: first module\r\n  module_path: boot():/m2\r\n  module_path: boot():/m3\r\n  module_string: third\r\n";
        let c = parse(text).unwrap();
        assert_eq!(c.global("timeout"), Some("3"));
        let e = c.default_entry().unwrap();
        assert_eq!(e.name, "Second entry");
        let b = e.boot_spec().unwrap();
        assert_eq!(b.kernel_path, "boot():/k");
        assert_eq!(b.kernel_cmdline, "quiet  loud");
        let m: Vec<(&str, &str)> = b
            .modules
            .iter()
            .map(|m| (m.path.as_str(), m.cmdline.as_str()))
            .collect();
        assert_eq!(
            m,
            [
                ("boot():/m1", "first module"),
                ("boot():/m2", ""),
                ("boot():/m3", "third")
            ]
        );
    }

    #[test]
    fn nesting_and_directories() {
        let text = "/+Dir\n//Sub A\nprotocol: limine\nkernel_path: boot():/a\n///Deeper\nprotocol: limine\nkernel_path: boot():/b\n/Other\nprotocol: limine\nkernel_path: boot():/c\ndefault_entry: 9\n";
        let c = parse(text).unwrap();
        assert_eq!(c.entries.len(), 4);
        assert_eq!(c.entries[0].depth, 1);
        assert!(!c.entries[0].is_bootable());
        assert_eq!(c.entries[2].depth, 3);
        // The first bootable entry is the sub-entry; `default_entry` after an entry header
        // belongs to that entry, not to the globals.
        assert_eq!(c.default_entry().unwrap().name, "Sub A");
    }

    #[test]
    fn default_entry_selection_and_range() {
        let base = "/A\nprotocol: limine\nkernel_path: boot():/a\n/B\nprotocol: limine\nkernel_path: boot():/b\n";
        let two = format!("default_entry: 2\n{base}");
        assert_eq!(parse(&two).unwrap().default_entry().unwrap().name, "B");
        let e = parse(&format!("default_entry: 3\n{base}"))
            .unwrap()
            .default_entry()
            .unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
        let e = parse(&format!("default_entry: 0\n{base}"))
            .unwrap()
            .default_entry()
            .unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
        let e = parse(&format!("default_entry: two\n{base}"))
            .unwrap()
            .default_entry()
            .unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn macros() {
        let text = "${KDIR}=boot():/boot\n${K}=${KDIR}/kernel-${ARCH}\n/E\nprotocol: limine\nkernel_path: ${K}\nmodule_path: ${KDIR}/x${NOPE}\n";
        let b = boot_spec(text).unwrap();
        assert_eq!(b.kernel_path, "boot():/boot/kernel-x86-64");
        assert_eq!(b.modules[0].path, "boot():/boot/x");
    }

    /// `${A}=xxxxxxxx`, then `${Mk}=${Mk-1}${Mk-1}` on each following line.
    fn doubling(lines: usize) -> String {
        let mut text = String::from("${M0}=xxxxxxxx\n");
        for k in 1..lines {
            text.push_str(&format!("${{M{k}}}=${{M{}}}${{M{}}}\n", k - 1, k - 1));
        }
        text + "/E\nprotocol: limine\nkernel_path: boot():/k\n"
    }

    #[test]
    fn doubling_macros_are_refused_at_the_line_that_overflows() {
        // Line k holds 8 * 2^(k-1) bytes: line 10 has 4096 (allowed), line 11 8192.
        assert!(parse(&doubling(10)).is_ok());
        // 24 lines would be 64 MiB unbounded (35, as in the bug report, 128 GiB).
        let e = parse(&doubling(24)).unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
        assert!(e.message.contains("longer than 4096 bytes"), "{e}");
        assert_eq!(
            e.in_file("/boot/limine/limine.conf").to_string(),
            alloc::format!("`/boot/limine/limine.conf` line 11: {}", e.message)
        );
    }

    #[test]
    fn expansions_are_bounded_in_total() {
        // Each line expands to 3,000 bytes (under the per-expansion bound); together they
        // would reach 300 KB.
        let mut text = alloc::format!("${{K}}={}\n", "k".repeat(1000));
        for i in 0..100 {
            text.push_str(&alloc::format!("${{V{i}}}=${{K}}${{K}}${{K}}\n"));
        }
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("in total"), "{e}");
        // 1,000 + 3,000 * n > 262,144 first at n = 88, on line 1 + 88.
        assert_eq!(e.line, Some(89));
        // Option values count too.
        let mut text = alloc::format!("${{K}}={}\n/E\n", "k".repeat(4000));
        for _ in 0..80 {
            text.push_str("cmdline: ${K}\n");
        }
        assert!(parse(&text).unwrap_err().message.contains("in total"));
    }

    #[test]
    fn oversized_file_is_refused() {
        let big = "#".repeat(MAX_CONFIG_BYTES as usize + 1);
        let e = parse(&big).unwrap_err();
        assert_eq!(e.line, None);
        assert!(e.message.contains("at most 65536 bytes"), "{e}");
        // A comment-only file at the bound is fine (and has no entry).
        let e = parse(&"#".repeat(MAX_CONFIG_BYTES as usize)).unwrap();
        assert!(e.entries.is_empty());
    }

    /// A small deterministic PRNG (xorshift64*), so that failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn random_macro_files_stay_within_the_bounds() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut refused = 0;
        for _ in 0..500 {
            // Up to 12 macros, each built from 1 to 3 earlier ones (mostly the last) and some
            // text. Unbounded, that grows to 3^12 * 160 bytes at most: finite on any machine.
            let n = 1 + rng.below(12) as usize;
            let mut text = String::new();
            for k in 0..n {
                text.push_str(&alloc::format!("${{M{k}}}="));
                for _ in 0..1 + rng.below(3) {
                    let r = match rng.below(4) {
                        0..3 if k > 0 => k as u64 - 1,
                        _ => rng.below(k as u64 + 2), // sometimes an undefined name
                    };
                    text.push_str(&alloc::format!("${{M{r}}}"));
                }
                let lit = rng.below(160) as usize;
                text.push_str(&"abc/".repeat(lit / 4));
                if rng.below(8) == 0 {
                    text.push_str("${unterminated");
                }
                text.push('\n');
            }
            text.push_str(&alloc::format!(
                "/E\nprotocol: limine\nkernel_path: boot():/${{M{}}}\n",
                rng.below(n as u64)
            ));
            match parse(&text) {
                Ok(c) => {
                    let total: usize = c.entries[0].options.iter().map(|o| o.value.len()).sum();
                    assert!(total <= MAX_EXPANDED_TOTAL);
                    for o in &c.entries[0].options {
                        assert!(o.value.len() <= MAX_EXPANSION_BYTES, "{text}");
                    }
                }
                Err(e) => {
                    refused += 1;
                    let line = e.line.expect("expansion errors name their line");
                    assert!(line >= 1 && line <= n + 3, "{e}");
                    assert!(e.message.contains("macro expansion"), "{e}");
                }
            }
        }
        // The generator must really reach the bound sometimes, or this tests nothing.
        assert!(refused > 10, "only {refused} of 500 files hit the bound");
    }

    #[test]
    fn malformed_configs() {
        let cases: &[(&str, &str, Option<usize>)] = &[
            ("timeout 5\n", "expected `key: value`", Some(1)),
            ("/\nprotocol: limine\n", "empty name", Some(1)),
            ("/E\n: limine\n", "malformed option name", Some(2)),
            (
                "/E\nkernel path: boot():/k\n",
                "malformed option name",
                Some(2),
            ),
            ("${X=1\n", "macro", Some(1)),
            ("${}=1\n", "macro name", Some(1)),
        ];
        for (text, needle, line) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(needle), "{text:?}: {e}");
            assert_eq!(e.line, *line, "{text:?}");
        }
    }

    #[test]
    fn entry_level_errors() {
        let e = boot_spec("").unwrap_err();
        assert!(e.message.contains("no bootable entry"));
        let e = boot_spec("timeout: 1\n/Only a directory\n").unwrap_err();
        assert!(e.message.contains("no bootable entry"));
        let e = boot_spec("/E\nkernel_path: boot():/k\n").unwrap_err();
        assert!(e.message.contains("no `protocol:`"), "{e}");
        let e = boot_spec("/E\nprotocol: linux\nkernel_path: boot():/k\n").unwrap_err();
        assert!(e.message.contains("only boots `protocol: limine`"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = boot_spec("/E\nprotocol: limine\npath: boot():/k\n").unwrap_err();
        assert!(e.message.contains("v9+"), "{e}");
        let e = boot_spec("/E\nprotocol: limine\n").unwrap_err();
        assert!(e.message.contains("no `kernel_path:`"), "{e}");
        let e = boot_spec("/E\nprotocol: limine\nkernel_path:\n").unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        let e = boot_spec("/E\nprotocol: limine\nkernel_path: boot():/k\nmodule_cmdline: x\n")
            .unwrap_err();
        assert!(e.message.contains("before any `module_path:`"), "{e}");
    }

    #[test]
    fn uris() {
        assert_eq!(
            boot_volume_path("boot():/boot/kernel").unwrap(),
            "/boot/kernel"
        );
        assert_eq!(
            boot_volume_path("BOOT():boot/kernel").unwrap(),
            "/boot/kernel"
        );
        assert_eq!(boot_volume_path(" boot()://x ").unwrap(), "/x");
        for (uri, needle) in [
            ("/boot/kernel", "not a Limine path"),
            ("boot(/boot/kernel", "not a Limine path"),
            ("hdd(1:2):/kernel", "only `boot():`"),
            ("guid(abc):/kernel", "only `boot():`"),
            ("tftp():/kernel", "only `boot():`"),
            ("boot(2):/kernel", "another partition"),
            ("boot():/kernel#deadbeef", "hash"),
            ("$boot():/kernel", "compressed"),
            ("boot():", "names no file"),
            ("boot():/", "names no file"),
        ] {
            let e = boot_volume_path(uri).unwrap_err();
            assert!(e.message.contains(needle), "{uri}: {e}");
        }
    }
}
