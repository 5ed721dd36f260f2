//! Physical memory bookkeeping over a firmware memory map, with no hardware access.
//!
//! The kernel's frame allocator is this crate plus a lock: keeping the arithmetic here
//! means it is tested on the host against awkward maps (unaligned, overlapping,
//! zero-length, above 4 GiB) instead of being discovered on a real machine.
//!
//! Free memory is a sorted list of disjoint, page-aligned ranges of fixed capacity (no
//! heap: the heap itself is built from these frames). Allocation takes from the lowest
//! range; freeing merges with neighbours.

#![no_std]

/// Size of a frame (a 4 KiB page).
pub const FRAME_SIZE: u64 = 4096;

/// A half-open range of physical addresses `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: u64,
    pub end: u64,
}

impl PhysRange {
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// From a base and a length, saturating at the top of the address space.
    pub const fn from_len(base: u64, len: u64) -> Self {
        Self {
            start: base,
            end: base.saturating_add(len),
        }
    }

    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Shrinks the range to whole frames inside it.
    pub fn align_inward(self) -> Self {
        let start = self
            .start
            .checked_next_multiple_of(FRAME_SIZE)
            .unwrap_or(u64::MAX);
        let end = self.end - self.end % FRAME_SIZE;
        if start >= end {
            Self { start, end: start }
        } else {
            Self { start, end }
        }
    }

    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Why a range could not be added or freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemError {
    /// The fixed-capacity range list is full; the memory is left unused.
    TooManyRanges,
    /// The range overlaps memory that is already free (a double free or a bad map).
    Overlap,
}

/// Free physical frames, as sorted disjoint ranges (capacity `N`).
#[derive(Clone, Debug)]
pub struct FrameSet<const N: usize> {
    ranges: [PhysRange; N],
    count: usize,
    /// Frames ever added (the "total" the kernel reports).
    total_frames: u64,
    /// Ranges dropped because the list was full, in frames.
    lost_frames: u64,
}

impl<const N: usize> Default for FrameSet<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameSet<N> {
    pub const fn new() -> Self {
        Self {
            ranges: [PhysRange::new(0, 0); N],
            count: 0,
            total_frames: 0,
            lost_frames: 0,
        }
    }

    pub fn ranges(&self) -> &[PhysRange] {
        &self.ranges[..self.count]
    }

    pub fn free_frames(&self) -> u64 {
        self.ranges().iter().map(|r| r.len() / FRAME_SIZE).sum()
    }

    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    pub fn lost_frames(&self) -> u64 {
        self.lost_frames
    }

    /// Adds usable memory. It is aligned inward to whole frames and page 0 is never added;
    /// parts that overlap memory already in the set are skipped (a firmware map can list
    /// the same memory twice).
    pub fn add(&mut self, range: PhysRange) -> Result<(), MemError> {
        let mut r = range.align_inward();
        if r.start < FRAME_SIZE {
            r.start = FRAME_SIZE.min(r.end);
        }
        if r.is_empty() {
            return Ok(());
        }
        // Add the pieces of `r` not already covered.
        let mut cursor = r.start;
        let mut result = Ok(());
        while cursor < r.end {
            let next_overlap = self
                .ranges()
                .iter()
                .find(|x| x.end > cursor && x.start < r.end)
                .copied();
            let piece_end = match next_overlap {
                Some(o) if o.start <= cursor => {
                    cursor = o.end;
                    continue;
                }
                Some(o) => o.start,
                None => r.end,
            };
            let piece = PhysRange::new(cursor, piece_end);
            match self.insert(piece) {
                Ok(()) => self.total_frames += piece.len() / FRAME_SIZE,
                Err(e) => {
                    self.lost_frames += piece.len() / FRAME_SIZE;
                    result = Err(e);
                }
            }
            cursor = piece_end;
        }
        result
    }

