//! Command-line parsing for the RustOS shell: lists, pipelines, redirections, variables,
//! quoting and comments.
//!
//! Why here and not in the shell: parsing is where hostile input (an over-long line, a
//! variable that doubles itself, unbalanced quotes) meets the system, so it is a pure
//! crate with host tests, randomized ones among them. The grammar is a small, strict
//! subset of the POSIX shell's, with clear errors instead of guesses:
//!
//! - `a ; b` runs one pipeline after the other; `a | b | c` is a pipeline;
//! - words are separated by unquoted whitespace; adjacent quoted and unquoted parts join
//!   (`a"b c"d` → `ab cd`) and empty quotes give an empty word;
//! - `'...'` is fully literal; inside `"..."` a backslash escapes only `"`, `\` and `$`
//!   (other backslashes are kept); outside quotes a backslash escapes any character;
//! - `$NAME`, `${NAME}` and `$?` (the last status) expand outside single quotes; an
//!   unset variable is empty. An expansion is never split into several words and never
//!   re-parsed (unlike POSIX, `$X` is always one word: safer, and enough without globs);
//! - `NAME=value` words before the command name are assignments: alone on a command they
//!   set shell variables, in front of a command they set its environment only;
//! - unquoted `< f` reads standard input from `f`, `> f` / `>> f` redirect standard output
//!   (truncate / append), `2> f` / `2>> f` standard error, `2>&1` sends standard error
//!   where standard output goes; at most one of each per command;
//! - an unquoted `#` at the start of a word comments out the rest of the line.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod lex;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use lex::MAX_EXPANDED;

/// Values of the shell's variables, for expansion.
pub trait Vars {
    /// The variable's value, if set.
    fn get(&self, name: &str) -> Option<&str>;
    /// The status of the last pipeline (`$?`).
    fn status(&self) -> i32;
}

/// No variables at all, and `$?` = 0 (for callers that do not expand).
pub struct NoVars;

impl Vars for NoVars {
    fn get(&self, _: &str) -> Option<&str> {
        None
    }
    fn status(&self) -> i32 {
        0
    }
}

/// A parsed line: pipelines to run one after the other. Empty when the line is blank or
/// only a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub pipelines: Vec<Pipeline>,
}

/// Commands whose standard output feeds the next one's standard input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
}

/// One simple command. `args` may be empty when the command only assigns variables
/// (`A=1`) or only redirects (`> f`, which creates or truncates the file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<(String, String)>,
    pub args: Vec<String>,
    /// `< file`.
    pub stdin: Option<String>,
    /// `> file` / `>> file`.
    pub stdout: Option<Redirect>,
    /// `2> file`, `2>> file` or `2>&1`.
    pub stderr: Option<Stderr>,
}

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The target file (never empty).
    pub path: String,
    /// `>>` (append) rather than `>` (truncate).
    pub append: bool,
}

/// Where standard error goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stderr {
    File(Redirect),
    /// `2>&1`: wherever standard output goes.
    ToStdout,
}

