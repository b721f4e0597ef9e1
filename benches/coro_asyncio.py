"""The Python side of `cargo bench --bench coro`: the lab's asyncio program, timed the same way.

    python3 benches/coro_asyncio.py 100 4        # 100 tasks, delays 0-4 s: time past the longest
    python3 benches/coro_asyncio.py 1000000 1    # total time and peak memory

Log lines are formatted in full (the lab's format) and written to os.devnull, as the Rust bench
writes them to io::sink(). Total: around the gather; peak memory: ru_maxrss (VmHWM).
"""
import asyncio
import logging
import os
import random
import resource
import sys
import time

logging.basicConfig(
    format="%(asctime)s:%(threadName)s:%(message)s",
    datefmt="%H:%M:%S",
    level=logging.INFO,
    stream=open(os.devnull, "w"),
)


async def delay_message(delay, message):
    logging.info(f"{message} received")
    await asyncio.sleep(delay)
    logging.info(f"Printing {message}")


async def main(tasks, max_delay, seed):
    rng = random.Random(seed)
    delays = [rng.uniform(0, max_delay) for _ in range(tasks)]
    start = time.perf_counter()
    await asyncio.gather(*(delay_message(d, f"task {i} ({d:.3f} s)") for i, d in enumerate(delays)))
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(f"{tasks} tasks: total {total:.3f} s, past the longest delay {(total - max(delays)) * 1e3:.2f} ms, "
          f"peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1))