    /// Removes a range from the free set (e.g. memory found to be in use).
    pub fn remove(&mut self, range: PhysRange) -> Result<(), MemError> {
        let mut i = 0;
        while i < self.count {
            let cur = self.ranges[i];
            if !cur.overlaps(&range) {
                i += 1;
                continue;
            }
            let left = PhysRange::new(cur.start, range.start.max(cur.start).min(cur.end));
            let right = PhysRange::new(range.end.min(cur.end).max(cur.start), cur.end);
            let removed = cur.len() - left.len() - right.len();
            self.total_frames -= removed / FRAME_SIZE;
            match (left.is_empty(), right.is_empty()) {
                (true, true) => {
                    self.delete_at(i);
                    continue;
                }
                (false, true) => self.ranges[i] = left,
                (true, false) => self.ranges[i] = right,
                (false, false) => {
                    if self.count == N {
                        // Cannot split: drop the smaller side.
                        self.lost_frames += left.len().min(right.len()) / FRAME_SIZE;
                        self.total_frames -= left.len().min(right.len()) / FRAME_SIZE;
                        self.ranges[i] = if left.len() >= right.len() {
                            left
                        } else {
                            right
                        };
                        return Err(MemError::TooManyRanges);
                    }
                    self.ranges[i] = left;
                    self.insert_at(i + 1, right);
                    i += 1;
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// Takes one frame (the lowest free one).
    pub fn alloc(&mut self) -> Option<u64> {
        self.alloc_contiguous(1)
    }

    /// Takes `n` physically contiguous frames, first fit from low addresses.
    pub fn alloc_contiguous(&mut self, n: u64) -> Option<u64> {
        let bytes = n.checked_mul(FRAME_SIZE)?;
        if n == 0 {
            return None;
        }
        let i = self.ranges().iter().position(|r| r.len() >= bytes)?;
        let start = self.ranges[i].start;
        self.ranges[i].start += bytes;
        if self.ranges[i].is_empty() {
            self.delete_at(i);
        }
        Some(start)
    }

    /// Returns frames to the set, merging with neighbours.
    pub fn free(&mut self, start: u64, frames: u64) -> Result<(), MemError> {
        let r = PhysRange::from_len(start, frames.saturating_mul(FRAME_SIZE));
        if r.is_empty() || !start.is_multiple_of(FRAME_SIZE) {
            return Ok(());
        }
        if self.ranges().iter().any(|x| x.overlaps(&r)) {
            return Err(MemError::Overlap);
        }
        self.insert(r)
    }

    fn insert(&mut self, r: PhysRange) -> Result<(), MemError> {
        let i = self.ranges().partition_point(|x| x.end <= r.start);
        if i < self.count && self.ranges[i].overlaps(&r) {
            return Err(MemError::Overlap);
        }
        let merge_left = i > 0 && self.ranges[i - 1].end == r.start;
        let merge_right = i < self.count && self.ranges[i].start == r.end;
        match (merge_left, merge_right) {
            (true, true) => {
                self.ranges[i - 1].end = self.ranges[i].end;
                self.delete_at(i);
            }
            (true, false) => self.ranges[i - 1].end = r.end,
            (false, true) => self.ranges[i].start = r.start,
            (false, false) => {
                if self.count == N {
                    return Err(MemError::TooManyRanges);
                }
                self.insert_at(i, r);
            }
        }
        Ok(())
    }

    fn insert_at(&mut self, i: usize, r: PhysRange) {
        self.ranges.copy_within(i..self.count, i + 1);
        self.ranges[i] = r;
        self.count += 1;
    }

    fn delete_at(&mut self, i: usize) {
        self.ranges.copy_within(i + 1..self.count, i);
        self.count -= 1;
    }
}

/// How big the kernel heap starts and how far it may grow, from the RAM the map offers.
/// Starts at 1/16 of RAM (between 2 and 32 MiB) and may grow to 3/4 of RAM.
pub fn heap_sizes(usable_bytes: u64) -> (u64, u64) {
    const MIB: u64 = 1 << 20;
    let initial = (usable_bytes / 16).clamp(2 * MIB, 32 * MIB);
    let cap = (usable_bytes / 4 * 3).max(initial);
    let round = |x: u64| x - x % FRAME_SIZE;
    (round(initial.min(cap)), round(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn aligns_inward_and_skips_page_zero() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::from_len(0, 0x10_000)).unwrap();
        assert_eq!(s.ranges(), &[PhysRange::new(0x1000, 0x10_000)]);
        s.add(PhysRange::new(0x20_001, 0x22_fff)).unwrap();
        assert_eq!(s.ranges()[1], PhysRange::new(0x21_000, 0x22_000));
        assert_eq!(s.free_frames(), 15 + 1);
        assert_eq!(s.alloc(), Some(0x1000));
    }

    #[test]
    fn zero_length_and_tiny_regions_are_ignored() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::from_len(0x5000, 0)).unwrap();
        s.add(PhysRange::from_len(0x5001, 0xffe)).unwrap();
        s.add(PhysRange::from_len(0x5800, 0x1000)).unwrap();
        assert_eq!(s.free_frames(), 0);
        assert_eq!(s.alloc(), None);
    }

    #[test]
    fn adjacent_regions_merge() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::new(0x1000, 0x3000)).unwrap();
        s.add(PhysRange::new(0x3000, 0x8000)).unwrap();
        assert_eq!(s.ranges(), &[PhysRange::new(0x1000, 0x8000)]);
    }

