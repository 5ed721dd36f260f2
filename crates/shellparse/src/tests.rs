extern crate std;

use super::*;
use std::string::ToString;
use std::vec;

/// The one command of a line (or the empty command for a blank line).
fn parse(line: &str) -> Result<Command, ParseError> {
    let l = parse_line(line, &NoVars)?;
    assert!(l.pipelines.len() <= 1, "{line:?}");
    let mut cmds = l.pipelines.into_iter().flat_map(|p| p.commands);
    let cmd = cmds.next().unwrap_or_default();
    assert!(cmds.next().is_none(), "{line:?}");
    Ok(cmd)
}

fn args(line: &str) -> Vec<String> {
    let cmd = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(cmd.stdout, None, "{line:?}");
    cmd.args
}

fn redir(line: &str) -> (Vec<String>, String, bool) {
    let cmd = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let r = cmd
        .stdout
        .unwrap_or_else(|| panic!("{line:?}: no redirect"));
    (cmd.args, r.path, r.append)
}

fn err(line: &str) -> ParseError {
    parse_line(line, &NoVars).expect_err(line)
}

#[test]
fn empty_lines() {
    for line in ["", "   ", "\t \t", "# comment", "   # x \"unterminated"] {
        assert_eq!(parse_line(line, &NoVars), Ok(Line::default()), "{line:?}");
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
    assert_eq!(args(r#""\n\$x""#), [r"\n$x"]);
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
    assert_eq!(err("cat < a < b"), ParseError::MultipleRedirects);
    assert_eq!(err("cat 2> a 2>&1"), ParseError::MultipleRedirects);
    assert_eq!(err("echo >a>>b"), ParseError::MultipleRedirects);
    assert_eq!(err("echo > a >"), ParseError::MissingRedirectTarget);
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
        "only one redirection per stream allowed"
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
        'a', 'b', ' ', '\t', '"', '\'', '\\', '>', '#', 'é', '😀', '\n', '\0', '|', ';', '$', '<',
        '2', '=', '{', '}', '?', '&', 'A',
    ];
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..5000 {
        let len = rng.below(24);
        let line: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        if let Ok(l) = parse_line(&line, &Env(&[("A", "x y"), ("B", "")])) {
            for c in l.pipelines.iter().flat_map(|p| &p.commands) {
                assert!(c.stdout.as_ref().is_none_or(|r| !r.path.is_empty()));
                assert!(c.stdin.as_ref().is_none_or(|p| !p.is_empty()));
            }
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

/// Variables for tests: a fixed list, and `$?` = 3.
struct Env<'a>(&'a [(&'a str, &'a str)]);

impl Vars for Env<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
    fn status(&self) -> i32 {
        3
    }
}

fn words(line: &str, env: &Env) -> Vec<Vec<Vec<String>>> {
    parse_line(line, env)
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
        .pipelines
        .into_iter()
        .map(|p| p.commands.into_iter().map(|c| c.args).collect())
        .collect()
}

#[test]
fn lists_and_pipelines() {
    let none = Env(&[]);
    assert_eq!(
        words("a 1 | b | c 2 ; d;e", &none),
        [
            vec![vec!["a", "1"], vec!["b"], vec!["c", "2"]],
            vec![vec!["d"]],
            vec![vec!["e"]],
        ]
    );
    assert_eq!(words("a;;b;", &none), [vec![vec!["a"]], vec![vec!["b"]]]);
    assert_eq!(
        words("echo 'a|b' \\; \"c;d\"", &none),
        [vec![vec!["echo", "a|b", ";", "c;d"]]]
    );
    for bad in ["| a", "a |", "a | | b", "a |; b", "a | > f | b"] {
        assert_eq!(err(bad), ParseError::EmptyPipe, "{bad:?}");
    }
    assert_eq!(err("a || b"), ParseError::Unsupported("||"));
    assert_eq!(err("a && b"), ParseError::Unsupported("&&"));
    assert_eq!(err("a &"), ParseError::Unsupported("& (background jobs)"));
}

#[test]
fn all_redirections() {
    let l = parse_line("sort < in.txt 2>>err > out | wc 2>&1", &NoVars).unwrap();
    let (sort, wc) = (&l.pipelines[0].commands[0], &l.pipelines[0].commands[1]);
    assert_eq!(sort.args, ["sort"]);
    assert_eq!(sort.stdin.as_deref(), Some("in.txt"));
    assert_eq!(
        sort.stdout,
        Some(Redirect {
            path: "out".into(),
            append: false
        })
    );
    assert_eq!(
        sort.stderr,
        Some(Stderr::File(Redirect {
            path: "err".into(),
            append: true
        }))
    );
    assert_eq!(wc.stderr, Some(Stderr::ToStdout));
    // `2>&1` takes no operand: what follows is the next argument or operator.
    let l = parse_line("ls a 2>&1 b | cat", &NoVars).unwrap();
    assert_eq!(l.pipelines[0].commands[0].args, ["ls", "a", "b"]);
    assert_eq!(l.pipelines[0].commands[1].args, ["cat"]);
    // `2` inside a word is an argument.
    assert_eq!(
        redir("echo a2>f"),
        (vec!["echo".into(), "a2".into()], "f".into(), false)
    );
}

#[test]
fn variables_expand_outside_single_quotes() {
    let env = Env(&[("HOME", "/home/me"), ("X", "a b"), ("E", "")]);
    let one = |line: &str| words(line, &env).remove(0).remove(0);
    assert_eq!(
        one("echo $HOME ${HOME}/x \"$HOME\" '$HOME' \\$HOME"),
        [
            "echo",
            "/home/me",
            "/home/me/x",
            "/home/me",
            "$HOME",
            "$HOME"
        ]
    );
    assert_eq!(one("echo $X"), ["echo", "a b"], "one word, never split");
    assert_eq!(
        one("echo $E. $UNSET. $? x$?y"),
        ["echo", ".", ".", "3", "x3y"]
    );
    assert_eq!(one("echo $ a$ $1 $-"), ["echo", "$", "a$", "$1", "$-"]);
    assert_eq!(one("echo \"a\\$X\""), ["echo", "a$X"]);
    assert_eq!(err("echo ${X"), ParseError::BadSubstitution);
    assert_eq!(err("echo ${1x}"), ParseError::BadSubstitution);
    assert_eq!(err("echo ${}"), ParseError::BadSubstitution);
}

#[test]
fn assignments_only_before_the_command_name() {
    let l = parse_line("A=1 B=x=y CC= run A=2 'D=3'", &NoVars).unwrap();
    let c = &l.pipelines[0].commands[0];
    let pairs: Vec<(&str, &str)> = c
        .assignments
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("A", "1"), ("B", "x=y"), ("CC", "")]);
    assert_eq!(c.args, ["run", "A=2", "D=3"]);
    let c = &parse_line("X=$HOME", &Env(&[("HOME", "/h")]))
        .unwrap()
        .pipelines[0]
        .commands[0];
    assert_eq!(c.assignments, [("X".to_string(), "/h".to_string())]);
    assert!(c.args.is_empty());
    // Not names: a quoted or expanded prefix, a digit first.
    for line in ["\"A\"=1", "$N=1", "1A=2", "=x", "a-b=c"] {
        let c = &parse_line(line, &Env(&[("N", "A")])).unwrap().pipelines[0].commands[0];
        assert!(c.assignments.is_empty(), "{line:?}");
        assert_eq!(c.args.len(), 1, "{line:?}");
    }
}

#[test]
fn doubling_variables_are_stopped() {
    let big = "x".repeat(20_000);
    let env = Env(&[("A", big.as_str())]);
    assert!(parse_line("echo $A $A", &env).is_ok());
    assert_eq!(
        parse_line("echo $A $A $A $A", &env).unwrap_err(),
        ParseError::TooLong
    );
    assert_eq!(
        parse_line("X=$A$A$A$A", &env).unwrap_err(),
        ParseError::TooLong
    );
}

#[test]
fn completion_after_operators_completes_commands() {
    assert_eq!(split_for_completion("ls | wc", 7), (5, true));
    assert_eq!(split_for_completion("ls; ec", 6), (4, true));
    assert_eq!(split_for_completion("ls | wc -", 9), (8, false));
}

#[test]
fn split_list_keeps_quotes_and_drops_comments() {
    assert_eq!(split_list("a; b ;c").unwrap(), ["a", " b ", "c"]);
    assert_eq!(
        split_list("echo 'a;b' \"c;d\" e\\;f; g").unwrap(),
        ["echo 'a;b' \"c;d\" e\\;f", " g"]
    );
    assert_eq!(split_list("a # b; c").unwrap(), ["a "]);
    assert_eq!(split_list("a;#b").unwrap(), ["a"]);
    assert_eq!(split_list("x#y; z").unwrap(), ["x#y", " z"]);
    assert_eq!(split_list(" ; ;").unwrap(), Vec::<&str>::new());
    assert_eq!(
        split_list("echo 'a;"),
        Err(ParseError::UnterminatedQuote('\''))
    );
    assert_eq!(split_list("echo \\"), Err(ParseError::TrailingBackslash));
}

/// Splitting first and parsing each part gives the same commands as parsing the whole.
#[test]
fn split_then_parse_agrees_with_parse() {
    let alphabet = ['a', ' ', ';', '\'', '"', '\\', '#', '|', '>', 'b'];
    let mut seed = 0x5151_7a7a_0101_2323u64;
    for _ in 0..20_000 {
        let mut line = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut x = seed;
        for _ in 0..(seed % 16) {
            line.push(alphabet[(x % alphabet.len() as u64) as usize]);
            x /= alphabet.len() as u64;
        }
        let whole = parse_line(&line, &NoVars);
        let parts = split_list(&line);
        match (whole, parts) {
            (Ok(w), Ok(parts)) => {
                let mut pipelines = Vec::new();
                for p in parts {
                    match parse_line(p, &NoVars) {
                        Ok(l) => pipelines.extend(l.pipelines),
                        Err(_) => {
                            pipelines.clear();
                            break;
                        }
                    }
                }
                if !pipelines.is_empty() {
                    assert_eq!(w.pipelines, pipelines, "{line:?}");
                }
            }
            (Err(e), Ok(parts)) => {
                let errs: Vec<_> = parts
                    .iter()
                    .filter_map(|p| parse_line(p, &NoVars).err())
                    .collect();
                assert!(
                    !errs.is_empty(),
                    "{line:?}: whole fails with {e:?}, parts do not"
                );
            }
            (Ok(_), Err(e)) => panic!("{line:?}: split fails with {e:?}"),
            (Err(_), Err(_)) => {}
        }
    }
}
