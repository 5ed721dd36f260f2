//! Runs every built game for 300 frames under the harness host and checks that it survives,
//! animates and reacts to keys.
//!
//! Build the games first (`../build.sh OUTDIR`, or `cargo build --release --target
//! wasm32-unknown-unknown` in userland-wasm/). Missing .wasm files make these tests skip with a
//! message, unless `HARNESS_REQUIRE_GAMES=1` is set (CI), which turns a skip into a failure.
//! `GAMES_WASM_DIR` (e.g. build.sh's OUTDIR) is searched before cargo's target directory;
//! `HARNESS_PNG_DIR` saves frames 1, 150 and 300 of each game as PNG.

use std::path::PathBuf;

use harness::{Game, GameError, SCREEN_H, SCREEN_W};
use wasm_abi::{KEY_DOWN, KEY_ENTER, KEY_LEFT, KEY_RIGHT, KEY_UP};

const FRAMES: usize = 300;
const FRAME_MS: i64 = 16;
const SEED: u64 = 0x5eed_1234_abcd;

fn wasm_path(name: &str) -> Option<PathBuf> {
    // Where `cargo build --target wasm32-unknown-unknown --release` puts them (build.sh too:
    // it also leaves the test-only sdk_probe.wasm there).
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |t| workspace.join(t));
    let mut dirs = vec![target.join("wasm32-unknown-unknown/release")];
    if let Some(d) = std::env::var_os("GAMES_WASM_DIR") {
        dirs.insert(0, PathBuf::from(d));
    }
    // build.sh output names first, then cargo's own.
    dirs.iter()
        .flat_map(|d| {
            [
                d.join(format!("{name}.wasm")),
                d.join(format!("game_{name}.wasm")),
            ]
        })
        .find(|p| p.is_file())
}

fn load_bytes(name: &str) -> Option<Vec<u8>> {
    match wasm_path(name) {
        Some(p) => Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))),
        None if std::env::var_os("HARNESS_REQUIRE_GAMES").is_some() => {
            panic!("{name}.wasm not built (HARNESS_REQUIRE_GAMES is set)")
        }
        None => {
            eprintln!(
                "SKIPPED {name}: no built .wasm found. Run `./build.sh OUTDIR` with GAMES_WASM_DIR=OUTDIR, \
                 or `cargo build --release --target wasm32-unknown-unknown` in userland-wasm/ first."
            );
            None
        }
    }
}

/// Runs `frames` frames, pressing `script` keys at the given frame numbers (1-based).
fn run(wasm: &[u8], script: &[(usize, i32)], mut on_frame: impl FnMut(usize, &Game)) -> Game {
    let mut game = Game::load(wasm, SEED).unwrap_or_else(|e| panic!("load: {e}"));
    game.init()
        .unwrap_or_else(|e| panic!("init: {e}\nlog: {}", game.log()));
    for frame in 1..=FRAMES {
        game.advance_ms(FRAME_MS);
        for &(_, key) in script.iter().filter(|(f, _)| *f == frame) {
            game.press(key);
        }
        if let Err(e) = game.frame() {
            panic!("frame {frame}: {e}\nlog: {}", game.log());
        }
        on_frame(frame, &game);
    }
    game
}

fn check_game(name: &str, script: &[(usize, i32)]) {
    let Some(wasm) = load_bytes(name) else { return };
    let png_dir = std::env::var_os("HARNESS_PNG_DIR").map(PathBuf::from);

    // Run A: scripted keys. Run B: same seed and clock, no keys.
    let mut first = Vec::new();
    let mut last = Vec::new();
    let mut keyed = Vec::new();
    let a = run(&wasm, script, |f, g| {
        if f == 1 {
            first = g.screen().to_vec();
        }
        if f == FRAMES {
            last = g.screen().to_vec();
        }
        keyed.push(hash(g.screen()));
        if let Some(dir) = png_dir.as_ref().filter(|_| [1, 150, 300].contains(&f)) {
            let path = dir.join(format!("{name}-{f:03}.png"));
            harness::write_png(&path, SCREEN_W, SCREEN_H, g.screen()).expect("write png");
        }
    });
    let mut plain = Vec::new();
    run(&wasm, &[], |_, g| plain.push(hash(g.screen())));

    assert!(first.iter().any(|p| *p != 0), "{name}: frame 1 is blank");
    assert_ne!(
        first, last,
        "{name}: the screen did not change between frame 1 and frame {FRAMES}"
    );
    let first_key = script.iter().map(|(f, _)| *f).min().unwrap_or(1);
    let differ = (0..FRAMES).filter(|&i| keyed[i] != plain[i]).count();
    assert!(
        (0..first_key - 1).all(|i| keyed[i] == plain[i]),
        "{name}: runs differ before any key was pressed (nondeterministic?)"
    );
    assert!(
        differ > 0,
        "{name}: pressing keys never changed the picture"
    );
    eprintln!(
        "{name}: {} bytes, {FRAMES} frames OK, max fuel/call {}, {differ} frames differ with keys, calls {:?}, log {:?}",
        wasm.len(),
        a.max_fuel_used,
        a.call_counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>(),
        a.log()
    );
}

fn hash(pixels: &[u32]) -> u64 {
    pixels.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, p| {
        (h ^ u64::from(*p)).wrapping_mul(0x100_0000_01b3)
    })
}

