#![doc = include_str!("../../docs/coro.md")]

mod delay;
mod event;
mod journal;
mod log;
mod report;
mod runtime;

pub use delay::delay_message;
pub use event::Event;
pub use journal::{Entry, Journal, Step};
pub use log::{LOG_TIME_NOTE, Log, format_line};
pub use report::{Check, CheckKind, RunReport, TIMER_TICK, Verdict};
pub use runtime::{Flavor, run};
