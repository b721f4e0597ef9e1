"""The mpi4py side of benches/mpi.rs: the same two rows, measured with mpi4py's executor.

    mpirun --oversubscribe -n 3 python3 -m mpi4py.futures benches/mpi4py_pool.py

(`cargo bench --features mpi --bench mpi` runs it this way when mpi4py is installed.) Rank 0
runs this file; `-m mpi4py.futures` makes ranks 1 and 2 the executor's workers. Prints, as
`GOAL` lines the Rust bench reads, the median of 5 runs of: the lab's map of
howmany_within_range over 200,000 rows of 5 (chunksize 25,000 — what `Pool.map` and
`MpiPool::map` choose for two workers), and 2,000 one-at-a-time `submit(plus_one, n).result()`.
"""
import random

from mpi4py.futures import MPIPoolExecutor

from pool_python import median_of  # rank 0 only; benches/ is this script's directory


def plus_one(n):
    return n + 1


def howmany_within_range(row, minimum=4, maximum=8):
    count = 0
    for n in row:
        if minimum <= n <= maximum:
            count = count + 1
    return count


def main():
    random.seed(2024)
    rows = [[random.randrange(10) for _ in range(5)] for _ in range(200_000)]
    with MPIPoolExecutor() as executor:
        workers = executor.num_workers
        chunksize = -(-len(rows) // (4 * workers))
        list(executor.map(plus_one, range(2 * workers)))  # start the workers
        lab = median_of(lambda: list(executor.map(howmany_within_range, rows, chunksize=chunksize)))
        n = 2_000
        each = median_of(lambda: [executor.submit(plus_one, i).result() for i in range(n)]) / n
    print(f"mpi4py {workers} workers: lab map {lab * 1e3:.1f} ms, submit+result {each * 1e6:.1f} us")
    print(f"GOAL mpi4py_lab_map_ns {lab * 1e9:.0f}")
    print(f"GOAL mpi4py_submit_result_ns {each * 1e9:.0f}")


if __name__ == "__main__":
    main()
