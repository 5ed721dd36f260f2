//! A test-only count of the work that directory building and lookups do (comparisons and
//! element moves), so tests can bound an algorithm's cost exactly instead of timing it on
//! a shared machine. Outside tests, [`count_work`] compiles to nothing.

/// Adds `steps` to this thread's count (tests only).
#[inline(always)]
pub(crate) fn count_work(_steps: usize) {
    #[cfg(test)]
    test::add(_steps);
}

#[cfg(test)]
pub(crate) use test::measure;

#[cfg(test)]
mod test {
    extern crate std;
    use core::cell::Cell;

    std::thread_local! {
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn add(steps: usize) {
        STEPS.with(|s| s.set(s.get().saturating_add(steps as u64)));
    }

    /// Runs `f` and returns its result with the steps of work it did (on this thread).
    pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> (T, u64) {
        let before = STEPS.with(Cell::get);
        let r = f();
        (r, STEPS.with(Cell::get) - before)
    }
}
