//! Editor tests. Every key is checked against a model terminal that understands exactly
//! the allowed output subset, so any disallowed sequence or display drift fails a test.

extern crate std;

use super::*;
use std::string::ToString;
use std::vec;

/// xorshift64*: tiny deterministic PRNG for the randomized tests.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
}

/// A terminal that accepts only the editor's output subset and panics on anything else,
/// including cursor moves beyond the written text.
#[derive(Default)]
struct Term {
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
    esc: Option<String>,
}

impl Write for Term {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            self.put(c);
        }
        Ok(())
    }
}

impl Term {
    fn put(&mut self, c: char) {
        if self.rows.len() <= self.row {
            self.rows.resize(self.row + 1, Vec::new());
        }
        if let Some(seq) = &mut self.esc {
            seq.push(c);
            if !c.is_ascii_alphabetic() {
                assert!(seq.len() < 8, "runaway escape sequence {seq:?}");
                return;
            }
            let seq = self.esc.take().unwrap();
            let line = &mut self.rows[self.row];
            if seq == "[K" {
                line.truncate(self.col);
                return;
            }
            let n: usize = seq[1..seq.len() - 1]
                .parse()
                .unwrap_or_else(|_| panic!("bad sequence {seq:?}"));
            assert!(seq.starts_with('[') && n >= 1, "bad sequence {seq:?}");
            match c {
                'D' => self.col = self.col.checked_sub(n).expect("moved left past column 0"),
                'C' => {
                    self.col += n;
                    assert!(self.col <= line.len(), "moved right past the text");
                }
                _ => panic!("disallowed sequence ESC{seq}"),
            }
            return;
        }
        match c {
            '\x1b' => self.esc = Some(String::new()),
            '\r' => self.col = 0,
            '\n' => self.row += 1,
            c if c.is_control() => panic!("control char {c:?} written"),
            c => {
                let line = &mut self.rows[self.row];
                if line.len() <= self.col {
                    line.resize(self.col + 1, ' ');
                }
                line[self.col] = c;
                self.col += 1;
            }
        }
    }

    fn line(&self, row: usize) -> String {
        self.rows
            .get(row)
            .map(|r| r.iter().collect())
            .unwrap_or_default()
    }

    fn current(&self) -> String {
        self.line(self.row)
    }
}

const PROMPT: &str = "λ> ";

/// An editor, a terminal, and the invariant check after every key.
struct Harness<C: Completer = NoCompletion> {
    ed: LineEditor,
    term: Term,
    comp: C,
    lines: Vec<String>,
}

impl Harness<NoCompletion> {
    fn new(max: usize, hist: usize) -> Self {
        Harness::with(max, hist, NoCompletion)
    }
}

impl<C: Completer> Harness<C> {
    fn with(max: usize, hist: usize, comp: C) -> Self {
        let mut h = Harness {
            ed: LineEditor::new(max, hist),
            term: Term::default(),
            comp,
            lines: Vec::new(),
        };
        h.term.write_str(PROMPT).unwrap();
        h
    }

    fn key(&mut self, key: Key) -> Event {
        let before = self.ed.line().to_string();
        let mut raw = String::new();
        let ev = self.ed.feed(key, &mut self.comp, &mut raw);
        self.term.write_str(&raw).unwrap();
        if ev == Event::Bell {
            assert!(raw.is_empty(), "Bell with output {raw:?}");
            assert_eq!(self.ed.line(), before, "Bell changed the line");
        }
        match &ev {
            Event::Line(l) => {
                assert_eq!(raw, "\r\n");
                assert_eq!(
                    self.term.line(self.term.row - 1),
                    std::format!("{PROMPT}{l}")
                );
                self.lines.push(l.clone());
                self.term.write_str(PROMPT).unwrap();
            }
            Event::Cancelled => {
                assert!(raw.ends_with("^C\r\n"));
                assert_eq!(
                    self.term.line(self.term.row - 1),
                    std::format!("{PROMPT}{before}^C")
                );
                self.term.write_str(PROMPT).unwrap();
            }
            Event::ClearScreen => {
                assert!(raw.is_empty());
                self.term = Term::default();
                self.ed.redraw(PROMPT, &mut self.term);
            }
            Event::Candidates(c) => {
                assert!(raw.is_empty());
                assert!(c.windows(2).all(|w| w[0] < w[1]), "unsorted {c:?}");
                self.term.write_str("\r\n").unwrap();
                self.term.write_str(&c.join("  ")).unwrap();
                self.term.write_str("\r\n").unwrap();
                self.ed.redraw(PROMPT, &mut self.term);
            }
            Event::None | Event::Bell => {}
        }
        self.check();
        ev
    }

