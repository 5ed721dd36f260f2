//! Random operation sequences keep the tree consistent.

use super::*;
use std::println;

/// Random operations on a small namespace: nothing panics and the tree stays consistent.
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
        let r = match rng.below(11) {
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
            _ => fs.read_dir(&p).map(|_| ()),
        };
        ok += usize::from(r.is_ok());
        fs.check_invariants();
    }
    let s = fs.stats();
    let mut files = 0;
    fs.walk("/", |e| files += usize::from(e.kind == Kind::File))
        .unwrap();
    assert_eq!(s.files, files);
    println!("random ops: {ok} of 20000 succeeded; {s:?}");
}
