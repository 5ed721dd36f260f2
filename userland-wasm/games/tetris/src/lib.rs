//! Tetris for RustOS: Left/Right (or A/D) move, Up/W/X rotate clockwise, Z rotates back,
//! Down/S drops one row, Space drops to the bottom, P pauses, Enter or R restarts.
//!
//! Pieces come from a shuffled bag of all seven, so droughts are short. Gravity is paced by
//! `time_ms` and speeds up every ten lines; a piece locks when it cannot fall at the next
//! gravity step, which leaves a moment to slide it along the stack.

// no_std on the real target; on the host the crate links std so that workspace-wide
// `cargo test` and `cargo clippy` can build it too (it is never run there).
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::font::text_width;
use rustos_sdk::prelude::*;

const BW: usize = 10;
const BH: usize = 20;
const CELL: i32 = 9;
const BOARD_X: i32 = (Screen::WIDTH - BW as i32 * CELL) / 2;
const BOARD_Y: i32 = 10;

const BG: u32 = 0x0e1018;
const WELL: u32 = 0x05060a;
const FRAME: u32 = 0x5a6078;
const TEXT: u32 = 0xdfe3ee;
const DIM: u32 = 0x8a90a6;

/// The seven tetrominoes as cells in their spawn orientation, and their rotation box size.
const SHAPES: [([(i8, i8); 4], i8); 7] = [
    ([(0, 1), (1, 1), (2, 1), (3, 1)], 4), // I
    ([(1, 0), (2, 0), (1, 1), (2, 1)], 4), // O
    ([(1, 0), (0, 1), (1, 1), (2, 1)], 3), // T
    ([(1, 0), (2, 0), (0, 1), (1, 1)], 3), // S
    ([(0, 0), (1, 0), (1, 1), (2, 1)], 3), // Z
    ([(0, 0), (0, 1), (1, 1), (2, 1)], 3), // J
    ([(2, 0), (0, 1), (1, 1), (2, 1)], 3), // L
];
const COLORS: [u32; 7] = [
    0x31c7ef, 0xf7d308, 0xad4d9c, 0x42b642, 0xef2029, 0x5a65ad, 0xef7921,
];
const LINE_SCORES: [u32; 5] = [0, 100, 300, 500, 800];

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Playing,
    Paused,
    Over,
}

#[derive(Clone, Copy)]
struct Piece {
    kind: usize,
    rot: u8,
    x: i32,
    y: i32,
}

impl Piece {
    fn spawn(kind: usize) -> Piece {
        Piece {
            kind,
            rot: 0,
            x: 3,
            y: 0,
        }
    }

    /// Board cells covered by this piece.
    fn cells(&self) -> [(i32, i32); 4] {
        let (shape, n) = SHAPES[self.kind];
        shape.map(|(cx, cy)| {
            let (mut x, mut y) = (cx, cy);
            for _ in 0..self.rot % 4 {
                (x, y) = (n - 1 - y, x);
            }
            (self.x + i32::from(x), self.y + i32::from(y))
        })
    }
}

struct Tetris {
    /// 0 = empty, k + 1 = a block of piece kind k.
    board: [[u8; BW]; BH],
    piece: Piece,
    next: usize,
    bag: [u8; 7],
    bag_left: usize,
    score: u32,
    lines: u32,
    best: u32,
    state: State,
    gravity: Ticker,
}

impl Tetris {
    const fn empty() -> Self {
        Tetris {
            board: [[0; BW]; BH],
            piece: Piece {
                kind: 0,
                rot: 0,
                x: 3,
                y: 0,
            },
            next: 0,
            bag: [0; 7],
            bag_left: 0,
            score: 0,
            lines: 0,
            best: 0,
            state: State::Over,
            gravity: Ticker::new(800, 0),
        }
    }

    fn level(&self) -> u32 {
        self.lines / 10 + 1
    }

    fn interval(&self) -> i64 {
        (800 - 70 * (i64::from(self.level()) - 1)).max(80)
    }

    fn draw_from_bag(&mut self) -> usize {
        if self.bag_left == 0 {
            self.bag = [0, 1, 2, 3, 4, 5, 6];
            for i in (1..7).rev() {
                let j = random_below(i as u32 + 1) as usize;
                self.bag.swap(i, j);
            }
            self.bag_left = 7;
        }
        self.bag_left -= 1;
        self.bag[self.bag_left] as usize
    }