    fn check(&self) {
        let line = self.ed.line();
        assert!(line.chars().count() <= self.ed.max_chars, "line too long");
        assert!(
            line.is_char_boundary(self.ed.cursor()),
            "cursor off a boundary"
        );
        assert!(self.ed.cursor() <= line.len());
        assert_eq!(
            self.term.current(),
            std::format!("{PROMPT}{line}"),
            "display out of sync"
        );
        let col = PROMPT.chars().count() + line[..self.ed.cursor()].chars().count();
        assert_eq!(self.term.col, col, "terminal cursor out of sync");
        assert!(self.ed.history().len() <= self.ed.history_cap);
    }

    fn keys(&mut self, keys: &[Key]) -> Vec<Event> {
        keys.iter().map(|&k| self.key(k)).collect()
    }

    fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            assert_eq!(self.key(Key::Char(c)), Event::None, "typing {c:?}");
        }
    }

    /// Output of one key, without the terminal model.
    fn raw(&mut self, key: Key) -> (Event, String) {
        let mut raw = String::new();
        let ev = self.ed.feed(key, &mut self.comp, &mut raw);
        self.term.write_str(&raw).unwrap();
        if matches!(ev, Event::None | Event::Bell) {
            self.check();
        }
        (ev, raw)
    }
}

#[test]
fn typing_and_enter() {
    let mut h = Harness::new(512, 64);
    h.type_str("echo héllo");
    assert_eq!(h.ed.line(), "echo héllo");
    assert_eq!(h.ed.cursor(), "echo héllo".len());
    assert_eq!(h.key(Key::Enter), Event::Line("echo héllo".to_string()));
    assert_eq!(h.ed.line(), "");
    assert_eq!(h.ed.cursor(), 0);
    assert_eq!(h.key(Key::Enter), Event::Line(String::new()));
}

#[test]
fn append_outputs_only_the_char() {
    let mut h = Harness::new(512, 64);
    assert_eq!(h.raw(Key::Char('a')), (Event::None, "a".to_string()));
    assert_eq!(h.raw(Key::Char('é')), (Event::None, "é".to_string()));
}

#[test]
fn insert_mid_line_minimal_output() {
    let mut h = Harness::new(512, 64);
    h.type_str("abcd");
    h.keys(&[Key::Left, Key::Left]);
    assert_eq!(
        h.raw(Key::Char('X')),
        (Event::None, "Xcd\x1b[2D".to_string())
    );
    assert_eq!(h.ed.line(), "abXcd");
    assert_eq!(h.ed.cursor(), 3);
}

#[test]
fn backspace_and_delete() {
    let mut h = Harness::new(512, 64);
    assert_eq!(h.key(Key::Backspace), Event::Bell);
    assert_eq!(h.key(Key::Delete), Event::Bell);
    h.type_str("abcd");
    assert_eq!(
        h.raw(Key::Backspace),
        (Event::None, "\x1b[1D\x1b[K".to_string())
    );
    h.key(Key::Left);
    assert_eq!(
        h.raw(Key::Backspace),
        (Event::None, "\x1b[1Dc\x1b[K\x1b[1D".to_string())
    );
    assert_eq!(h.ed.line(), "ac");
    assert_eq!(h.raw(Key::Delete), (Event::None, "\x1b[K".to_string()));
    assert_eq!(h.ed.line(), "a");
    assert_eq!(h.key(Key::Delete), Event::Bell);
    h.key(Key::Home);
    assert_eq!(h.raw(Key::Delete), (Event::None, "\x1b[K".to_string()));
    assert_eq!(h.ed.line(), "");
    h.type_str("xyz");
    h.key(Key::Home);
    assert_eq!(
        h.raw(Key::Delete),
        (Event::None, "yz\x1b[K\x1b[2D".to_string())
    );
    assert_eq!(h.key(Key::Backspace), Event::Bell);
}

