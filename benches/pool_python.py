"""The lab's Python side of benches/pool_*.rs, for the same-machine comparison in PERFORMANCE.md.

    python3 benches/pool_python.py
    python3 benches/pool_python.py round-trip   # only the round trip, in ns (benches/contention.rs)

Prints the median of 5 runs of: an apply_async(...).get() round trip on a 2-process Pool,
Pool.map of howmany_within_range over 200,000 rows x 5, and primes in 60 blocks of 50,000 on
a 2-thread ThreadPool and a 2-process Pool against a plain loop.
"""
import multiprocessing as mp
import random
import statistics
import time
from multiprocessing.pool import ThreadPool


def plus_one(n):
    return n + 1


def howmany_within_range(row, minimum=4, maximum=8):
    count = 0
    for n in row:
        if minimum <= n <= maximum:
            count = count + 1
    return count


def is_prime(n):
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def primes_in(block):
    start, end = block
    return sum(1 for n in range(start, end) if is_prime(n))


def median_of(f, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def round_trip():
    """The median apply_async+get round trip on a 2-process Pool, in nanoseconds."""
    with mp.Pool(2) as pool:
        n = 500
        pool.apply_async(plus_one, (0,)).get()  # the workers are up
        trip = median_of(lambda: [pool.apply_async(plus_one, (i,)).get() for i in range(n)], runs=3) / n
        print(f"{trip * 1e9:.0f}")


def main():
    random.seed(2024)
    rows = [[random.randrange(10) for _ in range(5)] for _ in range(200_000)]
    blocks = [(b * 50_000, (b + 1) * 50_000) for b in range(60)]
    with mp.Pool(2) as pool, ThreadPool(2) as threads:
        n = 2_000
        trip = median_of(lambda: [pool.apply_async(plus_one, (i,)).get() for i in range(n)]) / n
        print(f"Pool apply_async+get round trip: {trip * 1e6:.0f} us")
        print(f"Pool.map over 200,000 rows: {median_of(lambda: pool.map(howmany_within_range, rows)) * 1e3:.0f} ms")
        print(f"sequential loop over 200,000 rows: {median_of(lambda: [howmany_within_range(r) for r in rows]) * 1e3:.0f} ms")
        seq = median_of(lambda: sum(map(primes_in, blocks)), runs=3)
        thr = median_of(lambda: sum(threads.map(primes_in, blocks, chunksize=1)), runs=3)
        prc = median_of(lambda: sum(pool.map(primes_in, blocks, chunksize=1)), runs=3)
        print(f"primes: sequential {seq:.2f} s, ThreadPool {thr:.2f} s ({seq / thr:.2f}x), Pool {prc:.2f} s ({seq / prc:.2f}x)")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["round-trip"]:
        round_trip()
    else:
        main()
