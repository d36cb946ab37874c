//! Server-sent events: the byte-level decoder and the typed JSON stream on top of it.

mod decoder;
mod event;
mod json_stream;

pub use decoder::{DEFAULT_MAX_EVENT_SIZE, Events, SseDecoder};
pub use event::{SseError, SseEvent};
pub use json_stream::{
    ChatStreamDecoder, CompletionStreamDecoder, JsonStreamDecoder, StreamError, StreamEvent,
};
