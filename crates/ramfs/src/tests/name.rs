//! Escaping names for the terminal: exact output, and on random names, output that holds
//! no control or reordering character and reads back to the name.

use super::*;
use crate::name::Escaped;

/// Reads an escaped name back (the inverse the module docs promise); `None` if `s` is not
/// something [`Escaped`] could have written.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'e' => out.push('\u{1b}'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[test]
fn escapes_what_a_terminal_would_act_on() {
    let cases = [
        ("plain.txt", "plain.txt"),
        ("héllo wörld ✓ 日本", "héllo wörld ✓ 日本"),
        ("evil\u{1b}[2J", "evil\\e[2J"),
        ("\u{1b}]0;title\u{7}", "\\e]0;title\\x07"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("back\\slash", "back\\\\slash"),
        ("\\e", "\\\\e"),
        ("del\u{7f}", "del\\x7f"),
        ("\u{1}\u{1f}", "\\x01\\x1f"),
        ("c1\u{85}\u{9b}2J", "c1\\u{85}\\u{9b}2J"),
        ("\u{9f}\u{a0}", "\\u{9f}\u{a0}"),
        ("txt.\u{202e}exe", "txt.\\u{202e}exe"),
        ("zero\u{200b}width\u{feff}", "zero\\u{200b}width\\u{feff}"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
        ("", ""),
    ];
    for (name, shown) in cases {
        assert_eq!(Escaped(name).to_string(), shown, "{name:?}");
        assert_eq!(Escaped(name).is_needed(), name != shown, "{name:?}");
        assert_eq!(unescape(shown).as_deref(), Some(name));
    }
}

#[test]
fn random_names_come_out_safe_and_reversible() {
    // Characters from every class the rule treats differently, and their neighbours.
    let pool: Vec<char> = [
        '\0',
        '\u{1}',
        '\n',
        '\t',
        '\r',
        '\u{1b}',
        '\u{1f}',
        ' ',
        '\\',
        'e',
        'x',
        'u',
        '{',
        '}',
        '0',
        'a',
        '~',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{9f}',
        '\u{a0}',
        'é',
        '\u{200a}',
        '\u{200b}',
        '\u{200f}',
        '\u{2010}',
        '\u{2027}',
        '\u{2028}',
        '\u{202e}',
        '\u{202f}',
        '\u{2065}',
        '\u{2066}',
        '\u{fefe}',
        '\u{feff}',
        '日',
        '\u{10ffff}',
        '🦀',
    ]
    .into();
    let mut rng = Rng::new(11);
    for _ in 0..20_000 {
        let len = rng.below(12);
        let name: String = (0..len)
            .map(|_| {
                if rng.below(4) == 0 {
                    // Any scalar value at all.
                    char::from_u32(rng.next_u32() % 0x11_0000).unwrap_or('\u{fffd}')
                } else {
                    pool[rng.below(pool.len())]
                }
            })
            .collect();
        let shown = Escaped(&name).to_string();
        assert!(!shown.chars().any(is_unsafe), "{name:?} -> {shown:?}");
        assert_eq!(
            unescape(&shown).as_deref(),
            Some(name.as_str()),
            "{shown:?}"
        );
        assert_eq!(Escaped(&name).is_needed(), shown != name);
    }
}

#[test]
fn names_keep_their_bytes_in_the_tree() {
    let mut fs = Fs::new();
    let name = "/evil\u{1b}[2J\\";
    fs.write(name, b"x").unwrap();
    let listed = fs.entries("/").unwrap().next().unwrap().name;
    assert_eq!(listed, &name[1..]);
    assert_eq!(Escaped(listed).to_string(), "evil\\e[2J\\\\");
}

#[test]
fn error_reports_escape_the_path() {
    assert_eq!(
        FsError::NotFound.context("cat", "/a\u{1b}[2J").to_string(),
        "cat: /a\\e[2J: no such file or directory"
    );
}