fn ch(c: char) -> i32 {
    c as i32
}

/// Steer, pause/resume, then (maybe) restart: something every game reacts to.
const GENERIC: &[(usize, i32)] = &[
    (20, KEY_UP),
    (40, KEY_LEFT),
    (60, KEY_DOWN),
    (80, KEY_RIGHT),
    (100, KEY_UP),
    (120, KEY_RIGHT),
    (140, KEY_DOWN),
    (160, KEY_LEFT),
    (200, KEY_ENTER),
    (230, KEY_UP),
    (250, KEY_RIGHT),
    (270, KEY_DOWN),
];

#[test]
fn snake() {
    check_game("snake", GENERIC);
}

#[test]
fn game_2048() {
    let mut script = Vec::new();
    for (i, k) in [KEY_LEFT, KEY_UP, KEY_RIGHT, KEY_DOWN]
        .iter()
        .cycle()
        .take(60)
        .enumerate()
    {
        script.push((10 + i * 4, *k));
    }
    script.push((280, ch('r')));
    check_game("2048", &script);
}

#[test]
fn tetris() {
    let mut script = vec![(10, KEY_LEFT), (12, KEY_LEFT), (20, KEY_UP), (30, ch(' '))];
    for i in 0..20 {
        script.push((40 + i * 12, if i % 3 == 0 { KEY_RIGHT } else { KEY_UP }));
        script.push((46 + i * 12, ch(' ')));
    }
    check_game("tetris", &script);
}

#[test]
fn life() {
    check_game(
        "life",
        &[
            (30, ch(' ')),
            (40, KEY_RIGHT),
            (41, KEY_ENTER),
            (60, ch(' ')),
            (120, ch('r')),
            (200, ch('+')),
        ],
    );
}

#[test]
fn breakout() {
    let mut script = vec![(5, ch(' '))];
    for i in 0..40 {
        script.push((
            10 + i * 6,
            if (i / 5) % 2 == 0 {
                KEY_LEFT
            } else {
                KEY_RIGHT
            },
        ));
    }
    check_game("breakout", &script);
}

/// Prints which post-MVP wasm features each module needs, by validating it with each feature
/// switched off in turn. Informational: wasmi supports all of them by default.
#[test]
fn report_wasm_features() {
    type Toggle = fn(&mut wasmi::Config, bool) -> &mut wasmi::Config;
    let toggles: [(&str, Toggle); 6] = [
        ("bulk-memory", wasmi::Config::wasm_bulk_memory),
        ("sign-ext", wasmi::Config::wasm_sign_extension),
        ("multivalue", wasmi::Config::wasm_multi_value),
        ("reference-types", wasmi::Config::wasm_reference_types),
        (
            "nontrapping-fptoint",
            wasmi::Config::wasm_saturating_float_to_int,
        ),
        ("mutable-globals", wasmi::Config::wasm_mutable_global),
    ];
    for name in ["snake", "tetris", "2048", "life", "breakout"] {
        let Some(path) = wasm_path(name) else {
            continue;
        };
        let wasm = std::fs::read(path).unwrap();
        let engine = harness::engine();
        let module = wasmi::Module::new(&engine, &wasm).expect("valid with default features");
        harness::check_interface(&module).unwrap_or_else(|e| panic!("{name}: {e}"));
        let needed: Vec<&str> = toggles
            .iter()
            .filter(|(_, off)| {
                let mut config = wasmi::Config::default();
                off(&mut config, false);
                wasmi::Module::validate(&wasmi::Engine::new(&config), &wasm).is_err()
            })
            .map(|(n, _)| *n)
            .collect();
        eprintln!(
            "{name}: imports {:?}; needs features {needed:?}",
            harness::describe_imports(&module)
        );
    }
}

#[test]
fn missing_or_garbage_module_is_an_error_not_a_panic() {
    assert!(matches!(
        Game::load(b"not wasm", 1),
        Err(GameError::Load(_))
    ));
    assert!(matches!(Game::load(&[], 1), Err(GameError::Load(_))));
}

/// The SDK's panic handler prints the message and exits with code 1; `exit`, long prints and
/// the screen size query work end to end. Uses the test-only `sdk-probe` module.
#[test]
fn sdk_probe_panic_exit_print() {
    let Some(wasm) = load_bytes("sdk_probe") else {
        return;
    };
    let start = |keys: &[char]| {
        let mut g = Game::load(&wasm, SEED).expect("probe loads");
        g.init().expect("probe init");
        for k in keys {
            g.press(*k as i32);
        }
        g
    };

    let mut g = start(&['s', 't']);
    g.frame().expect("print and screen size work");
    assert!(g.log().contains("probe: init at 0 ms"), "{}", g.log());
    assert!(g.log().contains("probe: screen 640x480"), "{}", g.log());
    assert_eq!(
        g.log().matches("0123456789").count(),
        500,
        "5000-byte print arrives whole"
    );
    assert!(g.screen().contains(&0xffffff), "canvas text was presented");

    let mut g = start(&['e']);
    assert!(matches!(g.frame(), Err(GameError::Exited(7))));

    let mut g = start(&['p']);
    assert!(matches!(g.frame(), Err(GameError::Exited(1))));
    assert!(g.log().contains("game panicked"), "{}", g.log());
    assert!(g.log().contains("probe panic 42"), "{}", g.log());
}
