//! RustOS kernel library: everything the kernel binary and the bootable test kernels share.
//!
//! The boot sequence is [`init`]: one visible list of stages, each a module with an
//! `init()`, in dependency order. Read it first. The module tree is grouped by layer,
//! each layer using only those listed before it:
//!
//! - `boot`: the kernel's entry point and the Limine answers, copied at once;
//! - `arch`: CPU tables (GDT, IDT), interrupt lines (`irq`, the PICs), the clock;
//! - `mem`: physical frames, our own page tables, the heap;
//! - `sync`: the one lock-free cell type for statics that cannot take a lock;
//! - `drivers`: one module per device (serial, console on the framebuffer, keyboard,
//!   RTC, ACPI power, PCI, USB, block devices), and `input`, the merged key stream;
//! - `fs`: the ramdisk, with FAT volumes mounted into it; `task`: the async executor and sleeps;
//! - `wasm`: the WebAssembly sandbox; `shell`: the user's interface;
//! - `support`: benchmarks, the in-kernel test framework, leaving QEMU.

#![no_std]
#![cfg_attr(test, no_main)]
#![feature(abi_x86_interrupt)]
#![feature(custom_test_frameworks)]
#![test_runner(crate::support::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

pub mod arch;
pub mod boot;
pub mod drivers;
pub mod fs;
pub mod mem;
pub mod shell;
pub mod support;
pub mod sync;
pub mod task;
pub mod wasm;

use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

/// Version string shown in the banner and by `version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Prints a boot-log line (on screen and serial), stamped with the time since entry.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {{
        let us = $crate::arch::clock::since_entry_us();
        $crate::println!("[{:4}.{:03}] {}", us / 1_000_000, (us / 1000) % 1000, format_args!($($arg)*));
    }};
}

/// Bytes of bootloader memory given back to the frame allocator at boot.
static RECLAIMED: AtomicU64 = AtomicU64::new(0);

/// Halts the CPU for good (interrupts off; an NMI only loops back to `hlt`).
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// Stops the boot with a message on every output there is.
fn boot_failure(what: &str, why: &dyn core::fmt::Display) -> ! {
    drivers::console::emergency(
        format_args!("\n\x1b[1;31mRustOS cannot start: {what}: {why}\x1b[0m\nSystem halted.\n"),
        true,
    );
    halt_forever()
}