#[test]
fn multibyte_editing() {
    let mut h = Harness::new(512, 64);
    h.type_str("añ€😀b");
    h.keys(&[Key::Left, Key::Left, Key::Backspace]);
    assert_eq!(h.ed.line(), "añ😀b");
    assert_eq!(h.ed.cursor(), "añ".len());
    h.key(Key::Delete);
    assert_eq!(h.ed.line(), "añb");
    h.keys(&[Key::Home, Key::Right, Key::Right, Key::Char('x')]);
    assert_eq!(h.ed.line(), "añxb");
}

#[test]
fn cursor_movement() {
    let mut h = Harness::new(512, 64);
    assert_eq!(h.key(Key::Left), Event::Bell);
    assert_eq!(h.key(Key::Right), Event::Bell);
    assert_eq!(h.raw(Key::Home), (Event::None, String::new()));
    h.type_str("hello");
    assert_eq!(h.key(Key::Right), Event::Bell);
    assert_eq!(h.raw(Key::Left), (Event::None, "\x1b[1D".to_string()));
    assert_eq!(h.raw(Key::Right), (Event::None, "\x1b[1C".to_string()));
    assert_eq!(h.raw(Key::Home), (Event::None, "\x1b[5D".to_string()));
    assert_eq!(h.ed.cursor(), 0);
    assert_eq!(h.raw(Key::End), (Event::None, "\x1b[5C".to_string()));
    assert_eq!(h.raw(Key::CtrlA), (Event::None, "\x1b[5D".to_string()));
    assert_eq!(h.raw(Key::CtrlE), (Event::None, "\x1b[5C".to_string()));
    assert_eq!(h.raw(Key::End), (Event::None, String::new()));
}

#[test]
fn max_length_is_enforced() {
    let mut h = Harness::new(5, 8);
    h.type_str("abcde");
    assert_eq!(h.key(Key::Char('f')), Event::Bell);
    h.key(Key::Home);
    assert_eq!(h.key(Key::Char('f')), Event::Bell);
    assert_eq!(h.ed.line(), "abcde");
    h.key(Key::Backspace); // At start: bell.
    h.key(Key::Delete);
    h.type_str("é");
    assert_eq!(h.ed.line(), "ébcde");

    let mut h = Harness::new(0, 8);
    assert_eq!(h.key(Key::Char('a')), Event::Bell);
    assert_eq!(h.key(Key::Enter), Event::Line(String::new()));
}

#[test]
fn control_chars_are_refused() {
    let mut h = Harness::new(512, 8);
    for c in ['\x1b', '\n', '\r', '\x07', '\u{85}', '\x7f'] {
        assert_eq!(h.key(Key::Char(c)), Event::Bell);
    }
    assert_eq!(h.ed.line(), "");
    assert_eq!(h.key(Key::Escape), Event::None);
    assert_eq!(h.key(Key::Other), Event::None);
}

#[test]
fn kill_commands() {
    let mut h = Harness::new(512, 8);
    assert_eq!(h.key(Key::CtrlU), Event::Bell);
    assert_eq!(h.key(Key::CtrlK), Event::Bell);
    assert_eq!(h.key(Key::CtrlW), Event::Bell);
    h.type_str("one two three");
    for _ in 0..6 {
        h.key(Key::Left);
    }
    assert_eq!(h.raw(Key::CtrlK), (Event::None, "\x1b[K".to_string()));
    assert_eq!(h.ed.line(), "one two");
    assert_eq!(h.key(Key::CtrlK), Event::Bell);
    h.type_str(" three");
    h.keys(&[Key::Left; 6]);
    assert_eq!(
        h.raw(Key::CtrlU),
        (Event::None, "\x1b[7D three\x1b[K\x1b[6D".to_string())
    );
    assert_eq!(h.ed.line(), " three");
    assert_eq!(h.ed.cursor(), 0);
    assert_eq!(h.key(Key::CtrlU), Event::Bell);
    assert_eq!(h.key(Key::CtrlW), Event::Bell);
}

