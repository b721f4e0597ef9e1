//! Logic of the `name_index` exercise. (Being written.)
