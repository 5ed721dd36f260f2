//! Building and listing big directories: the work is bounded by counting it (comparisons
//! and element moves, see `node::work`), not by timing it, so the tests are exact on any
//! machine.

use super::*;
use crate::work;

/// Indexes one directory of `n` files added in `order` and returns the steps of work.
fn build_work(n: usize, order: impl Iterator<Item = usize>) -> u64 {
    let mut t = Tar::new();
    for i in order {
        t.file(&format!("big/f{i:06}"), b"");
    }
    let tar = t.finish();
    let ((fs, w), steps) = work::measure(|| Fs::from_tar(&tar));
    assert_eq!(w, None);
    fs.check_invariants();
    assert_eq!(fs.entries("/big").unwrap().len(), n);
    let names: Vec<&str> = fs.entries("/big").unwrap().map(|e| e.name).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "listing is sorted");
    assert_eq!(names.first().copied(), Some("f000000"));
    steps
}

/// 30,000 files in one directory, in ascending, descending and shuffled order: each build
/// does at most a few n log2 n steps. Inserting each name into a sorted list, as import did
/// before, does n^2 / 4 moves on average and n^2 / 2 in descending order (450 million).
#[test]
fn building_a_huge_directory_is_n_log_n_in_any_order() {
    const N: usize = 30_000;
    let bound = 8 * (N as u64) * u64::from(N.ilog2() + 1);
    let mut shuffled: Vec<usize> = (0..N).collect();
    let mut rng = Rng::new(3);
    for i in (1..N).rev() {
        shuffled.swap(i, rng.below(i + 1));
    }
    for (what, steps) in [
        ("ascending", build_work(N, 0..N)),
        ("descending", build_work(N, (0..N).rev())),
        ("shuffled", build_work(N, shuffled.into_iter())),
    ] {
        std::println!("{what}: {steps} steps (bound {bound})");
        assert!(steps <= bound, "{what}: {steps} steps > {bound}");
    }
}

#[test]
fn entries_stream_a_directory_in_order() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    fs.write("/etc/zz", b"12").unwrap();
    let got: Vec<(String, Kind, usize)> = fs
        .entries("/etc")
        .unwrap()
        .map(|e| (e.name.to_string(), e.kind, e.size))
        .collect();
    assert_eq!(
        got,
        [
            ("empty".to_string(), Kind::Dir, 0),
            ("motd".to_string(), Kind::File, 5),
            ("zz".to_string(), Kind::File, 2),
        ]
    );
    // Stopping early is free, and the same entries come from `read_dir`.
    assert_eq!(fs.entries("/etc").unwrap().next().unwrap().name, "empty");
    assert_eq!(
        fs.read_dir("/etc").unwrap(),
        fs.entries("/etc").unwrap().collect::<Vec<_>>()
    );
    assert_eq!(fs.entries("/").unwrap().len(), 3);
    assert_eq!(fs.entries("/readme").unwrap_err(), FsError::NotADirectory);
    assert_eq!(fs.entries("/nope").unwrap_err(), FsError::NotFound);
}

/// Adding a file to a sorted directory at run time costs a binary search plus one move
/// per later sibling; checked so a change to the list's representation is noticed.
#[test]
fn run_time_inserts_are_counted() {
    let mut fs = Fs::new();
    for i in 0..100 {
        fs.write(&format!("/f{i:03}"), b"").unwrap();
    }
    let (r, steps) = work::measure(|| fs.touch("/f000a"));
    r.unwrap();
    // A binary search (twice: lookup, then placing) and 99 moves.
    assert!((99..99 + 4 * 8).contains(&steps), "{steps}");
    fs.check_invariants();
}
