//! `RacyCell`: a static whose exclusive access is guaranteed by the caller, not a lock.
//!
//! Some kernel state cannot take a lock: the IDT (read by the CPU itself), the producer end
//! of an interrupt handler's ring (touched only by that handler, which cannot nest). This
//! wrapper makes such statics explicit: every access is an `unsafe` block that states why
//! no other access can overlap.

use core::cell::UnsafeCell;

pub struct RacyCell<T>(UnsafeCell<T>);

// SAFETY: RustOS runs on one CPU; every user of `get` documents why its accesses cannot
// overlap (interrupts disabled, or a single owner such as one interrupt handler).
unsafe impl<T> Sync for RacyCell<T> {}

impl<T> RacyCell<T> {
    pub const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// A raw pointer to the value. Dereferencing it is the caller's responsibility.
    pub const fn get(&self) -> *mut T {
        self.0.get()
    }
}
