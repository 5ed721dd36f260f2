//! `mount`: lists mounts, or mounts a FAT file system into the tree.
use super::Command;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "mount",
    usage: "[DEVICE PATH]",
    summary: "mount a FAT file system (or list mounts)",
    help: "mount vda1 /mnt/data puts the FAT12/16/32 file system of vda1 (see lsblk) at \
           /mnt/data, where every command works on its files. Changes reach the disk at \
           sync, umount, shutdown and reboot. A damaged or write-protected volume mounts \
           read-only. Without arguments, lists the mounts.",
    run,
};

fn run(sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    match args.get(1..).unwrap_or(&[]) {
        [] => {
            for (dev, at, ro) in crate::fs::mounts() {
                let _ = writeln!(
                    out,
                    "/dev/{dev} on {at} type vfat ({})",
                    if ro { "ro" } else { "rw" }
                );
            }
            Ok(())
        }
        [device, path] => {
            let at = super::util::resolve(sh, path)?;
            for w in crate::fs::mount(device, &at)? {
                let _ = writeln!(out, "mount: warning: {w}");
            }
            Ok(())
        }
        _ => Err(String::from("usage: mount [DEVICE PATH]")),
    }
}
