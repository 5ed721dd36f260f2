//! Splitting a line into words and operators, with quoting and variable expansion.

use crate::{ParseError, Vars, is_name};
use alloc::string::String;
use alloc::vec::Vec;
use core::iter::Peekable;
use core::str::Chars;

/// Most bytes a line may grow to through expansions (a variable can be made to double
/// itself with every assignment; this stops that at the parser).
pub const MAX_EXPANDED: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    In,
    Out { append: bool },
    Err { append: bool },
    ErrToOut,
}

#[derive(Debug)]
pub enum Token {
    /// A word; `assign_at` is the byte offset of its `=` when it is an assignment
    /// (an unquoted, unexpanded valid name right before an unquoted `=`).
    Word {
        text: String,
        assign_at: Option<usize>,
    },
    Redirect(RedirectKind),
    Pipe,
    Semicolon,
}

/// The word being built.
struct Word {
    text: String,
    /// Still only unquoted, unexpanded name characters so far.
    plain: bool,
    assign_at: Option<usize>,
}

impl Word {
    fn new() -> Self {
        Self {
            text: String::new(),
            plain: true,
            assign_at: None,
        }
    }

    fn push_plain(&mut self, c: char) {
        if c == '=' && self.plain && self.assign_at.is_none() && is_name(&self.text) {
            self.assign_at = Some(self.text.len());
            self.plain = false;
        } else if !(c.is_ascii_alphanumeric() || c == '_') {
            self.plain = false;
        }
        self.text.push(c);
    }

    fn push_quoted(&mut self, c: char) {
        self.plain = false;
        self.text.push(c);
    }
}

struct Lexer<'l, 'v> {
    chars: Peekable<Chars<'l>>,
    vars: &'v dyn Vars,
    tokens: Vec<Token>,
    word: Option<Word>,
    /// Bytes produced so far (words), checked against [`MAX_EXPANDED`].
    size: usize,
}

impl Lexer<'_, '_> {
    fn end_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.tokens.push(Token::Word {
                text: w.text,
                assign_at: w.assign_at,
            });
        }
    }

    fn word(&mut self) -> &mut Word {
        self.word.get_or_insert_with(Word::new)
    }

    fn grow(&mut self, by: usize) -> Result<(), ParseError> {
        self.size = self.size.saturating_add(by);
        if self.size > MAX_EXPANDED {
            return Err(ParseError::TooLong);
        }
        Ok(())
    }

    /// After a `$`: expands `NAME`, `{NAME}` or `?` into the current word; a `$` that
    /// starts none of them stays a literal `$`.
    fn expand(&mut self) -> Result<(), ParseError> {
        let mut name = String::new();
        match self.chars.peek().copied() {
            Some('?') => {
                self.chars.next();
                let status = alloc::format!("{}", self.vars.status());
                self.grow(status.len())?;
                self.word().text.push_str(&status);
                self.word().plain = false;
                return Ok(());
            }
            Some('{') => {
                self.chars.next();
                loop {
                    match self.chars.next() {
                        Some('}') => break,
                        Some(c) if name.len() < 256 => name.push(c),
                        _ => return Err(ParseError::BadSubstitution),
                    }
                }
                if !is_name(&name) {
                    return Err(ParseError::BadSubstitution);
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                while let Some(c) = self
                    .chars
                    .next_if(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                }
            }
            _ => {
                self.word().push_quoted('$');
                return self.grow(1);
            }
        }
        let vars = self.vars;
        let value = vars.get(&name).unwrap_or("");
        self.grow(value.len())?;
        let w = self.word();
        w.plain = false;
        w.text.push_str(value);
        Ok(())
    }

    fn redirect(&mut self, kind: RedirectKind) {
        self.end_word();
        self.tokens.push(Token::Redirect(kind));
    }

    fn run(mut self) -> Result<Vec<Token>, ParseError> {
        while let Some(c) = self.chars.next() {
            match c {
                c if c.is_whitespace() => self.end_word(),
                '#' if self.word.is_none() => break,
                '\\' => {
                    let escaped = self.chars.next().ok_or(ParseError::TrailingBackslash)?;
                    self.grow(escaped.len_utf8())?;
                    self.word().push_quoted(escaped);
                }
                '\'' => {
                    self.word().plain = false;
                    loop {
                        match self.chars.next() {
                            Some('\'') => break,
                            Some(c) => {
                                self.grow(c.len_utf8())?;
                                self.word().push_quoted(c);
                            }
                            None => return Err(ParseError::UnterminatedQuote('\'')),
                        }
                    }
                }
                '"' => {
                    self.word().plain = false;
                    loop {
                        match self.chars.next() {
                            Some('"') => break,
                            Some('\\') => {
                                let c = self
                                    .chars
                                    .next_if(|&n| matches!(n, '"' | '\\' | '$'))
                                    .unwrap_or('\\');
                                self.grow(1)?;
                                self.word().push_quoted(c);
                            }
                            Some('$') => self.expand()?,
                            Some(c) => {
                                self.grow(c.len_utf8())?;
                                self.word().push_quoted(c);
                            }
                            None => return Err(ParseError::UnterminatedQuote('"')),
                        }
                    }
                }
                '$' => self.expand()?,
                '2' if self.word.is_none() && self.chars.peek() == Some(&'>') => {
                    self.chars.next();
                    if self.chars.next_if_eq(&'&').is_some() {
                        if self.chars.next_if_eq(&'1').is_none() {
                            return Err(ParseError::Unsupported("2>& other than 2>&1"));
                        }
                        self.redirect(RedirectKind::ErrToOut);
                    } else {
                        let append = self.chars.next_if_eq(&'>').is_some();
                        self.redirect(RedirectKind::Err { append });
                    }
                }
                '>' => {
                    let append = self.chars.next_if_eq(&'>').is_some();
                    self.redirect(RedirectKind::Out { append });
                }
                '<' => self.redirect(RedirectKind::In),
                '|' => {
                    if self.chars.next_if_eq(&'|').is_some() {
                        return Err(ParseError::Unsupported("||"));
                    }
                    self.end_word();
                    self.tokens.push(Token::Pipe);
                }
                ';' => {
                    self.end_word();
                    self.tokens.push(Token::Semicolon);
                }
                '&' => {
                    return Err(ParseError::Unsupported(
                        if self.chars.peek() == Some(&'&') {
                            "&&"
                        } else {
                            "& (background jobs)"
                        },
                    ));
                }
                c => {
                    self.grow(c.len_utf8())?;
                    self.word().push_plain(c);
                }
            }
        }
        self.end_word();
        Ok(self.tokens)
    }
}

/// The tokens of `line`, with variables expanded from `vars`.
pub fn lex(line: &str, vars: &dyn Vars) -> Result<Vec<Token>, ParseError> {
    Lexer {
        chars: line.chars().peekable(),
        vars,
        tokens: Vec::new(),
        word: None,
        size: 0,
    }
    .run()
}
