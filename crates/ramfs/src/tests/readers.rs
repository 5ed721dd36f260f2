//! The two archive readers agree, real `tar` output is read, and indexing speed (printed).

use super::*;
use crate::archive::{self, End, Header};
use alloc::vec;
use std::println;

/// Headers as each reader reports them.
/// A header without its payload bytes (which would make failure messages huge).
pub(super) type Brief<'a> = (
    usize,
    u8,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    u64,
    usize,
    usize,
);

fn brief<'a>(h: &Header<'a>) -> Brief<'a> {
    let p = h.payload;
    (
        h.offset,
        h.typeflag,
        h.prefix,
        h.name,
        h.linkname,
        h.mtime,
        p.as_ptr() as usize,
        p.len(),
    )
}

pub(super) fn headers_tar_no_std(bytes: &[u8]) -> Option<(Vec<Brief<'_>>, End)> {
    let mut v = Vec::new();
    let end = archive::read_tar_no_std(bytes, &mut |h| {
        v.push(brief(&h));
        true
    })?;
    Some((v, end))
}

pub(super) fn headers_walker(bytes: &[u8]) -> (Vec<Brief<'_>>, End) {
    let mut v = Vec::new();
    let end = archive::walk_blocks(bytes, &mut |h| {
        v.push(brief(&h));
        true
    });
    (v, end)
}

#[test]
fn walker_agrees_with_tar_no_std() {
    let tar = Tar::new()
        .file("a", b"1")
        .dir("d/")
        .prefixed("pre/fix", "name", b"p")
        .symlink("l", "a")
        .pax(&[("path", "paxed")], "x", b"pax")
        .entry("c", b'3', b"")
        .entry("cont", b'7', b"contiguous")
        .file("z", &[9; 1025])
        .finish();
    let (a, end) = headers_tar_no_std(&tar).expect("tar-no-std accepts it");
    assert_eq!(end, End::Clean);
    assert_eq!(headers_walker(&tar), (a.clone(), End::Clean));
    assert_eq!(a.len(), 9);
    let (fs, w) = load(&tar);
    assert_eq!(w.unwrap().skipped, 1);
    assert_eq!(fs.read_link_path("/l").unwrap(), "a");
    assert_eq!(fs.read("/paxed").unwrap(), b"pax");
    assert_eq!(fs.read("/cont").unwrap(), b"contiguous");
    assert_eq!(fs.read("/pre/fix/name").unwrap(), b"p");
}

#[test]
fn host_tar_archives() {
    // Real archives from the host's tar in its formats; skipped without a `tar` binary.
    use std::process::Command;
    if Command::new("tar").arg("--version").output().is_err() {
        println!("no host tar; skipping");
        return;
    }
    let root = std::env::temp_dir().join(format!("ramfs-test-{}", std::process::id()));
    let src = root.join("src");
    let long_dir = "a".repeat(120);
    std::fs::create_dir_all(src.join("etc/empty")).unwrap();
    std::fs::create_dir_all(src.join(&long_dir)).unwrap();
    std::fs::write(src.join("etc/motd"), b"hi\n").unwrap();
    std::fs::write(src.join("zero"), b"").unwrap();
    std::fs::write(src.join(&long_dir).join("x.bin"), vec![5u8; 3000]).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("etc/motd", src.join("link")).unwrap();
    for format in ["gnu", "pax", "ustar", "v7"] {
        let out = root.join(format!("{format}.tar"));
        let status = Command::new("tar")
            .arg(format!("--format={format}"))
            .arg("-cf")
            .arg(&out)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .output()
            .unwrap();
        let bytes = std::fs::read(&out).unwrap();
        let (fs, w) = load(&bytes);
        println!(
            "{format}: {:?} {:?}",
            w.map(|w| w.to_string()),
            status.status
        );
        assert_eq!(fs.read("/etc/motd").unwrap(), b"hi\n", "{format}");
        assert_eq!(fs.read("/zero").unwrap(), b"", "{format}");
        assert_eq!(fs.metadata("/etc/empty").unwrap().kind, Kind::Dir);
        if format != "v7" && format != "ustar" {
            // ustar and v7 cannot store a 126-byte component; tar leaves it out.
            assert_eq!(
                fs.read(&format!("/{long_dir}/x.bin")).unwrap(),
                &[5u8; 3000][..],
                "{format}"
            );
        }
        let w = w.map(|w| (w.damage, w.conflicts, w.bad_names));
        assert!(matches!(w, None | Some((None, 0, 0))), "{format}: {w:?}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn timing_index_1000_files_16_mib() {
    let mut t = Tar::new();
    let body = vec![0xabu8; 16 * 1024];
    for i in 0..1000 {
        t.file(&format!("data/{:02}/file{i:04}.bin", i % 32), &body);
    }
    let tar = t.finish();
    let start = std::time::Instant::now();
    let (fs, w) = Fs::from_tar(&tar);
    let took = start.elapsed();
    assert_eq!(w, None);
    assert_eq!(fs.stats().files, 1000);
    println!(
        "indexed 1000 files / {} MiB in {took:?} (print only; build with --release for real numbers)",
        tar.len() >> 20
    );
}