/// Brings the machine up, stage by stage. Each stage depends only on those above it.
pub fn init() -> boot::BootInfo {
    // Serial first: it needs nothing and is the one output that always works.
    drivers::serial::init();
    // The TSC frequency: unless CPUID tells it, the PIT counts while the first steps run.
    // They log nothing until it is known, so every log line carries a correct time stamp
    // (a failure on the way is still reported, stamped 0).
    arch::clock::start_calibration();
    // The Limine answers, copied before anything can reuse bootloader memory.
    let boot = match boot::collect() {
        Ok(b) => b,
        Err(e) => {
            // Still try to show the reason on screen.
            let _ = drivers::console::init(boot::framebuffer().as_ref());
            boot_failure("boot protocol", &e)
        }
    };
    let console = drivers::console::init(boot.framebuffer.as_ref());
    support::bench::boot_phase("boot information and console");
    // CPU tables: our own GDT/TSS (IST stacks), then the exception handlers.
    arch::gdt::init();
    arch::idt::init();
    support::bench::boot_phase("cpu tables");
    // Memory: frames, our own page tables, reclaim, heap. Needs the IDT for fault reports.
    let memory = match mem::init(&boot) {
        Ok(m) => m,
        Err(e) => boot_failure("memory", &e),
    };
    RECLAIMED.store(memory.reclaimed, Ordering::Relaxed);
    let (hz, tsc_source) = arch::clock::finish_calibration();
    support::bench::boot_phase("clock calibration");
    println!("\x1b[1;36mRustOS {VERSION}\x1b[0m - a small x86-64 operating system in Rust");
    let (bl_name, bl_version) = boot.bootloader();
    log!(
        "boot: loaded by {bl_name} {bl_version}, Limine base revision 2, HHDM at {:#x}",
        boot.hhdm_offset
    );
    match console {
        Ok((cols, rows)) => {
            let fb = boot
                .framebuffer
                .as_ref()
                .map(|f| (f.width, f.height))
                .unwrap_or((0, 0));
            log!("console: framebuffer {}x{}, {cols}x{rows} text", fb.0, fb.1);
        }
        Err(why) => log!("console: serial only ({why})"),
    }
    log!("gdt: kernel code/data segments and TSS loaded (IST stacks for double fault, NMI)");
    log!("idt: exception handlers installed");
    log!(
        "time: TSC at {}.{:03} MHz ({})",
        hz / 1_000_000,
        (hz / 1000) % 1000,
        tsc_source.describe()
    );
    arch::clock::set_realtime(drivers::rtc::now().unix_seconds());
    if let Some(line) = memory.framebuffer {
        log!("{line}");
    }
    let info = mem::info(RECLAIMED.load(Ordering::Relaxed));
    log!(
        "memory: {} MiB usable, {} of {} frames free, {} KiB reclaimed from the bootloader",
        boot.usable_bytes() >> 20,
        info.frames_free,
        info.frames_total,
        info.reclaimed_bytes / 1024
    );
    log!("memory: {}", info.heap);
    if drivers::console::enable_shadow() {
        log!("console: drawing through a RAM shadow buffer");
    }
    support::bench::boot_phase("console shadow");
    drivers::acpi::init(&boot);
    support::bench::boot_phase("acpi");
    // Interrupt sources: each device is set up, then every handler is registered in this
    // one list, and only then are the lines unmasked and interrupts enabled.
    arch::pit::init();
    drivers::keyboard::init();
    drivers::serial::input::init();
    drivers::input::init();
    arch::irq::install(&[
        (arch::irq::TIMER, arch::pit::on_interrupt),
        (arch::irq::KEYBOARD, drivers::keyboard::on_interrupt),
        (arch::irq::COM1, drivers::serial::input::on_interrupt),
    ]);
    x86_64::instructions::interrupts::enable();
    log!(
        "interrupts: PIC remapped to {}-{}; timer at {} Hz, PS/2 keyboard, COM1 input",
        arch::irq::IRQ_BASE,
        arch::irq::IRQ_BASE + 15,
        arch::clock::TICK_HZ
    );
    support::bench::boot_phase("interrupts");
    let fs_line = fs::init(&boot);
    log!("{fs_line}");
    support::bench::boot_phase("file system");
    // Buses: PCI (through ECAM when ACPI describes it), then USB, whose controllers are
    // taken over by a task of their own.
    let ecam = drivers::acpi::with_tables(|t| {
        t.mcfg().ok()?.find(|w| {
            w.segment == 0 && w.base != 0 && w.first_bus == 0 && w.first_bus <= w.last_bus
        })
    });
    log!("{}", drivers::pci::init(ecam.ok().flatten()));
    support::bench::boot_phase("pci");
    log!("{}", drivers::usb::init());
    support::bench::boot_phase("usb");
    // Disks and the FAT file systems on them, mounted into the tree at /mnt/NAME.
    log!("{}", drivers::block::init());
    for line in fs::automount() {
        log!("{line}");
    }
    support::bench::boot_phase("disks");
    let (name, version) = boot.bootloader();
    BOOTLOADER.call_once(|| (String::from(name), String::from(version)));
    FRAMEBUFFER.call_once(|| boot.framebuffer);
    boot
}

static BOOTLOADER: spin::Once<(String, String)> = spin::Once::new();
static FRAMEBUFFER: spin::Once<Option<boot::FramebufferInfo>> = spin::Once::new();

/// The framebuffer the bootloader set up, as copied at boot (the bootloader's own answer
/// lives in memory that is reused once reclaimed, so `boot::framebuffer` is for early boot
/// only).
pub fn framebuffer() -> Option<boot::FramebufferInfo> {
    FRAMEBUFFER.get().copied().flatten()
}

/// Name and version of the bootloader that started us.
pub fn bootloader() -> (&'static str, &'static str) {
    BOOTLOADER
        .get()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .unwrap_or(("?", "?"))
}

/// Memory statistics (for `mem` and the boot log).
pub fn mem_info() -> mem::MemInfo {
    mem::info(RECLAIMED.load(Ordering::Relaxed))
}

/// The panic path shared by every kernel binary: report on both outputs without waiting
/// on any lock, then halt.
pub fn panic(info: &core::panic::PanicInfo) -> ! {
    x86_64::instructions::interrupts::disable();
    drivers::console::emergency(
        format_args!("\n\x1b[1;31mKERNEL PANIC: {info}\x1b[0m\n"),
        true,
    );
    let heap = mem::heap::stats();
    if heap.failures > 0 {
        drivers::console::emergency(
            format_args!(
                "out of memory: last refused allocation {} bytes; {heap}\n",
                heap.last_failed_size
            ),
            true,
        );
    }
    drivers::console::emergency(format_args!("System halted.\n"), true);
    halt_forever()
}

#[cfg(test)]
entry_point!(test_kernel_main);