#[test]
fn ctrl_w_deletes_word_and_trailing_spaces() {
    let mut h = Harness::new(512, 8);
    h.type_str("ls  /tmp/dir   ");
    assert_eq!(h.key(Key::CtrlW), Event::None);
    assert_eq!(h.ed.line(), "ls  ");
    assert_eq!(h.key(Key::CtrlW), Event::None);
    assert_eq!(h.ed.line(), "");
    h.type_str("cat foo bar");
    h.keys(&[Key::Left, Key::Left, Key::Left, Key::Left]);
    h.key(Key::CtrlW);
    assert_eq!(h.ed.line(), "cat  bar");
    assert_eq!(h.ed.cursor(), 4);
    h.type_str("   ");
    h.key(Key::CtrlW);
    assert_eq!(h.ed.line(), " bar");
}

#[test]
fn ctrl_c_cancels() {
    let mut h = Harness::new(512, 8);
    h.type_str("abc");
    h.keys(&[Key::Left, Key::Left]);
    let (ev, raw) = h.raw(Key::CtrlC);
    assert_eq!(ev, Event::Cancelled);
    assert_eq!(raw, "\x1b[2C^C\r\n");
    assert_eq!(h.ed.line(), "");
    assert_eq!(h.ed.history().len(), 0);

    let mut h = Harness::new(512, 8);
    h.type_str("xyz");
    assert_eq!(h.key(Key::CtrlC), Event::Cancelled); // The harness checks the screen.
    h.type_str("q");
    assert_eq!(h.key(Key::Enter), Event::Line("q".to_string()));
}

#[test]
fn ctrl_l_and_redraw() {
    let mut h = Harness::new(512, 8);
    h.type_str("hello");
    h.keys(&[Key::Left, Key::Left]);
    assert_eq!(h.key(Key::CtrlL), Event::ClearScreen);
    let mut out = String::new();
    h.ed.redraw("$ ", &mut out);
    assert_eq!(out, "\r$ hello\x1b[K\x1b[2D");
    h.key(Key::End);
    let mut out = String::new();
    h.ed.redraw("$ ", &mut out);
    assert_eq!(out, "\r$ hello\x1b[K");
}

#[test]
fn history_basics() {
    let mut h = Harness::new(512, 3);
    for l in ["a", "b", "b", "  ", "", "c", "b"] {
        h.type_str(l);
        h.key(Key::Enter);
    }
    assert_eq!(h.ed.history().collect::<Vec<_>>(), ["b", "c", "b"]);
    h.type_str("d");
    h.key(Key::Enter);
    assert_eq!(h.ed.history().collect::<Vec<_>>(), ["c", "b", "d"]);
    // Leading/trailing spaces are kept verbatim; only exact repeats are dropped.
    h.type_str(" d");
    h.key(Key::Enter);
    assert_eq!(h.ed.history().collect::<Vec<_>>(), ["b", "d", " d"]);
}

#[test]
fn history_disabled() {
    let mut h = Harness::new(512, 0);
    h.type_str("a");
    h.key(Key::Enter);
    assert_eq!(h.ed.history().len(), 0);
    assert_eq!(h.key(Key::Up), Event::Bell);
}

#[test]
fn history_walk_restores_edited_line() {
    let mut h = Harness::new(512, 64);
    assert_eq!(h.key(Key::Up), Event::Bell);
    assert_eq!(h.key(Key::Down), Event::Bell);
    for l in ["first command", "second", "third one"] {
        h.type_str(l);
        h.key(Key::Enter);
    }
    h.type_str("draft text");
    h.keys(&[Key::Left, Key::Left]);
    let (ev, raw) = h.raw(Key::Up);
    assert_eq!(ev, Event::None);
    assert_eq!(raw, "\x1b[8Dthird one\x1b[K");
    assert_eq!(h.ed.line(), "third one");
    assert_eq!(h.ed.cursor(), "third one".len());
    h.key(Key::Up);
    assert_eq!(h.ed.line(), "second");
    h.key(Key::Up);
    assert_eq!(h.ed.line(), "first command");
    assert_eq!(h.key(Key::Up), Event::Bell);
    h.key(Key::Down);
    assert_eq!(h.ed.line(), "second");
    // Editing a recalled entry doesn't change the history.
    h.type_str("!!");
    h.key(Key::Down);
    assert_eq!(h.ed.line(), "third one");
    h.key(Key::Down);
    assert_eq!(h.ed.line(), "draft text");
    assert_eq!(h.key(Key::Down), Event::Bell);
    assert_eq!(
        h.ed.history().collect::<Vec<_>>(),
        ["first command", "second", "third one"]
    );
    // Submitting a recalled entry ends the walk.
    h.keys(&[Key::Up, Key::Up]);
    assert_eq!(h.key(Key::Enter), Event::Line("second".to_string()));
    h.key(Key::Up);
    assert_eq!(h.ed.line(), "second");
    h.key(Key::Down);
    assert_eq!(h.ed.line(), "");
}

