//! The random numbers behind the `random()` import (also used by host-side tests).

/// The hosts' source for `random()`: xorshift64*, small, fast, full period, and
/// deterministic for a seed (the harness compares runs; the kernel seeds it from the TSC).
/// Not for cryptography.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, since xorshift never leaves the zero state).
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The next 32 random bits (the high half, the better-mixed one).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// For hostile-input tests: overwrites up to three random bytes of `buf` with random
    /// values and returns how much of it to keep (all of it, or one time in eight a random
    /// shorter length), so a parser sees answers that are almost right.
    pub fn mutate(&mut self, buf: &mut [u8]) -> usize {
        for _ in 0..(self.next_u32() % 4) {
            if buf.is_empty() {
                break;
            }
            let i = (self.next_u32() as usize) % buf.len();
            buf[i] = self.next_u32() as u8;
        }
        if self.next_u32() % 8 == 0 {
            (self.next_u32() as usize) % (buf.len() + 1)
        } else {
            buf.len()
        }
    }
}
