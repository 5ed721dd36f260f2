extern crate std;

use super::*;
use std::sync::Arc;
use std::vec::Vec;

#[test]
fn fifo_order_and_capacity() {
    let r: IrqRing<u8, 4> = IrqRing::new();
    assert!(r.is_empty());
    for i in 0..4 {
        assert_eq!(r.push(i), Ok(()));
    }
    assert_eq!(r.push(9), Err(PushError::Full));
    assert_eq!(r.len(), 4);
    assert_eq!(r.dropped(), 1);
    assert_eq!(r.received(), 5);
    assert_eq!((r.pop(), r.pop()), (Some(0), Some(1)));
    assert_eq!(r.push(4), Ok(()));
    assert_eq!(r.push(5), Ok(()));
    let rest: Vec<u8> = core::iter::from_fn(|| r.pop()).collect();
    assert_eq!(rest, [2, 3, 4, 5]);
    assert_eq!(r.pop(), None);
}

#[test]
fn reserve_keeps_room_for_important_values() {
    let r: IrqRing<u16, 8> = IrqRing::new();
    // Ordinary values may use only 8 - 2 slots.
    let stored = (0..20).filter(|&i| r.push_keeping(i, 2).is_ok()).count();
    assert_eq!(stored, 6);
    assert_eq!(r.free(), 2);
    // Important ones still get in, until the ring is truly full.
    assert_eq!(r.push(100), Ok(()));
    assert_eq!(r.push(101), Ok(()));
    assert_eq!(r.push(102), Err(PushError::Full));
    let all: Vec<u16> = core::iter::from_fn(|| r.pop()).collect();
    assert_eq!(all, [0, 1, 2, 3, 4, 5, 100, 101]);
}

#[test]
fn counters_wrap_around() {
    let r: IrqRing<u32, 2> = IrqRing::new();
    r.head.store(usize::MAX - 1, Ordering::Relaxed);
    r.tail.store(usize::MAX - 1, Ordering::Relaxed);
    for i in 0..10 {
        assert_eq!(r.push(i), Ok(()));
        assert_eq!(r.push(i + 100), Ok(()));
        assert_eq!(r.push(7), Err(PushError::Full));
        assert_eq!(r.pop(), Some(i));
        assert_eq!(r.pop(), Some(i + 100));
        assert_eq!(r.pop(), None);
    }
}

#[test]
fn a_busy_side_refuses_instead_of_racing() {
    let r: IrqRing<u8, 4> = IrqRing::new();
    r.producing.store(true, Ordering::Relaxed);
    assert_eq!(r.push(1), Err(PushError::Busy));
    r.producing.store(false, Ordering::Relaxed);
    r.push(2).unwrap();
    r.consuming.store(true, Ordering::Relaxed);
    assert_eq!(r.pop(), None);
    r.consuming.store(false, Ordering::Relaxed);
    assert_eq!(r.pop(), Some(2));
}

/// A producer thread and a consumer thread: everything popped arrives in order, and
/// every value is either popped or counted as dropped.
#[test]
fn concurrent_producer_and_consumer_lose_nothing_silently() {
    const COUNT: u64 = 200_000;
    let r: Arc<IrqRing<u64, 64>> = Arc::new(IrqRing::new());
    let producer = {
        let r = Arc::clone(&r);
        std::thread::spawn(move || {
            for i in 0..COUNT {
                let _ = r.push(i);
            }
        })
    };
    let mut got = Vec::new();
    while !producer.is_finished() || !r.is_empty() {
        if let Some(v) = r.pop() {
            got.push(v);
        }
    }
    producer.join().unwrap();
    while let Some(v) = r.pop() {
        got.push(v);
    }
    assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept");
    assert_eq!(got.len() as u64 + r.dropped(), COUNT);
    assert_eq!(r.received(), COUNT);
}

/// Two producers at once (as a nested interrupt would be): no value is duplicated or
/// torn, and the accounting still adds up.
#[test]
fn two_producers_never_corrupt_the_ring() {
    const EACH: u64 = 50_000;
    let r: Arc<IrqRing<u64, 32>> = Arc::new(IrqRing::new());
    let spawn = |tag: u64| {
        let r = Arc::clone(&r);
        std::thread::spawn(move || {
            for i in 0..EACH {
                let _ = r.push(tag << 32 | i);
            }
        })
    };
    let (a, b) = (spawn(1), spawn(2));
    let mut got = Vec::new();
    while !(a.is_finished() && b.is_finished()) || !r.is_empty() {
        if let Some(v) = r.pop() {
            got.push(v);
        }
    }
    a.join().unwrap();
    b.join().unwrap();
    while let Some(v) = r.pop() {
        got.push(v);
    }
    for tag in [1u64, 2] {
        let mine: Vec<u64> = got.iter().filter(|v| *v >> 32 == tag).copied().collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "per-producer order kept"
        );
    }
    assert!(
        got.iter()
            .all(|v| matches!(v >> 32, 1 | 2) && v & 0xffff_ffff < EACH)
    );
    assert_eq!(got.len() as u64 + r.dropped(), 2 * EACH);
}
