//! Coroutines: asyncio's ideas on tokio — the lab's `delay_message`, its log, an event loop on
//! one thread or several, and the run report that proves a gather correct.
//!
//! This page is the reference. The lecture is [chapter 5](crate::course::ch5_coro), with an
//! appendix, [going deeper](crate::course::ch5_coro_deeper) (a hand-written `Future`, tokio's
//! cooperative budget, the paused test clock).
//!
//! | piece | what it is |
//! |-------|------------|
//! | [`delay_message`] | the lab's coroutine: log "received", sleep without blocking, log "printing" |
//! | [`Log`] | the lab's log lines, `HH:MM:SS:thread:message`, to a sink many tasks share |
//! | [`run`], [`Flavor`] | `asyncio.run`: an event loop on one thread, or on several |
//! | [`Journal`], [`RunReport`] | the proof: every start and finish recorded, five checks computed |
//! | [`Event`] | `asyncio.Event`, the one synchronisation type tokio lacks as such |
//! | [`lab::async_gather`](crate::lab::async_gather) | the exercise: 100 tasks gathered, reported |

mod delay;
mod event;
mod journal;
mod log;
mod report;
mod runtime;

pub use crate::error::Flavor;
pub use delay::delay_message;
pub use event::Event;
pub use journal::{Entry, Journal, Step};
pub use log::{LOG_TIME_NOTE, Log, format_line};
pub use report::{Check, CheckKind, RunReport, TIMER_TICK, Verdict};
pub use runtime::run;
