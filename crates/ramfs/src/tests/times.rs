//! Timestamps from a caller's clock: what each operation stamps.

use super::*;
use core::cell::Cell;

std::thread_local! {
    static NOW: Cell<u64> = const { Cell::new(0) };
}

/// The test clock: this thread's `NOW` (tests run in parallel threads).
fn clock() -> u64 {
    NOW.with(Cell::get)
}

fn set_now(t: u64) {
    NOW.with(|n| n.set(t));
}

/// (atime, mtime, ctime) of `path`, not following a link there.
fn times(fs: &Fs<'_>, path: &str) -> (u64, u64, u64) {
    let m = fs.symlink_metadata(path).unwrap();
    (m.atime, m.mtime, m.ctime)
}

#[test]
fn operations_stamp_what_posix_says() {
    let mut fs = Fs::new();
    assert_eq!(times(&fs, "/"), (0, 0, 0), "no clock yet");
    fs.set_clock(clock);
    set_now(100);
    let before = fs.changes();
    fs.mkdir("/d").unwrap();
    assert!(fs.changes() > before, "a change is counted");
    assert_eq!(times(&fs, "/d"), (100, 100, 100));
    assert_eq!(
        times(&fs, "/"),
        (0, 100, 100),
        "a new entry changes the parent"
    );
    set_now(200);
    fs.write("/d/f", b"x").unwrap();
    assert_eq!(times(&fs, "/d/f"), (200, 200, 200));
    assert_eq!(times(&fs, "/d"), (100, 200, 200));
    set_now(300);
    fs.append("/d/f", b"y").unwrap();
    assert_eq!(times(&fs, "/d/f"), (200, 300, 300));
    assert_eq!(
        times(&fs, "/d"),
        (100, 200, 200),
        "contents are not the directory's"
    );
    set_now(350);
    let before = fs.changes();
    let _ = fs.read("/d/f").unwrap();
    assert_eq!(times(&fs, "/d/f"), (200, 300, 300), "reads stamp nothing");
    assert_eq!(fs.changes(), before, "reads count as no change");
    set_now(400);
    fs.hard_link("/d/f", "/g").unwrap();
    assert_eq!(
        times(&fs, "/d/f"),
        (200, 300, 400),
        "a new name changes ctime"
    );
    assert_eq!(times(&fs, "/"), (0, 400, 400));
    set_now(500);
    fs.rename("/g", "/d/g").unwrap();
    assert_eq!(times(&fs, "/d/f"), (200, 300, 500));
    assert_eq!(times(&fs, "/"), (0, 500, 500));
    assert_eq!(times(&fs, "/d"), (100, 500, 500));
    set_now(600);
    fs.remove("/d/g", false).unwrap();
    assert_eq!(
        times(&fs, "/d/f"),
        (200, 300, 600),
        "a lost name changes ctime"
    );
    assert_eq!(times(&fs, "/d"), (100, 600, 600));
    set_now(700);
    fs.truncate("/d/f", 0).unwrap();
    assert_eq!(times(&fs, "/d/f"), (200, 700, 700));
    set_now(800);
    fs.symlink("f", "/d/l").unwrap();
    assert_eq!(times(&fs, "/d/l"), (800, 800, 800));
    assert_eq!(
        times(&fs, "/d/f"),
        (200, 700, 700),
        "a symlink is not a name of its target"
    );
}

#[test]
fn set_times_and_write_at() {
    let mut fs = Fs::new();
    fs.set_clock(clock);
    set_now(10);
    let root = At::dir(fs.root());
    let f = fs
        .open_at(
            root,
            "f",
            OpenOptions {
                create: true,
                ..OpenOptions::default()
            },
        )
        .unwrap();
    set_now(20);
    fs.set_times(f, SetTime::To(5), SetTime::Now).unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!((m.atime, m.mtime, m.ctime), (5, 20, 20));
    set_now(30);
    fs.set_times(f, SetTime::Keep, SetTime::To(u64::MAX))
        .unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!((m.atime, m.mtime, m.ctime), (5, u64::MAX, 30));
    set_now(40);
    fs.write_at(f, 3, b"x").unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!((m.atime, m.mtime, m.ctime), (5, 40, 40));
    set_now(50);
    fs.write_at(f, 0, b"").unwrap();
    assert_eq!(
        fs.stat(f).unwrap().mtime,
        40,
        "an empty write changes nothing"
    );
    let dir = fs.mkdir_at(root, "d").unwrap();
    set_now(60);
    fs.set_times(dir, SetTime::Now, SetTime::Keep).unwrap();
    let m = fs.stat(dir).unwrap();
    assert_eq!((m.atime, m.mtime, m.ctime), (60, 50, 60));
}

#[test]
fn initrd_times_come_from_the_archive() {
    let mut h = Tar::new();
    h.file("implied/f", b"x").dir("explicit/");
    let tar = h.finish();
    let (fs, _) = load(&tar);
    let archived = 0o14712345670 * 1_000_000_000;
    assert_eq!(times(&fs, "/implied/f"), (archived, archived, archived));
    assert_eq!(times(&fs, "/explicit"), (archived, archived, archived));
    assert_eq!(
        times(&fs, "/implied"),
        (0, 0, 0),
        "implied directories have no time"
    );
}
