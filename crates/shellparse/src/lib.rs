//! Command-line parsing for the RustOS shell: words, quoting, comments and one output
//! redirection.
//!
//! Why so small a grammar: the shell runs single commands (no pipes, variables or globbing),
//! so this covers what users type (`echo "a b" > f`) with clear errors instead of guessing.
//! Rules:
//! - words are separated by unquoted whitespace; adjacent quoted and unquoted parts join
//!   (`a"b c"d` → `ab cd`) and empty quotes give an empty word;
//! - `'...'` is fully literal; inside `"..."` a backslash escapes only `"` and `\` (other
//!   backslashes are kept); outside quotes a backslash escapes any character;
//! - unquoted `>` / `>>` redirect output (truncate / append) to the next word, with or
//!   without spaces (`echo hi>f`); at most one redirection, anywhere on the line;
//! - an unquoted `#` at the start of a word comments out the rest of the line.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A parsed command line. Empty `args` means there is nothing to run (blank line or only
/// a comment), though a redirection may still be present (`> f`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    pub args: Vec<String>,
    pub redirect: Option<Redirect>,
}

/// Where the command's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The target file (never empty).
    pub path: String,
    /// `>>` (append) rather than `>` (truncate).
    pub append: bool,
}

/// Why a line could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A `'` or `"` quote was never closed.
    UnterminatedQuote(char),
    /// `>` or `>>` not followed by a (non-empty) file name.
    MissingRedirectTarget,
    /// More than one `>`/`>>` on the line.
    MultipleRedirects,
    /// The line ends with an unquoted backslash.
    TrailingBackslash,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnterminatedQuote(q) => write!(f, "unterminated {q} quote"),
            ParseError::MissingRedirectTarget => f.write_str("missing file name after redirection"),
            ParseError::MultipleRedirects => f.write_str("only one redirection allowed"),
            ParseError::TrailingBackslash => f.write_str("trailing backslash"),
        }
    }
}

impl core::error::Error for ParseError {}

enum Token {
    Word(String),
    Redirect { append: bool },
}

/// Parses one command line.
///
/// ```
/// use shellparse::{parse, Redirect};
///
/// let cmd = parse(r#"echo "hello world">>log.txt # note"#).unwrap();
/// assert_eq!(cmd.args, ["echo", "hello world"]);
/// assert_eq!(cmd.redirect, Some(Redirect { path: "log.txt".into(), append: true }));
/// ```
///
/// # Errors
///
/// A [`ParseError`] for an unclosed quote, a trailing backslash, a redirection without a
/// file name, or a second redirection. Quoting errors are reported first.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let mut cmd = Command::default();
    let mut tokens = lex(line)?.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word) => cmd.args.push(word),
            Token::Redirect { append } => {
                if cmd.redirect.is_some() {
                    return Err(ParseError::MultipleRedirects);
                }
                match tokens.next() {
                    Some(Token::Word(path)) if !path.is_empty() => {
                        cmd.redirect = Some(Redirect { path, append })
                    }
                    _ => return Err(ParseError::MissingRedirectTarget),
                }
            }
        }
    }
    Ok(cmd)
}

fn lex(line: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    // `Some` once a word has started, even if it is still empty (`""`).
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => tokens.extend(word.take().map(Token::Word)),
            '#' if word.is_none() => break,
            '\\' => {
                let escaped = chars.next().ok_or(ParseError::TrailingBackslash)?;
                word.get_or_insert_default().push(escaped);
            }
            '\'' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(ParseError::UnterminatedQuote('\'')),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next_if(|&n| n == '"' || n == '\\') {
                            Some(escaped) => word.push(escaped),
                            None => word.push('\\'),
                        },
                        Some(c) => word.push(c),
                        None => return Err(ParseError::UnterminatedQuote('"')),
                    }
                }
            }
            '>' => {
                tokens.extend(word.take().map(Token::Word));
                let append = chars.next_if_eq(&'>').is_some();
                tokens.push(Token::Redirect { append });
            }
            c => word.get_or_insert_default().push(c),
        }
    }
    tokens.extend(word.map(Token::Word));
    Ok(tokens)
}

