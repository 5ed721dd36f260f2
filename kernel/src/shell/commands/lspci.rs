//! `lspci`: the PCI functions found at boot, with their BARs.
use super::Command;
use crate::drivers::pci::{self, Bar};
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "lspci",
    usage: "[-v]",
    summary: "list PCI devices",
    help: "Every PCI function: bus:device.function, vendor:device IDs, class, and with -v \
           its base address registers and interrupt line. Useful to report hardware that \
           does not work.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let verbose = match args.get(1..).unwrap_or(&[]) {
        [] => false,
        ["-v"] => true,
        _ => return Err(String::from("usage: lspci [-v]")),
    };
    for f in pci::functions() {
        let _ = writeln!(
            out,
            "{f} {:04x}:{:04x} {} [{:02x}{:02x}{:02x}] rev {:02x}",
            f.vendor,
            f.device_id,
            f.class_name(),
            f.class,
            f.subclass,
            f.prog_if,
            f.revision
        );
        if verbose {
            for (i, bar) in f.bars.iter().enumerate() {
                if *bar != Bar::None {
                    let _ = writeln!(out, "        BAR{i}: {bar}");
                }
            }
            if f.irq_line != 0 && f.irq_line != 0xff {
                let _ = writeln!(out, "        IRQ line {}", f.irq_line);
            }
        }
    }
    Ok(())
}
