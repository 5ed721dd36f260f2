//! The space limit: exact accounting, and every growing operation refused with `NoSpace`
//! at every limit below what it needs, leaving the tree and its usage as they were.

use super::*;

/// The fresh tree `operations()` expect, with its usage.
fn fresh(tar: &[u8]) -> Fs<'_> {
    let (mut fs, w) = Fs::from_tar(tar);
    assert_eq!(w, None);
    fs.write("/ram", b"ram").unwrap();
    fs
}

#[test]
fn usage_counts_heap_contents_nodes_and_names() {
    let mut fs = Fs::new();
    let root = fs.usage();
    assert_eq!(root, NODE_OVERHEAD);
    fs.write("/abc", &[7; 100]).unwrap();
    let file = NODE_OVERHEAD + ENTRY_OVERHEAD + 3 + 100;
    assert_eq!(fs.usage(), root + file);
    fs.append("/abc", &[7; 50]).unwrap();
    assert_eq!(fs.usage(), root + file + 50);
    fs.truncate("/abc", 10).unwrap();
    assert_eq!(fs.usage(), root + file - 90);
    fs.mkdir("/d").unwrap();
    assert_eq!(
        fs.usage(),
        root + file - 90 + NODE_OVERHEAD + ENTRY_OVERHEAD + 1
    );
    fs.rename("/abc", "/d/abcdef").unwrap();
    assert_eq!(
        fs.usage(),
        root + file - 90 + NODE_OVERHEAD + ENTRY_OVERHEAD + 1 + 3
    );
    fs.remove("/d", true).unwrap();
    assert_eq!(fs.usage(), root);
    fs.check_invariants();
}

#[test]
fn initrd_contents_cost_nothing_until_copied_to_the_heap() {
    let tar = sample();
    let (mut fs, _) = load(&tar);
    let before = fs.usage();
    fs.copy("/etc/motd", "/motd2", false).unwrap();
    assert_eq!(
        fs.usage(),
        before + NODE_OVERHEAD + ENTRY_OVERHEAD + 5,
        "shares the archive"
    );
    fs.append("/etc/motd", b"!").unwrap();
    assert_eq!(fs.usage(), before + NODE_OVERHEAD + ENTRY_OVERHEAD + 5 + 6);
}

#[test]
fn no_space_is_reported_and_changes_nothing() {
    let mut fs = Fs::new();
    fs.write("/f", b"0123456789").unwrap();
    fs.set_limit(Some(fs.usage() + 5));
    assert_eq!(fs.limit(), Some(fs.usage() + 5));
    let before = fs.usage();
    assert_eq!(fs.append("/f", b"abcdef"), Err(FsError::NoSpace));
    assert_eq!(fs.write("/f", &[1; 16]), Err(FsError::NoSpace));
    assert_eq!(fs.truncate("/f", 16), Err(FsError::NoSpace));
    assert_eq!(fs.touch("/new"), Err(FsError::NoSpace));
    assert_eq!(fs.mkdir("/dir"), Err(FsError::NoSpace));
    assert_eq!(fs.read("/f").unwrap(), b"0123456789");
    assert!(!fs.exists("/new") && !fs.exists("/dir"));
    assert_eq!(fs.usage(), before);
    fs.append("/f", b"abcde").unwrap();
    assert_eq!(fs.usage(), before + 5);
    assert_eq!(
        FsError::NoSpace.context("write", "/f").to_string(),
        "write: /f: no space left on device"
    );
    // Shrinking and deleting always work, and make room again.
    fs.truncate("/f", 0).unwrap();
    fs.touch("/new").unwrap_err();
    fs.remove("/f", false).unwrap();
    fs.touch("/new").unwrap();
    fs.set_limit(None);
    assert_eq!(fs.limit(), None);
    fs.write("/big", &[0; 100_000]).unwrap();
    fs.check_invariants();
}

#[test]
fn every_operation_is_refused_whole_below_the_space_it_needs() {
    let tar = small_initrd();
    for (name, op) in operations() {
        let needed = {
            let mut fs = fresh(&tar);
            let before = fs.usage();
            op(&mut fs).unwrap_or_else(|e| panic!("{name}: {e}"));
            fs.usage().saturating_sub(before)
        };
        // Every limit from "nothing more" up to exactly enough.
        for extra in 0..=needed {
            let mut fs = fresh(&tar);
            let (before, usage) = (snapshot(&fs), fs.usage());
            fs.set_limit(Some(usage + extra));
            let r = op(&mut fs);
            fs.check_invariants();
            assert!(fs.usage() <= usage + extra, "{name}: over the limit");
            match r {
                Ok(()) => assert_eq!(extra, needed, "{name} succeeded with {extra} of {needed}"),
                Err(FsError::NoSpace) => {
                    assert_eq!(snapshot(&fs), before, "{name} at {extra} of {needed}");
                    assert_eq!(fs.usage(), usage, "{name}");
                }
                Err(e) => panic!("{name} at {extra} of {needed}: {e}"),
            }
        }
    }
}

#[test]
fn filling_up_stops_at_the_limit_and_deleting_frees_it() {
    let mut fs = Fs::new();
    let base = fs.usage();
    fs.set_limit(Some(base + 64 * 1024));
    let mut rng = Rng::new(5);
    let mut written = Vec::new();
    loop {
        let path = format!("/f{}", written.len());
        let size = rng.below(3000);
        match fs.write(&path, &vec![1; size]) {
            Ok(()) => written.push(path),
            Err(FsError::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
        // Appends fail whole too.
        if let Err(e) = fs.append(&written[0], &vec![2; rng.below(500)]) {
            assert_eq!(e, FsError::NoSpace);
        }
        assert!(fs.usage() <= base + 64 * 1024);
    }
    assert!(written.len() > 10);
    // Fill the rest with empty files; then nothing more fits.
    while fs.touch(&format!("/e{}", written.len())).is_ok() {
        written.push(format!("/e{}", written.len()));
    }
    assert_eq!(fs.mkdir("/a-long-directory-name"), Err(FsError::NoSpace));
    for p in &written {
        fs.remove(p, false).unwrap();
    }
    assert_eq!(fs.usage(), base);
    fs.check_invariants();
}
