//! How `map` cuts its input: Python's default chunk size.

/// Python's default chunk size for `map`: about four chunks per worker, rounded up.
///
/// Fewer, larger chunks mean less overhead per item; more, smaller chunks balance uneven work
/// better and make progress visible sooner. Four per worker is Python's compromise.
pub(crate) fn default_chunksize(items: usize, workers: usize) -> usize {
    items.div_ceil(workers.max(1) * 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_chunksize_follows_python() {
        // Python: chunksize, extra = divmod(len, workers * 4); if extra: chunksize += 1
        assert_eq!(default_chunksize(200_000, 2), 25_000);
        assert_eq!(default_chunksize(10, 2), 2);
        assert_eq!(default_chunksize(3, 8), 1);
        assert_eq!(default_chunksize(0, 4), 1);
    }
}
