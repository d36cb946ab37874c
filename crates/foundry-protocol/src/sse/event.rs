//! A decoded server-sent event and the decoder's errors.

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` field, when present.
    pub event: Option<String>,
    /// The data lines, joined with `\n`.
    pub data: String,
    /// The `id:` field, when present.
    pub id: Option<String>,
    /// The `retry:` field in milliseconds, when present and numeric.
    pub retry: Option<u64>,
}

impl SseEvent {
    /// An event with only data.
    pub fn data(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Whether this is the OpenAI end-of-stream marker `[DONE]` (whitespace around it allowed).
    pub fn is_done(&self) -> bool {
        is_done_marker(&self.data)
    }
}

/// An event borrowed from the decoder that read it, valid until the decoder's next call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRef<'a> {
    pub(crate) event: Option<&'a str>,
    pub(crate) data: &'a str,
    pub(crate) id: Option<&'a str>,
    pub(crate) retry: Option<u64>,
}

impl EventRef<'_> {
    /// The event as an owned value.
    pub(crate) fn to_owned(self) -> SseEvent {
        SseEvent {
            event: self.event.map(str::to_owned),
            data: self.data.to_owned(),
            id: self.id.map(str::to_owned),
            retry: self.retry,
        }
    }

    /// Whether this is the end-of-stream marker `[DONE]`.
    pub(crate) fn is_done(&self) -> bool {
        is_done_marker(self.data)
    }
}

fn is_done_marker(data: &str) -> bool {
    // The exact marker first: it is what servers send, and it needs no trimming. A JSON object
    // (every other event) is told apart by its first byte, without a trim per event.
    data == "[DONE]" || (!data.starts_with('{') && data.trim() == "[DONE]")
}

/// Why a byte stream could not be decoded as server-sent events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line or an event's data exceeded the configured bound.
    #[error("server-sent event larger than the limit of {limit} bytes")]
    EventTooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
    /// An event was not valid UTF-8.
    #[error("server-sent event is not valid UTF-8")]
    InvalidUtf8,
}