#[test]
fn history_walk_reset_by_ctrl_c_and_reset() {
    let mut h = Harness::new(512, 64);
    h.type_str("one");
    h.key(Key::Enter);
    h.type_str("draft");
    h.key(Key::Up);
    h.key(Key::CtrlC);
    assert_eq!(h.key(Key::Down), Event::Bell);
    h.key(Key::Up);
    h.ed.reset();
    assert_eq!(h.ed.line(), "");
    assert_eq!(h.ed.cursor(), 0);
    assert_eq!(h.ed.history().collect::<Vec<_>>(), ["one"]);
    let mut out = String::new();
    assert_eq!(
        h.ed.feed(Key::Down, &mut NoCompletion, &mut out),
        Event::Bell
    );
}

/// Completes from a fixed word list by prefix; records its arguments.
#[derive(Default)]
struct ListCompleter {
    words: Vec<&'static str>,
    calls: Vec<(String, usize, bool)>,
}

impl ListCompleter {
    fn new(words: &[&'static str]) -> Self {
        ListCompleter {
            words: words.to_vec(),
            calls: Vec::new(),
        }
    }
}

impl Completer for ListCompleter {
    fn complete(&mut self, line: &str, word_start: usize, first_word: bool, out: &mut Vec<String>) {
        self.calls.push((line.to_string(), word_start, first_word));
        let word = &line[word_start..];
        out.extend(
            self.words
                .iter()
                .filter(|w| w.starts_with(word))
                .map(|w| w.to_string()),
        );
    }
}

#[test]
fn completer_arguments() {
    let mut h = Harness::with(512, 8, ListCompleter::new(&[]));
    h.key(Key::Tab);
    h.type_str("  ca");
    h.key(Key::Tab);
    h.type_str(" x/é");
    h.key(Key::Tab);
    h.keys(&[Key::Left, Key::Left, Key::Tab]);
    h.keys(&[Key::Home, Key::Tab]);
    assert_eq!(
        h.comp.calls,
        [
            (String::new(), 0, true),
            ("  ca".to_string(), 2, true),
            ("  ca x/é".to_string(), 5, false),
            ("  ca x".to_string(), 5, false),
            (String::new(), 0, true),
        ]
    );
}

#[test]
fn complete_single_candidate() {
    let mut h = Harness::with(512, 8, ListCompleter::new(&["help", "hexdump", "dir/"]));
    assert_eq!(h.key(Key::Tab), Event::Bell); // Three candidates, first Tab.
    h.type_str("hel");
    assert_eq!(h.raw(Key::Tab), (Event::None, "\x1b[3Dhelp ".to_string()));
    assert_eq!(h.ed.line(), "help ");
    h.type_str("d");
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "help dir/"); // No space after a directory.
    assert_eq!(h.key(Key::Tab), Event::None); // Replaced by itself.
    assert_eq!(h.ed.line(), "help dir/");
    h.type_str("x");
    assert_eq!(h.key(Key::Tab), Event::Bell); // Nothing matches "dir/x".
    // Completion in the middle of the line keeps the tail.
    h.keys(&[Key::CtrlU]);
    h.type_str("hex foo");
    h.keys(&[Key::Home, Key::Right, Key::Right]);
    assert_eq!(h.key(Key::Tab), Event::Bell); // "he": help, hexdump.
    h.key(Key::Right);
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "hexdump  foo");
    assert_eq!(h.ed.cursor(), "hexdump ".len());
}

