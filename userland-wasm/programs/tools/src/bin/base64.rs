//! base64: encodes or decodes Base64 (the `base64` crate).
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustos_tools::{die, help, read_all};
use std::io::Write;

const HELP: &str = "usage: base64 [-d] [FILE]
Encodes FILE (standard input if none or -) as Base64, in lines of 76 characters,
or with -d decodes it (whitespace is ignored).
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let decode = args.iter().skip(1).any(|a| a == "-d" || a == "--decode");
    let files: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-') || *a == "-")
        .collect();
    let name = files.first().map_or("-", |s| s.as_str());
    let data = read_all(name).unwrap_or_else(|e| die("base64", format!("{name}: {e}"), 1));
    let mut out = std::io::stdout().lock();
    if decode {
        let text: Vec<u8> = data
            .into_iter()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let bytes = STANDARD
            .decode(&text)
            .unwrap_or_else(|e| die("base64", e, 1));
        let _ = out.write_all(&bytes);
    } else {
        let text = STANDARD.encode(&data);
        for chunk in text.as_bytes().chunks(76) {
            let _ = out.write_all(chunk);
            let _ = out.write_all(b"\n");
        }
    }
}
