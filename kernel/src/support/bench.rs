//! In-kernel benchmarks (the shell's `bench` command; `make bench` collects them).
//!
//! Every figure comes with a baseline measured in the same run on the same machine, so
//! the ratio means something even under emulation. Results are printed as lines
//! `BENCH <name> <value> <unit>` for the collector, plus a human-readable summary.

use crate::arch::clock::{rdtsc, tsc_to_us};
use crate::drivers::console;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// The boot's phases so far: name and TSC ticks, in order (at most [`MAX_PHASES`]).
static PHASES: spin::Mutex<([(&str, u64); MAX_PHASES], usize)> =
    spin::Mutex::new(([("", 0); MAX_PHASES], 0));
const MAX_PHASES: usize = 16;
/// TSC value at the end of the last boot phase (0: none yet, so the first phase starts at
/// kernel entry).
static PHASE_END: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Ends a boot phase (the time since the previous one ended, or since kernel entry for the
/// first) and starts the next one. The boot sequence calls it after each stage; the phases
/// are reported in one log line by [`boot_phases`] when the boot is done (a log line costs
/// about half a millisecond under emulation, and the first phases run before the clock's
/// frequency is known).
pub fn boot_phase(name: &'static str) {
    use core::sync::atomic::Ordering;
    let now = rdtsc();
    let start = match PHASE_END.swap(now, Ordering::Relaxed) {
        0 => crate::boot::entry::ENTRY_TSC.load(Ordering::Relaxed),
        t => t,
    };
    let mut phases = PHASES.lock();
    let (list, n) = &mut *phases;
    if let Some(slot) = list.get_mut(*n) {
        *slot = (name, now.saturating_sub(start));
        *n += 1;
    }
}

/// `boot: phases (ms): NAME X.Y, ...`: every phase recorded by [`boot_phase`].
pub fn boot_phases() -> String {
    let mut line = String::from("boot: phases (ms):");
    let phases = PHASES.lock();
    let (list, n) = &*phases;
    for (i, (name, ticks)) in list.iter().take(*n).enumerate() {
        let us = tsc_to_us(*ticks);
        let sep = if i == 0 { " " } else { ", " };
        let _ = write!(line, "{sep}{name} {}.{}", us / 1000, (us % 1000) / 100);
    }
    line
}

/// Collects `BENCH` lines and prints them.
pub struct Report<'a> {
    out: &'a mut dyn Write,
}

impl<'a> Report<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Self { out }
    }

    pub fn figure(&mut self, name: &str, value: f64, unit: &str) {
        let _ = writeln!(self.out, "BENCH {name} {value:.3} {unit}");
    }

    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.out, "  {text}");
    }
}

fn secs(ticks: u64) -> f64 {
    tsc_to_us(ticks) as f64 / 1e6
}

/// The benchmarks' deterministic PRNG: every run does the same work.
type Rng = wasm_abi::Rng;

