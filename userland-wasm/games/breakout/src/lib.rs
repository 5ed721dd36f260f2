//! Breakout for RustOS: Left/Right (or A/D) move the paddle, Space or Enter launches the ball,
//! P pauses, R restarts. Clear all bricks to win; three balls per game.
//!
//! ABI v1 reports key presses only (no releases), so a press pushes the paddle for a short
//! while and the keyboard's auto-repeat keeps it moving while the key is held. Physics run in
//! fixed 4 ms sub-steps of the elapsed `time_ms`, so a slow frame cannot tunnel the ball
//! through a brick.

// no_std on the real target; on the host the crate links std so that workspace-wide
// `cargo test` and `cargo clippy` can build it too (it is never run there).
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::font::text_width;
use rustos_sdk::prelude::*;

const W: i32 = Screen::WIDTH;
const H: i32 = Screen::HEIGHT;
const TOP: i32 = 12;
const COLS: usize = 10;
const ROWS: usize = 6;
const BRICK_W: i32 = 30;
const BRICK_H: i32 = 8;
const BRICKS_X: i32 = (W - COLS as i32 * (BRICK_W + 2)) / 2 + 1;
const BRICKS_Y: i32 = TOP + 18;
const PADDLE_W: i32 = 40;
const PADDLE_Y: i32 = H - 14;
const BALL: i32 = 4;
/// Fixed point: positions and speeds are in 1/256 pixel.
const FP: i32 = 256;
const PADDLE_SPEED: i32 = 260; // px per second
const PUSH_MS: i64 = 140;
const BALL_SPEED: i32 = 150; // px per second, grows as bricks fall
const STEP_MS: i64 = 4;

const ROW_COLORS: [u32; ROWS] = [0xe84a5f, 0xff847c, 0xfecea8, 0x99b898, 0x58a4b0, 0x6c5b7b];
const TEXT: u32 = 0xe8e8f0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Serve,
    Playing,
    Paused,
    Won,
    Over,
}

struct Breakout {
    bricks: [[bool; COLS]; ROWS],
    left: u32,
    /// Paddle left edge, fixed point.
    paddle: i32,
    push_dir: i32,
    push_until: i64,
    bx: i32,
    by: i32,
    vx: i32,
    vy: i32,
    score: u32,
    best: u32,
    lives: u32,
    state: State,
    last: i64,
}

impl Breakout {
    const fn empty() -> Self {
        Breakout {
            bricks: [[true; COLS]; ROWS],
            left: (COLS * ROWS) as u32,
            paddle: (W - PADDLE_W) / 2 * FP,
            push_dir: 0,
            push_until: 0,
            bx: 0,
            by: 0,
            vx: 0,
            vy: 0,
            score: 0,
            best: 0,
            lives: 3,
            state: State::Serve,
            last: 0,
        }
    }

    fn serve(&mut self) {
        let speed = BALL_SPEED + (COLS * ROWS) as i32 - self.left as i32;
        // Launch up and to a random side, about 45-60 degrees.
        let side = if random() & 1 == 0 { -1 } else { 1 };
        self.vx = side * speed * FP * (50 + random_below(25) as i32) / 100 / 1000;
        self.vy = -speed * FP * 85 / 100 / 1000;
        self.state = State::Playing;
    }

    fn step(&mut self, t: i64) {
        if t < self.push_until {
            self.paddle += self.push_dir * PADDLE_SPEED * FP * STEP_MS as i32 / 1000;
            self.paddle = self.paddle.clamp(0, (W - PADDLE_W) * FP);
        }
        if self.state == State::Serve {
            self.bx = self.paddle + (PADDLE_W - BALL) / 2 * FP;
            self.by = (PADDLE_Y - BALL - 1) * FP;
            return;
        }
        self.bx += self.vx * STEP_MS as i32;
        self.by += self.vy * STEP_MS as i32;
        let (x, y) = (self.bx / FP, self.by / FP);
        // Walls.
        if x < 0 {
            self.bx = 0;
            self.vx = self.vx.abs();
        } else if x + BALL > W {
            self.bx = (W - BALL) * FP;
            self.vx = -self.vx.abs();
        }
        if y < TOP {
            self.by = TOP * FP;
            self.vy = self.vy.abs();
        }
        // Paddle: the bounce angle depends on where the ball hits it.
        let px = self.paddle / FP;
        if self.vy > 0
            && y + BALL >= PADDLE_Y
            && y + BALL <= PADDLE_Y + 4
            && x + BALL > px
            && x < px + PADDLE_W
        {
            let hit = (x + BALL / 2 - px) * 200 / PADDLE_W - 100; // -100..100
            let speed = isqrt(self.vx * self.vx + self.vy * self.vy);
            self.vx = speed * hit.clamp(-80, 80) / 100;
            self.vy = -isqrt(speed * speed - self.vx * self.vx).max(speed / 3);
            self.by = (PADDLE_Y - BALL) * FP;
        }
        if y > H {
            self.lives -= 1;
            self.state = if self.lives == 0 {
                State::Over
            } else {
                State::Serve
            };
            self.best = self.best.max(self.score);
            return;
        }
        self.hit_bricks();
    }

