//! How much memory users may still claim: everything the heap can still reach, minus a
//! fixed headroom kept for the kernel itself.
//!
//! Files written in RAM, a command's redirected output and a WebAssembly module being
//! loaded all grow with what a user asks for. If they could take the last byte, the next
//! allocation the kernel makes for itself (a line of history, a waker, the console) would
//! fail and stop the system. So each of them asks [`spare`] first and refuses with "out of
//! memory" / "no space left" beyond it, and the kernel always keeps [`HEADROOM`].

use super::{frames, heap};

/// Memory no user-controlled allocation may take.
pub const HEADROOM: usize = 2 << 20;
/// Memory files in RAM leave for running programs and games, so that a full RAM disk
/// does not stop the user from running anything (a game needs a few MiB).
pub const PROGRAM_ROOM: usize = 8 << 20;

/// Bytes of heap that user-controlled allocations may still take: what is free in the
/// heap now plus what it can still grow by (bounded by its cap and by free frames), less
/// [`HEADROOM`].
pub fn spare() -> usize {
    let h = heap::stats();
    let (_, free_frames) = frames::stats();
    let growth = h
        .cap
        .saturating_sub(h.size)
        .min(usize::try_from(free_frames.saturating_mul(4096)).unwrap_or(usize::MAX));
    h.free.saturating_add(growth).saturating_sub(HEADROOM)
}

/// Bytes files in RAM may still grow by: [`spare`] less [`PROGRAM_ROOM`].
pub fn spare_for_files() -> usize {
    spare().saturating_sub(PROGRAM_ROOM)
}
