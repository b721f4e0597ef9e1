//! Logic of the `async_gather` exercise. (Being written.)
