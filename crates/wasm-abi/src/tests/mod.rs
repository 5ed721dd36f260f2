//! Host tests, one file per module. Guest arguments are hostile, so the checks are tried on
//! every edge value of `i32` (and models of the arithmetic) rather than on a few samples.

mod guest;
mod imports;
mod rng;
mod screen;

/// The `i32` values where arithmetic on guest arguments goes wrong if it can.
pub(super) const EDGE: [i32; 9] = [
    i32::MIN,
    i32::MIN + 1,
    -2,
    -1,
    0,
    1,
    2,
    i32::MAX - 1,
    i32::MAX,
];
