#![doc = include_str!("../../docs/course.md")]
//!
//! (Each page below is a doc-only module, as in the csv crate's tutorial: it holds no code, only
//! a chapter, whose examples `cargo test --doc` compiles and runs. The private `use` lines inside
//! them produce no code; they let a chapter link to the items it teaches by their short names.)

pub mod ch1_timing {
    #![doc = include_str!("../../docs/timing.md")]
    #[allow(unused_imports)]
    use crate::timing::*;
}

pub mod ch2_bench {
    #![doc = include_str!("../../docs/bench.md")]
    #[allow(unused_imports)]
    use crate::bench::*;
}

pub mod primer {
    #![doc = include_str!("../../docs/primer.md")]
}

pub mod ch3_pool {
    #![doc = include_str!("../../docs/pool.md")]
    #[allow(unused_imports)]
    use crate::pool::*;
}

pub mod ch3_pool_deeper {
    #![doc = include_str!("../../docs/pool-deeper.md")]
    #[allow(unused_imports)]
    use crate::pool::*;
}

pub mod ch3_pool_inside {
    #![doc = include_str!("../../docs/pool-inside.md")]
    #[allow(unused_imports)]
    use crate::pool::*;
}

pub mod ch4_workers {
    #![doc = include_str!("../../docs/workers.md")]
    #[allow(unused_imports)]
    use crate::workers::*;
}

pub mod ch4_workers_deeper {
    #![doc = include_str!("../../docs/workers-deeper.md")]
    #[allow(unused_imports)]
    use crate::workers::*;
}

pub mod ch5_coro {
    #![doc = include_str!("../../docs/coro.md")]
    #[allow(unused_imports)]
    use crate::coro::*;
    #[allow(unused_imports)]
    use std::future::Future;
}

pub mod ch5_coro_deeper {
    #![doc = include_str!("../../docs/coro-deeper.md")]
    #[allow(unused_imports)]
    use crate::coro::*;
    #[allow(unused_imports)]
    use std::future::Future;
}

pub mod errata {
    #![doc = include_str!("../../docs/errata.md")]
}

pub mod glossary {
    #![doc = include_str!("../../docs/glossary.md")]
}