#[test]
fn complete_common_prefix_then_candidates() {
    let mut h = Harness::with(512, 8, ListCompleter::new(&["cat", "cd", "chmod", "chown"]));
    h.type_str("ch");
    assert_eq!(h.key(Key::Tab), Event::Bell);
    assert_eq!(
        h.key(Key::Tab),
        Event::Candidates(vec!["chmod".to_string(), "chown".to_string()])
    );
    assert_eq!(
        h.key(Key::Tab),
        Event::Candidates(vec!["chmod".to_string(), "chown".to_string()])
    );
    h.key(Key::Backspace);
    assert_eq!(h.key(Key::Tab), Event::Bell); // "c": cat cd chmod chown share only "c".
    assert_eq!(h.ed.line(), "c");
    h.key(Key::Left);
    h.key(Key::Right);
    assert_eq!(h.key(Key::Tab), Event::Bell); // Previous key wasn't Tab.
    let Event::Candidates(c) = h.key(Key::Tab) else {
        panic!()
    };
    assert_eq!(c, ["cat", "cd", "chmod", "chown"]);

    let mut h = Harness::with(
        512,
        8,
        ListCompleter::new(&["readme.txt", "readme.md", "remove"]),
    );
    h.type_str("cat rea");
    assert_eq!(h.raw(Key::Tab), (Event::None, "\x1b[3Dreadme.".to_string()));
    assert_eq!(h.ed.line(), "cat readme.");
    // Nothing more to insert and the previous key was Tab: list.
    assert!(matches!(h.key(Key::Tab), Event::Candidates(_)));
}

/// A completer returning whatever it was configured with, regardless of the word.
struct Fixed(Vec<String>);

impl Completer for Fixed {
    fn complete(&mut self, _: &str, _: usize, _: bool, out: &mut Vec<String>) {
        out.extend(self.0.iter().cloned());
    }
}

#[test]
fn completion_edge_cases() {
    // Duplicates count once; empty and control-char candidates are ignored.
    let cands = ["foo", "foo", "", "f\x1bo"].map(String::from).to_vec();
    let mut h = Harness::with(512, 8, Fixed(cands));
    h.type_str("f");
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "foo ");

    // Replacement that isn't an extension of the word (e.g. case-insensitive completer).
    let mut h = Harness::with(512, 8, Fixed(["README".to_string()].to_vec()));
    h.type_str("cat rea");
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "cat README ");
    let mut h = Harness::with(512, 8, Fixed(["READ1", "READ2"].map(String::from).to_vec()));
    h.type_str("cat re");
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "cat READ");
    // A common prefix shorter than the word never deletes what was typed.
    let mut h = Harness::with(512, 8, Fixed(["ab", "ac"].map(String::from).to_vec()));
    h.type_str("xyz");
    assert_eq!(h.key(Key::Tab), Event::Bell);
    assert_eq!(h.ed.line(), "xyz");
    // Multibyte common prefix.
    let mut h = Harness::with(512, 8, Fixed(["été", "étage"].map(String::from).to_vec()));
    h.key(Key::Tab);
    assert_eq!(h.ed.line(), "ét");

    // NoCompletion always refuses.
    let mut h = Harness::new(512, 8);
    h.type_str("x");
    assert_eq!(h.key(Key::Tab), Event::Bell);
    assert_eq!(h.key(Key::Tab), Event::Bell);
}

#[test]
fn completion_respects_max_length() {
    let mut h = Harness::with(6, 8, Fixed(["abcdef".to_string()].to_vec()));
    h.type_str("ab");
    h.key(Key::Tab); // Fits only without the trailing space.
    assert_eq!(h.ed.line(), "abcdef");
    let mut h = Harness::with(6, 8, Fixed(["abcdefg".to_string()].to_vec()));
    h.type_str("ab");
    assert_eq!(h.key(Key::Tab), Event::Bell);
    assert_eq!(h.ed.line(), "ab");
    let mut h = Harness::with(
        4,
        8,
        Fixed(["abcdefg", "abcdefh"].map(String::from).to_vec()),
    );
    h.type_str("ab");
    assert_eq!(h.key(Key::Tab), Event::Bell);
    assert!(matches!(h.key(Key::Tab), Event::Candidates(_)));
}

#[test]
fn common_prefix_helper() {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(common_prefix(&[]), "");
    assert_eq!(common_prefix(&s(&["abc"])), "abc");
    assert_eq!(common_prefix(&s(&["abc", "abd"])), "ab");
    assert_eq!(common_prefix(&s(&["abc", "ab"])), "ab");
    assert_eq!(common_prefix(&s(&["ab", "abc"])), "ab");
    assert_eq!(common_prefix(&s(&["é", "è"])), "");
    assert_eq!(common_prefix(&s(&["xé", "xè", "x"])), "x");
}

