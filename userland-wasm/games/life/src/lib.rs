//! Conway's Game of Life for RustOS, on an 80x48 torus starting from a random soup.
//!
//! Space pauses, R reseeds, C clears, N steps once while paused, + and - change the speed.
//! Arrows/WASD move the cursor and Enter (or T) toggles the cell under it, so patterns can be
//! drawn by hand. Generations are paced by `time_ms`; cells are tinted by age so still lifes
//! and oscillators stand out from fresh growth.

// no_std on the real target; on the host the crate links std so that workspace-wide
// `cargo test` and `cargo clippy` can build it too (it is never run there).
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::font::text_width;
use rustos_sdk::prelude::*;

const W: usize = 80;
const H: usize = 48;
const CELL: i32 = 4;
const TOP: i32 = 8;
const SPEEDS: [i64; 6] = [400, 200, 100, 60, 30, 16];

const BG: u32 = 0x08090d;
const TEXT: u32 = 0xd0d4dc;

struct Life {
    /// Age of each live cell (0 = dead), saturating at 255.
    cells: [[u8; W]; H],
    next: [[u8; W]; H],
    generation: u32,
    population: u32,
    paused: bool,
    speed: usize,
    cursor: (usize, usize),
    ticker: Ticker,
}

impl Life {
    const fn empty() -> Self {
        Life {
            cells: [[0; W]; H],
            next: [[0; W]; H],
            generation: 0,
            population: 0,
            paused: false,
            speed: 2,
            cursor: (W / 2, H / 2),
            ticker: Ticker::new(100, 0),
        }
    }

    fn count(&mut self) {
        self.population = self.cells.iter().flatten().filter(|c| **c > 0).count() as u32;
    }

    /// One generation. Written for the interpreter, eight cells per 64-bit word (SWAR): a
    /// word's bytes are eight cells' ages, `alive` turns them into 0/1 bytes, the column sums
    /// (rows above, at and below) of eight cells are one addition of three such words, and the
    /// 3x3 totals add the column sums shifted one byte left and right (the byte that crosses
    /// into the neighbouring word, wrapping at the row's ends, comes from that word). A cell
    /// lives on with a total of 3 or 4 (itself included) and is born with 3; its age then
    /// counts up, saturating at 255. No byte can carry into the next: totals are at most 9.
    /// About 15x less interpreted work than a loop over single cells.
    fn step(&mut self) {
        const WORDS: usize = W / 8;
        const _: () = assert!(W % 8 == 0, "rows are whole words");
        let word = |row: &[u8; W], i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&row[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let mut population = 0;
        let mut sums = [0u64; WORDS];
        for y in 0..H {
            let (up, row, down) = (
                &self.cells[(y + H - 1) % H],
                &self.cells[y],
                &self.cells[(y + 1) % H],
            );
            for (i, s) in sums.iter_mut().enumerate() {
                *s = alive(word(up, i)) + alive(word(row, i)) + alive(word(down, i));
            }
            let next = &mut self.next[y];
            for i in 0..WORDS {
                let s = sums[i];
                let before = sums[if i == 0 { WORDS - 1 } else { i - 1 }];
                let after = sums[if i + 1 == WORDS { 0 } else { i + 1 }];
                // The left neighbour of byte k is byte k-1 (little-endian: one byte up).
                let left = (s << 8) | (before >> 56);
                let right = (s >> 8) | (after << 56);
                let total = left + s + right;
                let age = word(row, i);
                let lives = is(total, 3) | (is(total, 4) & alive(age));
                let keep = lives * 0xff;
                // +1 where the age is below 255 (dead cells: 0 + 1, a birth).
                let inc = nonzero(!age);
                let new = (age + inc) & keep;
                next[i * 8..i * 8 + 8].copy_from_slice(&new.to_le_bytes());
                population += lives.count_ones();
            }
        }
        core::mem::swap(&mut self.cells, &mut self.next);
        self.generation += 1;
        self.population = population;
    }

    fn toggle(&mut self) {
        let (x, y) = self.cursor;
        self.cells[y][x] = if self.cells[y][x] > 0 { 0 } else { 1 };
        self.count();
    }

    fn set_speed(&mut self, speed: usize) {
        self.speed = speed.min(SPEEDS.len() - 1);
        self.ticker.set_interval(SPEEDS[self.speed]);
    }
}

impl Game for Life {
    const INITIAL: Self = Life::empty();

    /// Reseeds: a random soup of about 30% live cells.
    fn restart(&mut self, now: i64) {
        for row in self.cells.iter_mut() {
            for cell in row.iter_mut() {
                // About 30% alive.
                *cell = u8::from(random_below(100) < 30);
            }
        }
        self.generation = 0;
        self.count();
        self.ticker = Ticker::new(SPEEDS[self.speed], now);
    }