    fn new_piece(&mut self) {
        self.piece = Piece::spawn(self.next);
        self.next = self.draw_from_bag();
        if !self.fits(&self.piece) {
            self.state = State::Over;
            self.best = self.best.max(self.score);
        }
    }

    fn fits(&self, p: &Piece) -> bool {
        p.cells().iter().all(|&(x, y)| {
            (0..BW as i32).contains(&x)
                && y < BH as i32
                && (y < 0 || self.board[y as usize][x as usize] == 0)
        })
    }

    fn try_move(&mut self, dx: i32, dy: i32) -> bool {
        let p = Piece {
            x: self.piece.x + dx,
            y: self.piece.y + dy,
            ..self.piece
        };
        let ok = self.fits(&p);
        if ok {
            self.piece = p;
        }
        ok
    }

    fn rotate(&mut self, turns: u8) {
        let rotated = Piece {
            rot: (self.piece.rot + turns) % 4,
            ..self.piece
        };
        // Simple wall kicks: try in place, then nudged sideways, then up one.
        for (dx, dy) in [(0, 0), (-1, 0), (1, 0), (-2, 0), (2, 0), (0, -1)] {
            let p = Piece {
                x: rotated.x + dx,
                y: rotated.y + dy,
                ..rotated
            };
            if self.fits(&p) {
                self.piece = p;
                return;
            }
        }
    }

    fn lock(&mut self) {
        for (x, y) in self.piece.cells() {
            if y >= 0 {
                self.board[y as usize][x as usize] = self.piece.kind as u8 + 1;
            }
        }
        // Clear full rows, moving everything above down.
        let mut cleared = 0;
        let mut y = BH;
        while y > 0 {
            y -= 1;
            if self.board[y].iter().all(|c| *c != 0) {
                for yy in (1..=y).rev() {
                    self.board[yy] = self.board[yy - 1];
                }
                self.board[0] = [0; BW];
                cleared += 1;
                y += 1; // Re-check the row that moved into place.
            }
        }
        self.score += LINE_SCORES[cleared] * self.level();
        self.lines += cleared as u32;
        self.gravity.set_interval(self.interval());
        self.new_piece();
    }

    fn ghost(&self) -> Piece {
        let mut g = self.piece;
        loop {
            let below = Piece { y: g.y + 1, ..g };
            if !self.fits(&below) {
                return g;
            }
            g = below;
        }
    }
}

impl Game for Tetris {
    const INITIAL: Self = Tetris::empty();

    fn restart(&mut self, now: i64) {
        let best = self.best.max(self.score);
        *self = Tetris::empty();
        self.best = best;
        self.next = self.draw_from_bag();
        self.state = State::Playing;
        self.gravity = Ticker::new(self.interval(), now);
        self.new_piece();
    }

    fn key(&mut self, key: Key, now: i64) {
        match self.state {
            State::Over => {
                if key == Key::Enter || key.is_letter('r') {
                    self.restart(now);
                }
                return;
            }
            State::Paused => {
                if key.is_letter('p') || key == Key::Enter {
                    self.state = State::Playing;
                    self.gravity.reset(now);
                }
                return;
            }
            State::Playing => {}
        }
        match key {
            k if k.is_letter('p') => self.state = State::Paused,
            k if k.is_letter('r') => self.restart(now),
            k if k.is_letter('x') => self.rotate(1),
            k if k.is_letter('z') => self.rotate(3),
            Key::Char(' ') => {
                while self.try_move(0, 1) {
                    self.score += 2;
                }
                self.lock();
                self.gravity.reset(now);
            }
            k => match k.dir() {
                Some(Dir::Left) => {
                    self.try_move(-1, 0);
                }
                Some(Dir::Right) => {
                    self.try_move(1, 0);
                }
                Some(Dir::Up) => self.rotate(1),
                Some(Dir::Down) => {
                    if self.try_move(0, 1) {
                        self.score += 1;
                        self.gravity.reset(now);
                    }
                }
                None => {}
            },
        }
    }

