//! `hexdump file`: bytes in hex and ASCII, 16 per line.
use super::Command;
use super::util::{err, output_error, resolve};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "hexdump",
    usage: "file [max-bytes]",
    summary: "show a file's bytes in hex",
    help: "Shows at most 4096 bytes unless a limit is given.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let p = args
        .get(1)
        .ok_or_else(|| String::from("usage: hexdump file [max-bytes]"))?;
    let limit = match args.get(2) {
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| alloc::format!("not a number: {n}"))?,
        None => 4096,
    };
    let abs = resolve(sh, p)?;
    crate::fs::with(|fs| -> Result<(), String> {
        let data = fs.read(&abs).map_err(|e| err(p, e))?;
        for (i, row) in data[..data.len().min(limit)].chunks(16).enumerate() {
            let mut line = String::new();
            write!(line, "{:08x}  ", i * 16).map_err(output_error)?;
            for j in 0..16 {
                match row.get(j) {
                    Some(b) => {
                        write!(line, "{b:02x} ").map_err(output_error)?;
                    }
                    None => line.push_str("   "),
                }
                if j == 7 {
                    line.push(' ');
                }
            }
            line.push_str(" |");
            line.extend(row.iter().map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            }));
            line.push('|');
            writeln!(out, "{line}").map_err(output_error)?;
        }
        if data.len() > limit {
            writeln!(out, "... ({} more bytes)", data.len() - limit).map_err(output_error)?;
        }
        Ok(())
    })
}
