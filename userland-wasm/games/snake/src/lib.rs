//! Snake for RustOS: steer with arrows or WASD, eat the red food, don't hit the walls or
//! yourself. P or Space pauses; Enter or R restarts after a crash.
//!
//! The snake moves one cell per step; steps are paced by `time_ms` (faster as it grows), and up
//! to two turns typed between steps are queued so quick "down, left" sequences are not lost.

// no_std on the real target; on the host the crate links std so that workspace-wide
// `cargo test` and `cargo clippy` can build it too (it is never run there).
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::prelude::*;

const COLS: usize = 32;
const ROWS: usize = 19;
const CELLS: usize = COLS * ROWS;
const CELL: i32 = 10;
const TOP: i32 = 10;
const START_INTERVAL: i64 = 130;
const MIN_INTERVAL: i64 = 60;

const BG: u32 = 0x10141c;
const GRID: u32 = 0x161b26;
const HEAD: u32 = 0x9cf06a;
const BODY: u32 = 0x3fae46;
const FOOD: u32 = 0xe8473c;
const TEXT: u32 = 0xe8e8e8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Playing,
    Paused,
    Dead,
    Won,
}

struct Snake {
    /// Ring buffer of cell indices; `body[head]` is the head, older entries follow backwards.
    body: [u16; CELLS],
    head: usize,
    len: usize,
    occupied: [bool; CELLS],
    dir: Dir,
    queued: [Option<Dir>; 2],
    food: u16,
    score: u32,
    best: u32,
    state: State,
    ticker: Ticker,
}

impl Snake {
    const fn empty() -> Self {
        Snake {
            body: [0; CELLS],
            head: 0,
            len: 0,
            occupied: [false; CELLS],
            dir: Dir::Right,
            queued: [None; 2],
            food: 0,
            score: 0,
            best: 0,
            state: State::Dead,
            ticker: Ticker::new(START_INTERVAL, 0),
        }
    }

    fn push_head(&mut self, cell: u16) {
        if self.len > 0 {
            self.head = (self.head + 1) % CELLS;
        }
        self.body[self.head] = cell;
        self.occupied[cell as usize] = true;
        self.len += 1;
    }

    fn tail_pos(&self) -> usize {
        (self.head + CELLS - (self.len - 1)) % CELLS
    }

    fn place_food(&mut self) {
        if self.len >= CELLS {
            self.state = State::Won;
            return;
        }
        // A free cell exists: probe randomly, then scan from a random start.
        let start = random_below(CELLS as u32) as usize;
        let free = (0..CELLS)
            .map(|i| (start + i) % CELLS)
            .find(|&c| !self.occupied[c]);
        self.food = free.unwrap_or(0) as u16;
    }

    fn step(&mut self) {
        if let Some(d) = self.queued[0].take() {
            self.dir = d;
            self.queued = [self.queued[1].take(), None];
        }
        let head = self.body[self.head] as usize;
        let (dx, dy) = self.dir.delta();
        let x = (head % COLS) as i32 + dx;
        let y = (head / COLS) as i32 + dy;
        if !(0..COLS as i32).contains(&x) || !(0..ROWS as i32).contains(&y) {
            self.state = State::Dead;
            return;
        }
        let next = y as usize * COLS + x as usize;
        let eating = next == self.food as usize;
        if !eating {
            // The tail moves away this step, so its cell is free to enter.
            let tail = self.body[self.tail_pos()] as usize;
            self.occupied[tail] = false;
            self.len -= 1;
        }
        if self.occupied[next] {
            self.state = State::Dead;
            return;
        }
        self.push_head(next as u16);
        if eating {
            self.score += 10;
            let faster = (self.ticker.interval() - 3).max(MIN_INTERVAL);
            self.ticker.set_interval(faster);
            self.place_food();
        }
    }
}

impl Game for Snake {
    const INITIAL: Self = Snake::empty();

