//! A chunk of work for a worker process: its arguments out as bytes, its outcomes back in.

use std::any::type_name;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire::{self, BAD_ARGUMENTS, OK, OUTCOMES, PANICKED, RUN, UNSERIALISABLE};
use crate::pool::buffer::Chunk;
use crate::pool::sink::Sink;
use crate::{Error, Result};

/// One chunk on its way to a worker process, with its types erased so one queue holds all.
pub(crate) trait RemoteChunk: Send {
    /// Writes the request frame: entry point, item count, items. Consumes the items.
    fn encode(&mut self, frame: &mut Vec<u8>) -> Result<(), String>;
    /// Decodes the worker's reply into the chunk's sink.
    fn deliver(self: Box<Self>, reply: &[u8]);
    /// Fails every item of the chunk.
    fn fail(self: Box<Self>, error: &dyn Fn() -> Error);
    /// The name of the items' type, for an error that says which type did not serialise.
    fn arguments_type(&self) -> &'static str;
}

/// A process pool's job.
pub(crate) type ProcessJob = Box<dyn RemoteChunk>;

pub(crate) struct TypedChunk<Args, R> {
    pub(crate) entry: u64,
    pub(crate) items: Option<Chunk<Args>>,
    pub(crate) sink: Sink<R>,
}

impl<Args, R> RemoteChunk for TypedChunk<Args, R>
where
    Args: Serialize + Send,
    R: DeserializeOwned + Send + 'static,
{
    fn encode(&mut self, frame: &mut Vec<u8>) -> Result<(), String> {
        let items = self.items.take().expect("a chunk is encoded once");
        frame.push(RUN);
        frame.extend_from_slice(&self.entry.to_le_bytes());
        wire::append(&(items.len() as u64), frame)?;
        for item in items {
            wire::append(&item, frame)?;
        }
        Ok(())
    }

    fn deliver(self: Box<Self>, reply: &[u8]) {
        let mut sink = self.sink;
        match reply.split_first() {
            Some((&OUTCOMES, mut rest)) => {
                for _ in 0..sink.len() {
                    match decode_outcome::<R>(rest) {
                        Ok((outcome, tail)) => {
                            sink.push(outcome);
                            rest = tail;
                        }
                        Err(error) => return sink.fail_rest(|| error.replicate()),
                    }
                }
                sink.finish();
            }
            Some((&BAD_ARGUMENTS, message)) => {
                let message = String::from_utf8_lossy(message).into_owned();
                sink.fail_rest(|| Error::Serialization {
                    what: "arguments",
                    type_name: type_name::<Args>(),
                    message: message.clone(),
                });
            }
            _ => sink.fail_rest(|| Error::Protocol {
                message: "the worker's reply is neither outcomes nor a decoding error".into(),
            }),
        }
    }

    fn fail(self: Box<Self>, error: &dyn Fn() -> Error) {
        self.sink.fail_rest(error);
    }

    fn arguments_type(&self) -> &'static str {
        type_name::<Args>()
    }
}

/// What went wrong decoding a reply; every later item of the chunk fails with it too.
enum DecodeError {
    Result {
        type_name: &'static str,
        message: String,
    },
    Protocol(String),
}

impl DecodeError {
    fn replicate(&self) -> Error {
        match self {
            DecodeError::Result { type_name, message } => Error::Serialization {
                what: "result",
                type_name,
                message: message.clone(),
            },
            DecodeError::Protocol(message) => Error::Protocol {
                message: message.clone(),
            },
        }
    }
}

fn decode_outcome<R: DeserializeOwned>(bytes: &[u8]) -> Result<(Result<R>, &[u8]), DecodeError> {
    let truncated = || DecodeError::Protocol("the worker's reply ends early".into());
    let (&tag, rest) = bytes.split_first().ok_or_else(truncated)?;
    match tag {
        OK => wire::take::<R>(rest)
            .map(|(value, rest)| (Ok(value), rest))
            .map_err(|message| DecodeError::Result {
                type_name: type_name::<R>(),
                message,
            }),
        PANICKED | UNSERIALISABLE => {
            let (message, rest) = wire::take::<String>(rest).map_err(|_| truncated())?;
            let error = if tag == PANICKED {
                Error::TaskPanicked { message }
            } else {
                Error::Serialization {
                    what: "result",
                    type_name: type_name::<R>(),
                    message,
                }
            };
            Ok((Err(error), rest))
        }
        other => Err(DecodeError::Protocol(format!(
            "unknown outcome tag {other} in the worker's reply"
        ))),
    }
}
