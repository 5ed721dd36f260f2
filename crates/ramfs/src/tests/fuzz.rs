//! Mutated and random archives: indexing never panics and the tree stays usable.

use super::readers::{headers_tar_no_std, headers_walker};
use super::*;
use crate::archive::End;
use alloc::borrow::ToOwned;
use alloc::vec;
use std::println;

/// The base archives the fuzzer mutates.
fn fuzz_bases() -> Vec<Vec<u8>> {
    let long = "long/".repeat(30);
    vec![
        Tar::new()
            .file("a.txt", b"alpha")
            .dir("dir/")
            .file("dir/b.txt", &[b'b'; 1300])
            .symlink("dir/link", "b.txt")
            .file("dir/sub/c", b"")
            .finish(),
        Tar::new()
            .gnu_long(&format!("{long}file"), b'0', b"long")
            .pax(&[("path", "p/a/x")], "short", b"pax data")
            .prefixed("pre", "fix", &[1; 513])
            .entry("dev", b'3', b"")
            .file("z", b"zz")
            .finish(),
        {
            let mut t = Tar::new();
            for i in 0..20 {
                t.file(&format!("many/{}/f{i}", i % 4), &vec![i as u8; i * 100]);
            }
            t.finish()
        },
    ]
}

fn mutate(rng: &mut Rng, tar: &mut Vec<u8>) {
    let blocks = tar.len() / BLOCK;
    match rng.below(7) {
        0 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(tar.len());
                tar[i] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let n = rng.below(tar.len() + 1);
            tar.truncate(n);
        }
        2 if blocks > 0 => {
            let from = rng.below(blocks) * BLOCK;
            let to = rng.below(blocks) * BLOCK;
            let copy = tar[from..from + BLOCK].to_vec();
            tar.splice(to..to, copy);
        }
        3 if blocks > 0 => {
            let at = rng.below(blocks) * BLOCK;
            tar.drain(at..at + BLOCK);
        }
        4 | 5 if blocks > 0 => {
            // Change a header field and fix the checksum, to get past the checksum test.
            let at = rng.below(blocks) * BLOCK;
            let hdr = &mut tar[at..at + BLOCK];
            match rng.below(5) {
                0 => {
                    let size = match rng.below(3) {
                        0 => rng.below(4096),
                        1 => rng.below(1 << 30),
                        _ => rng.next_u64() as usize,
                    };
                    let s = format!("{size:011o}");
                    let s = &s.as_bytes()[s.len().saturating_sub(11)..];
                    hdr[124..124 + s.len()].copy_from_slice(s);
                }
                1 => hdr[156] = b"0125xgLK7S\0\xff"[rng.below(12)],
                2 => {
                    let n = rng.below(100);
                    for b in &mut hdr[..n] {
                        *b = b"ab/.\0\xc3"[rng.below(6)];
                    }
                }
                3 => hdr[124..136].copy_from_slice(b"+0000000017\0"),
                _ => {
                    for b in &mut hdr[257..265] {
                        *b = rng.next_u64() as u8;
                    }
                }
            }
            set_checksum(hdr);
        }
        _ => {
            let at = rng.below(tar.len() + 1);
            let n = rng.below(3 * BLOCK);
            let junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            tar.splice(at..at, junk);
        }
    }
}

/// Everything a shell could do to a freshly indexed tree must work without panicking.
fn exercise(bytes: &[u8]) {
    let (mut fs, w) = Fs::from_tar(bytes);
    fs.check_invariants();
    if let Some(w) = &w {
        assert!(!w.to_string().contains('\n'));
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let mut links = Vec::new();
    fs.walk("/", |e| match e.kind {
        Kind::File => files.push(e.path.to_owned()),
        Kind::Dir => dirs.push(e.path.to_owned()),
        Kind::Symlink => links.push(e.path.to_owned()),
    })
    .unwrap();
    for l in &links {
        // Whatever the target, following it ends in a node or a clean error.
        let target = fs.read_link_path(l).unwrap();
        assert!(
            within(bytes, target.as_bytes()),
            "link targets borrow the archive"
        );
        let _ = fs.metadata(l);
        let _ = fs.read(l);
    }
    for f in &files {
        let data = fs.read(f).unwrap();
        assert!(within(bytes, data), "file contents must borrow the archive");
        assert_eq!(fs.metadata(f).unwrap().size, data.len());
    }
    for d in &dirs {
        assert_eq!(fs.read_dir(d).unwrap().len(), fs.metadata(d).unwrap().size);
        let _ = fs.complete(d, "");
    }
    // Hard links make a file appear under several paths, but it counts once.
    assert!(fs.stats().files <= files.len());
    if let Some(f) = files.first() {
        fs.append(f, b"more").unwrap();
        fs.rename(f, "/renamed").unwrap();
        fs.copy("/renamed", "/copied", false).unwrap();
    }
    if let Some(d) = dirs.get(1) {
        fs.remove(d, true).unwrap();
    }
    fs.check_invariants();
}

#[test]
fn fuzz_mutated_archives() {
    let bases = fuzz_bases();
    let mut rng = Rng::new(0x5eed_1234_abcd_ef01);
    let (mut accepted, mut damaged) = (0, 0);
    for round in 0..5000 {
        let mut tar = bases[round % bases.len()].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut tar);
        }
        exercise(&tar);
        // Wherever tar-no-std accepts an archive, the walker must read it the same way.
        if let Some((a, end)) = headers_tar_no_std(&tar) {
            accepted += 1;
            assert_eq!(end, End::Clean);
            assert_eq!(headers_walker(&tar), (a, End::Clean), "round {round}");
        } else {
            damaged += 1;
        }
    }
    println!("fuzz: {accepted} archives accepted by tar-no-std, {damaged} rejected");
    assert!(accepted > 100 && damaged > 100);
}

#[test]
fn fuzz_random_bytes() {
    let mut rng = Rng::new(42);
    for _ in 0..500 {
        let len = rng.below(4 * BLOCK);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if rng.below(2) == 0 && len >= BLOCK {
            set_checksum(&mut bytes[..BLOCK]); // a "valid" header of junk
        }
        exercise(&bytes);
    }
}