    fn update(&mut self, now: i64) {
        if self.state != State::Playing {
            return;
        }
        for _ in 0..self.gravity.steps(now) {
            if !self.try_move(0, 1) {
                self.lock();
                if self.state != State::Playing {
                    break;
                }
            }
        }
    }

    fn draw(&self, c: &mut Screen, _now: i64) {
        c.clear(BG);
        let (bw, bh) = (BW as i32 * CELL, BH as i32 * CELL);
        c.fill_rect(BOARD_X, BOARD_Y, bw, bh, WELL);
        c.rect(BOARD_X - 2, BOARD_Y - 2, bw + 4, bh + 4, FRAME);
        for (y, row) in self.board.iter().enumerate() {
            for (x, cell) in row.iter().enumerate() {
                if *cell != 0 {
                    block(
                        c,
                        BOARD_X + x as i32 * CELL,
                        BOARD_Y + y as i32 * CELL,
                        COLORS[*cell as usize - 1],
                    );
                }
            }
        }
        if self.state != State::Over {
            for (x, y) in self.ghost().cells() {
                if y >= 0 {
                    c.rect(
                        BOARD_X + x * CELL,
                        BOARD_Y + y * CELL,
                        CELL - 1,
                        CELL - 1,
                        DIM,
                    );
                }
            }
            for (x, y) in self.piece.cells() {
                if y >= 0 {
                    block(
                        c,
                        BOARD_X + x * CELL,
                        BOARD_Y + y * CELL,
                        COLORS[self.piece.kind],
                    );
                }
            }
        }

        // Right panel: next piece and numbers.
        let px = BOARD_X + bw + 14;
        c.text(px, BOARD_Y, "NEXT", DIM, 1);
        let preview = Piece {
            kind: self.next,
            rot: 0,
            x: 0,
            y: 0,
        };
        for (x, y) in preview.cells() {
            block(c, px + x * CELL, BOARD_Y + 12 + y * CELL, COLORS[self.next]);
        }
        let mut t = TextBuf::<24>::new();
        let rows: [(&str, u32); 4] = [
            ("SCORE", self.score),
            ("LINES", self.lines),
            ("LEVEL", self.level()),
            ("BEST", self.best.max(self.score)),
        ];
        for (i, (label, value)) in rows.iter().enumerate() {
            let y = BOARD_Y + 56 + i as i32 * 24;
            c.text(px, y, label, DIM, 1);
            t.clear();
            let _ = write!(t, "{value}");
            c.text(px, y + 10, t.as_str(), TEXT, 1);
        }

        // Left panel: controls.
        let help = [
            "ARROWS/WASD",
            "MOVE+ROTATE",
            "",
            "SPACE DROP",
            "Z X ROTATE",
            "P PAUSE",
            "R RESTART",
        ];
        for (i, line) in help.iter().enumerate() {
            let x = BOARD_X - 14 - text_width(line, 1);
            c.text(x, BOARD_Y + 10 * i as i32, line, DIM, 1);
        }
        c.text(
            BOARD_X - 14 - text_width("TETRIS", 2),
            BOARD_Y + bh - 16,
            "TETRIS",
            TEXT,
            2,
        );

        match self.state {
            State::Playing => {}
            State::Paused => overlay(c, "PAUSED", "PRESS P"),
            State::Over => {
                t.clear();
                let _ = write!(t, "SCORE {} - PRESS ENTER", self.score);
                overlay(c, "GAME OVER", t.as_str());
            }
        }
    }
}

fn block(c: &mut Screen, x: i32, y: i32, color: u32) {
    c.fill_rect(x, y, CELL - 1, CELL - 1, color);
    // A lighter top-left edge gives the blocks some depth.
    c.fill_rect(x, y, CELL - 1, 1, color | 0x404040);
    c.fill_rect(x, y, 1, CELL - 1, color | 0x404040);
}

fn overlay(c: &mut Screen, title: &str, hint: &str) {
    c.fill_rect(0, 78, Screen::WIDTH, 44, 0x000000);
    c.banner(
        title,
        hint,
        BannerStyle::new(TEXT)
            .at(84, 110)
            .hint_color(DIM)
            .undimmed(),
    );
}

rustos_sdk::export_game!(Tetris);
