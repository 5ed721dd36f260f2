//! One generation of Conway's Game of Life on a torus of bytes (0 = dead, 1 = alive).
//!
//! This is the compute kernel of the wasm-vs-native benchmark: the kernel runs it natively
//! and the benchmark module (`userland-wasm/bench`) runs the very same source compiled to
//! WebAssembly, so the ratio measures the interpreter, not two different programs.

#![no_std]

/// Computes the next generation of `cur` (a `w` x `h` grid, row-major) into `next` and
/// returns how many cells are alive. Grids of the wrong size are left untouched (0).
pub fn step(cur: &[u8], next: &mut [u8], w: usize, h: usize) -> u32 {
    if w == 0 || h == 0 || cur.len() != w * h || next.len() != w * h {
        return 0;
    }
    let mut alive = 0;
    for y in 0..h {
        let up = if y == 0 { h - 1 } else { y - 1 } * w;
        let row = y * w;
        let down = if y + 1 == h { 0 } else { y + 1 } * w;
        for x in 0..w {
            let left = if x == 0 { w - 1 } else { x - 1 };
            let right = if x + 1 == w { 0 } else { x + 1 };
            let n = cur[up + left]
                + cur[up + x]
                + cur[up + right]
                + cur[row + left]
                + cur[row + right]
                + cur[down + left]
                + cur[down + x]
                + cur[down + right];
            let live = matches!((cur[row + x], n), (1, 2) | (_, 3));
            next[row + x] = live as u8;
            alive += live as u32;
        }
    }
    alive
}

/// Fills a grid with a deterministic pseudo-random pattern (about one cell in three alive).
pub fn seed(grid: &mut [u8], mut state: u32) {
    for cell in grid {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *cell = (state % 3 == 0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blinker_oscillates() {
        let (w, h) = (5, 5);
        let mut a = [0u8; 25];
        a[2 * w + 1] = 1;
        a[2 * w + 2] = 1;
        a[2 * w + 3] = 1;
        let mut b = [0u8; 25];
        assert_eq!(step(&a, &mut b, w, h), 3);
        assert_eq!((b[w + 2], b[2 * w + 2], b[3 * w + 2]), (1, 1, 1));
        let mut c = [0u8; 25];
        step(&b, &mut c, w, h);
        assert_eq!(a, c);
    }

    #[test]
    fn block_is_still_and_wraps_around_edges() {
        let (w, h) = (4, 4);
        let mut a = [0u8; 16];
        for i in [0, 3, 12, 15] {
            a[i] = 1; // a block split over the four corners of the torus
        }
        let mut b = [0u8; 16];
        assert_eq!(step(&a, &mut b, w, h), 4);
        assert_eq!(a, b);
    }

    #[test]
    fn wrong_sizes_do_nothing() {
        let mut b = [7u8; 4];
        assert_eq!(step(&[0; 3], &mut b, 2, 2), 0);
        assert_eq!(b, [7; 4]);
    }

    #[test]
    fn seed_is_deterministic() {
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        seed(&mut a, 42);
        seed(&mut b, 42);
        assert_eq!(a, b);
        assert!(a.contains(&1) && a.contains(&0));
    }
}
