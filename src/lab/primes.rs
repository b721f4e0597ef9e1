//! A CPU-bound workload for the pool chapter: counting primes by trial division.
//!
//! Python's `ThreadPool` cannot speed this up (the GIL lets one thread run Python code at a
//! time); Rust threads, and processes in either language, can. The benchmarks and the
//! `pool_progress` example count primes in blocks of numbers, one block per task.

use std::ops::Range;

/// How many of `numbers` are prime: deliberately plain CPU work, about a millisecond per
/// 10,000 numbers near a million.
///
/// A plain `fn` of a serialisable argument, so it runs on a process pool too.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::primes::primes_in;
///
/// assert_eq!(primes_in(0..10), 4); // 2, 3, 5, 7
/// assert_eq!(primes_in(0..100), 25);
/// ```
#[must_use]
pub fn primes_in(numbers: Range<u64>) -> u64 {
    let mut primes = 0;
    for n in numbers {
        primes += u64::from(is_prime(n));
    }
    primes
}

/// Whether `n` is prime, by trial division up to its square root.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::primes::is_prime;
///
/// assert!(is_prime(2) && is_prime(7_919));
/// assert!(!is_prime(1) && !is_prime(144_298) && !is_prime(7_917));
/// ```
#[must_use]
pub fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    // A plain loop rather than an iterator chain: it stays fast in a debug build too.
    // `divisor <= n / divisor` is `divisor² <= n` without the overflow.
    let mut divisor = 3;
    while divisor <= n / divisor {
        if n.is_multiple_of(divisor) {
            return false;
        }
        divisor += 2;
    }
    true
}

/// `count` consecutive blocks of `size` numbers starting at 0: the units of work to spread.
///
/// # Examples
///
/// ```
/// use concurrency_lab::lab::primes::blocks;
///
/// assert_eq!(blocks(3, 50_000), [0..50_000, 50_000..100_000, 100_000..150_000]);
/// ```
#[must_use]
pub fn blocks(count: u64, size: u64) -> Vec<Range<u64>> {
    (0..count).map(|b| b * size..(b + 1) * size).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_known_values() {
        // π(10⁴) = 1229, π(10⁵) = 9592
        assert_eq!(primes_in(0..10_000), 1229);
        assert_eq!(
            blocks(10, 10_000).into_iter().map(primes_in).sum::<u64>(),
            9592
        );
    }

    #[test]
    fn edge_cases() {
        assert!(!is_prime(0) && !is_prime(1) && is_prime(2) && is_prime(3) && !is_prime(4));
        assert!(!is_prime(49) && is_prime(u64::from(u32::MAX) - 4)); // 4294967291 is prime
        assert_eq!(primes_in(5..5), 0);
    }
}
