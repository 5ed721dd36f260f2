//! `lsblk`: disks and partitions, their sizes, file systems and mount points.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "lsblk",
    usage: "",
    summary: "list disks, partitions and mounts",
    help: "Every disk and its partitions (GPT or MBR): name, size, partition type or \
           table, file system, and where it is mounted. Disks: SATA on AHCI (sata0, \
           partitions sata0p1), NVMe (nvme0, nvme0p1), virtio-blk (vda, vda1), found at \
           boot; USB sticks (usb0, usb0p1) as they are plugged in. CDs (cd0: CD/DVD \
           drives on AHCI, read-only, found at boot with a medium in) have no \
           partitions: FAT on a CD is mounted read-only, ISO 9660 is shown as iso9660 \
           but not mounted; an empty drive is not listed.",
    run,
};

/// A size in the largest unit that keeps it at least 1.
fn size(bytes: u64) -> String {
    let units = ["B", "K", "M", "G", "T"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024 * 10 && u + 1 < units.len() {
        v /= 1024;
        u += 1;
    }
    alloc::format!("{v}{}", units[u])
}

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    if args.len() > 1 {
        return Err(String::from("usage: lsblk"));
    }
    let mounts = crate::fs::mounts();
    let targets = crate::drivers::block::targets();
    if targets.is_empty() {
        let _ = writeln!(out, "no disks");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<10} {:>7} {:<18} {:<7} MOUNT",
        "NAME", "SIZE", "TYPE", "FS"
    );
    for t in targets {
        let name = if !t.is_partition {
            t.name.clone()
        } else {
            alloc::format!("  {}", t.name)
        };
        let fs = match t.file_system() {
            Some(fs) => fs,
            None if t.has_partitions => "",
            None => "-",
        };
        let mount = match mounts.iter().find(|m| m.0 == t.name) {
            Some((_, at, true)) => alloc::format!("{at} (read-only)"),
            Some((_, at, false)) => at.clone(),
            None => String::new(),
        };
        let kind = if t.is_cd && !t.is_partition {
            alloc::format!("{} cd", t.model)
        } else if !t.is_partition && !t.has_partitions && t.kind == "whole disk" {
            alloc::format!("{} disk", t.model)
        } else if !t.is_partition {
            alloc::format!("{} {}", t.model, t.kind)
        } else {
            t.kind.clone()
        };
        let _ = writeln!(
            out,
            "{name:<10} {:>7} {kind:<18} {fs:<7} {mount}",
            size(t.sectors * t.sector_size as u64)
        );
    }
    Ok(())
}
