//! `lsusb`: the USB device tree of every xHCI controller.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "lsusb",
    usage: "",
    summary: "list USB devices",
    help: "Each xHCI controller, then its devices as a tree: port (root port, then hub \
           ports: 5.1.3), speed, vendor:product IDs, what the device is and what it calls \
           itself. Keyboards, hubs and mass-storage sticks (with their disk name and size) \
           are driven; other devices are listed only.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() > 1 {
        return Err(String::from("usage: lsusb"));
    }
    let tree = crate::drivers::usb::tree();
    if tree.is_empty() {
        let _ = writeln!(
            out,
            "no USB host controller in use (only xHCI is supported)"
        );
        return Ok(());
    }
    for (controller, devices) in tree {
        let _ = writeln!(out, "{controller}");
        if devices.is_empty() {
            let _ = writeln!(out, "  (no devices)");
        }
        for d in devices {
            let indent = 2 + 2 * d.depth;
            let port = alloc::format!("port {}", d.port);
            let width = 22usize.saturating_sub(indent).max(port.len());
            let mut name = d.name.clone();
            if !d.manufacturer.is_empty() && !name.starts_with(&d.manufacturer) {
                name = alloc::format!("{} {name}", d.manufacturer);
            }
            let detail = if d.detail.is_empty() {
                String::new()
            } else {
                alloc::format!(" ({})", d.detail)
            };
            let _ = writeln!(
                out,
                "{:indent$}{port:<width$} {:>5}  {:04x}:{:04x}  {:<12} {name}{detail}",
                "", d.speed, d.vendor, d.product, d.kind,
            );
        }
    }
    Ok(())
}
