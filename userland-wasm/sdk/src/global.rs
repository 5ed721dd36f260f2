//! [`Global`]: a `static` home for game state without `static mut`.
//!
//! A wasm game is single-threaded and the host calls `init`/`frame` one at a time, so a plain
//! cell would do; the borrow flag makes it sound anyway (also on the host, where tests may run
//! threads) by refusing a second simultaneous borrow instead of aliasing.
//!
//! File size tip: a `static` whose initial value is all zero bytes (like [`Canvas::new`]) lands
//! in `.bss` and costs nothing in the `.wasm`; any other initial value is stored byte for byte.
//!
//! [`Canvas::new`]: crate::Canvas::new

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A value in a `static` that can be borrowed mutably through [`Global::with`].
pub struct Global<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: access to `value` is exclusive: `with` only hands out `&mut T` while it holds `busy`,
// which it takes with an atomic swap. T: Send because the value may be used from any thread.
unsafe impl<T: Send> Sync for Global<T> {}

impl<T> Global<T> {
    /// Creates the cell; usable in a `static` initialiser.
    pub const fn new(value: T) -> Self {
        Global {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with exclusive access to the value.
    ///
    /// # Panics
    /// If called again from inside `f` on the same `Global` (re-entrant borrow).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        assert!(
            !self.busy.swap(true, Ordering::Acquire),
            "Global borrowed twice"
        );
        let _release = Release(&self.busy);
        // SAFETY: `busy` was false and is now ours, so no other reference to the value exists
        // until `_release` drops after `f` returns.
        f(unsafe { &mut *self.value.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::Global;

    static G: Global<u32> = Global::new(1);

    #[test]
    fn borrow_and_release() {
        G.with(|v| *v += 1);
        assert_eq!(G.with(|v| *v), 2);
    }

    #[test]
    #[should_panic(expected = "borrowed twice")]
    fn reentrant_borrow_panics() {
        let g = Global::new(0u8);
        g.with(|_| g.with(|_| ()));
    }
}
