//! A chunk of work for a remote worker (a worker process or an MPI rank): its arguments out as
//! bytes, its outcomes back in.
//!
//! The parent runs user code here too — the arguments' `Serialize`, the results'
//! `Deserialize`, the arguments' drops — on the driver thread that owns a worker. None of it
//! may take that thread down: a panic fails the chunk's items with an error that names the
//! panic and the type, and the driver goes on with the next chunk.

use std::any::type_name;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::entry::item_error;
use super::wire::{
    self, BAD_ARGUMENTS, EncodeError, ITEM_LENGTH, ItemError, MAX_FRAME, OK, OUTCOMES, PANICKED,
    RUN, TOO_LARGE, UNSERIALISABLE,
};
use crate::Error;
use crate::panic_message::catch;
use crate::pool::buffer::{Chunk, Place};
use crate::pool::sink::Sink;

/// One chunk on its way to a worker process, with its types erased so one queue holds all.
pub trait RemoteChunk: Send {
    /// Writes the request frame: entry point, item count, items. Consumes the items. On
    /// failure (an argument that cannot be sent) fails the chunk and returns `false`.
    fn encode(&mut self, frame: &mut Vec<u8>) -> bool;
    /// Decodes the worker's reply into the chunk's sink.
    fn deliver(self: Box<Self>, reply: &[u8]);
    /// Fails every item of the chunk not failed yet.
    fn fail(self: Box<Self>, error: &dyn Fn() -> Error);
}

/// A remote pool's job: a chunk for a worker process or an MPI rank.
pub(crate) type RemoteJob = Box<dyn RemoteChunk>;

pub(crate) struct TypedChunk<Args, R> {
    /// The entry point's offset, or why the task's code cannot be named to a worker.
    pub(crate) entry: Result<u64, String>,
    pub(crate) items: Option<Chunk<Args>>,
    /// `None` once the chunk has failed.
    pub(crate) sink: Option<Sink<R>>,
    /// Where the chunk lies in its map, for a message that names it.
    pub(crate) place: Place,
}

