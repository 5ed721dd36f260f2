//! 2048 for RustOS: slide the tiles with arrows or WASD; equal tiles merge and add to the score.
//! Reach 2048 to win (then keep going if you like). Enter or R starts a new game.
//!
//! Moves are instantaneous; `time_ms` only drives a short grow-in of newly spawned and merged
//! tiles so the eye can follow what happened.

// no_std on the real target; on the host the crate links std so that workspace-wide
// `cargo test` and `cargo clippy` can build it too (it is never run there).
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::font::text_width;
use rustos_sdk::prelude::*;

const N: usize = 4;
const TILE: i32 = 40;
const GAP: i32 = 4;
const BOARD: i32 = N as i32 * TILE + (N as i32 + 1) * GAP;
const BOARD_X: i32 = (Screen::WIDTH - BOARD) / 2;
const BOARD_Y: i32 = 16;
const POP_MS: i64 = 120;

const BG: u32 = 0xfaf8ef;
const BOARD_BG: u32 = 0xbbada0;
const EMPTY: u32 = 0xcdc1b4;
const DARK_TEXT: u32 = 0x776e65;
const LIGHT_TEXT: u32 = 0xf9f6f2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Playing,
    /// Just reached 2048: banner shown until the next move.
    Won,
    Over,
}

struct Game2048 {
    /// Tile exponents: 0 = empty, 1 = 2, 2 = 4, ... 11 = 2048.
    cells: [[u8; N]; N],
    /// When each tile last appeared or merged (for the grow-in).
    born: [[i64; N]; N],
    score: u32,
    best: u32,
    state: State,
    won_once: bool,
}

impl Game2048 {
    const fn empty() -> Self {
        Game2048 {
            cells: [[0; N]; N],
            born: [[0; N]; N],
            score: 0,
            best: 0,
            state: State::Playing,
            won_once: false,
        }
    }

    fn spawn(&mut self, now: i64) {
        let free = self.cells.iter().flatten().filter(|v| **v == 0).count() as u32;
        if free == 0 {
            return;
        }
        let mut pick = random_below(free);
        let value = if random_below(10) == 0 { 2 } else { 1 };
        for y in 0..N {
            for x in 0..N {
                if self.cells[y][x] == 0 {
                    if pick == 0 {
                        self.cells[y][x] = value;
                        self.born[y][x] = now;
                        return;
                    }
                    pick -= 1;
                }
            }
        }
    }

    /// Board coordinates of the `i`-th cell of line `line` when sliding towards `dir`
    /// (i = 0 is the cell the tiles slide towards).
    fn coord(dir: Dir, line: usize, i: usize) -> (usize, usize) {
        match dir {
            Dir::Left => (i, line),
            Dir::Right => (N - 1 - i, line),
            Dir::Up => (line, i),
            Dir::Down => (line, N - 1 - i),
        }
    }

    /// Slides and merges; returns whether anything moved.
    fn slide(&mut self, dir: Dir, now: i64) -> bool {
        let mut moved = false;
        for line in 0..N {
            let mut out = [0u8; N];
            let mut merged = [false; N];
            let mut n = 0;
            for i in 0..N {
                let (x, y) = Self::coord(dir, line, i);
                let v = self.cells[y][x];
                if v == 0 {
                    continue;
                }
                if n > 0 && out[n - 1] == v && !merged[n - 1] {
                    out[n - 1] += 1;
                    merged[n - 1] = true;
                    self.score += 1 << out[n - 1];
                } else {
                    out[n] = v;
                    n += 1;
                }
            }
            for i in 0..N {
                let (x, y) = Self::coord(dir, line, i);
                if self.cells[y][x] != out[i] {
                    moved = true;
                    self.cells[y][x] = out[i];
                }
                if merged[i] {
                    self.born[y][x] = now;
                }
            }
        }
        moved
    }

