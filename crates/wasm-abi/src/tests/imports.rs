//! The import table and the key codes.

use crate::*;

#[test]
fn key_round_trip() {
    for code in -5..0x200 {
        match Key::from_code(code) {
            None => assert!(code < 0),
            Some(k) => assert_eq!(k.code(), code, "{k:?}"),
        }
    }
    assert_eq!(Key::from_code(NO_KEY), None);
    assert_eq!(Key::from_code(i32::MIN), None);
    assert_eq!(Key::from_code(i32::MAX), Some(Key::Other(i32::MAX)));
    assert_eq!(Key::from_code(KEY_SPACE), Some(Key::Char(' ')));
    assert_eq!(Key::from_code('a' as i32), Some(Key::Char('a')));
    assert_eq!(Key::from_code(KEY_UP), Some(Key::Up));
    assert_eq!(Key::from_code(KEY_RIGHT), Some(Key::Right));
    assert_eq!(Key::from_code(0x7f), Some(Key::Other(0x7f)));
    assert_eq!(Key::Char('é').code(), NO_KEY);
    assert_eq!(Key::Char('\n').code(), NO_KEY);
}

#[test]
fn import_table_is_consistent() {
    assert_eq!(IMPORTS.len(), 10);
    for (i, a) in IMPORTS.iter().enumerate() {
        assert!(IMPORTS[i + 1..].iter().all(|b| b.name != a.name));
    }
    assert_eq!(import_sig("time_ms").unwrap().result, Some(ValType::I64));
    assert!(import_sig("nope").is_none());
    assert_eq!(MEMORY_LIMIT_PAGES, 256);
}