/// Why a chunk could not be sent; makes the same error for each of its items.
enum Unsendable {
    Entry(String),
    Serde(&'static str, String),
    /// The request frame's size when it passed the limit, and how much of it is not arguments.
    TooLarge {
        size: u64,
        overhead: u64,
    },
}

impl Unsendable {
    fn error(&self, place: &Place) -> Error {
        match self {
            Unsendable::Entry(reason) => Error::WorkerStart {
                reason: reason.clone(),
            },
            Unsendable::Serde(type_name, message) => Error::Serialization {
                what: "arguments",
                type_name,
                message: message.clone(),
            },
            Unsendable::TooLarge { size, overhead } => Error::TooLarge {
                what: "arguments",
                size: *size,
                limit: MAX_FRAME as u64,
                overhead: *overhead,
                items: place.items.clone(),
                chunksize: place.chunksize,
            },
        }
    }
}

impl<Args, R> TypedChunk<Args, R>
where
    Args: Serialize + Send,
    R: DeserializeOwned + Send + 'static,
{
    fn try_encode(&mut self, frame: &mut Vec<u8>) -> Result<(), Unsendable> {
        let entry = self.entry.clone().map_err(Unsendable::Entry)?;
        let items = self.items.take().expect("a chunk is encoded once");
        frame.push(RUN);
        frame.extend_from_slice(&entry.to_le_bytes());
        let count = u32::try_from(items.len()).map_err(|_| Unsendable::TooLarge {
            size: u64::MAX,
            overhead: 0,
        })?;
        frame.extend_from_slice(&count.to_le_bytes());
        // The frame's header, then a length before each item: what is not arguments.
        let mut overhead = frame.len();
        let encoded = catch(|| {
            for item in items {
                overhead += ITEM_LENGTH;
                wire::append_item(&item, frame, MAX_FRAME)?;
            }
            Ok(())
        });
        match encoded {
            Ok(Ok(())) => Ok(()),
            Ok(Err(EncodeError::TooLarge { size })) => Err(Unsendable::TooLarge {
                size,
                overhead: overhead as u64,
            }),
            Ok(Err(EncodeError::Serde(message))) => {
                Err(Unsendable::Serde(type_name::<Args>(), message))
            }
            Err(panic) => Err(Unsendable::Serde(
                type_name::<Args>(),
                format!(
                    "its Serialize impl panicked: {}",
                    panic.message_with_location()
                ),
            )),
        }
    }

    /// Decodes every outcome of the reply into `sink`; a broken reply fails the rest.
    fn decode_into(sink: &mut Sink<R>, mut rest: &[u8], place: &Place) -> Result<(), String> {
        for index in 0..sink.len() {
            let (outcome, tail) =
                decode_outcome::<R>(rest, place.items.start + index, place.chunksize)?;
            sink.push(outcome);
            rest = tail;
        }
        if rest.is_empty() {
            Ok(())
        } else {
            Err("the worker's reply has bytes after its last outcome".into())
        }
    }
}

impl<Args, R> RemoteChunk for TypedChunk<Args, R>
where
    Args: Serialize + Send,
    R: DeserializeOwned + Send + 'static,
{
    fn encode(&mut self, frame: &mut Vec<u8>) -> bool {
        match self.try_encode(frame) {
            Ok(()) => true,
            Err(why) => {
                if let Some(sink) = self.sink.take() {
                    sink.fail_rest(|| why.error(&self.place));
                }
                false
            }
        }
    }

    fn deliver(mut self: Box<Self>, reply: &[u8]) {
        let Some(mut sink) = self.sink.take() else {
            return;
        };
        match reply.split_first() {
            Some((&OUTCOMES, rest)) => match Self::decode_into(&mut sink, rest, &self.place) {
                Ok(()) => sink.finish(),
                Err(message) => sink.fail_rest(|| protocol(&message)),
            },
            Some((&BAD_ARGUMENTS, message)) => {
                let message = String::from_utf8_lossy(message).into_owned();
                sink.fail_rest(|| Error::Serialization {
                    what: "arguments",
                    type_name: type_name::<Args>(),
                    message: message.clone(),
                });
            }
            _ => sink.fail_rest(|| {
                protocol("the worker's reply is neither outcomes nor a decoding error")
            }),
        }
    }

    fn fail(mut self: Box<Self>, error: &dyn Fn() -> Error) {
        if let Some(sink) = self.sink.take() {
            sink.fail_rest(error);
        }
    }
}

fn protocol(message: &str) -> Error {
    Error::Protocol {
        message: message.to_owned(),
    }
}

/// Decodes one tagged outcome off the front of `bytes`; `Err` when the reply is broken.
///
/// Each outcome is framed, so a result that does not decode — or whose `Deserialize` panics —
/// fails alone, and the outcomes after it stay in step.
fn decode_outcome<R: DeserializeOwned>(
    bytes: &[u8],
    index: usize,
    chunksize: usize,
) -> Result<(crate::Result<R>, &[u8]), String> {
    let (&tag, rest) = bytes.split_first().ok_or("the worker's reply ends early")?;
    let (item, rest) = wire::split_item(rest).map_err(|_| "the worker's reply ends early")?;
    let broken = |e: ItemError| format!("an outcome in the worker's reply does not decode: {e:?}");
    let outcome = match tag {
        OK => catch(|| wire::decode_exact::<R>(item))
            .map_err(|panic| Error::Serialization {
                what: "result",
                type_name: type_name::<R>(),
                message: format!(
                    "its Deserialize impl panicked: {}",
                    panic.message_with_location()
                ),
            })
            .and_then(|decoded| {
                decoded.map_err(|e| Error::Serialization {
                    what: "result",
                    type_name: type_name::<R>(),
                    message: item_error(e, 0).replacen("item 0", "the result", 1),
                })
            }),
        PANICKED => {
            let (message, location, backtrace) = wire::decode_exact(item).map_err(broken)?;
            Err(Error::TaskPanicked {
                message,
                location,
                backtrace,
            })
        }
        UNSERIALISABLE => Err(Error::Serialization {
            what: "result",
            type_name: type_name::<R>(),
            message: wire::decode_exact(item).map_err(broken)?,
        }),
        TOO_LARGE => {
            let (size, overhead) = wire::decode_exact(item).map_err(broken)?;
            Err(Error::TooLarge {
                what: "result",
                size,
                limit: MAX_FRAME as u64,
                overhead,
                items: index..index + 1,
                chunksize,
            })
        }
        other => return Err(format!("unknown outcome tag {other} in the worker's reply")),
    };
    Ok((outcome, rest))
}
