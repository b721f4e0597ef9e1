//! Logic of the `some_worker` exercise. (Being written.)
