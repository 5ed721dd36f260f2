//! The random number generator.

use crate::Rng;

#[test]
fn deterministic_and_never_stuck() {
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    assert_eq!(a.next_u64(), b.next_u64());
    let mut z = Rng::new(0);
    let first = z.next_u32();
    assert!((0..100).any(|_| z.next_u32() != first));
}
