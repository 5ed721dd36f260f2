//! Checks on guest pointers, lengths and buffers, and their error messages.

use super::EDGE;
use crate::*;
use std::string::ToString;

#[test]
fn range_accepts_valid() {
    assert_eq!(checked_range(100, 0, 100), Ok(0..100));
    assert_eq!(checked_range(100, 10, 5), Ok(10..15));
    assert_eq!(checked_range(100, 100, 0), Ok(100..100));
    assert_eq!(checked_range(0, 0, 0), Ok(0..0));
}

#[test]
fn range_rejects_invalid() {
    assert_eq!(
        checked_range(100, -1, 1),
        Err(AbiError::NegativePointer(-1))
    );
    assert_eq!(checked_range(100, 0, -1), Err(AbiError::NegativeLength(-1)));
    assert_eq!(
        checked_range(100, i32::MIN, 0),
        Err(AbiError::NegativePointer(i32::MIN))
    );
    assert_eq!(
        checked_range(100, 0, i32::MIN),
        Err(AbiError::NegativeLength(i32::MIN))
    );
    assert!(matches!(
        checked_range(100, 101, 0),
        Err(AbiError::OutOfBounds { .. })
    ));
    assert!(matches!(
        checked_range(100, 1, 100),
        Err(AbiError::OutOfBounds { .. })
    ));
    assert!(matches!(
        checked_range(100, i32::MAX, i32::MAX),
        Err(AbiError::OutOfBounds { .. })
    ));
    assert!(checked_range(usize::MAX, i32::MAX, i32::MAX).is_ok());
    assert!(checked_range(0, 0, 1).is_err());
}

#[test]
fn range_exhaustive_edges() {
    for mem in [0usize, 1, 7, 4096, MEMORY_LIMIT_BYTES, usize::MAX] {
        for &p in &EDGE {
            for &l in &EDGE {
                match checked_range(mem, p, l) {
                    Ok(r) => {
                        assert!(p >= 0 && l >= 0);
                        assert_eq!(r.start, p as usize);
                        assert_eq!(r.len(), l as usize);
                        assert!(r.end <= mem);
                    }
                    Err(_) => {
                        assert!(p < 0 || l < 0 || p as u64 + l as u64 > mem as u64);
                    }
                }
            }
        }
    }
}

#[test]
fn text_limit() {
    assert_eq!(checked_text(10_000, 0, MAX_PRINT_LEN), Ok(0..4096));
    assert_eq!(
        checked_text(10_000, 0, MAX_PRINT_LEN + 1),
        Err(AbiError::TooLong {
            len: 4097,
            max: 4096
        })
    );
    assert!(checked_text(10_000, 0, i32::MAX).is_err());
    assert!(checked_text(10_000, 0, -1).is_err());
    assert_eq!(checked_text(10_000, 5, 0), Ok(5..5));
}

#[test]
fn buffer_checks() {
    let mem = 320 * 200 * 4 + 8;
    assert_eq!(checked_buffer(mem, 8, 320, 200, 4), Ok(8..mem));
    assert!(matches!(
        checked_buffer(mem, 9, 320, 200, 4),
        Err(AbiError::OutOfBounds { .. })
    ));
    for (w, h) in [
        (0, 1),
        (1, 0),
        (-1, 1),
        (1, -1),
        (4097, 1),
        (1, 4097),
        (i32::MIN, i32::MAX),
    ] {
        assert_eq!(
            checked_buffer(usize::MAX, 0, w, h, 4),
            Err(AbiError::BadDimensions {
                width: w,
                height: h
            })
        );
    }
    assert_eq!(
        checked_buffer(usize::MAX, 0, 4096, 4096, 4),
        Ok(0..4096 * 4096 * 4)
    );
    assert_eq!(
        checked_buffer(usize::MAX, -4, 1, 1, 4),
        Err(AbiError::NegativePointer(-4))
    );
    assert_eq!(
        checked_buffer(usize::MAX, 0, 1, 1, 0),
        Err(AbiError::Overflow)
    );
    assert!(checked_buffer(MEMORY_LIMIT_BYTES, i32::MAX, 1, 1, 4).is_err());
    assert!(checked_buffer(0, 0, 1, 1, 4).is_err());
    for &p in &EDGE {
        for &w in &EDGE {
            for &h in &EDGE {
                if let Ok(r) = checked_buffer(MEMORY_LIMIT_BYTES, p, w, h, 4) {
                    assert_eq!(r.len(), w as usize * h as usize * 4);
                    assert!(r.end <= MEMORY_LIMIT_BYTES);
                }
            }
        }
    }
}

#[test]
fn error_display() {
    let all = [
        AbiError::NegativePointer(-1),
        AbiError::NegativeLength(-2),
        AbiError::OutOfBounds {
            ptr: 16,
            len: 4,
            mem_len: 8,
        },
        AbiError::TooLong {
            len: 5000,
            max: 4096,
        },
        AbiError::BadDimensions {
            width: 0,
            height: 5,
        },
        AbiError::Overflow,
    ];
    for e in all {
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(
        AbiError::OutOfBounds {
            ptr: 16,
            len: 4,
            mem_len: 8
        }
        .to_string(),
        "guest range 0x10+4 is outside guest memory (8 bytes)"
    );
}
