//! A thread's malloc arena grown once, up front.
//!
//! glibc gives each thread that allocates an arena of its own, a 64 MiB
//! reservation made writable piece by piece: every time the arena's top
//! grows it calls `mprotect` for just the pages it needs, and each call
//! takes the process's memory-map lock for writing, which stalls page
//! faults on every other thread. 200 HTTP checks in flight made 1,328 such
//! calls (strace), 6.6 per check, while the workers opened connections.
//! Freed memory is handed back with `madvise`, which leaves the pages
//! writable, so growing the arena once at thread start and freeing it
//! again costs a few calls and no resident memory.

/// Bytes to grow a thread's arena by: about what the busiest worker of the
/// 200-check run grew to.
const RESERVE: usize = 4 << 20;

/// Below glibc's initial mmap threshold (128 KiB), so each block comes from
/// the arena rather than from a mapping of its own.
const BLOCK: usize = 96 << 10;

/// Grows this thread's arena by [`RESERVE`] and frees it again, once per
/// thread. ~40 calls and a few tens of microseconds: the runner calls it
/// only from workers it adds because checks wait on peers (a 13 ms run of
/// local files was 1 ms slower with it at every thread's start).
pub(crate) fn reserve_once() {
    thread_local! {
        static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    let blocks: Vec<Vec<u8>> = (0..RESERVE / BLOCK)
        .map(|_| Vec::with_capacity(BLOCK))
        .collect();
    drop(std::hint::black_box(blocks));
}