    fn can_move(&self) -> bool {
        (0..N).any(|y| {
            (0..N).any(|x| {
                let v = self.cells[y][x];
                v == 0
                    || (x + 1 < N && self.cells[y][x + 1] == v)
                    || (y + 1 < N && self.cells[y + 1][x] == v)
            })
        })
    }
}

impl Game for Game2048 {
    const INITIAL: Self = Game2048::empty();

    fn restart(&mut self, now: i64) {
        let best = self.best.max(self.score);
        *self = Game2048::empty();
        self.best = best;
        self.spawn(now);
        self.spawn(now);
    }

    fn key(&mut self, key: Key, now: i64) {
        if key == Key::Enter || key.is_letter('r') {
            self.restart(now);
            return;
        }
        let Some(dir) = key.dir() else { return };
        if self.state == State::Over {
            return;
        }
        self.state = State::Playing;
        if self.slide(dir, now) {
            self.spawn(now);
            if !self.won_once && self.cells.iter().flatten().any(|v| *v >= 11) {
                self.won_once = true;
                self.state = State::Won;
            }
            if !self.can_move() {
                self.state = State::Over;
            }
        }
        self.best = self.best.max(self.score);
    }

    fn draw(&self, c: &mut Screen, now: i64) {
        c.clear(BG);
        let mut t = TextBuf::<32>::new();
        c.text(BOARD_X, 4, "2048", DARK_TEXT, 1);
        let _ = write!(t, "SCORE {}  BEST {}", self.score, self.best);
        c.text(
            BOARD_X + BOARD - text_width(t.as_str(), 1),
            4,
            t.as_str(),
            DARK_TEXT,
            1,
        );
        c.fill_rect(BOARD_X, BOARD_Y, BOARD, BOARD, BOARD_BG);
        for y in 0..N {
            for x in 0..N {
                let tx = BOARD_X + GAP + x as i32 * (TILE + GAP);
                let ty = BOARD_Y + GAP + y as i32 * (TILE + GAP);
                c.fill_rect(tx, ty, TILE, TILE, EMPTY);
                let v = self.cells[y][x];
                if v == 0 {
                    continue;
                }
                // Grow from half size to full over POP_MS.
                let age = (now - self.born[y][x]).clamp(0, POP_MS);
                let size = TILE / 2 + (TILE / 2) * age as i32 / POP_MS as i32;
                let off = (TILE - size) / 2;
                c.fill_rect(tx + off, ty + off, size, size, tile_color(v));
                if size == TILE {
                    t.clear();
                    let _ = write!(t, "{}", 1u32 << v);
                    let digits = t.as_str().len();
                    let scale = if digits <= 3 { 2 } else { 1 };
                    let fg = if v <= 2 { DARK_TEXT } else { LIGHT_TEXT };
                    c.text_in_box((tx, ty, TILE, TILE), t.as_str(), fg, scale);
                }
            }
        }
        match self.state {
            State::Playing => {}
            State::Won => banner(c, "YOU WIN!", "KEEP SLIDING, OR ENTER FOR NEW"),
            State::Over => banner(c, "GAME OVER", "PRESS ENTER"),
        }
    }
}

fn banner(c: &mut Screen, title: &str, hint: &str) {
    c.fill_rect(0, 70, Screen::WIDTH, 60, 0xede0c8);
    c.rect(0, 70, Screen::WIDTH, 60, DARK_TEXT);
    c.banner(
        title,
        hint,
        BannerStyle::new(DARK_TEXT).at(80, 110).undimmed(),
    );
}

fn tile_color(exp: u8) -> u32 {
    const COLORS: [u32; 12] = [
        0xcdc1b4, 0xeee4da, 0xede0c8, 0xf2b179, 0xf59563, 0xf67c5f, 0xf65e3b, 0xedcf72, 0xedcc61,
        0xedc850, 0xedc53f, 0xedc22e,
    ];
    COLORS.get(exp as usize).copied().unwrap_or(0x3c3a32)
}

rustos_sdk::export_game!(Game2048);
