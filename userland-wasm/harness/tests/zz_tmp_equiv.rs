use harness::Game;
use wasm_abi::{KEY_ENTER, KEY_LEFT, KEY_UP, KEY_DOWN, KEY_RIGHT};
fn ch(c: char) -> i32 { c as i32 }
fn run(path: &str, script: &[(usize, i32)], frames: usize) -> Vec<u64> {
    let wasm = std::fs::read(path).unwrap();
    let mut g = Game::load(&wasm, 77).unwrap();
    g.init().unwrap();
    let mut out = Vec::new();
    for f in 1..=frames {
        g.advance_ms(16);
        for &(_, k) in script.iter().filter(|(ff, _)| *ff == f) { g.press(k); }
        g.frame().unwrap();
        let mut h = 0xcbf29ce484222325u64;
        for p in g.screen() { h = (h ^ *p as u64).wrapping_mul(0x100000001b3); }
        out.push(h);
    }
    out
}
#[test]
fn equiv() {
    let mut s: Vec<(usize, i32)> = vec![(5, ch('p')), (40, ch('p')), (45, ch(' ')), (60, ch(' ')), (70, ch('P')), (90, KEY_ENTER)];
    for i in 0..150 { s.push((100 + i * 4, [KEY_LEFT, KEY_UP, KEY_RIGHT, KEY_DOWN, ch(' ')][i % 5])); }
    s.push((800, ch('c'))); s.push((820, ch('r'))); s.push((840, ch('p'))); s.push((900, KEY_ENTER)); s.push((901, ch(' ')));
    for g in ["2048", "breakout", "life", "snake", "tetris"] {
        let a = run(&format!("/tmp/games-before/{g}.wasm"), &s, 1500);
        let b = run(&format!("/tmp/games-out/{g}.wasm"), &s, 1500);
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert_eq!(a, b, "{g}");
        eprintln!("{g}: identical over 1500 frames ({} distinct pictures)", distinct.len());
    }
}
