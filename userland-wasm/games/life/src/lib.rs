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

    /// One generation. Written for the interpreter: the live neighbours of a cell are the
    /// column sums (live cells in the rows above, at and below) of its left, own and right
    /// columns, minus itself, so each cell costs three column sums shared by its neighbours
    /// instead of eight lookups with wrap-around arithmetic; the population is counted on
    /// the way.
    fn step(&mut self) {
        let mut population = 0;
        let mut sums = [0u8; W];
        for y in 0..H {
            let (up, row, down) = (
                &self.cells[(y + H - 1) % H],
                &self.cells[y],
                &self.cells[(y + 1) % H],
            );
            for (x, s) in sums.iter_mut().enumerate() {
                *s = u8::from(up[x] > 0) + u8::from(row[x] > 0) + u8::from(down[x] > 0);
            }
            let next = &mut self.next[y];
            for x in 0..W {
                let left = sums[if x == 0 { W - 1 } else { x - 1 }];
                let right = sums[if x + 1 == W { 0 } else { x + 1 }];
                let age = row[x];
                let n = left + sums[x] + right - u8::from(age > 0);
                let new = match (age > 0, n) {
                    (true, 2) | (true, 3) => age.saturating_add(1),
                    (false, 3) => 1,
                    _ => 0,
                };
                next[x] = new;
                population += u32::from(new > 0);
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
        for (y, row) in self.cells.iter().enumerate() {
            for (x, age) in row.iter().enumerate() {
                if *age > 0 {
                    let px = x as i32 * CELL;
                    let py = TOP + y as i32 * CELL;
                    c.fill_rect(px, py, CELL - 1, CELL - 1, age_color(*age));
                }
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
