//! Chapter 4 — long-lived worker threads and queues. (Being written.)
