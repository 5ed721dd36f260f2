//! Random operation sequences keep the tree consistent.

use super::*;
use std::println;

/// Random operations of the shell's API on a small namespace, links included: nothing
/// panics and the tree stays consistent (invariants, link counts, usage) after each.
#[test]
fn random_operations_keep_the_tree_consistent() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    let mut rng = Rng::new(7);
    let parts = ["a", "b", "etc", "motd", "..", ".", "bin", "sh"];
    let path = |rng: &mut Rng| {
        let n = 1 + rng.below(4);
        let mut p = String::new();
        for _ in 0..n {
            p.push('/');
            p.push_str(parts[rng.below(parts.len())]);
        }
        p
    };
    let mut ok = 0;
    for _ in 0..20_000 {
        let (p, q) = (path(&mut rng), path(&mut rng));
        let r = match rng.below(13) {
            0 => fs.write(&p, p.as_bytes()),
            1 => fs.append(&p, b"+"),
            2 => fs.touch(&p),
            3 => fs.truncate(&p, rng.below(8)),
            4 => fs.mkdir(&p),
            5 => fs.mkdir_all(&p),
            6 => fs.remove(&p, rng.below(2) == 0),
            7 => fs.rename(&p, &q),
            8 => fs.copy(&p, &q, rng.below(2) == 0),
            9 => fs.read(&p).map(|_| ()),
            10 => fs.read_dir(&p).map(|_| ()),
            11 => fs.symlink(&q[1 + rng.below(2)..], &p),
            _ => fs.hard_link(&p, &q),
        };
        ok += usize::from(r.is_ok());
        fs.check_invariants();
    }
    let s = fs.stats();
    let mut files = std::collections::HashSet::new();
    let mut paths = Vec::new();
    fs.walk("/", |e| paths.push((e.path.to_string(), e.kind)))
        .unwrap();
    for (path, kind) in paths {
        if kind == Kind::File {
            files.insert(fs.symlink_metadata(&path).unwrap().ino);
        }
    }
    assert_eq!(
        s.files,
        files.len(),
        "a file counts once however many names it has"
    );
    assert!(s.symlinks > 0, "links were made");
    println!("random ops: {ok} of 20000 succeeded; {s:?}");
}