    #[test]
    fn overlapping_regions_are_counted_once() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::new(0x10_000, 0x20_000)).unwrap();
        s.add(PhysRange::new(0x18_000, 0x30_000)).unwrap();
        s.add(PhysRange::new(0x8_000, 0x40_000)).unwrap();
        assert_eq!(s.ranges(), &[PhysRange::new(0x8_000, 0x40_000)]);
        assert_eq!(s.total_frames(), 0x38);
        assert_eq!(s.free_frames(), 0x38);
    }

    #[test]
    fn regions_above_4g() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::from_len(0x1_0000_0000, 2 * 1024 * MIB))
            .unwrap();
        s.add(PhysRange::from_len(0x10_0000, MIB)).unwrap();
        assert_eq!(s.alloc(), Some(0x10_0000));
        assert_eq!(s.free_frames(), 255 + 512 * 1024);
        assert_eq!(s.alloc_contiguous(512), Some(0x1_0000_0000));
    }

    #[test]
    fn top_of_address_space_does_not_overflow() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::from_len(u64::MAX - 0x5000, u64::MAX))
            .unwrap();
        assert!(s.free_frames() <= 5);
        assert_eq!(s.alloc_contiguous(u64::MAX), None);
    }

    #[test]
    fn remove_splits_ranges() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::new(0x1000, 0x10_000)).unwrap();
        s.remove(PhysRange::new(0x4000, 0x6000)).unwrap();
        assert_eq!(
            s.ranges(),
            &[
                PhysRange::new(0x1000, 0x4000),
                PhysRange::new(0x6000, 0x10_000)
            ]
        );
        s.remove(PhysRange::new(0, 0x2000)).unwrap();
        s.remove(PhysRange::new(0xf000, 0x20_000)).unwrap();
        assert_eq!(
            s.ranges(),
            &[
                PhysRange::new(0x2000, 0x4000),
                PhysRange::new(0x6000, 0xf000)
            ]
        );
        assert_eq!(s.total_frames(), s.free_frames());
    }

    #[test]
    fn free_merges_and_detects_double_free() {
        let mut s = FrameSet::<8>::new();
        s.add(PhysRange::new(0x1000, 0x9000)).unwrap();
        let a = s.alloc().unwrap();
        let b = s.alloc_contiguous(3).unwrap();
        assert_eq!((a, b), (0x1000, 0x2000));
        s.free(a, 1).unwrap();
        assert_eq!(s.free(a, 1), Err(MemError::Overlap));
        s.free(b, 3).unwrap();
        assert_eq!(s.ranges(), &[PhysRange::new(0x1000, 0x9000)]);
    }

    #[test]
    fn capacity_is_respected() {
        let mut s = FrameSet::<2>::new();
        s.add(PhysRange::new(0x1000, 0x2000)).unwrap();
        s.add(PhysRange::new(0x3000, 0x4000)).unwrap();
        assert_eq!(
            s.add(PhysRange::new(0x5000, 0x6000)),
            Err(MemError::TooManyRanges)
        );
        assert_eq!(s.lost_frames(), 1);
        assert_eq!(s.free_frames(), 2);
    }

    #[test]
    fn many_random_operations_keep_invariants() {
        let mut seed = 0x1234_5678_u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut s = FrameSet::<64>::new();
        for _ in 0..40 {
            let base = rnd() % (1 << 36);
            let len = rnd() % (64 * MIB);
            let _ = s.add(PhysRange::from_len(base, len));
        }
        let mut held = [(0u64, 0u64); 256];
        for step in 0..20_000 {
            let slot = (rnd() % 256) as usize;
            if held[slot].1 == 0 {
                let n = rnd() % 8 + 1;
                if let Some(a) = s.alloc_contiguous(n) {
                    held[slot] = (a, n);
                }
            } else {
                let (a, n) = held[slot];
                let _ = s.free(a, n);
                held[slot] = (0, 0);
            }
            if step % 1000 == 0 {
                let r = s.ranges();
                for w in r.windows(2) {
                    assert!(w[0].end < w[1].start, "sorted, disjoint, merged");
                }
                assert!(
                    r.iter()
                        .all(|x| x.start % FRAME_SIZE == 0 && x.end % FRAME_SIZE == 0)
                );
                assert!(r.iter().all(|x| x.start >= FRAME_SIZE));
            }
        }
    }

    #[test]
    fn heap_sizes_follow_ram() {
        assert_eq!(heap_sizes(64 * MIB), (4 * MIB, 48 * MIB));
        assert_eq!(heap_sizes(16 * MIB).0, 2 * MIB);
        assert_eq!(heap_sizes(4096 * MIB).0, 32 * MIB);
        let (i, c) = heap_sizes(MIB);
        assert!(i <= c);
    }
}
