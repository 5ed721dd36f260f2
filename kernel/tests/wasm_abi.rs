//! The host side of ABI v1 behaves as docs/wasm-abi.md says: drawing (clipping, clamping,
//! `present` scaling and borders, overlays), keys (mapping, Esc reserved, queue), exit
//! codes, and the shipped games from /games run frame after frame without trapping.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "wasm/common.rs"]
mod common;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use common::{load, us_since};
use kernel::arch::clock;
use kernel::support::qemu::{ExitCode, exit};
use kernel::wasm::{Budget, Encoding, End, KeyAction, Screen, abi_key, drive};
use kernel::{entry_point, serial_println};
use lineedit::Key;

const GOOD: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/good.wasm"));

entry_point!(main);

fn main() -> ! {
    kernel::init();
    common::run_all(
        "wasm_abi",
        &[
            (
                "init_draws_clipped_and_clamped",
                init_draws_clipped_and_clamped,
            ),
            (
                "present_scales_centres_and_overlays",
                present_scales_centres_and_overlays,
            ),
            ("present_scaling_direct", present_scaling_direct),
            ("present_speed", present_speed),
            ("exit_code", exit_code),
            ("esc_is_never_delivered", esc_is_never_delivered),
            ("key_mapping", key_mapping),
            ("shipped_games_run", shipped_games_run),
        ],
    );
    exit(ExitCode::Success)
}

fn init_draws_clipped_and_clamped() {
    let mut game = load(GOOD);
    game.init().expect("init returns");
    let s = game.screen();
    assert_eq!(
        s.pixel(0, 0),
        Some(0x12_3456),
        "top byte ignored, whole screen filled"
    );
    assert_eq!(
        s.pixel(5, 5),
        Some(0x12_3456),
        "off-screen put_pixel ignored"
    );
    assert_eq!(s.pixel(639, 479), Some(0xff_0080), "channels clamped");
    assert_eq!(s.pixel(640, 0), None);
}

fn present_scales_centres_and_overlays() {
    let mut game = load(GOOD);
    game.init().expect("init");
    for _ in 0..3 {
        game.frame().expect("frame");
    }
    // 2x2 on 640x480: factor 240, at (80, 0).
    let s = game.screen();
    let px = |x, y| s.pixel(x, y).unwrap();
    assert_eq!(px(0, 0), 0xff_ff00, "put_pixel after present draws on top");
    assert_eq!(px(79, 0), 0, "left border cleared");
    assert_eq!(px(1, 479), 0, "left border cleared");
    assert_eq!(px(560, 0), 0, "right border cleared");
    assert_eq!(px(639, 479), 0, "right border cleared");
    assert_eq!(px(80, 0), 0x00_00ff);
    assert_eq!(px(319, 239), 0x00_00ff);
    assert_eq!(px(320, 0), 0x00_ff00);
    assert_eq!(px(559, 239), 0x00_ff00);
    assert_eq!(px(80, 240), 0xff_0000);
    assert_eq!(px(319, 479), 0xff_0000);
    assert_eq!(px(320, 240), 0xff_ffff);
    assert_eq!(px(559, 479), 0xff_ffff);
}

