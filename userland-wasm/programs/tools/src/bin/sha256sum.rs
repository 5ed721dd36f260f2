//! sha256sum: SHA-256 digests of files (the `sha2` crate).
use rustos_tools::{help, inputs, open};
use sha2::{Digest, Sha256};
use std::io::Read;

const HELP: &str = "usage: sha256sum [FILE...]
Prints the SHA-256 digest of each FILE (standard input if none or -), as
`<64 hex digits>  <name>`.
";

fn main() {
    let args = rustos_tools::args();
    help(&args, HELP);
    let mut status = 0;
    for name in inputs(&args[1..]) {
        let mut input = match open(&name) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sha256sum: {name}: {e}");
                status = 1;
                continue;
            }
        };
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => h.update(&buf[..k]),
                Err(e) => {
                    eprintln!("sha256sum: {name}: {e}");
                    status = 1;
                    break;
                }
            }
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        println!("{hex}  {name}");
    }
    std::process::exit(status);
}
