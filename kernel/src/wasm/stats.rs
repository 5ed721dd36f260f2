//! Frame-time statistics for the serial log (and the benchmarks that read it).
//!
//! Why a histogram: a game may run for hours, so keeping every sample is unbounded; 0.1 ms
//! buckets up to 100 ms give a median good to 0.1 ms in a fixed 4 KiB, and the worst case
//! and the mean are kept exactly.

/// Bucket width in microseconds.
const BUCKET_US: u64 = 100;
/// Buckets; the last one also counts everything slower.
const BUCKETS: usize = 1000;

/// Durations of one kind of work (e.g. the `frame` call), in microseconds.
pub struct Histogram {
    buckets: [u32; BUCKETS],
    count: u64,
    total_us: u64,
    worst_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Self {
            buckets: [0; BUCKETS],
            count: 0,
            total_us: 0,
            worst_us: 0,
        }
    }

    pub fn record(&mut self, us: u64) {
        let i = usize::try_from(us / BUCKET_US).map_or(BUCKETS - 1, |i| i.min(BUCKETS - 1));
        self.buckets[i] = self.buckets[i].saturating_add(1);
        self.count += 1;
        self.total_us = self.total_us.saturating_add(us);
        self.worst_us = self.worst_us.max(us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The median, as the middle of its bucket (0 without samples).
    pub fn median_us(&self) -> u64 {
        let half = self.count.div_ceil(2);
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += u64::from(n);
            if seen >= half && n > 0 {
                return (i as u64 * BUCKET_US + BUCKET_US / 2).min(self.worst_us);
            }
        }
        0
    }

    pub fn worst_us(&self) -> u64 {
        self.worst_us
    }

    pub fn mean_us(&self) -> u64 {
        self.total_us.checked_div(self.count).unwrap_or(0)
    }
}

/// Microseconds as `12.3` milliseconds.
pub struct Ms(pub u64);

impl core::fmt::Display for Ms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.0 / 1000, (self.0 % 1000) / 100)
    }
}
