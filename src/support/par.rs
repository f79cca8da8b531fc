//! CPU-bound work over one large input split across the machine's cores:
//! one 100,000-line `.env` is one check, and its secret scan ran on one core
//! while the other idled.

/// `f` applied to consecutive chunks of `items` (each at least `min_chunk`
/// long, at most one per available core, the calling thread taking one),
/// results in order. Inputs shorter than two chunks run inline: a thread
/// costs more than a small file's whole scan.
pub(crate) fn map_chunks<T, R, F>(items: &[T], min_chunk: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let wanted = items.len() / min_chunk.max(1);
    if wanted < 2 {
        return vec![f(items)];
    }
    let parts = wanted.min(cores());
    if parts < 2 {
        return vec![f(items)];
    }
    let size = items.len().div_ceil(parts);
    let mut chunks = items.chunks(size);
    let first = chunks.next().unwrap_or(&[]);
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = chunks.map(|c| scope.spawn(move || f(c))).collect();
        let mut out = Vec::with_capacity(parts);
        out.push(f(first));
        for h in others {
            match h.join() {
                Ok(r) => out.push(r),
                // A panic in a chunk is the caller's panic, as if inline.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

/// The cores this process may use, asked once: `available_parallelism`
/// reads the cgroup files on every call (ten system calls), and 1,000 small
/// `.env` checks asked a thousand times.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input_in_order() {
        let items: Vec<u32> = (0..100_003).collect();
        let parts = map_chunks(&items, 1000, |c| c.to_vec());
        assert!(!parts.is_empty());
        assert_eq!(parts.concat(), items);
        let small = map_chunks(&items[..10], 1000, |c| c.len());
        assert_eq!(small, [10]);
        let empty: Vec<usize> = map_chunks(&items[..0], 1000, |c| c.len());
        assert_eq!(empty, [0]);
    }
}
