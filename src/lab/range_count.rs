//! Logic of the `range_count` exercise. (Being written.)
