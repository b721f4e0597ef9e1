//! Chapter 2 — measuring many times: Python's `timeit`, done right. (Being written.)