/// Console: lines scrolled per second, against plain full-screen copies to the framebuffer
/// (the bandwidth limit: with a shadow buffer every scrolled line costs one such copy).
/// The baseline copies the shadow itself as it lies in memory, so that the ratio is what
/// the console adds (drawing, clearing a row, the ring's two runs), not where two buffers
/// happen to lie (under QEMU that moves a copy's speed by a third: see the console's
/// `rows` module); copies from a fresh heap buffer are reported too. After a screenful of
/// untimed lines (so that every timed line scrolls), ten rounds, each 60 lines, 60 shadow
/// copies and 60 heap-buffer copies; the figures come from the fastest round of each (the
/// ones least disturbed by other load on the host, which moved a single long run of each
/// by up to 40%).
pub fn console(r: &mut Report) {
    const ROUNDS: usize = 10;
    const PER_ROUND: usize = 60;
    const LINES: usize = ROUNDS * PER_ROUND;
    let line =
        "The quick brown fox jumps over the lazy dog. 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
    let (w, h) = console::with(|c| c.pixel_size()).unwrap_or((0, 0));
    if w * h == 0 {
        r.note("console: no framebuffer, skipped");
        return;
    }
    let mut frame: Vec<u32> = Vec::new();
    if frame.try_reserve_exact(w * h).is_err() {
        return;
    }
    frame.resize(w * h, 0x0020_4060);
    // First fill the screen, so that every timed line scrolls it.
    console::with(|c| {
        for _ in 0..c.size().1 {
            c.write_screen(line);
        }
    });
    if console::with(|c| c.copy_shadow_raw()) != Some(true) {
        console::with(|c| c.repaint());
        r.note("console: no shadow buffer, skipped");
        return;
    }
    let (mut t_console, mut t_shadow, mut t_heap) = (u64::MAX, u64::MAX, u64::MAX);
    for _ in 0..ROUNDS {
        let round = console::with(|c| {
            let t0 = rdtsc();
            for _ in 0..PER_ROUND {
                c.write_screen(line);
            }
            let t1 = rdtsc();
            for _ in 0..PER_ROUND {
                c.copy_shadow_raw();
            }
            let t2 = rdtsc();
            for _ in 0..PER_ROUND {
                c.framebuffer().write_rows(0, &frame);
            }
            (t1 - t0, t2 - t1, rdtsc() - t2)
        });
        if let Some((lines, shadow, heap)) = round {
            t_console = t_console.min(lines.max(1) * ROUNDS as u64);
            t_shadow = t_shadow.min(shadow.max(1) * ROUNDS as u64);
            t_heap = t_heap.min(heap.max(1) * ROUNDS as u64);
        }
    }
    console::with(|c| c.repaint());
    let per_s = |t: u64| LINES as f64 / secs(t).max(1e-9);
    let (lines_per_s, copies_per_s) = (per_s(t_console), per_s(t_shadow));
    r.figure("console_lines_per_s", lines_per_s, "lines/s");
    r.figure("fb_full_copies_per_s", copies_per_s, "copies/s");
    r.figure(
        "fb_copy_bandwidth",
        copies_per_s * (w * h * 4) as f64 / 1e6,
        "MB/s",
    );
    r.figure("fb_heap_buffer_copies_per_s", per_s(t_heap), "copies/s");
    r.figure("console_vs_copy_ratio", lines_per_s / copies_per_s, "x");
}

