//! The baseline of the kernel's `bench wasm`: the same interpreter, configured the same way,
//! running the same module through the same game runner, but as an ordinary Linux process.
//!
//! Why: the kernel times one Life generation of `/bench/bench.wasm` under wasmi. Under QEMU's
//! software emulation that figure mixes the interpreter's cost with the emulator's. Running
//! this program under `qemu-x86_64` (user-mode emulation, the same TCG code generator) in the
//! same `make bench` run gives the figure the kernel should reach: whatever the kernel is
//! slower by is the kernel's doing (its target's code generation, memory management,
//! interrupts) or the price of full-system emulation (every memory access goes through the
//! emulated MMU there). The native Life step, timed here and in the kernel, measures that
//! emulation price on plain compiled code, so the two can be told apart.
//!
//! Nothing is copied from the kernel: the engine, its limits and fuel slicing are
//! `wasm_host::game::Game`, built from the same workspace with the same profile and lock
//! file, and wasmi with the kernel's features. Only the platform differs (clocks from the
//! process). Output: `BENCH name value unit` lines, as the kernel prints them.
//!
//! Usage: `wasm-bench-host BENCH.wasm [ROUNDS]`.

use std::time::Instant;
use wasm_host::Platform;
use wasm_host::game::{Budget, Game, PixelLayout, Screen};

/// Life grid of the benchmark module (and of the native step).
const LIFE: usize = 256;
/// The kernel benchmark's budget (`support::bench::wasm`): generous, a frame may take long
/// under emulation.
const BUDGET: Budget = Budget {
    slice: 50_000_000,
    max_fuel: 5_000_000_000,
    max_wall_us: 60_000_000,
};

/// Clocks from the process; nothing else is used by the benchmark module.
struct Process {
    start: Instant,
}

impl Platform for Process {
    fn monotonic_ns(&mut self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn realtime_ns(&mut self) -> u64 {
        0
    }

    fn fill_random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }

    fn log(&mut self, text: &str) {
        eprint!("{text}");
    }
}

/// Per-call times in milliseconds.
#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn time<E>(&mut self, f: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        let t0 = Instant::now();
        f()?;
        self.0.push(t0.elapsed().as_secs_f64() * 1e3);
        Ok(())
    }

    fn median(&mut self) -> f64 {
        self.0.sort_by(f64::total_cmp);
        self.0.get(self.0.len() / 2).copied().unwrap_or(f64::NAN)
    }

    /// The sample least disturbed by other load on a shared machine.
    fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Times Life in wasm and natively (the same `life-step` source), in interleaved rounds
/// like the kernel's `bench wasm`.
fn run(bytes: &[u8], rounds: usize) -> Result<(Samples, Samples), String> {
    let screen = Screen::new(320, 200, PixelLayout::XRGB).map_err(|e| e.to_string())?;
    let platform = Process {
        start: Instant::now(),
    };
    let mut game =
        Game::load("bench", bytes, screen, BUDGET, platform).map_err(|e| e.to_string())?;
    game.init().map_err(|e| e.to_string())?;
    game.press(i32::from(b'l'));
    game.frame().map_err(|e| e.to_string())?; // warm-up (and reads the 'l' key)
    let (mut a, mut b) = (vec![0u8; LIFE * LIFE], vec![0u8; LIFE * LIFE]);
    life_step::seed(&mut a, 12345);
    life_step::step(&a, &mut b, LIFE, LIFE); // warm-up
    let (mut wasm, mut native) = (Samples::default(), Samples::default());
    for _ in 0..rounds {
        wasm.time(|| game.frame().map(|_| ()).map_err(|e| e.to_string()))?;
        native.time(|| {
            std::hint::black_box(life_step::step(&a, &mut b, LIFE, LIFE));
            std::mem::swap(&mut a, &mut b);
            Ok::<(), String>(())
        })?;
    }
    Ok((wasm, native))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: wasm-bench-host BENCH.wasm [ROUNDS]");
        return std::process::ExitCode::from(2);
    };
    let rounds = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15usize)
        .max(1);
    let result = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| run(&bytes, rounds));
    let (mut wasm, mut native) = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasm-bench-host: {path}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for (name, s) in [("wasm", &mut wasm), ("native", &mut native)] {
        println!("BENCH process_life_step_{name}_ms {:.3} ms", s.median());
        println!("BENCH process_life_step_{name}_min_ms {:.3} ms", s.min());
    }
    std::process::ExitCode::SUCCESS
}
