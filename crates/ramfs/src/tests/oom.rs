//! Out-of-memory tests: a global allocator that fails on demand.
//!
//! Each operation is run with its allocations capped at 0, 1, 2, ... until it succeeds;
//! every failure must be `OutOfMemory` with the tree exactly as before. The cap is per
//! thread, so the other tests (running in parallel) are unaffected. Implementing
//! `GlobalAlloc` needs `unsafe`; this test-only file is the crate's only `unsafe`.
#![allow(unsafe_code)]

extern crate std;

use super::{operations, small_initrd, snapshot};
use crate::*;
use alloc::string::ToString;
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

#[test]
fn every_operation_survives_every_allocation_failure() {
    let tar = small_initrd();
    for (name, op) in operations() {
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
    let tar = small_initrd();
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
    let tar = small_initrd();
    let (fs, _) = Fs::from_tar(&tar);
    for n in 0..10 {
        let got = with_budget(n, || fs.complete("/etc", ""));
        assert!(got.len() <= 4);
    }
    assert_eq!(fs.complete("/etc", ""), ["empty/", "link", "motd", "sub/"]);
}