/// Heap: a mixed-size alloc/free workload on the kernel heap against a bump allocator
/// over the same amount of memory (the upper limit: allocation is one addition), and
/// fragmentation after a churn pattern on a private `linked_list_allocator` heap.
pub fn alloc(r: &mut Report) {
    use core::alloc::Layout;
    const OPS: usize = 100_000;
    const SLOTS: usize = 512;
    // The same sequence of (slot, size) for both allocators.
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut seq: Vec<(usize, usize)> = Vec::with_capacity(OPS);
    for _ in 0..OPS {
        let size = 8 << (rng.next_u64() % 9); // 8 B .. 2 KiB
        seq.push((
            (rng.next_u64() % SLOTS as u64) as usize,
            size + (rng.next_u64() % 64) as usize,
        ));
    }
    // Kernel heap: the sequence twice, the second timed. The first pass carves the size
    // classes' chunks out of memory the machine has not touched since boot, and under QEMU
    // the first touch of guest RAM is a host page fault (it made a first pass 1.7x slower
    // on a 1 GiB machine); the bump baseline below touches no memory at all.
    let mut live: Vec<Option<(*mut u8, Layout)>> = alloc::vec![None; SLOTS];
    let mut t_heap = 0;
    for _pass in 0..2 {
        let t0 = rdtsc();
        for &(slot, size) in &seq {
            if let Some((p, l)) = live[slot].take() {
                // SAFETY: `p` came from `alloc::alloc::alloc` with layout `l` just below.
                unsafe { alloc::alloc::dealloc(p, l) };
            } else {
                let l = Layout::from_size_align(size, 8).unwrap_or(Layout::new::<u64>());
                // SAFETY: the layout has a non-zero size.
                let p = unsafe { alloc::alloc::alloc(l) };
                if !p.is_null() {
                    live[slot] = Some((p, l));
                }
            }
        }
        t_heap = rdtsc() - t0;
        for (p, l) in live.iter_mut().filter_map(Option::take) {
            // SAFETY: as above.
            unsafe { alloc::alloc::dealloc(p, l) };
        }
    }
    // Bump allocator over a buffer (frees are no-ops, so it needs room for every alloc).
    let total: usize = seq.iter().map(|&(_, s)| (s + 7) & !7).sum();
    let mut arena: Vec<u8> = Vec::new();
    if arena.try_reserve_exact(total).is_err() {
        r.note("alloc: not enough memory for the bump baseline");
        return;
    }
    let base = arena.as_mut_ptr() as usize;
    let mut top = base;
    let mut held = alloc::vec![0usize; SLOTS];
    let t0 = rdtsc();
    for &(slot, size) in &seq {
        if held[slot] != 0 {
            held[slot] = 0;
        } else {
            held[slot] = top;
            top += (size + 7) & !7;
        }
    }
    core::hint::black_box(&held);
    let t_bump = (rdtsc() - t0).max(1);
    let heap_ops = OPS as f64 / secs(t_heap).max(1e-9);
    let bump_ops = OPS as f64 / secs(t_bump).max(1e-9);
    r.figure("heap_ops_per_s", heap_ops, "ops/s");
    r.figure("bump_ops_per_s", bump_ops, "ops/s");
    r.figure("heap_vs_bump_ratio", heap_ops / bump_ops, "x");

    // Fragmentation on a private 4 MiB heap: churn, then compare free bytes with the
    // largest block that can still be allocated.
    const ARENA: usize = 4 << 20;
    let mut mem: Vec<u8> = Vec::new();
    if mem.try_reserve_exact(ARENA).is_err() {
        return;
    }
    mem.resize(ARENA, 0);
    let mut heap = linked_list_allocator::Heap::empty();
    // SAFETY: `mem` is a live, exclusively owned buffer that outlives `heap` (both are
    // locals and `heap` is dropped first by never being used after this function).
    unsafe { heap.init(mem.as_mut_ptr(), ARENA) };
    let mut blocks: Vec<Option<(core::ptr::NonNull<u8>, Layout)>> = alloc::vec![None; 4096];
    for i in 0..40_000 {
        let slot = (rng.next_u64() % 4096) as usize;
        if let Some((p, l)) = blocks[slot].take() {
            // SAFETY: allocated from `heap` with layout `l`.
            unsafe { heap.deallocate(p, l) };
        } else {
            let size = if i % 7 == 0 {
                4096 + (rng.next_u64() % 8192) as usize
            } else {
                16 + (rng.next_u64() % 512) as usize
            };
            let l = Layout::from_size_align(size, 16).unwrap_or(Layout::new::<u64>());
            if let Ok(p) = heap.allocate_first_fit(l) {
                blocks[slot] = Some((p, l));
            }
        }
    }
    let free = heap.free();
    let (mut lo, mut hi) = (0usize, free);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let l = Layout::from_size_align(mid, 16).unwrap_or(Layout::new::<u64>());
        match heap.allocate_first_fit(l) {
            Ok(p) => {
                // SAFETY: just allocated with `l`.
                unsafe { heap.deallocate(p, l) };
                lo = mid;
            }
            Err(()) => hi = mid - 1,
        }
    }
    r.figure("frag_free_bytes", free as f64, "bytes");
    r.figure("frag_largest_block", lo as f64, "bytes");
    r.figure(
        "frag_largest_over_free",
        lo as f64 / free.max(1) as f64,
        "x",
    );
    drop(mem);
}