    fn restart(&mut self, now: i64) {
        let best = self.best.max(self.score);
        *self = Snake::empty();
        self.best = best;
        let (x0, y) = (COLS / 2 - 4, ROWS / 2);
        for i in 0..4 {
            self.push_head((y * COLS + x0 + i) as u16);
        }
        self.place_food();
        self.state = State::Playing;
        self.ticker = Ticker::new(START_INTERVAL, now);
    }

    fn key(&mut self, key: Key, now: i64) {
        match self.state {
            State::Dead | State::Won => {
                if key == Key::Enter || key.is_letter('r') {
                    self.restart(now);
                }
            }
            State::Paused => {
                if key.is_letter('p') || key == Key::Char(' ') || key == Key::Enter {
                    self.state = State::Playing;
                    self.ticker.reset(now);
                }
            }
            State::Playing => {
                if key.is_letter('p') || key == Key::Char(' ') {
                    self.state = State::Paused;
                } else if let Some(d) = key.dir() {
                    // Compare with the last queued turn, not the current heading.
                    let last = self
                        .queued
                        .iter()
                        .rev()
                        .flatten()
                        .next()
                        .copied()
                        .unwrap_or(self.dir);
                    let free = self.queued.iter_mut().find(|q| q.is_none());
                    if let Some(slot) = free.filter(|_| d != last && d != last.opposite()) {
                        *slot = Some(d);
                    }
                }
            }
        }
    }

    fn update(&mut self, now: i64) {
        if self.state == State::Playing {
            for _ in 0..self.ticker.steps(now) {
                self.step();
                if self.state != State::Playing {
                    break;
                }
            }
        }
    }

    fn draw(&self, c: &mut Screen, now: i64) {
        c.clear(BG);
        // The checkerboard: two rows of cells drawn, the rest copied from them pixel row by
        // pixel row (a few hundred rectangles per frame are much of a frame's interpreted work).
        for y in 0..2 {
            for x in 0..COLS as i32 {
                if (x + y) % 2 == 0 {
                    c.fill_rect(x * CELL, TOP + y * CELL, CELL, CELL, GRID);
                }
            }
        }
        for y in 2..ROWS as i32 {
            for dy in 0..CELL {
                c.copy_row(TOP + (y % 2) * CELL + dy, TOP + y * CELL + dy);
            }
        }
        let cell_rect = |c: &mut Screen, cell: usize, inset: i32, color: u32| {
            let (x, y) = ((cell % COLS) as i32, (cell / COLS) as i32);
            c.fill_rect(
                x * CELL + inset,
                TOP + y * CELL + inset,
                CELL - 2 * inset,
                CELL - 2 * inset,
                color,
            );
        };
        // Food pulses a little so it is easy to spot.
        let inset = if (now / 250) % 2 == 0 { 1 } else { 2 };
        cell_rect(c, self.food as usize, inset, FOOD);
        for i in 0..self.len {
            let cell = self.body[(self.head + CELLS - i) % CELLS] as usize;
            cell_rect(c, cell, 0, if i == 0 { HEAD } else { BODY });
        }

        c.fill_rect(0, 0, Screen::WIDTH, TOP, 0x000000);
        let mut t = TextBuf::<48>::new();
        let _ = write!(t, "SCORE {}", self.score);
        c.text(2, 1, t.as_str(), TEXT, 1);
        t.clear();
        let _ = write!(t, "BEST {}", self.best.max(self.score));
        c.text(
            Screen::WIDTH - 2 - rustos_sdk::font::text_width(t.as_str(), 1),
            1,
            t.as_str(),
            TEXT,
            1,
        );
        c.text_centered(1, "SNAKE", HEAD, 1);

        let banner = match self.state {
            State::Playing => None,
            State::Paused => Some(("PAUSED", "PRESS P TO GO ON")),
            State::Dead => Some(("GAME OVER", "PRESS ENTER")),
            State::Won => Some(("YOU WIN!", "PRESS ENTER")),
        };
        if let Some((title, hint)) = banner {
            c.banner(title, hint, BannerStyle::new(TEXT));
        }
    }
}

rustos_sdk::export_game!(Snake);
