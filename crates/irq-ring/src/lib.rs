//! `IrqRing<T, N>`: the one queue between an interrupt handler and the task that reads it.
//!
//! Every input device has the same shape: the interrupt handler must hand a few bytes to
//! task context without blocking, allocating or taking a lock that the task could hold.
//! This ring is that hand-off, written once and audited once, instead of each driver
//! pairing a `static mut` with a single-producer queue by hand.
//!
//! Design: a power-of-two array of slots with free-running `head` (next to read) and
//! `tail` (next to write) counters. The producer side and the consumer side each have a
//! busy flag taken with an atomic swap, so the API is safe with `&self` from anywhere: a
//! second producer (a nested interrupt, another CPU) or a second consumer does not race,
//! it just finds the side busy — the push is refused and counted as dropped, the pop
//! returns `None`. Nothing ever spins or waits, so it is safe in an interrupt handler.
//!
//! It is hand-written because the well-kept single-producer queues (`heapless::spsc`)
//! need `&mut` to split into endpoints, which forces an `unsafe` static per driver; this
//! one is usable as a plain `static`.

#![no_std]

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// A bounded FIFO of `N` (a power of two) `Copy` values, filled by one context at a time
/// and drained by one context at a time.
pub struct IrqRing<T: Copy, const N: usize> {
    slots: [UnsafeCell<MaybeUninit<T>>; N],
    /// Count of values ever taken; written only by the consumer.
    head: AtomicUsize,
    /// Count of values ever stored; written only by the producer.
    tail: AtomicUsize,
    producing: AtomicBool,
    consuming: AtomicBool,
    dropped: AtomicU64,
    received: AtomicU64,
}

// SAFETY: the slots are the only non-`Sync` part. A slot is written only by the holder of
// the `producing` flag and only while it lies in the free region `[tail, head + N)`; it is
// read only by the holder of the `consuming` flag and only while it lies in the filled
// region `[head, tail)`. The producer publishes a slot by storing `tail` with Release
// after writing it, and the consumer reads `tail` with Acquire before reading it (and the
// reverse through `head` for reuse), so a slot is never accessed by both sides at once.
// Values are moved between contexts, hence `T: Send`.
unsafe impl<T: Copy + Send, const N: usize> Sync for IrqRing<T, N> {}

/// Why a push did not store its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// No room (or not above the requested reserve).
    Full,
    /// Another producer was in the middle of a push.
    Busy,
}

/// Releases a side's busy flag when dropped, so an early return cannot leave it taken.
struct Side<'a>(&'a AtomicBool);

impl<'a> Side<'a> {
    fn take(flag: &'a AtomicBool) -> Option<Self> {
        (!flag.swap(true, Ordering::Acquire)).then_some(Side(flag))
    }
}

impl Drop for Side<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<T: Copy, const N: usize> Default for IrqRing<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy, const N: usize> IrqRing<T, N> {
    const CAPACITY_IS_POWER_OF_TWO: () = assert!(N.is_power_of_two(), "N must be a power of two");

    /// An empty ring (usable in a `static`).
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_IS_POWER_OF_TWO;
        Self {
            slots: [const { UnsafeCell::new(MaybeUninit::uninit()) }; N],
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            producing: AtomicBool::new(false),
            consuming: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }
    }

    /// Capacity in values.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Values waiting to be popped (a snapshot: either side may change it at once).
    pub fn len(&self) -> usize {
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(self.head.load(Ordering::Acquire)).min(N)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots (a snapshot; it only grows until the next push).
    pub fn free(&self) -> usize {
        N - self.len()
    }

    /// Values refused because the ring was full or busy.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Values offered to the ring (stored or dropped).
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Stores `value` at the back. Refused (and counted) when full or when another push is
    /// under way.
    pub fn push(&self, value: T) -> Result<(), PushError> {
        self.push_keeping(value, 0)
    }

    /// Stores `value` only if more than `reserve` slots would stay free *before* it, i.e.
    /// keeps the last `reserve` slots for values that matter more (pushed with a smaller
    /// reserve). Refusals are counted as dropped.
    pub fn push_keeping(&self, value: T, reserve: usize) -> Result<(), PushError> {
        self.received.fetch_add(1, Ordering::Relaxed);
        let result = self.try_store(value, reserve);
        if result.is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn try_store(&self, value: T, reserve: usize) -> Result<(), PushError> {
        let _side = Side::take(&self.producing).ok_or(PushError::Busy)?;
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        let used = tail.wrapping_sub(head);
        if used >= N || N - used <= reserve {
            return Err(PushError::Full);
        }
        let slot = self.slots[tail % N].get();
        // SAFETY: we hold the producer flag, and `tail` is in the free region (used < N),
        // which the consumer does not read until `tail` is published below.
        unsafe { slot.write(MaybeUninit::new(value)) };
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Takes the value at the front, if any (`None` also while another pop is under way).
    pub fn pop(&self) -> Option<T> {
        let _side = Side::take(&self.consuming)?;
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        let slot = self.slots[head % N].get();
        // SAFETY: we hold the consumer flag, and `head` is in the filled region
        // (head != tail), whose slot the producer wrote before publishing `tail` (Acquire
        // above) and does not overwrite until `head` moves past it below.
        let value = unsafe { slot.read().assume_init() };
        self.head.store(head.wrapping_add(1), Ordering::Release);
        Some(value)
    }
}

#[cfg(test)]
mod tests;