/// File system: indexing a synthetic initrd of 1,000 files / 16 MiB, and `cat` of a large
/// file to the console against writing the same bytes to the console directly.
pub fn fs(r: &mut Report) {
    const FILES: usize = 1000;
    const SIZE: usize = 16 * 1024;
    let mut tar: Vec<u8> = Vec::new();
    if tar.try_reserve_exact(FILES * (512 + SIZE) + 1024).is_err() {
        r.note("fs: not enough memory for the synthetic archive");
        return;
    }
    for i in 0..FILES {
        let mut header = [0u8; 512];
        let mut name = String::new();
        let _ = write!(name, "dir{}/file{i:04}.txt", i % 10);
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..108].copy_from_slice(b"0000644\0");
        let mut size = String::new();
        let _ = write!(size, "{SIZE:011o}\0");
        header[124..136].copy_from_slice(size.as_bytes());
        header[136..148].copy_from_slice(b"00000000000\0");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|&b| b as u32).sum();
        let mut ck = String::new();
        let _ = write!(ck, "{sum:06o}\0 ");
        header[148..156].copy_from_slice(ck.as_bytes());
        tar.extend_from_slice(&header);
        tar.resize(tar.len() + SIZE, b'a' + (i % 26) as u8);
    }
    tar.resize(tar.len() + 1024, 0);
    let t0 = rdtsc();
    let (index, warning) = ramfs::Fs::from_tar(&tar);
    let t_index = rdtsc() - t0;
    let files = index.stats().files;
    drop(index);
    if let Some(w) = warning {
        r.note(&alloc::format!("fs: synthetic archive: {w}"));
    }
    r.figure("fs_index_1000_files_ms", secs(t_index) * 1e3, "ms");
    r.figure("fs_index_files", files as f64, "files");
    drop(tar);

    // cat vs raw console, 64 KiB of text.
    let mut text = String::new();
    while text.len() < 64 * 1024 {
        text.push_str("cat benchmark: a line of text that scrolls the console one more line\n");
    }
    let path = "/bench-cat.txt";
    if crate::fs::with(|f| f.write(path, text.as_bytes())).is_err() {
        return;
    }
    let Some(t_raw) = console::with(|c| {
        let t0 = rdtsc();
        c.write_screen(&text);
        rdtsc() - t0
    }) else {
        return;
    };
    let t0 = rdtsc();
    crate::fs::with(|f| {
        if let Ok(data) = f.read(path) {
            for chunk in data.utf8_chunks() {
                console::with(|c| c.write_screen(chunk.valid()));
            }
        }
    });
    let t_cat = rdtsc() - t0;
    let _ = crate::fs::with(|f| f.remove(path, false));
    let kib = text.len() as f64 / 1024.0;
    r.figure("cat_kib_per_s", kib / secs(t_cat).max(1e-9), "KiB/s");
    r.figure(
        "console_raw_kib_per_s",
        kib / secs(t_raw).max(1e-9),
        "KiB/s",
    );
    r.figure("cat_vs_raw_ratio", secs(t_raw) / secs(t_cat).max(1e-9), "x");
}

/// Keyboard: latency from a key's arrival to the echoed glyph on screen, over the last
/// keystrokes typed on the PS/2 keyboard (from its interrupt) and on USB keyboards (from
/// the moment the USB task queued the key event), and the receive/drop counters.
pub fn keys(r: &mut Report) {
    use crate::drivers::input::{Source, latency_samples};
    use crate::drivers::{keyboard, usb};
    for (source, prefix, what) in [
        (Source::Ps2, "key", "PS/2"),
        (Source::Usb, "usb_key", "USB"),
    ] {
        let mut samples = latency_samples(source);
        samples.sort_unstable();
        if let (Some(&min), Some(&max)) = (samples.first(), samples.last()) {
            let median = samples[samples.len() / 2];
            r.figure(
                &alloc::format!("{prefix}_echo_latency_median_us"),
                median as f64,
                "us",
            );
            r.figure(
                &alloc::format!("{prefix}_echo_latency_min_us"),
                min as f64,
                "us",
            );
            r.figure(
                &alloc::format!("{prefix}_echo_latency_max_us"),
                max as f64,
                "us",
            );
            r.figure(
                &alloc::format!("{prefix}_echo_samples"),
                samples.len() as f64,
                "keys",
            );
        } else {
            r.note(&alloc::format!(
                "keys: no {what} keystrokes recorded yet (type on the keyboard first)"
            ));
        }
    }
    r.figure(
        "scancodes_received",
        keyboard::RING.received() as f64,
        "key events",
    );
    r.figure(
        "scancodes_dropped",
        keyboard::RING.dropped() as f64,
        "key events",
    );
    r.figure(
        "usb_key_events_received",
        usb::RECEIVED.load(core::sync::atomic::Ordering::Relaxed) as f64,
        "key events",
    );
    r.figure(
        "usb_key_events_dropped",
        usb::DROPPED.load(core::sync::atomic::Ordering::Relaxed) as f64,
        "key events",
    );
}

