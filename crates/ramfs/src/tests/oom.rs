//! Out-of-memory tests: a global allocator that fails on demand.
//!
//! Each operation is run with its allocations capped at 0, 1, 2, ... until it succeeds;
//! every failure must be `OutOfMemory` with the tree exactly as before. The cap is per
//! thread, so the other tests (running in parallel) are unaffected. Implementing
//! `GlobalAlloc` needs `unsafe`; this test-only file is the crate's only `unsafe`.
#![allow(unsafe_code)]

extern crate std;

use crate::*;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use std::alloc::System;

std::thread_local! {
    /// Allocations this thread may still make; `usize::MAX` means no limit.
    static BUDGET: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn may_allocate() -> bool {
    BUDGET
        .try_with(|b| match b.get() {
            usize::MAX => true,
            0 => false,
            n => {
                b.set(n - 1);
                true
            }
        })
        .unwrap_or(true)
}

struct FailingAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments, except that
// `alloc`/`alloc_zeroed`/`realloc` may instead return null, which is how `GlobalAlloc`
// reports failure (and leaves the old block of a failed `realloc` untouched).
unsafe impl GlobalAlloc for FailingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !may_allocate() {
            return core::ptr::null_mut();
        }
        // SAFETY: our caller upholds `GlobalAlloc::alloc`'s contract, which is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !may_allocate() {
            return core::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !may_allocate() {
            return core::ptr::null_mut();
        }
        // SAFETY: `ptr`/`layout` came from `System` through this allocator; the caller
        // upholds `realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: FailingAlloc = FailingAlloc;

/// Runs `f` allowed at most `n` allocations. `f` must not panic (panicking allocates).
fn with_budget<T>(n: usize, f: impl FnOnce() -> T) -> T {
    BUDGET.with(|b| b.set(n));
    let r = f();
    BUDGET.with(|b| b.set(usize::MAX));
    r
}

/// Everything observable: each path with its kind, contents and `in_ram`.
fn snapshot(fs: &Fs<'_>) -> Vec<(String, Kind, Vec<u8>, bool)> {
    let mut v = Vec::new();
    fs.walk("/", |e| {
        v.push((e.path.to_string(), e.kind, Vec::new(), false));
    })
    .unwrap();
    for (path, kind, data, in_ram) in &mut v {
        *in_ram = fs.metadata(path).unwrap().in_ram;
        if *kind == Kind::File {
            *data = fs.read(path).unwrap().to_vec();
        }
    }
    v
}

fn archive() -> Vec<u8> {
    let mut t = Vec::new();
    let mut add = |name: &str, typeflag: u8, data: &[u8]| {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[124..136].copy_from_slice(std::format!("{:011o}\0", data.len()).as_bytes());
        h[156] = typeflag;
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(std::format!("{sum:06o}\0 ").as_bytes());
        t.extend_from_slice(&h);
        t.extend_from_slice(data);
        t.resize(t.len().next_multiple_of(512), 0);
    };
    add("etc/motd", b'0', b"hello");
    add("etc/empty/", b'5', b"");
    add("etc/sub/deep/file", b'0', b"deep");
    add("readme", b'0', b"read me");
    t.extend_from_slice(&[0; 1024]);
    t
}

type Op = fn(&mut Fs<'_>) -> Result<(), FsError>;

#[test]
fn every_operation_survives_every_allocation_failure() {
    let tar = archive();
    let ops: &[(&str, Op)] = &[
        ("write new", |fs| fs.write("/etc/new", b"data")),
        ("write over initrd", |fs| fs.write("/etc/motd", b"new")),
        ("write over ram", |fs| fs.write("/ram", b"new")),
        ("append initrd", |fs| fs.append("/etc/motd", b"!")),
        ("append ram", |fs| fs.append("/ram", &[1; 1000])),
        ("append new", |fs| fs.append("/new", b"x")),
        ("touch", |fs| fs.touch("/t")),
        ("truncate initrd", |fs| fs.truncate("/readme", 100)),
        ("truncate ram", |fs| fs.truncate("/ram", 5000)),
        ("mkdir", |fs| fs.mkdir("/etc/d")),
        ("mkdir_all", |fs| fs.mkdir_all("/x/y/z/w")),
        ("rename", |fs| fs.rename("/readme", "/etc/r2")),
        ("rename over file", |fs| fs.rename("/ram", "/etc/motd")),
        ("rename dir", |fs| fs.rename("/etc/sub", "/moved")),
        ("copy initrd file", |fs| fs.copy("/readme", "/r2", false)),
        ("copy ram file", |fs| fs.copy("/ram", "/etc", false)),
        ("copy -r", |fs| fs.copy("/etc", "/etc2", true)),
        ("remove -r", |fs| fs.remove("/etc", true)),
        ("read_dir", |fs| fs.read_dir("/etc").map(|_| ())),
        ("resolve", |fs| fs.resolve("/etc", "../x").map(|_| ())),
        ("walk", |fs| fs.walk("/", |_| {})),
    ];
    for (name, op) in ops {
        let mut done = false;
        for n in 0..100 {
            let (mut fs, w) = Fs::from_tar(&tar);
            assert_eq!(w, None);
            fs.write("/ram", b"ram").unwrap();
            let before = snapshot(&fs);
            let r = with_budget(n, || op(&mut fs));
            fs.check_invariants();
            match r {
                Ok(()) => {
                    done = true;
                    break;
                }
                Err(FsError::OutOfMemory) => {
                    assert_eq!(
                        snapshot(&fs),
                        before,
                        "{name} failing after {n} allocations"
                    )
                }
                Err(e) => panic!("{name}: {e}"),
            }
        }
        assert!(done, "{name} never succeeded");
    }
}

#[test]
fn indexing_survives_allocation_failure() {
    let tar = archive();
    let full = snapshot(&Fs::from_tar(&tar).0);
    for n in 0..100 {
        let (mut fs, w) = with_budget(n, || Fs::from_tar(&tar));
        fs.check_invariants();
        match w {
            None => {
                assert_eq!(snapshot(&fs), full);
                break;
            }
            Some(w) => {
                assert!(matches!(w.damage, Some((_, Damage::OutOfMemory))), "{w}");
                assert!(w.to_string().contains("out of memory while indexing"));
            }
        }
        // Whatever was indexed stays usable, and the tree works once memory is back.
        fs.write("/later", b"ok").unwrap();
        assert_eq!(fs.read("/later").unwrap(), b"ok");
        fs.check_invariants();
    }
}

#[test]
fn completion_under_memory_pressure_returns_what_it_can() {
    let tar = archive();
    let (fs, _) = Fs::from_tar(&tar);
    for n in 0..10 {
        let got = with_budget(n, || fs.complete("/etc", ""));
        assert!(got.len() <= 3);
    }
    assert_eq!(fs.complete("/etc", ""), ["empty/", "motd", "sub/"]);
}