/// Why a line could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A `'` or `"` quote was never closed.
    UnterminatedQuote(char),
    /// `${` without its `}`, or a bad name inside.
    BadSubstitution,
    /// A redirection not followed by a (non-empty) file name.
    MissingRedirectTarget,
    /// Two redirections of the same stream in one command.
    MultipleRedirects,
    /// The line ends with an unquoted backslash.
    TrailingBackslash,
    /// `|` with no command on one side.
    EmptyPipe,
    /// `||`, `&&`, `&`: not supported.
    Unsupported(&'static str),
    /// Expansions made the line longer than [`MAX_EXPANDED`].
    TooLong,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnterminatedQuote(q) => write!(f, "unterminated {q} quote"),
            ParseError::BadSubstitution => f.write_str("bad ${...} substitution"),
            ParseError::MissingRedirectTarget => f.write_str("missing file name after redirection"),
            ParseError::MultipleRedirects => f.write_str("only one redirection per stream allowed"),
            ParseError::TrailingBackslash => f.write_str("trailing backslash"),
            ParseError::EmptyPipe => f.write_str("missing command before or after |"),
            ParseError::Unsupported(what) => write!(f, "{what} is not supported"),
            ParseError::TooLong => write!(
                f,
                "line too long after expansion (at most {MAX_EXPANDED} bytes)"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

/// Whether `name` is a valid variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses one command line, expanding variables from `vars`.
///
/// ```
/// use shellparse::{parse_line, NoVars, Redirect};
///
/// let line = parse_line(r#"cat f | wc -l >>log.txt ; echo "done" # note"#, &NoVars).unwrap();
/// assert_eq!(line.pipelines.len(), 2);
/// let wc = &line.pipelines[0].commands[1];
/// assert_eq!(wc.args, ["wc", "-l"]);
/// assert_eq!(wc.stdout, Some(Redirect { path: "log.txt".into(), append: true }));
/// ```
///
/// # Errors
///
/// A [`ParseError`] for an unclosed quote or `${`, a trailing backslash, a redirection
/// without a file name or repeated for one stream, an empty side of a `|`, an unsupported
/// operator, or an expansion past [`MAX_EXPANDED`]. Lexing errors are reported first.
pub fn parse_line(line: &str, vars: &dyn Vars) -> Result<Line, ParseError> {
    use lex::Token;
    let tokens = lex::lex(line, vars)?;
    let mut out = Line::default();
    let mut pipeline = Pipeline::default();
    let mut cmd = Command::default();
    let mut started = false; // the current command has a word or a redirection
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word { text, assign_at } => {
                started = true;
                match assign_at {
                    Some(eq) if cmd.args.is_empty() => {
                        let (name, value) = text.split_at(eq);
                        cmd.assignments.push((name.into(), value[1..].into()));
                    }
                    _ => cmd.args.push(text),
                }
            }
            Token::Redirect(kind) => {
                started = true;
                let path = match (kind, tokens.next_if(|t| matches!(t, Token::Word { .. }))) {
                    (lex::RedirectKind::ErrToOut, None) => String::new(),
                    (lex::RedirectKind::ErrToOut, Some(word)) => {
                        // `2>&1` takes no file name: the word is an ordinary argument.
                        if let Token::Word { text, .. } = word {
                            cmd.args.push(text);
                        }
                        String::new()
                    }
                    (_, Some(Token::Word { text, .. })) if !text.is_empty() => text,
                    _ => return Err(ParseError::MissingRedirectTarget),
                };
                use lex::RedirectKind as K;
                let slot_taken = match kind {
                    K::In => cmd.stdin.replace(path).is_some(),
                    K::Out { append } => cmd.stdout.replace(Redirect { path, append }).is_some(),
                    K::Err { append } => cmd
                        .stderr
                        .replace(Stderr::File(Redirect { path, append }))
                        .is_some(),
                    K::ErrToOut => cmd.stderr.replace(Stderr::ToStdout).is_some(),
                };
                if slot_taken {
                    return Err(ParseError::MultipleRedirects);
                }
            }
            Token::Pipe => {
                if !started || cmd.args.is_empty() && cmd.assignments.is_empty() {
                    return Err(ParseError::EmptyPipe);
                }
                pipeline.commands.push(core::mem::take(&mut cmd));
                started = false;
                if matches!(tokens.peek(), None | Some(Token::Semicolon)) {
                    return Err(ParseError::EmptyPipe);
                }
            }
            Token::Semicolon => {
                if started {
                    pipeline.commands.push(core::mem::take(&mut cmd));
                    started = false;
                }
                if !pipeline.commands.is_empty() {
                    out.pipelines.push(core::mem::take(&mut pipeline));
                }
            }
        }
    }
    if started {
        pipeline.commands.push(cmd);
    }
    if !pipeline.commands.is_empty() {
        out.pipelines.push(pipeline);
    }
    Ok(out)
}

/// Splits a line at its unquoted `;`s into the text of each list element, without
/// expanding anything, so that a shell can expand and run them one at a time: in
/// `A=1; echo $A` the second part must see the first one's effect. A comment ends the
/// line; empty elements are dropped.
///
/// # Errors
///
/// [`ParseError::UnterminatedQuote`] or [`ParseError::TrailingBackslash`], as
/// [`parse_line`] would report them.
pub fn split_list(line: &str) -> Result<Vec<&str>, ParseError> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at_word_start = true;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let mut word_start_next = false;
        match c {
            '\\' => {
                chars.next().ok_or(ParseError::TrailingBackslash)?;
            }
            '\'' => loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some(_) => {}
                    None => return Err(ParseError::UnterminatedQuote('\'')),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some((_, '"')) => break,
                    Some((_, '\\')) => {
                        chars.next();
                    }
                    Some(_) => {}
                    None => return Err(ParseError::UnterminatedQuote('"')),
                }
            },
            '#' if at_word_start => {
                parts.push(&line[start..i]);
                start = line.len();
                break;
            }
            ';' => {
                parts.push(&line[start..i]);
                start = i + 1;
                word_start_next = true;
            }
            c if c.is_whitespace() || matches!(c, '|' | '<' | '>' | '&') => word_start_next = true,
            _ => {}
        }
        at_word_start = word_start_next;
    }
    if start < line.len() {
        parts.push(&line[start..]);
    }
    parts.retain(|p| !p.trim().is_empty());
    Ok(parts)
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
    let prefix = before[..start].trim_end();
    let first = prefix.is_empty() || prefix.ends_with(['|', ';']);
    (start, first)
}

#[cfg(test)]
mod tests;