#[cfg(test)]
fn test_kernel_main() -> ! {
    init();
    test_main();
    support::qemu::exit(support::qemu::ExitCode::Success)
}

#[cfg(test)]
#[panic_handler]
fn test_panic(info: &core::panic::PanicInfo) -> ! {
    support::testing::panic_handler(info)
}

#[cfg(test)]
mod tests {
    use alloc::boxed::Box;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test_case]
    fn breakpoint_returns() {
        let before = crate::arch::idt::BREAKPOINTS.load(core::sync::atomic::Ordering::SeqCst);
        x86_64::instructions::interrupts::int3();
        let after = crate::arch::idt::BREAKPOINTS.load(core::sync::atomic::Ordering::SeqCst);
        assert_eq!(after, before + 1);
    }

    /// The kernel is built for SSE2: the entry stub must have enabled it (or the first XMM
    /// instruction faults), and interrupt handlers must preserve the XMM registers of the
    /// code they interrupt.
    #[test_case]
    fn sse_is_on_and_survives_interrupts() {
        use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
        assert!(Cr4::read().contains(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE));
        assert!(!Cr0::read().intersects(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED));
        assert!(x86_64::instructions::interrupts::are_enabled());
        let pattern: u64 = 0x0123_4567_89ab_cdef;
        let (back0, back15): (u64, u64);
        // SAFETY: only xmm0, xmm15 and ecx are changed (all declared); `hlt` with interrupts
        // enabled returns at the next interrupt (the 1 kHz timer), five times. xmm0 is the
        // register any compiled code in a handler uses first, xmm15 the last.
        unsafe {
            core::arch::asm!(
                "movq xmm0, {v}",
                "movq xmm15, {v}",
                "mov ecx, 5",
                "2: hlt",
                "dec ecx",
                "jnz 2b",
                "movq {a}, xmm0",
                "movq {b}, xmm15",
                v = in(reg) pattern,
                a = out(reg) back0,
                b = out(reg) back15,
                out("ecx") _,
                out("xmm0") _,
                out("xmm15") _,
            );
        }
        assert_eq!((back0, back15), (pattern, pattern));
        let x = core::hint::black_box(2.0f64);
        assert_eq!(x * x + x / 4.0, 4.5);
    }

    #[test_case]
    fn box_vec_string() {
        let b = Box::new(41);
        assert_eq!(*b + 1, 42);
        let v: Vec<u64> = (0..1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 999 * 1000 / 2);
        let mut s = String::from("Rust");
        s.push_str("OS");
        assert_eq!(s, "RustOS");
    }

    #[test_case]
    fn many_allocations_reuse_memory() {
        let before = crate::mem::heap::stats();
        for i in 0..100_000u64 {
            let b = Box::new(i);
            assert_eq!(*b, i);
        }
        let after = crate::mem::heap::stats();
        assert_eq!(
            before.growths, after.growths,
            "a small live set must not grow the heap"
        );
    }

    #[test_case]
    fn large_vec_grows_heap() {
        let before = crate::mem::heap::stats();
        let n = before.size + (4 << 20);
        let mut v: Vec<u8> = Vec::new();
        v.try_reserve_exact(n).expect("heap should grow to fit");
        v.resize(n, 0xab);
        assert_eq!(v[n - 1], 0xab);
        assert!(crate::mem::heap::stats().growths > before.growths);
    }

    #[test_case]
    fn allocation_larger_than_ram_fails_cleanly() {
        let mut v: Vec<u8> = Vec::new();
        assert!(v.try_reserve_exact(64 << 30).is_err());
        // The heap still works afterwards.
        let b = Box::new([1u8; 128]);
        assert_eq!(b[127], 1);
    }

    #[test_case]
    fn reads_files_from_the_initrd() {
        let motd = crate::fs::read_copy("/etc/motd").expect("/etc/motd is in the initrd");
        assert!(
            core::str::from_utf8(&motd)
                .unwrap()
                .contains("Welcome to RustOS")
        );
        let games = crate::fs::with(|fs| fs.read_dir("/games").map(|d| d.len())).unwrap();
        assert!(games >= 4, "the games are packed into the initrd");
        assert_eq!(
            crate::fs::with(|fs| fs.read("/no/such/file").err()),
            Some(ramfs::FsError::NotFound)
        );
    }

    #[test_case]
    fn writes_files_in_ram() {
        crate::fs::with(|fs| fs.write("/tmp-test.txt", b"hello")).unwrap();
        crate::fs::with(|fs| fs.append("/tmp-test.txt", b" world")).unwrap();
        assert_eq!(
            crate::fs::read_copy("/tmp-test.txt").unwrap(),
            b"hello world"
        );
        crate::fs::with(|fs| fs.remove("/tmp-test.txt", false)).unwrap();
    }

    #[test_case]
    fn mmio_mappings_are_uncached() {
        use x86_64::structures::paging::PageTableFlags as F;
        let frame = crate::mem::frames::alloc().expect("a frame");
        let phys = frame.start_address().as_u64();
        let v = crate::mem::paging::map_mmio(phys + 8, 16).expect("mapped");
        assert_eq!(
            crate::mem::paging::translate(v),
            Some(x86_64::PhysAddr::new(phys + 8))
        );
        let flags = crate::mem::paging::flags_of(v).expect("a 4 KiB mapping");
        assert!(flags.contains(F::NO_CACHE | F::WRITE_THROUGH | F::NO_EXECUTE | F::WRITABLE));
        let direct = crate::mem::paging::phys_to_virt(phys + 8).as_mut_ptr::<u64>();
        // SAFETY: both addresses map the frame allocated above, which nothing else uses.
        unsafe {
            v.as_mut_ptr::<u64>().write_volatile(0x5eed);
            assert_eq!(direct.read_volatile(), 0x5eed);
        }
    }

    #[test_case]
    fn pci_scan_finds_the_host_bridge() {
        let f = crate::drivers::pci::functions();
        assert!(f.iter().any(|f| f.class == 6 && f.subclass == 0));
        assert!(f.iter().all(|f| f.vendor != 0xffff));
    }

    #[test_case]
    fn heap_pages_are_no_execute() {
        use x86_64::structures::paging::PageTableFlags;
        let b = Box::new(0u64);
        let flags = crate::mem::paging::flags_of(x86_64::VirtAddr::from_ptr(&*b)).unwrap();
        assert!(flags.contains(PageTableFlags::NO_EXECUTE | PageTableFlags::WRITABLE));
    }

    /// A framebuffer in RAM described as the bootloader would.
    fn fake_framebuffer(
        buf: &mut [u32],
        width: usize,
        height: usize,
        pitch: usize,
        bgr: bool,
    ) -> crate::boot::FramebufferInfo {
        let (red, blue) = if bgr { (0, 16) } else { (16, 0) };
        crate::boot::FramebufferInfo {
            addr: buf.as_mut_ptr() as u64,
            width,
            height,
            pitch,
            bpp: 32,
            red_shift: red,
            green_shift: 8,
            blue_shift: blue,
            red_size: 8,
            green_size: 8,
            blue_size: 8,
        }
    }

    /// Any framebuffer either carries the console or leaves it serial-only with a reason:
    /// smaller than a glyph, 24-bit, inconsistent geometry. A wide pitch and BGR work, and
    /// text never spills into the padding past the width. The real console comes back at
    /// the end.
    #[test_case]
    fn odd_framebuffers_work_or_fall_back_to_serial() {
        use crate::drivers::console;
        let mut buf = alloc::vec![0u32; 640 * 64];
        let tiny = fake_framebuffer(&mut buf, 4, 4, 16, false);
        assert!(
            console::init(Some(&tiny)).is_err(),
            "smaller than one glyph"
        );
        let mut deep = fake_framebuffer(&mut buf, 64, 64, 256, false);
        deep.bpp = 24;
        assert!(console::init(Some(&deep)).is_err(), "24 bits per pixel");
        let narrow_pitch = fake_framebuffer(&mut buf, 64, 64, 128, false);
        assert!(
            console::init(Some(&narrow_pitch)).is_err(),
            "pitch below width"
        );
        // 200 pixels wide in rows of 640: the padding must stay untouched.
        buf.fill(0x00ab_cdef);
        let wide = fake_framebuffer(&mut buf, 200, 64, 640 * 4, true);
        let (cols, rows) = console::init(Some(&wide)).expect("a wide pitch works");
        assert!(cols >= 1 && rows >= 1);
        crate::print!("hello, ");
        // Text printed before the shadow is drawn when it starts.
        assert!(buf.iter().all(|&p| p == 0x00ab_cdef), "nothing drawn early");
        assert!(console::enable_shadow());
        crate::print!("odd framebuffer\n");
        assert!(
            buf.chunks(640)
                .all(|row| row[200..].iter().all(|&p| p == 0x00ab_cdef))
        );
        assert!(
            buf.chunks(640)
                .any(|row| row[..200].iter().any(|&p| p != 0x00ab_cdef))
        );
        // Back to the real screen (or none), as the boot set it up.
        if console::init(crate::framebuffer().as_ref()).is_ok() {
            console::enable_shadow();
        }
    }
}