/// WebAssembly: the same life step (crate `life-step`) natively and in wasm, and a 320x200
/// frame drawn with one `put_pixel` call per pixel against one `present` call. Uses
/// /bench/bench.wasm from the initrd.
pub fn wasm(r: &mut Report) {
    use crate::wasm::{Budget, Encoding, Game, Screen};
    let bytes = match crate::fs::read_copy("/bench/bench.wasm") {
        Ok(b) => b,
        Err(e) => {
            r.note(&alloc::format!("wasm: /bench/bench.wasm: {e}"));
            return;
        }
    };
    // Generous limits: a benchmark frame may take long under emulation.
    let budget = Budget {
        slice: 50_000_000,
        max_fuel: 5_000_000_000,
        max_wall_us: 60_000_000,
    };
    let Ok(screen) = Screen::new(320, 200, Encoding::Xrgb) else {
        r.note("wasm: no memory for the screen");
        return;
    };
    let mut game = match Game::load("bench", &bytes, screen, budget) {
        Ok(g) => g,
        Err(e) => {
            r.note(&alloc::format!("wasm: {e}"));
            return;
        }
    };
    if game.init().is_err() {
        r.note("wasm: init failed");
        return;
    }
    // Times `n` frames in the mode selected by `key` (after one warm-up frame): the mean,
    // and the fastest frame (the one least disturbed by other load on the host, what
    // `make bench` compares with the same step in a Linux process).
    let mut timed = |key: u8, n: u32| -> Option<(u64, u64)> {
        game.press(key as i32);
        game.frame().ok()?;
        let (mut total, mut min) = (0, u64::MAX);
        for _ in 0..n {
            let t0 = rdtsc();
            game.frame().ok()?;
            let t = rdtsc() - t0;
            total += t;
            min = min.min(t);
        }
        Some((total / n as u64, min))
    };
    const STEPS: u32 = 10;
    let (Some((t_life, t_life_min)), Some((t_pixels, _)), Some((t_present, _))) =
        (timed(b'l', STEPS), timed(b'p', 5), timed(b'f', 5))
    else {
        r.note("wasm: the benchmark module trapped");
        return;
    };
    // Native: the same code on the same grid.
    let n = 256 * 256;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    if a.try_reserve_exact(n).is_err() || b.try_reserve_exact(n).is_err() {
        return;
    }
    a.resize(n, 0);
    b.resize(n, 0);
    life_step::seed(&mut a, 12345);
    life_step::step(&a, &mut b, 256, 256); // warm-up
    let (mut total, mut t_native_min) = (0, u64::MAX);
    for _ in 0..STEPS {
        let t0 = rdtsc();
        life_step::step(&a, &mut b, 256, 256);
        core::mem::swap(&mut a, &mut b);
        let t = rdtsc() - t0;
        total += t;
        t_native_min = t_native_min.min(t.max(1));
    }
    let t_native = (total / STEPS as u64).max(1);
    let ms = |t: u64| secs(t) * 1e3;
    r.figure("life_step_256x256_wasm_ms", ms(t_life), "ms");
    r.figure("life_step_256x256_wasm_min_ms", ms(t_life_min), "ms");
    r.figure("life_step_256x256_native_ms", ms(t_native), "ms");
    r.figure("life_step_256x256_native_min_ms", ms(t_native_min), "ms");
    // The ratio of the fastest steps (the ones least disturbed by other load on the host,
    // as in `make bench`'s comparison with the Linux process); the means are above.
    r.figure(
        "life_wasm_over_native",
        t_life_min as f64 / t_native_min as f64,
        "x",
    );
    r.figure("frame_put_pixel_320x200_ms", ms(t_pixels), "ms");
    r.figure("frame_present_320x200_ms", ms(t_present), "ms");
    r.figure(
        "put_pixel_over_present",
        t_pixels as f64 / t_present.max(1) as f64,
        "x",
    );
}

