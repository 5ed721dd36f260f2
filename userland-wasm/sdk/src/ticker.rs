//! [`Ticker`]: fixed-rate game steps from an irregular frame clock.
//!
//! The host calls `frame()` at roughly 60 Hz, but frames can be late or bunched. Games step
//! their simulation by elapsed `time_ms`, catching up a few missed steps at most so a long
//! stall (e.g. the kernel busy) does not fast-forward the game.

/// Counts how many fixed-length steps are due.
#[derive(Clone, Copy, Debug)]
pub struct Ticker {
    interval: i64,
    next: i64,
}

/// Missed steps beyond this are dropped.
const MAX_CATCH_UP: u32 = 4;

impl Ticker {
    /// A ticker whose first step is due `interval_ms` after `now`.
    pub const fn new(interval_ms: i64, now: i64) -> Self {
        let interval = if interval_ms < 1 { 1 } else { interval_ms };
        Ticker {
            interval,
            next: now + interval,
        }
    }

    /// Changes the step length (takes effect from the next step).
    pub fn set_interval(&mut self, interval_ms: i64) {
        self.interval = interval_ms.max(1);
    }

    /// The step length.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// Restarts counting from `now`.
    pub fn reset(&mut self, now: i64) {
        self.next = now + self.interval;
    }

    /// Number of steps due at `now` (at most a few; older missed steps are skipped).
    pub fn steps(&mut self, now: i64) -> u32 {
        let mut n = 0;
        while now >= self.next {
            n += 1;
            self.next += self.interval;
            if n == MAX_CATCH_UP {
                if now >= self.next {
                    self.next = now + self.interval;
                }
                break;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::Ticker;

    #[test]
    fn steps_at_rate() {
        let mut t = Ticker::new(100, 0);
        assert_eq!(t.steps(50), 0);
        assert_eq!(t.steps(100), 1);
        assert_eq!(t.steps(199), 0);
        assert_eq!(t.steps(310), 2);
        assert_eq!(t.steps(10_000), 4, "long stalls are capped");
        assert_eq!(t.steps(10_050), 0);
        assert_eq!(t.steps(10_100), 1);
        t.reset(20_000);
        assert_eq!(t.steps(20_099), 0);
        assert_eq!(Ticker::new(0, 0).interval(), 1);
    }
}
