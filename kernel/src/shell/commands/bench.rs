//! `bench [console|alloc|fs|keys|wasm|wasi|disk|all]`: in-kernel benchmarks (see BENCHMARKS.md).
use super::Command;
use crate::shell::{Output, Shell};
use crate::support::bench::{self, Report};
use alloc::format;
use alloc::string::String;

pub const COMMAND: Command = Command {
    name: "bench",
    usage: "[console|alloc|fs|keys|wasm|wasi|disk|all]",
    summary: "run the built-in benchmarks",
    help: "Each figure is printed as 'BENCH name value unit', with its baseline measured in the same run.\n`make bench` boots RustOS, runs these and writes the results.\n`disk` (not in `all`) writes to blank disks only, and unmounts and mounts each mounted volume again.",
    run,
};

fn run(_sh: &mut Shell, args: &[&str], out: &mut Output) -> Result<(), String> {
    let which = args.get(1).copied().unwrap_or("all");
    let mut r = Report::new(out);
    match which {
        "console" => bench::console(&mut r),
        "alloc" => bench::alloc(&mut r),
        "fs" => bench::fs(&mut r),
        "keys" => bench::keys(&mut r),
        "wasm" => bench::wasm(&mut r),
        "wasi" => bench::wasi(&mut r),
        "disk" => bench::disk(&mut r),
        "all" => {
            bench::alloc(&mut r);
            bench::fs(&mut r);
            bench::console(&mut r);
            bench::wasm(&mut r);
            bench::wasi(&mut r);
            bench::keys(&mut r);
        }
        other => {
            return Err(format!(
                "unknown benchmark '{other}' (console, alloc, fs, keys, wasm, wasi, disk, all)"
            ));
        }
    }
    Ok(())
}