/// Polls `fut` to its end from inside a (synchronous) benchmark. A WASI program yields
/// between fuel slices and is simply polled again; nothing here waits for input.
fn block_on<F: core::future::Future>(fut: F) -> F::Output {
    let mut fut = core::pin::pin!(fut);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Runs `/bin/NAME.wasm` with `args` (and `/` preopened) as the shell would, capturing its
/// output. Returns (what it printed, ns from reading the file to its end, ns from reading
/// the file to its first output).
fn run_program(name: &str, args: &[&str]) -> Result<(Vec<u8>, u64, Option<u64>), String> {
    use crate::arch::clock::monotonic_ns;
    use alloc::string::ToString;
    let t0 = monotonic_ns();
    let path = alloc::format!("/bin/{name}.wasm");
    let bytes = crate::fs::read_copy(&path).map_err(|e| alloc::format!("{path}: {e}"))?;
    let program = crate::wasm::Program {
        name: name.to_string(),
        bytes,
        args: args.iter().map(|a| a.to_string()).collect(),
        dirs: alloc::vec![(String::from("/"), String::from("/"))],
        capture_stdout: true,
        ..Default::default()
    };
    let ran = block_on(crate::wasm::run(program));
    let t1 = monotonic_ns();
    if ran.status != 0 {
        return Err(alloc::format!("{name} exited with status {}", ran.status));
    }
    Ok((
        ran.stdout,
        t1 - t0,
        ran.first_output_ns.map(|t| t.saturating_sub(t0)),
    ))
}

/// WASI programs: `sha256sum` of a 4 MiB file in wasm (loading, compiling and running
/// `/bin/sha256sum.wasm`) against the same `sha2` code compiled into the kernel, on the
/// same bytes; and a program's startup (`hello`: reading the file to its first output).
pub fn wasi(r: &mut Report) {
    use crate::arch::clock::monotonic_ns;
    use sha2::{Digest, Sha256};
    const SIZE: usize = 4 << 20;
    const PATH: &str = "/tmp/bench-4mib.bin";
    let mut data = Vec::new();
    if data.try_reserve_exact(SIZE).is_err() {
        r.note("wasi: no memory for the 4 MiB file");
        return;
    }
    let mut rng = wasm_abi::Rng::new(0x5eed);
    data.extend((0..SIZE).map(|_| rng.next_u32() as u8));
    let made = crate::fs::with(|fs| {
        let _ = fs.mkdir_all("/tmp");
        fs.write(PATH, &data)
    });
    if let Err(e) = made {
        r.note(&alloc::format!("wasi: {PATH}: {e}"));
        return;
    }
    // Native: the same chunked loop as the program.
    let t0 = monotonic_ns();
    let mut h = Sha256::new();
    for chunk in data.chunks(64 * 1024) {
        h.update(chunk);
    }
    let native_hex: String = h
        .finalize()
        .iter()
        .map(|b| alloc::format!("{b:02x}"))
        .collect();
    let t_native = (monotonic_ns() - t0).max(1);
    drop(data);
    let wasm = run_program("sha256sum", &["sha256sum", PATH]);
    let _ = crate::fs::with(|fs| fs.remove(PATH, false));
    match wasm {
        Ok((out, t_wasm, _)) => {
            if !out.starts_with(native_hex.as_bytes()) {
                r.note("wasi: sha256sum's digest differs from the native one");
                return;
            }
            let ms = |ns: u64| ns as f64 / 1e6;
            r.figure("sha256_4mib_wasm_ms", ms(t_wasm), "ms");
            r.figure("sha256_4mib_native_ms", ms(t_native), "ms");
            r.figure(
                "sha256_wasm_over_native",
                t_wasm as f64 / t_native as f64,
                "x",
            );
        }
        Err(e) => r.note(&alloc::format!("wasi: {e}")),
    }
    // Startup: the first run also warms caches; report the second.
    let mut startup = None;
    for _ in 0..2 {
        match run_program("hello", &["hello"]) {
            Ok((out, total, first)) if out == b"Hello, world!\n" => startup = Some((first, total)),
            Ok(_) => {
                r.note("wasi: hello printed something else");
                return;
            }
            Err(e) => {
                r.note(&alloc::format!("wasi: {e}"));
                return;
            }
        }
    }
    if let Some((Some(first), total)) = startup {
        r.figure("program_startup_hello_ms", first as f64 / 1e6, "ms");
        r.figure("program_run_hello_ms", total as f64 / 1e6, "ms");
    }
}

/// Disks: sequential write then read of [`DISK_BENCH_MIB`] MiB in 1 MiB requests on every
/// blank disk (its first two sectors all zero, so nothing is overwritten; `make bench`
/// attaches blank images for this), and the load of a mounted volume into RAM (what `cp`
/// from a disk costs: the copy itself is a RAM copy once mounted).
pub fn disk(r: &mut Report) {
    use crate::arch::clock::monotonic_ns;
    use crate::drivers::block;
    const CHUNK: usize = 1 << 20;
    let mut found = false;
    for t in block::targets().into_iter().filter(|t| !t.is_partition) {
        let ss = t.sector_size;
        let mut head = alloc::vec![0u8; 2 * ss];
        if t.dev.lock().read(0, &mut head).is_err() || head.iter().any(|&b| b != 0) {
            continue; // not blank: may hold data
        }
        let bytes = DISK_BENCH_MIB << 20;
        if (t.sectors as usize).saturating_mul(ss) < bytes || t.read_only {
            continue;
        }
        found = true;
        let mut buf = Vec::new();
        if buf.try_reserve_exact(CHUNK).is_err() {
            r.note("disk: no memory for the buffer");
            return;
        }
        buf.extend((0..CHUNK).map(|i| ((i * 31) >> 7) as u8));
        let per = (CHUNK / ss) as u64;
        let mut dev = t.dev.lock();
        let t0 = monotonic_ns();
        let mut ok = (0..(bytes / CHUNK) as u64).all(|i| dev.write(i * per, &buf).is_ok());
        ok &= dev.flush().is_ok();
        let t_write = monotonic_ns() - t0;
        let t0 = monotonic_ns();
        ok &= (0..(bytes / CHUNK) as u64).all(|i| dev.read(i * per, &mut buf).is_ok());
        let t_read = monotonic_ns() - t0;
        // Leave it blank again, so the next run finds it.
        head.fill(0);
        ok &= dev.write(0, &head).is_ok() && dev.flush().is_ok();
        drop(dev);
        if !ok {
            r.note(&alloc::format!("disk: {}: a request failed", t.name));
            continue;
        }
        let mib_s = |ns: u64| DISK_BENCH_MIB as f64 / (ns.max(1) as f64 / 1e9);
        let kind: String = t
            .model
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        r.figure(
            &alloc::format!("disk_{kind}_seq_write_mib_s"),
            mib_s(t_write),
            "MiB/s",
        );
        r.figure(
            &alloc::format!("disk_{kind}_seq_read_mib_s"),
            mib_s(t_read),
            "MiB/s",
        );
    }
    if !found {
        r.note("disk: no blank disk attached (make bench attaches some)");
    }
    // A mounted volume's file to RAM: unmount and mount again (the whole volume is read),
    // then `cp` of its largest file within RAM.
    for (device, at, _) in crate::fs::mounts() {
        let Some((path, size)) = largest_file(&at) else {
            r.note(&alloc::format!("disk: {at}: no file to copy"));
            continue;
        };
        if let Err(e) = crate::fs::umount(&at) {
            r.note(&alloc::format!("disk: {device}: {e}"));
            continue;
        }
        let t0 = monotonic_ns();
        let mounted = crate::fs::mount(&device, &at);
        let t_mount = monotonic_ns() - t0;
        if mounted.is_err() {
            r.note(&alloc::format!("disk: {device}: could not mount again"));
            continue;
        }
        let t0 = monotonic_ns();
        let _ = crate::fs::with(|fs| fs.mkdir_all("/tmp"));
        let copied = crate::fs::with(|fs| fs.copy(&path, "/tmp/bench-copy.bin", false));
        let t_copy = monotonic_ns() - t0;
        let _ = crate::fs::with(|fs| fs.remove("/tmp/bench-copy.bin", false));
        if let Err(e) = copied {
            r.note(&alloc::format!("disk: cp {path}: {e}"));
            continue;
        }
        let mib = size as f64 / (1 << 20) as f64;
        r.figure(&alloc::format!("disk_mount_{device}_mib"), mib, "MiB");
        r.figure(
            &alloc::format!("disk_mount_{device}_ms"),
            t_mount as f64 / 1e6,
            "ms",
        );
        r.figure(
            &alloc::format!("disk_cp_to_ram_{device}_ms"),
            (t_mount + t_copy) as f64 / 1e6,
            "ms",
        );
    }
}

/// MiB written and read per blank disk by [`disk`].
const DISK_BENCH_MIB: usize = 32;

/// The largest file under `dir`: (path, bytes).
fn largest_file(dir: &str) -> Option<(String, usize)> {
    crate::fs::with(|fs| {
        let mut best: Option<(String, usize)> = None;
        let _ = fs.walk(dir, |e| {
            if e.kind == ramfs::Kind::File && best.as_ref().is_none_or(|b| e.size > b.1) {
                best = Some((String::from(e.path), e.size));
            }
        });
        best
    })
}
