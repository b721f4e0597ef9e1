//! Long-lived worker threads, queues, and clean shutdown: Python's `threading` and
//! `queue.Queue`.
//!
//! This page is the reference. The lecture is [chapter 4](crate::course::ch4_workers), with an
//! appendix, [going deeper](crate::course::ch4_workers_deeper) (`Cell` and `Sync`, poison pills or
//! closing, counting finished work).
//!
//! | piece | what it is |
//! |-------|------------|
//! | [`Worker`] | one long-lived thread with an id and a periodic job, stopped through its queue |
//! | [`WorkerGroup`] | workers started and stopped together |
//! | [`JoinableQueue`] | `queue.Queue` with `task_done` and `join` |
//! | [`ReaderPool`] | the lab's readers looping on `get`, with a way to end them |

mod group;
mod joinable_queue;
mod reader_pool;
mod worker;

pub use group::WorkerGroup;
pub use joinable_queue::{Full, JoinableQueue};
pub use reader_pool::{ReaderPool, ReaderReport};
pub use worker::{Worker, WorkerReport};
