//! Async sleeps, on the clock's timer tick.
//!
//! The timer interrupt only counts ticks; the executor calls [`wake_expired`] after every
//! interrupt, in task context, so the timer list can use an ordinary lock.

use crate::arch::clock;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use spin::Mutex;

static TIMERS: Mutex<Vec<(u64, Waker)>> = Mutex::new(Vec::new());

/// Wakes every sleeper whose deadline has passed.
pub fn wake_expired() {
    let now = clock::ticks();
    let mut timers = TIMERS.lock();
    let mut i = 0;
    while i < timers.len() {
        if timers[i].0 <= now {
            let (_, w) = timers.swap_remove(i);
            w.wake();
        } else {
            i += 1;
        }
    }
}

/// A future that completes `ms` milliseconds after it is created.
pub struct Sleep {
    deadline: u64,
}

pub fn sleep_ms(ms: u64) -> Sleep {
    Sleep {
        deadline: clock::ticks() + ms * clock::TICK_HZ / 1000,
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if clock::ticks() >= self.deadline {
            return Poll::Ready(());
        }
        TIMERS.lock().push((self.deadline, cx.waker().clone()));
        Poll::Pending
    }
}