    fn key(&mut self, key: Key, now: i64) {
        if let Some(d) = key.dir() {
            let (dx, dy) = d.delta();
            self.cursor.0 = (self.cursor.0 as i32 + dx).rem_euclid(W as i32) as usize;
            self.cursor.1 = (self.cursor.1 as i32 + dy).rem_euclid(H as i32) as usize;
            return;
        }
        match key {
            Key::Char(' ') => {
                self.paused = !self.paused;
                self.ticker.reset(now);
            }
            Key::Enter => self.toggle(),
            Key::Char(c) => match c.to_ascii_lowercase() {
                'r' => self.restart(now),
                'c' => {
                    self.cells = [[0; W]; H];
                    self.generation = 0;
                    self.count();
                }
                't' => self.toggle(),
                'n' if self.paused => self.step(),
                '+' | '=' => self.set_speed(self.speed + 1),
                '-' | '_' => self.set_speed(self.speed.saturating_sub(1)),
                _ => {}
            },
            _ => {}
        }
    }

    fn update(&mut self, now: i64) {
        if !self.paused {
            for _ in 0..self.ticker.steps(now) {
                self.step();
            }
        }
    }

    fn draw(&self, c: &mut Screen, now: i64) {
        c.clear(BG);
        // Row by row: the first pixel row of a row of cells is written in one pass, the
        // other two copied from it (a cell is 3x3 pixels with a 1-pixel gap).
        for (y, row) in self.cells.iter().enumerate() {
            let py = TOP + y as i32 * CELL;
            if row.iter().all(|age| *age == 0) {
                continue;
            }
            let Some(line) = c.row_mut(py) else { continue };
            for (x, age) in row.iter().enumerate() {
                if *age > 0 {
                    let color = age_color(*age);
                    let px = x * CELL as usize;
                    line[px] = color;
                    line[px + 1] = color;
                    line[px + 2] = color;
                }
            }
            for dy in 1..CELL - 1 {
                c.copy_row(py, py + dy);
            }
        }
        // Blinking cursor outline.
        if (now / 300) % 2 == 0 || self.paused {
            let (x, y) = self.cursor;
            c.rect(
                x as i32 * CELL - 1,
                TOP + y as i32 * CELL - 1,
                CELL + 1,
                CELL + 1,
                0xffd23c,
            );
        }
        let mut t = TextBuf::<64>::new();
        let _ = write!(t, "LIFE  GEN {}  POP {}", self.generation, self.population);
        c.text(2, 0, t.as_str(), TEXT, 1);
        t.clear();
        let state = if self.paused { "PAUSED" } else { "RUN" };
        let _ = write!(t, "{}  SPEED {}", state, self.speed + 1);
        c.text(
            Screen::WIDTH - 2 - text_width(t.as_str(), 1),
            0,
            t.as_str(),
            TEXT,
            1,
        );
        if self.population == 0 {
            c.banner(
                "ALL DEAD",
                "PRESS R TO RESEED, OR DRAW WITH ENTER",
                BannerStyle::new(TEXT).at(88, 116).undimmed(),
            );
        }
    }
}

/// Young cells are bright green, older ones cool down to blue.
fn age_color(age: u8) -> u32 {
    match age {
        1 => 0xb8ff6a,
        2..=3 => 0x5fe36c,
        4..=8 => 0x34b38f,
        9..=30 => 0x2f7fc0,
        _ => 0x3a4fb0,
    }
}

const LOW: u64 = 0x0101_0101_0101_0101;

/// 1 in each byte of `v` that is not zero, 0 in the others (exact: no borrow between bytes).
fn nonzero(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    ((((v & LOW7) + LOW7) | v) >> 7) & LOW
}

/// 1 in each byte of the ages `v` that is a live cell.
fn alive(v: u64) -> u64 {
    nonzero(v)
}

/// 1 in each byte of `v` equal to `k`.
fn is(v: u64, k: u64) -> u64 {
    nonzero(v ^ (k * LOW)) ^ LOW
}

rustos_sdk::export_game!(Life);

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules, cell by cell, with wrap-around: what `step` must compute.
    fn reference(cells: &[[u8; W]; H]) -> [[u8; W]; H] {
        let mut next = [[0u8; W]; H];
        for y in 0..H {
            for x in 0..W {
                let mut n = 0;
                for dy in [H - 1, 0, 1] {
                    for dx in [W - 1, 0, 1] {
                        if (dy, dx) != (0, 0) && cells[(y + dy) % H][(x + dx) % W] > 0 {
                            n += 1;
                        }
                    }
                }
                let age = cells[y][x];
                next[y][x] = match (age > 0, n) {
                    (true, 2) | (true, 3) => age.saturating_add(1),
                    (false, 3) => 1,
                    _ => 0,
                };
            }
        }
        next
    }

    #[test]
    fn step_follows_the_rules_on_random_soups() {
        let mut rng = rustos_sdk::abi::Rng::new(42);
        for _ in 0..20 {
            let mut life = Life::empty();
            for cell in life.cells.iter_mut().flatten() {
                let r = rng.next_u32();
                *cell = if r % 3 == 0 { (r >> 8) as u8 | 1 } else { 0 };
            }
            for _ in 0..5 {
                let want = reference(&life.cells);
                life.step();
                assert_eq!(life.cells, want);
                let alive = want.iter().flatten().filter(|c| **c > 0).count() as u32;
                assert_eq!(life.population, alive);
            }
        }
    }
}