#[test]
fn write_errors_are_ignored() {
    struct Broken;
    impl Write for Broken {
        fn write_str(&mut self, _: &str) -> core::fmt::Result {
            Err(core::fmt::Error)
        }
    }
    let mut ed = LineEditor::new(16, 4);
    for k in [Key::Char('a'), Key::Left, Key::Char('b'), Key::End] {
        ed.feed(k, &mut NoCompletion, &mut Broken);
    }
    assert_eq!(ed.line(), "ba");
    assert_eq!(
        ed.feed(Key::Enter, &mut NoCompletion, &mut Broken),
        Event::Line("ba".to_string())
    );
    ed.redraw("> ", &mut Broken);
}

/// Randomly misbehaving completer for the fuzz test.
struct Chaos(Rng);

impl Completer for Chaos {
    fn complete(&mut self, line: &str, word_start: usize, _: bool, out: &mut Vec<String>) {
        let word = &line[word_start..];
        let pool = [
            "",
            "a",
            "ab",
            "abc/",
            "é€",
            "x y",
            "\x1b[2J",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ];
        for _ in 0..self.0.below(4) {
            let pick = pool[self.0.below(pool.len())];
            let cand = if self.0.below(2) == 0 {
                std::format!("{word}{pick}")
            } else {
                pick.to_string()
            };
            out.push(cand);
        }
    }
}

/// Thousands of random key sequences: never panics, the model terminal always matches the
/// editor's state, and only allowed sequences are emitted (the terminal checks).
#[test]
fn random_keys_keep_display_in_sync() {
    let all = [
        Key::Enter,
        Key::Backspace,
        Key::Delete,
        Key::Left,
        Key::Right,
        Key::Home,
        Key::End,
        Key::Up,
        Key::Down,
        Key::Tab,
        Key::CtrlC,
        Key::CtrlL,
        Key::CtrlA,
        Key::CtrlE,
        Key::CtrlU,
        Key::CtrlK,
        Key::CtrlW,
        Key::Escape,
        Key::Other,
    ];
    let chars = [
        'a', 'b', ' ', ' ', '/', 'é', '€', '😀', '\t', '\x1b', '\u{3000}', '"',
    ];
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut seen = [false; 6];
    for round in 0..2000 {
        let max = rng.below(24);
        let hist = rng.below(5);
        let mut h = Harness::with(max, hist, Chaos(Rng(u64::try_from(round).unwrap() + 1)));
        for _ in 0..rng.below(80) {
            let key = if rng.below(2) == 0 {
                Key::Char(chars[rng.below(chars.len())])
            } else {
                all[rng.below(all.len())]
            };
            seen[match h.key(key) {
                Event::None => 0,
                Event::Line(_) => 1,
                Event::Cancelled => 2,
                Event::ClearScreen => 3,
                Event::Bell => 4,
                Event::Candidates(_) => 5,
            }] = true;
        }
        for line in h.ed.history() {
            assert!(!line.trim().is_empty());
            assert!(line.chars().count() <= max);
        }
        let hist: Vec<&str> = h.ed.history().collect();
        assert!(
            hist.windows(2).all(|w| w[0] != w[1]),
            "consecutive duplicates"
        );
    }
    assert_eq!(seen, [true; 6], "every kind of event is exercised");
}

/// Bytes → SerialDecoder → LineEditor, end to end.
#[test]
fn serial_to_editor_end_to_end() {
    let mut dec = SerialDecoder::new();
    let mut h = Harness::new(512, 16);
    let mut events = Vec::new();
    for &b in "ls /tmpx\x7f\x1b[D\x1b[Dé\x1b[F\r\n\x1b[A\x01\x0b\x03".as_bytes() {
        for key in dec.feed(b) {
            events.push(h.key(key));
        }
    }
    assert_eq!(h.lines, ["ls /témp"]);
    assert_eq!(events.iter().filter(|e| **e == Event::Cancelled).count(), 1);
    assert_eq!(h.ed.history().collect::<Vec<_>>(), [h.lines[0].as_str()]);
}
