#![doc = include_str!("../../docs/workers.md")]

mod group;
mod joinable_queue;
mod reader_pool;
mod worker;

pub use group::WorkerGroup;
pub use joinable_queue::{Full, JoinableQueue};
pub use reader_pool::{ReaderPool, ReaderReport};
pub use worker::{Worker, WorkerReport};