/// `Screen::present` on its own, with the sizes the ABI document gives as examples, an
/// image larger than the screen, and odd screen sizes.
fn present_scaling_direct() {
    let image = |w: usize, h: usize| -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| (0x0010_0000u32 + i as u32).to_le_bytes())
            .collect()
    };
    let mut s = Screen::new(640, 480, Encoding::Xrgb).unwrap();
    let img = image(320, 200);
    assert_eq!(s.present(&img, 320, 200), 640 * 400);
    assert_eq!(s.pixel(0, 39), Some(0));
    assert_eq!(s.pixel(0, 40), Some(0x10_0000));
    assert_eq!(s.pixel(1, 41), Some(0x10_0000));
    assert_eq!(s.pixel(2, 40), Some(0x10_0001));
    assert_eq!(s.pixel(639, 439), Some(0x10_0000 + 320 * 200 - 1));
    assert_eq!(s.pixel(639, 440), Some(0));
    // On 1920x1080: factor 5 at (160, 40).
    let mut s = Screen::new(1920, 1080, Encoding::Xrgb).unwrap();
    s.present(&img, 320, 200);
    assert_eq!(s.pixel(159, 40), Some(0));
    assert_eq!(s.pixel(160, 40), Some(0x10_0000));
    assert_eq!(s.pixel(164, 44), Some(0x10_0000));
    assert_eq!(s.pixel(165, 40), Some(0x10_0001));
    // Larger than the screen: factor 1, leading part shown, no panic.
    let big = image(700, 500);
    let mut s = Screen::new(640, 480, Encoding::Xrgb).unwrap();
    assert_eq!(s.present(&big, 700, 500), 640 * 480);
    assert_eq!(s.pixel(0, 0), Some(0x10_0000));
    assert_eq!(s.pixel(639, 479), Some(0x10_0000 + 479 * 700 + 639));
    // Tiny and odd screens.
    for (w, h) in [(1, 1), (3, 1), (1, 7), (641, 481)] {
        let mut s = Screen::new(w, h, Encoding::Xrgb).unwrap();
        s.present(&img, 320, 200);
        s.present(&image(1, 1), 1, 1);
        s.fill_rect(i32::MIN, i32::MIN, i32::MAX, i32::MAX, 1);
        s.put_pixel(i32::MAX, 0, 1, 1, 1);
    }
    // A short source buffer is refused, never read past.
    let mut s = Screen::new(64, 64, Encoding::Xrgb).unwrap();
    assert_eq!(s.present(&img[..100], 320, 200), 0);
    assert!(Screen::new(0, 10, Encoding::Xrgb).is_err());
}

/// How long the host's `present` takes for the usual 320x200 canvas (a benchmark figure,
/// no limit asserted: it depends on the machine).
/// `present` scales a 320x200 image by the largest integer factor that fits, centred, with
/// a black border: checked pixel by pixel at sample points; the time per call is printed.
fn present_speed() {
    let img: Vec<u32> = (0..320u32 * 200)
        .map(|i| i.wrapping_mul(2_654_435_761) & 0xff_ffff)
        .collect();
    let bytes: Vec<u8> = img.iter().flat_map(|p| p.to_le_bytes()).collect();
    for (w, h) in [(640, 480), (1280, 800), (1920, 1080)] {
        let mut s = Screen::new(w, h, Encoding::Xrgb).unwrap();
        let t0 = clock::rdtsc();
        let mut written = 0;
        for _ in 0..20 {
            written = s.present(&bytes, 320, 200);
        }
        let f = (w / 320).min(h / 200);
        let (off_x, off_y) = ((w - 320 * f) / 2, (h - 200 * f) / 2);
        assert_eq!(written, 320 * f * 200 * f, "{w}x{h}: pixels written");
        for (sx, sy) in [(0, 0), (319, 0), (0, 199), (319, 199), (160, 100), (7, 123)] {
            let want = img[sy * 320 + sx];
            for (dx, dy) in [(0, 0), (f - 1, 0), (0, f - 1), (f - 1, f - 1)] {
                let (x, y) = (off_x + sx * f + dx, off_y + sy * f + dy);
                assert_eq!(
                    s.pixel(x, y),
                    Some(want),
                    "{w}x{h}: ({sx},{sy}) at ({x},{y})"
                );
            }
        }
        if off_y > 0 {
            assert_eq!(s.pixel(w / 2, 0), Some(0), "{w}x{h}: the border is black");
            assert_eq!(
                s.pixel(w / 2, h - 1),
                Some(0),
                "{w}x{h}: the border is black"
            );
        }
        serial_println!("   present 320x200 on {w}x{h}: {} us", us_since(t0) / 20);
    }
}

fn exit_code() {
    let mut game = load(GOOD);
    game.press(42);
    let out = drive(&mut game, 10);
    assert_eq!(out.end, Some(End::Exited(42)));
    let end = out.end.unwrap();
    assert!(!end.is_success());
    assert_eq!(end.to_string(), "exited (code 42)");
    assert!(End::Exited(0).is_success());
    assert!(End::Quit.is_success());
    assert_eq!(End::Quit.to_string(), "quit (Esc)");
}