/// For tab completion: the byte offset where the word ending at `cursor` starts (the
/// maximal run of non-whitespace before the cursor, the same rule as the `lineedit`
/// crate), and whether it is the first word of the line. `cursor` is a byte offset; it is
/// clamped to the line and rounded down to a char boundary.
pub fn split_for_completion(line: &str, cursor: usize) -> (usize, bool) {
    let mut cursor = cursor.min(line.len());
    while !line.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &line[..cursor];
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    (start, before[..start].trim().is_empty())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;

    fn args(line: &str) -> Vec<String> {
        let cmd = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(cmd.redirect, None, "{line:?}");
        cmd.args
    }

    fn redir(line: &str) -> (Vec<String>, String, bool) {
        let cmd = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let r = cmd
            .redirect
            .unwrap_or_else(|| panic!("{line:?}: no redirect"));
        (cmd.args, r.path, r.append)
    }

    fn err(line: &str) -> ParseError {
        parse(line).expect_err(line)
    }

    #[test]
    fn empty_lines() {
        for line in ["", "   ", "\t \t", "# comment", "   # x \"unterminated"] {
            assert_eq!(parse(line), Ok(Command::default()), "{line:?}");
        }
    }

    #[test]
    fn plain_words() {
        assert_eq!(args("ls"), ["ls"]);
        assert_eq!(args("  echo   a  b\tc  "), ["echo", "a", "b", "c"]);
        assert_eq!(args("héllo wörld ✓"), ["héllo", "wörld", "✓"]);
        assert_eq!(args("a\u{3000}b"), ["a", "b"]);
    }

    #[test]
    fn double_quotes() {
        assert_eq!(args(r#"echo "a  b""#), ["echo", "a  b"]);
        assert_eq!(args(r#""say \"hi\"""#), [r#"say "hi""#]);
        assert_eq!(args(r#""back\\slash""#), [r"back\slash"]);
        assert_eq!(args(r#""\n\$x""#), [r"\n\$x"]);
        assert_eq!(args(r#""'single' inside""#), ["'single' inside"]);
        assert_eq!(args(r#""a#b" "#), ["a#b"]);
        assert_eq!(args(r#""\\""#), [r"\"]);
    }

    #[test]
    fn single_quotes() {
        assert_eq!(args(r"echo 'a \ b'"), ["echo", r"a \ b"]);
        assert_eq!(args(r#"'say "hi"'"#), [r#"say "hi""#]);
        assert_eq!(args(r"'\'"), [r"\"]);
    }

    #[test]
    fn backslash_outside_quotes() {
        assert_eq!(args(r"a\ b c"), ["a b", "c"]);
        assert_eq!(args(r#"\"x\""#), [r#""x""#]);
        assert_eq!(args(r"\\"), [r"\"]);
        assert_eq!(args(r"\#not"), ["#not"]);
        assert_eq!(args(r"\>f"), [">f"]);
        assert_eq!(args(r"\é"), ["é"]);
    }

    #[test]
    fn adjacent_parts_join() {
        assert_eq!(args(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(args(r#"'a'"b"c"#), ["abc"]);
        assert_eq!(args(r##"x"#""##), ["x#"]);
    }

    #[test]
    fn empty_quotes_give_empty_words() {
        assert_eq!(args(r#""""#), [""]);
        assert_eq!(args(r#"echo "" '' x"#), ["echo", "", "", "x"]);
        assert_eq!(args(r#"a""b"#), ["ab"]);
    }

    #[test]
    fn comments() {
        assert_eq!(args("echo hi # there"), ["echo", "hi"]);
        assert_eq!(args("echo hi #there > f"), ["echo", "hi"]);
        assert_eq!(args("echo a#b"), ["echo", "a#b"]);
        assert_eq!(args("echo '#' \"#\""), ["echo", "#", "#"]);
        assert_eq!(args("echo#"), ["echo#"]);
    }

    #[test]
    fn redirections() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            redir("echo hi > f"),
            (v(&["echo", "hi"]), "f".into(), false)
        );
        assert_eq!(redir("echo hi>f"), (v(&["echo", "hi"]), "f".into(), false));
        assert_eq!(redir("echo hi >>f"), (v(&["echo", "hi"]), "f".into(), true));
        assert_eq!(
            redir("echo hi>>  f"),
            (v(&["echo", "hi"]), "f".into(), true)
        );
        assert_eq!(
            redir("> f echo hi"),
            (v(&["echo", "hi"]), "f".into(), false)
        );
        assert_eq!(redir("echo >f hi"), (v(&["echo", "hi"]), "f".into(), false));
        assert_eq!(
            redir(r#"echo x > "my file""#),
            (v(&["echo", "x"]), "my file".into(), false)
        );
        assert_eq!(redir("echo a>b"), (v(&["echo", "a"]), "b".into(), false));
        assert_eq!(redir("> f"), (v(&[]), "f".into(), false));
        assert_eq!(
            redir("cat>/tmp/x.txt # done"),
            (v(&["cat"]), "/tmp/x.txt".into(), false)
        );
    }

    #[test]
    fn quoted_redirect_is_a_word() {
        assert_eq!(
            args(r#"echo ">" '>>' \> a">"b"#),
            ["echo", ">", ">>", ">", "a>b"]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(err(r#"echo "abc"#), ParseError::UnterminatedQuote('"'));
        assert_eq!(err(r#"echo "abc\""#), ParseError::UnterminatedQuote('"'));
        assert_eq!(err("echo 'abc"), ParseError::UnterminatedQuote('\''));
        assert_eq!(err("echo '\""), ParseError::UnterminatedQuote('\''));
        assert_eq!(err("echo >"), ParseError::MissingRedirectTarget);
        assert_eq!(err("echo >>   "), ParseError::MissingRedirectTarget);
        assert_eq!(err(">"), ParseError::MissingRedirectTarget);
        assert_eq!(err("echo > # c"), ParseError::MissingRedirectTarget);
        assert_eq!(err("echo > > f"), ParseError::MissingRedirectTarget);
        assert_eq!(err("echo >>> f"), ParseError::MissingRedirectTarget);
        assert_eq!(err(r#"echo > """#), ParseError::MissingRedirectTarget);
        assert_eq!(err("echo > a > b"), ParseError::MultipleRedirects);
        assert_eq!(err("echo >a>>b"), ParseError::MultipleRedirects);
        assert_eq!(err("echo > a >"), ParseError::MultipleRedirects);
        assert_eq!(err(r"echo \"), ParseError::TrailingBackslash);
        assert_eq!(err(r"\"), ParseError::TrailingBackslash);
        // Lexing errors win over redirection errors.
        assert_eq!(err("echo > 'x"), ParseError::UnterminatedQuote('\''));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            ParseError::UnterminatedQuote('"').to_string(),
            "unterminated \" quote"
        );
        assert_eq!(
            ParseError::UnterminatedQuote('\'').to_string(),
            "unterminated ' quote"
        );
        assert_eq!(
            ParseError::MissingRedirectTarget.to_string(),
            "missing file name after redirection"
        );
        assert_eq!(
            ParseError::MultipleRedirects.to_string(),
            "only one redirection allowed"
        );
        assert_eq!(
            ParseError::TrailingBackslash.to_string(),
            "trailing backslash"
        );
    }

    #[test]
    fn completion_split() {
        assert_eq!(split_for_completion("", 0), (0, true));
        assert_eq!(split_for_completion("ec", 2), (0, true));
        assert_eq!(split_for_completion("  ec", 4), (2, true));
        assert_eq!(split_for_completion("echo fi", 7), (5, false));
        assert_eq!(split_for_completion("echo ", 5), (5, false));
        assert_eq!(split_for_completion("echo fi", 2), (0, true));
        assert_eq!(split_for_completion("cat /a/b c", 8), (4, false));
        assert_eq!(split_for_completion("é é", 100), (3, false));
        assert_eq!(split_for_completion("é é", 4), (3, false)); // Mid-char: rounded down.
        assert_eq!(split_for_completion("é é", 1), (0, true));
    }

    /// xorshift64*.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % u64::try_from(n).unwrap();
            usize::try_from(r).unwrap()
        }
    }

    /// Quotes `word` so that `parse` gives it back unchanged.
    fn quote(word: &str) -> String {
        let mut q = String::from("'");
        for c in word.chars() {
            if c == '\'' {
                q.push_str(r#"'"'"'"#);
            } else {
                q.push(c);
            }
        }
        q.push('\'');
        q
    }

    /// Random lines built from the special characters never panic, and randomly chosen
    /// words survive a quote → parse round trip.
    #[test]
    fn random_lines_never_panic_and_round_trip() {
        let alphabet = [
            'a', 'b', ' ', '\t', '"', '\'', '\\', '>', '#', 'é', '😀', '\n', '\0',
        ];
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        for _ in 0..5000 {
            let len = rng.below(24);
            let line: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            if let Ok(cmd) = parse(&line) {
                assert!(cmd.redirect.as_ref().is_none_or(|r| !r.path.is_empty()));
            }
            for cursor in [0, len / 2, line.len(), line.len() + 3] {
                let (start, _) = split_for_completion(&line, cursor);
                assert!(start <= line.len() && line.is_char_boundary(start));
            }

            let words: Vec<String> = (0..rng.below(5))
                .map(|_| {
                    (0..rng.below(6))
                        .map(|_| alphabet[rng.below(alphabet.len())])
                        .collect()
                })
                .collect();
            let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
            let mut line = quoted.join(" ");
            if rng.below(2) == 0 {
                line.push_str(">>");
                line.push_str(&quote("out file"));
            }
            let cmd = parse(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(cmd.args, words, "{line:?}");
        }
    }
}
