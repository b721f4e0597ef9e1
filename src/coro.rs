//! Chapter 5 — coroutines on tokio: asyncio's ideas in Rust. (Being written.)
