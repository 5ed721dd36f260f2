//! `mem`: memory statistics (frames and heap).
use super::Command;
use super::util::output_error;
use crate::shell::{Output, Shell};
use alloc::string::String;
use core::fmt::Write;

pub const COMMAND: Command = Command {
    name: "mem",
    usage: "",
    summary: "show memory usage",
    help: "Physical frames (4 KiB pages) and the kernel heap, which grows on demand up to its cap.",
    run,
};

fn run(_sh: &mut Shell, _args: &[&str], out: &mut Output) -> Result<(), String> {
    let m = crate::mem_info();
    let h = m.heap;
    writeln!(
        out,
        "frames: {} total, {} free ({} MiB free)",
        m.frames_total,
        m.frames_free,
        m.frames_free * 4 / 1024
    )
    .map_err(output_error)?;
    writeln!(
        out,
        "heap:   {} KiB, used {} KiB, free {} KiB, peak {} KiB, cap {} KiB",
        h.size / 1024,
        h.used / 1024,
        h.free / 1024,
        h.peak / 1024,
        h.cap / 1024
    )
    .map_err(output_error)?;
    writeln!(
        out,
        "        {} KiB cached in small-block lists; grown {} times, {} allocations refused",
        h.cached / 1024,
        h.growths,
        h.failures
    )
    .map_err(output_error)?;
    Ok(())
}