    fn hit_bricks(&mut self) {
        let (x, y) = (self.bx / FP, self.by / FP);
        for (r, row) in self.bricks.iter_mut().enumerate() {
            for (col, alive) in row.iter_mut().enumerate() {
                if !*alive {
                    continue;
                }
                let (rx, ry) = brick_pos(r, col);
                if x + BALL > rx && x < rx + BRICK_W && y + BALL > ry && y < ry + BRICK_H {
                    *alive = false;
                    self.left -= 1;
                    self.score += 10 * (ROWS - r) as u32;
                    // Bounce off the side that was entered the least deeply.
                    let dx = (x + BALL - rx).min(rx + BRICK_W - x);
                    let dy = (y + BALL - ry).min(ry + BRICK_H - y);
                    if dx < dy {
                        self.vx = -self.vx;
                    } else {
                        self.vy = -self.vy;
                    }
                    // Speed up slightly with every brick.
                    self.vx += self.vx.signum();
                    self.vy += self.vy.signum();
                    if self.left == 0 {
                        self.state = State::Won;
                        self.best = self.best.max(self.score);
                    }
                    return;
                }
            }
        }
    }
}

impl Game for Breakout {
    const INITIAL: Self = Breakout::empty();

    fn restart(&mut self, now: i64) {
        let best = self.best.max(self.score);
        *self = Breakout::empty();
        self.best = best;
        self.last = now;
    }

    fn key(&mut self, key: Key, now: i64) {
        match self.state {
            State::Won | State::Over => {
                if key == Key::Enter || key.is_letter('r') {
                    self.restart(now);
                }
                return;
            }
            State::Paused => {
                if key.is_letter('p') || key == Key::Enter || key == Key::Char(' ') {
                    self.state = State::Playing;
                }
                return;
            }
            _ => {}
        }
        match key.dir() {
            Some(Dir::Left) => {
                self.push_dir = -1;
                self.push_until = now + PUSH_MS;
            }
            Some(Dir::Right) => {
                self.push_dir = 1;
                self.push_until = now + PUSH_MS;
            }
            _ => {
                if key == Key::Char(' ') || key == Key::Enter {
                    if self.state == State::Serve {
                        self.serve();
                    }
                } else if key.is_letter('p') && self.state == State::Playing {
                    self.state = State::Paused;
                } else if key.is_letter('r') {
                    self.restart(now);
                }
            }
        }
    }

    fn update(&mut self, now: i64) {
        // Never simulate more than 100 ms at once (e.g. after a stall).
        let mut t = self.last.max(now - 100);
        self.last = now;
        if matches!(self.state, State::Paused | State::Won | State::Over) {
            return;
        }
        while t + STEP_MS <= now {
            t += STEP_MS;
            self.step(t);
            if !matches!(self.state, State::Serve | State::Playing) {
                break;
            }
        }
        self.last = t; // the unsimulated remainder (< STEP_MS) carries over to the next frame
    }

    fn draw(&self, c: &mut Screen, _now: i64) {
        c.clear(0x101018);
        c.fill_rect(0, 0, W, TOP - 2, 0x000000);
        let mut t = TextBuf::<32>::new();
        let _ = write!(t, "SCORE {}", self.score);
        c.text(2, 1, t.as_str(), TEXT, 1);
        c.text_centered(1, "BREAKOUT", ROW_COLORS[0], 1);
        t.clear();
        let _ = write!(
            t,
            "BALLS {}  BEST {}",
            self.lives,
            self.best.max(self.score)
        );
        c.text(W - 2 - text_width(t.as_str(), 1), 1, t.as_str(), TEXT, 1);
        for (r, row) in self.bricks.iter().enumerate() {
            for (col, alive) in row.iter().enumerate() {
                if *alive {
                    let (x, y) = brick_pos(r, col);
                    c.fill_rect(x, y, BRICK_W, BRICK_H, ROW_COLORS[r]);
                }
            }
        }
        c.fill_rect(self.paddle / FP, PADDLE_Y, PADDLE_W, 4, 0xd8dee9);
        if matches!(self.state, State::Serve | State::Playing | State::Paused) {
            c.fill_rect(self.bx / FP, self.by / FP, BALL, BALL, 0xffffff);
        }
        let banner = match self.state {
            State::Serve => Some(("", "SPACE TO LAUNCH")),
            State::Paused => Some(("PAUSED", "PRESS P")),
            State::Won => Some(("YOU WIN!", "PRESS ENTER")),
            State::Over => Some(("GAME OVER", "PRESS ENTER")),
            State::Playing => None,
        };
        if let Some((title, hint)) = banner {
            c.banner(title, hint, BannerStyle::new(TEXT).at(100, 128).undimmed());
        }
    }
}

fn brick_pos(row: usize, col: usize) -> (i32, i32) {
    (
        BRICKS_X + col as i32 * (BRICK_W + 2),
        BRICKS_Y + row as i32 * (BRICK_H + 2),
    )
}

/// Integer square root (Newton), for keeping the ball's speed when its angle changes.
fn isqrt(n: i32) -> i32 {
    if n <= 0 {
        return 0;
    }
    let mut x = n;
    let mut y = (x + 1) / 2;
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

rustos_sdk::export_game!(Breakout);
