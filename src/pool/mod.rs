//! Chapter 3 — pools of workers over OS threads and OS processes. (Being written.)
