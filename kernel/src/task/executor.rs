//! A small async executor: runs tasks when they are woken, halts the CPU when idle.
//!
//! Wakers only set atomic flags (a task's `woken`, and `ANY_WOKEN`), so waking is safe
//! from interrupt handlers: no lock, no allocation, no deallocation. The idle path
//! disables interrupts, checks the flags, and then enables interrupts and halts in one
//! step (`sti; hlt`), so a wake-up that arrives between the check and the halt is never
//! lost: the interrupt is taken right after `sti` and ends the `hlt`.
//!
//! Tasks are few (the shell, plus whatever it spawns), so instead of a ready queue the
//! executor scans the tasks' flags after every wake-up; each task's waker is made once.

use super::sleep;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use spin::Mutex;
use x86_64::instructions::interrupts;

static ANY_WOKEN: AtomicBool = AtomicBool::new(false);
/// Tasks spawned while the executor runs (taken from task context only).
static SPAWNED: Mutex<Spawned> = Mutex::new(Spawned(Vec::new()));

struct Spawned(Vec<Task>);

// SAFETY: RustOS runs on one CPU and tasks are only created and polled by the executor's
// thread of control (never in interrupt handlers), so a task never moves between threads.
unsafe impl Send for Spawned {}

/// A task's "please poll me" flag. Each one is leaked (a few bytes per task ever spawned),
/// so wakers are plain pointers: cloning, waking and dropping a waker never allocates or
/// frees, which makes waking safe from interrupt handlers even after the task has ended.
struct Flag {
    woken: AtomicBool,
}

impl Flag {
    fn set(&self) {
        self.woken.store(true, Ordering::Release);
        ANY_WOKEN.store(true, Ordering::Release);
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(
    |p| RawWaker::new(p, &VTABLE),
    // SAFETY: `p` always comes from `waker_for`, so it is a `&'static Flag`.
    |p| unsafe { &*(p as *const Flag) }.set(),
    // SAFETY: as above, `p` is a `&'static Flag` from `waker_for`.
    |p| unsafe { &*(p as *const Flag) }.set(),
    |_| {},
);

fn waker_for(flag: &'static Flag) -> Waker {
    let raw = RawWaker::new(flag as *const Flag as *const (), &VTABLE);
    // SAFETY: the vtable's functions uphold RawWaker's contract for a `&'static Flag`:
    // cloning copies the pointer, waking sets the flag, dropping does nothing.
    unsafe { Waker::from_raw(raw) }
}

/// A spawned future.
pub struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    flag: &'static Flag,
    waker: Waker,
}

impl Task {
    pub fn new(future: impl Future<Output = ()> + 'static) -> Self {
        let flag: &'static Flag = Box::leak(Box::new(Flag {
            woken: AtomicBool::new(true),
        }));
        Self {
            future: Box::pin(future),
            waker: waker_for(flag),
            flag,
        }
    }
}

/// Adds a task; it first runs at the executor's next turn.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    SPAWNED.lock().0.push(Task::new(future));
    ANY_WOKEN.store(true, Ordering::Release);
}

/// Runs the tasks forever.
pub struct Executor {
    tasks: Vec<Task>,
}

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    pub const fn new() -> Self {
        Self { tasks: Vec::new() }
    }

    fn run_ready(&mut self) {
        self.tasks.append(&mut SPAWNED.lock().0);
        let mut i = 0;
        while i < self.tasks.len() {
            let t = &mut self.tasks[i];
            if t.flag.woken.swap(false, Ordering::AcqRel) {
                let mut cx = Context::from_waker(&t.waker);
                if let Poll::Ready(()) = t.future.as_mut().poll(&mut cx) {
                    self.tasks.swap_remove(i);
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Polls woken tasks, wakes due sleeps, and halts when there is nothing to do.
    pub fn run(&mut self) -> ! {
        loop {
            sleep::wake_expired();
            if ANY_WOKEN.swap(false, Ordering::AcqRel) {
                self.run_ready(); // also picks up newly spawned tasks (spawn sets ANY_WOKEN)
            }
            interrupts::disable();
            // A timer that falls due now is handled after the next tick ends the `hlt`.
            if ANY_WOKEN.load(Ordering::Acquire) {
                interrupts::enable();
            } else {
                interrupts::enable_and_hlt();
            }
        }
    }
}
