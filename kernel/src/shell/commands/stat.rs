//! `stat path`: kind, size and origin of a file or directory.
use super::Command;
use super::util::{err, output_error, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;
use ramfs::{Escaped, Kind};

pub const COMMAND: Command = Command {
    name: "stat",
    usage: "path",
    summary: "show a file's kind and size",
    help: "",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let p = args
        .get(1)
        .ok_or_else(|| String::from("usage: stat path"))?;
    let abs = resolve(sh, p)?;
    let (m, target) = crate::fs::with(|fs| {
        let m = fs.symlink_metadata(&abs)?;
        let target = match m.kind {
            Kind::Symlink => Some(String::from(fs.read_link_path(&abs)?)),
            _ => None,
        };
        Ok((m, target))
    })
    .map_err(|e| err(p, e))?;
    writeln!(out, "  path: {}", Escaped(&abs)).map_err(output_error)?;
    match m.kind {
        Kind::File => {
            writeln!(out, "  kind: file\n  size: {} bytes", m.size).map_err(output_error)?;
        }
        Kind::Dir => {
            writeln!(out, "  kind: directory\n  entries: {}", m.size).map_err(output_error)?;
        }
        Kind::Symlink => {
            let target = target.unwrap_or_default();
            writeln!(out, "  kind: symbolic link -> {}", Escaped(&target)).map_err(output_error)?;
        }
    }
    writeln!(out, "  inode: {}  links: {}", m.ino, m.nlink).map_err(output_error)?;
    writeln!(out, "  modified: {}", Timestamp(m.mtime)).map_err(output_error)?;
    let origin = if m.in_ram {
        "RAM (created or changed since boot)"
    } else {
        "initrd"
    };
    writeln!(out, "  stored in: {origin}").map_err(output_error)?;
    Ok(())
}

/// Nanoseconds since 1970 shown as `YYYY-MM-DD HH:MM:SS` (UTC).
struct Timestamp(u64);

impl core::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let secs = self.0 / 1_000_000_000;
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        )
    }
}