fn esc_is_never_delivered() {
    let mut game = load(GOOD);
    game.press(wasm_abi::KEY_ESC_RESERVED);
    game.press(-1);
    game.press(i32::MIN);
    let out = drive(&mut game, 10);
    assert_eq!(out.end, None, "no key may have reached the game");
    // The queue holds at least 16 presses and keeps the oldest.
    let mut game = load(GOOD);
    for code in 100..200 {
        game.press(code);
    }
    assert_eq!(drive(&mut game, 10).end, Some(End::Exited(100)));
}

fn key_mapping() {
    let cases = [
        (Key::Char('a'), KeyAction::Deliver(97)),
        (Key::Char('A'), KeyAction::Deliver(65)),
        (Key::Char(' '), KeyAction::Deliver(wasm_abi::KEY_SPACE)),
        (Key::Char('~'), KeyAction::Deliver(126)),
        (Key::Char('é'), KeyAction::Drop),
        (Key::Enter, KeyAction::Deliver(wasm_abi::KEY_ENTER)),
        (Key::Backspace, KeyAction::Deliver(wasm_abi::KEY_BACKSPACE)),
        (Key::Tab, KeyAction::Deliver(wasm_abi::KEY_TAB)),
        (Key::Up, KeyAction::Deliver(wasm_abi::KEY_UP)),
        (Key::Down, KeyAction::Deliver(wasm_abi::KEY_DOWN)),
        (Key::Left, KeyAction::Deliver(wasm_abi::KEY_LEFT)),
        (Key::Right, KeyAction::Deliver(wasm_abi::KEY_RIGHT)),
        (Key::Escape, KeyAction::Quit),
        (Key::CtrlC, KeyAction::Quit),
        (Key::Delete, KeyAction::Drop),
        (Key::Home, KeyAction::Drop),
        (Key::CtrlL, KeyAction::Drop),
        (Key::Other, KeyAction::Drop),
    ];
    for (key, want) in cases {
        assert_eq!(abi_key(key), want, "{key:?}");
    }
}

/// Every game in /games (all five must be there) loads and runs a few seconds' worth of frames with some input,
/// without trapping; prints fuel and time per frame (a rough benchmark under TCG).
fn shipped_games_run() {
    let names: Vec<String> = kernel::fs::with(|fs| {
        fs.read_dir("/games")
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e.name.strip_suffix(".wasm").map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    });
    // The test kernels boot with the ISO's initrd, which always carries the games.
    for expected in ["snake", "tetris", "2048", "life", "breakout"] {
        assert!(
            names.iter().any(|n| n == expected),
            "/games/{expected}.wasm is missing from the initrd ({names:?})"
        );
    }
    let keys = [
        wasm_abi::KEY_ENTER,
        wasm_abi::KEY_SPACE,
        wasm_abi::KEY_LEFT,
        wasm_abi::KEY_UP,
        wasm_abi::KEY_RIGHT,
        wasm_abi::KEY_DOWN,
    ];
    for name in &names {
        let bytes = kernel::fs::read_copy(&format!("/games/{name}.wasm")).expect("read");
        let mut game = load(&bytes);
        game.init().unwrap_or_else(|e| panic!("{name}: init: {e}"));
        let (mut max_fuel, mut max_us, mut total_us) = (0, 0, 0);
        const FRAMES: u32 = 60;
        for i in 0..FRAMES {
            if i % 10 == 0 {
                game.press(keys[(i / 10) as usize % keys.len()]);
            }
            match game.frame() {
                Ok(s) => {
                    max_fuel = max_fuel.max(s.fuel);
                    max_us = max_us.max(s.us);
                    total_us += s.us;
                }
                Err(e) => panic!("{name}: frame {i}: {e}"),
            }
        }
        game.finish();
        serial_println!(
            "   {name}: {FRAMES} frames, mean {} us, worst {} us, max fuel {max_fuel} ({}% of budget)",
            total_us / u64::from(FRAMES),
            max_us,
            max_fuel * 100 / Budget::DEFAULT.max_fuel
        );
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::support::testing::panic_handler(info)
}
